import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { isLoopback, resolveApiKeys, type ApiKeys } from '../../api/keys.js';
import { apiSettingsFromEnvironment, buildApiServer } from '../../api/server.js';
import { loadConfig } from '../../config/index.js';
import { DEFAULT_DATA_DIR, openDatabase, resolveDatabaseOptions } from '../../db/connect.js';
import { migrate } from '../../db/migrate.js';
import { ConfigError, ValidationError } from '../../errors.js';
import { Logger } from '../../logging/logger.js';
import { seedDemoData } from '../../market/demo.js';
import type { PipelineResult, PipelineStage } from '../../orchestration/pipeline.js';
import { RetrainingSystem } from '../../orchestration/system.js';
import { tableRowCounts } from '../../store/status.js';
import { findProductionVersion } from '../../store/versions.js';
import { commonOptions, parseSeed } from '../options.js';
import { printResult, type OutputOptions } from '../output.js';
import { progressLine } from '../progress.js';
import { formatStatus, readStatus } from './status.js';

type StartFlags = OutputOptions & {
  config?: string;
  dataDir?: string;
  demo?: boolean;
  host?: string;
  port?: string;
  firstModel: boolean;
  seed?: string;
};

/** The built dashboard (issue 9), served when present; a page pointing to the API otherwise. */
const DASHBOARD_DIR = fileURLToPath(new URL('../../../dist/dashboard', import.meta.url));

function listenAddress(flags: StartFlags, env: NodeJS.ProcessEnv): { host: string; port: number } {
  const host = (flags.host ?? env.HOST?.trim()) || '127.0.0.1';
  const text = (flags.port ?? env.PORT?.trim()) || '8787';
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigError([
      { field: 'PORT', value: text, message: `PORT "${text}" is not a port number; expected 0-65535` },
    ]);
  }
  return { host, port };
}

const displayHost = (host: string) =>
  host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;

/**
 * Generated keys are printed, since this is the only place their owner learns them. Keys from the
 * environment are not: the operator has them already, and a container's output goes to log stores.
 */
function keyLines(keys: ApiKeys, url: string): string[] {
  const api = `API:       ${url}/v1  (documentation ${url}/docs)`;
  if (keys.source === 'environment') {
    return [
      `dashboard: ${url}/  (sign in with RETRAINING_ADMIN_KEY${keys.read ? ' or RETRAINING_READ_KEY' : ''})`,
      api,
      'keys from the environment (not printed)',
    ];
  }
  return [
    `dashboard: ${url}/#key=${keys.admin}`,
    api,
    `admin key: ${keys.admin}`,
    ...(keys.read ? [`read key:  ${keys.read}`] : []),
    `keys stored in ${keys.file}`,
  ];
}

export function registerStart(program: Command): void {
  commonOptions(
    program
      .command('start')
      .description(
        'run the whole system in one process: HTTP API and dashboard, scheduler, worker and monitoring; on a new embedded database, the demo market and a first model',
      )
      .option('--host <host>', 'address to listen on (default HOST or 127.0.0.1)')
      .option('--port <port>', 'port to listen on (default PORT or 8787)')
      .option(
        '--demo',
        'store (or extend) the demo market and trades even on a server or a database with bars',
      )
      .option('--no-demo', 'never store the demo market')
      .option('--no-first-model', 'do not train a first model when none is in production')
      .option(
        '--seed <n>',
        "the first model's seed, for a reproducible first model (default: from the job id)",
      ),
  ).action(async (flags: StartFlags) => {
    const env = process.env;
    // Everything a start can refuse is checked before anything touches the database.
    const loaded = await loadConfig(flags.config ? { file: flags.config } : {});
    const { host, port } = listenAddress(flags, env);
    const firstModelSeed = parseSeed(flags.seed); // refused before anything touches the database
    const apiSettings = apiSettingsFromEnvironment(env);
    const dataDir = flags.dataDir ?? (env.RETRAINING_DATA_DIR?.trim() || DEFAULT_DATA_DIR);
    const keys = await resolveApiKeys({ env, dataDir, generate: isLoopback(host) });
    if (!keys) {
      throw new ConfigError([
        {
          field: 'HOST',
          value: host,
          message: `refusing to listen on ${host} without API keys; set RETRAINING_ADMIN_KEY (and RETRAINING_READ_KEY) or bind to 127.0.0.1`,
        },
      ]);
    }
    const say = (line: string) => {
      if (!flags.json) process.stdout.write(`${line}\n`);
    };
    const logger = new Logger({ context: { service: 'retrain' }, level: 'warn' });

    const db = await openDatabase({ dataDir });
    let system: RetrainingSystem | null = null;
    try {
      const migrated = await migrate(db);
      say(`configuration is valid (${loaded.sources.join(', ')})`);
      if (migrated.applied.length > 0) say(`applied ${migrated.applied.length} migration(s)`);
      const empty = (await tableRowCounts(db)).market_bars === 0;
      const seed =
        flags.demo === true ? true : flags.demo === false ? false : db.kind === 'embedded' && empty;
      if (seed) {
        const demo = await seedDemoData(db);
        say(
          `demo market stored: ${demo.sessions} sessions, ${demo.bars.stored.inserted} new bars, ${demo.trades.stored.inserted} new simulated trades`,
        );
      }
      const { url: databaseUrl } = resolveDatabaseOptions({});
      system = await RetrainingSystem.create(loaded.config, {
        db,
        logger,
        ...(databaseUrl ? { databaseUrl } : {}),
      });
      const { app: server } = await buildApiServer({
        system,
        keys,
        host,
        dashboardDir: existsSync(`${DASHBOARD_DIR}/index.html`) ? DASHBOARD_DIR : null,
        ...apiSettings,
        logger: logger.child({ component: 'api' }),
      });
      await server.listen({ host, port });
      const address = server.server.address();
      const boundPort = typeof address === 'object' && address ? address.port : port;
      const url = `http://${displayHost(host)}:${boundPort}`;
      await system.start();
      say('');
      for (const line of keyLines(keys, url)) say(line);
      say('');

      let stopping = false;
      const stopped = new Promise<string>((resolve) => {
        const stop = (signal: string) => {
          if (stopping) return;
          stopping = true;
          say(`\n${signal}: stopping (the running job finishes its stage or is cancelled)`);
          resolve(signal);
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });

      if (flags.firstModel && !(await findProductionVersion(db))) {
        say('no model is in production yet: training a first one (a few minutes; Ctrl-C stops)');
        const training = firstModel(system, flags, say, firstModelSeed, seed);
        const signal = await Promise.race([training.then(() => null), stopped]);
        if (signal) {
          await server.close();
          await system.stop(0);
          system = null;
          return;
        }
      }
      const status = await readStatus(db, loaded.config);
      say(formatStatus(status));
      say('');
      say(`ready at ${url}; Ctrl-C stops`);
      if (flags.json) {
        printResult(flags, { url, host, port: boundPort, keys: { source: keys.source }, status }, () => '');
      }
      await stopped;
      await server.close();
      await system.stop();
      system = null;
    } finally {
      if (system) await system.stop(0).catch(() => undefined);
      await db.close();
    }
  });
}

/** Trainings a start makes for the demo market's first model when the gates reject one. */
export const DEMO_FIRST_MODEL_ATTEMPTS = 2;

/**
 * Trains (and, through the gates, deploys) a first model in the foreground. On a demo market this
 * start stored, a first model the gates reject is trained once more with another seed (seeded
 * first trainings pass the default gates 18 times in 20, `npm run bench -- first_model`), so a
 * newcomer's start ends with a model serving; on anyone's own data one rejection stands.
 */
async function firstModel(
  system: RetrainingSystem,
  flags: StartFlags,
  say: (line: string) => void,
  seed: number | undefined,
  demo: boolean,
): Promise<void> {
  const attempts = demo ? DEMO_FIRST_MODEL_ATTEMPTS : 1;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    // A given seed moves on by one; without one, each job's seed comes from its id.
    const attemptSeed = seed === undefined ? undefined : seed + attempt - 1;
    const result = await trainFirstModel(system, flags, say, attemptSeed);
    if (!result) return;
    const deployed = result.outcome?.action === 'deployed' || result.outcome?.action === 'ab_test';
    if (deployed) {
      say(`first model ${result.version}: ${result.reason}`);
      return;
    }
    if (result.outcome?.action === 'rejected' && attempt < attempts) {
      say(
        `first model rejected by the gates (${result.reason}); training another with a new seed (attempt ${attempt + 1} of ${attempts})`,
      );
      continue;
    }
    say(
      `no model deployed (${result.status}): ${result.reason}; the schedule will try again, or run \`retrain run\``,
    );
    return;
  }
}

/**
 * One first training. Its progress is shown as the job's own log lines (stages, hyperparameter
 * trials, training) read from the job row, so a terminal and a container log see the same thing;
 * a terminal also gets a progress bar. Null when it failed (said).
 */
async function trainFirstModel(
  system: RetrainingSystem,
  flags: StartFlags,
  say: (line: string) => void,
  seed: number | undefined,
): Promise<PipelineResult | null> {
  const tty = !flags.json && process.stderr.isTTY === true;
  const bar = progressLine('first model', tty);
  const service = system.services.retrainingService;
  let stage: PipelineStage = 'collect';
  let shown = 0;
  let lastIteration = -1;
  const showLogs = async () => {
    const job = await service.getCurrentJob().catch(() => null);
    if (!job || job.trigger !== 'startup') return;
    for (const line of job.logs.slice(shown)) say(`${tty ? '\r\x1b[K' : ''}  ${line.message}`);
    shown = Math.max(shown, job.logs.length);
  };
  const timer = setInterval(() => void showLogs(), 2000);
  try {
    const { result } = await service.runRetraining({
      trigger: 'startup',
      ...(seed !== undefined ? { seed } : {}),
      onStage: (next, progress) => {
        stage = next;
        bar.update(progress, 1, next);
      },
      onTrainingProgress: (p) => {
        bar.update(p.iteration, p.iterations, `${stage} ${p.iteration}/${p.iterations}`);
        const tenth = Math.floor((p.iteration / p.iterations) * 10);
        if (!tty && tenth > lastIteration) {
          lastIteration = tenth;
          say(`  ${stage} iteration ${p.iteration}/${p.iterations}`);
        }
      },
    });
    clearInterval(timer);
    bar.done();
    return result;
  } catch (error) {
    bar.done();
    if (error instanceof ValidationError) throw error;
    say(`first model failed: ${(error as Error).message}; the system keeps running`);
    return null;
  } finally {
    clearInterval(timer);
  }
}
