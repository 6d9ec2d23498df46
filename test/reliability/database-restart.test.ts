/**
 * The PostgreSQL server stopped and started again under a running `retrain start`, first while it
 * only serves, then while a retraining trains. The test runs a PostgreSQL cluster of its own
 * (initdb as the `postgres` user) so that stopping it disturbs no other test; it runs in the
 * server pass only (TEST_DATABASE_URL set), since the embedded pass has no server to lose.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { openServerDatabase } from '../../src/db/server.js';
import type { Database } from '../../src/db/types.js';
import { Logger } from '../../src/logging/logger.js';
import { seedDemoData } from '../../src/market/demo.js';
import { RetrainingSystem } from '../../src/orchestration/system.js';
import { initTensorFlow } from '../../src/rl/backend.js';
import { listDeploymentEvents } from '../../src/store/deployment-events.js';
import { getJob } from '../../src/store/retraining-jobs.js';
import { listVersions } from '../../src/store/versions.js';
import { spawnRetrain, type RetrainProcess } from '../helpers/cli.js';
import { SERVER_URL } from '../helpers/database.js';
import { registerRandomModel } from '../helpers/models.js';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';
const ADMIN = 'restart-admin-key-0123456789abcdef';
const READ = 'restart-read-key-0123456789abcdef';
/** How long the API may take to answer again once PostgreSQL is back, without a restart of ours. */
const RECOVERY_LIMIT_MS = 15_000;

/** Why this machine cannot run a private cluster, or null when it can. */
function unavailable(): string | null {
  if (!SERVER_URL) return 'runs in the server pass only (TEST_DATABASE_URL unset)';
  if (!existsSync(`${BIN}/initdb`)) return `no PostgreSQL binaries in ${BIN}`;
  if (process.getuid?.() !== 0 && userInfo().username !== 'postgres')
    return 'initdb runs as the postgres user: needs root (runuser) or to be postgres';
  return null;
}
const skipReason = unavailable();

/** A PostgreSQL cluster of the test's own in a temporary folder, on a free loopback port. */
class PrivateCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'retraining-pg-'));
  readonly data = join(this.dir, 'data');
  port = 0;

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async init(): Promise<void> {
    if (process.getuid?.() === 0) chownSync(this.dir, ...postgresIds());
    this.port = await freePort();
    await this.#pg('initdb', ['-D', this.data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  }

  start(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    return this.#pg('pg_ctl', ['-D', this.data, '-o', options, '-l', join(this.dir, 'log'), '-w', 'start']);
  }

  /** Fast shutdown: open sessions are terminated, as when a server is restarted by its operator. */
  stop(): Promise<void> {
    return this.#pg('pg_ctl', ['-D', this.data, '-m', 'fast', '-w', 'stop']);
  }

  async remove(): Promise<void> {
    await this.stop().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  async #pg(program: string, args: string[]): Promise<void> {
    const command = [`${BIN}/${program}`, ...args];
    if (process.getuid?.() === 0) await run('runuser', ['-u', 'postgres', '--', ...command]);
    else await run(command[0]!, command.slice(1));
  }
}

/** The postgres user's uid and gid, from /etc/passwd. */
function postgresIds(): [number, number] {
  const fields = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .find((f) => f[0] === 'postgres');
  if (!fields) throw new Error('no postgres user in /etc/passwd');
  return [Number(fields[2]), Number(fields[3])];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let cluster: PrivateCluster;
let system: RetrainProcess;
let url: string;
let production: string;

/** One request with its time; a request that hangs fails the test after `timeoutMs`. */
async function call(
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 5_000,
): Promise<{ status: number; body: Record<string, unknown>; text: string; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  return {
    status: response.status,
    text,
    body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : {},
    ms: performance.now() - started,
  };
}

const PREDICTION = { key: 'bot-1', observation: Array(9).fill(0.1), position: 0 };

/** Polls `fn` until it returns true; the time it took. */
async function within(limitMs: number, fn: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await fn().catch(() => false)) return Date.now() - started;
    if (Date.now() - started > limitMs) throw new Error(`not within ${limitMs} ms`);
    await sleep(250);
  }
}

async function withDatabase<T>(fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openServerDatabase({ url: cluster.url, maxConnections: 2 });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

describe.skipIf(skipReason !== null)('PostgreSQL stopped and started under retrain start (server)', () => {
  beforeAll(async () => {
    cluster = new PrivateCluster();
    await cluster.init();
    await cluster.start();
    await initTensorFlow();
    production = await withDatabase(async (db) => {
      await migrate(db);
      await seedDemoData(db, new Date());
      const version = await registerRandomModel(db, 'restart-a');
      const setup = await RetrainingSystem.create(
        {},
        { db, jobs: false, logger: new Logger({ logToConsole: false }), env: {} },
      );
      await setup.services.deploymentManager.deploy(version);
      await setup.stop(0);
      return version;
    });
    system = spawnRetrain(
      ['start', '--port', '0', '--no-demo', '--no-first-model'],
      {
        DATABASE_URL: cluster.url,
        RETRAINING_DATA_DIR: join(cluster.dir, 'keys'),
        RETRAINING_ADMIN_KEY: ADMIN,
        RETRAINING_READ_KEY: READ,
        RETRAINING_CONFIG_JSON: JSON.stringify({
          schedule: { enabled: false },
          dataCollection: { lookbackDays: 60 },
          training: { epochs: 6, batchSize: 256, hyperparameterOptimization: { enabled: false } },
        }),
        RETRAINING_TRIAL_THREADS: '1',
        RETRAINING_JOB_EXPIRE_SECONDS: '20',
        RETRAINING_JOB_RETRY_DELAY_SECONDS: '1',
        RETRAINING_JOB_STALE_SECONDS: '6',
        RETRAINING_QUEUE_POLL_SECONDS: '0.5',
        RETRAINING_QUEUE_MAINTENANCE_SECONDS: '1',
      },
      cluster.dir,
    );
    [, url] = (await system.waitFor(/ready at (http:\/\/127\.0\.0\.1:\d+)/, 90_000)) as string[] as [
      string,
      string,
    ];
  }, 150_000);

  afterAll(async () => {
    if (system && system.child.exitCode === null) system.child.kill('SIGKILL');
    await cluster?.remove();
  });

  it('answers 503 while PostgreSQL is down, keeps predicting, and serves again once it is back', async () => {
    expect((await call('GET', '/v1/status')).status).toBe(200);
    expect((await call('POST', '/v1/predict', PREDICTION)).body.version).toBe(production);

    await cluster.stop();
    const down = await call('GET', '/v1/status');
    expect(down.status, down.text).toBe(503);
    expect(down.body.error).toMatchObject({ code: 'database_unavailable' });
    expect(down.text).not.toMatch(/\n\s+at |ECONNREFUSED|postgres:\/\//);
    expect(down.ms).toBeLessThan(5_000);
    console.info(`503 answered in ${down.ms.toFixed(0)} ms with PostgreSQL down`);
    // The model is in memory: predictions go on while the database is away.
    const predicted = await call('POST', '/v1/predict', PREDICTION);
    expect(predicted.status, predicted.text).toBe(200);
    const health = await call('GET', '/v1/health');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('critical');
    expect(health.body.checks).toContainEqual(
      expect.objectContaining({ name: 'database', status: 'critical' }),
    );
    expect((await call('GET', '/health')).status).toBe(200);
    // Writes are refused the same way, and nothing is half-done.
    const write = await call('POST', '/v1/jobs', {});
    expect(write.status, write.text).toBe(503);
    await sleep(3_000); // the event stream, the predictor's poll and pg-boss all meet the outage
    expect(system.child.exitCode).toBeNull();

    await cluster.start();
    const recovery = await within(
      RECOVERY_LIMIT_MS,
      async () => (await call('GET', '/v1/status')).status === 200,
    );
    console.info(`API serving again ${recovery} ms after PostgreSQL came back`);
    const healthy = await call('GET', '/v1/health');
    expect(healthy.body.checks).toContainEqual(
      expect.objectContaining({ name: 'database', status: 'healthy' }),
    );
    expect((await call('POST', '/v1/predict', PREDICTION)).body.version).toBe(production);
  }, 60_000);

  it('finishes or cleanly fails a retraining whose database went away mid-training, leaving nothing half-made', async () => {
    // pg-boss came back too: a queued retraining is taken by this process's worker.
    const queued = await call('POST', '/v1/jobs', {});
    expect(queued.status, queued.text).toBe(202);
    const jobId = queued.body.id as string;
    await within(60_000, async () => (await call('GET', `/v1/jobs/${jobId}`)).body.stage === 'train');

    await cluster.stop();
    await sleep(8_000);
    expect(system.child.exitCode, system.output()).toBeNull();
    await cluster.start();

    let job: Record<string, unknown> = {};
    const finished = await within(90_000, async () => {
      job = (await call('GET', `/v1/jobs/${jobId}`)).body;
      return ['succeeded', 'skipped', 'failed', 'cancelled'].includes(String(job.status));
    });
    console.info(
      `job ${String(job.status)} (attempt ${String(job.attempt)}) ${finished} ms after PostgreSQL came back`,
    );
    expect(job.status).toMatch(/^(succeeded|failed)$/);

    await withDatabase(async (db) => {
      const row = await getJob(db, jobId);
      const versions = await listVersions(db);
      expect(versions.filter((v) => v.status === 'training')).toEqual([]);
      const inProduction = versions.filter((v) => v.status === 'production');
      expect(inProduction).toHaveLength(1);
      const served = inProduction[0]!.version;
      if (served !== production) {
        // Only a version the run fully deployed, with its ledger event.
        expect(row.resultVersion).toBe(served);
        const events = await listDeploymentEvents(db, { version: served });
        expect(events.map((e) => e.action)).toContain('deploy');
      }
    });
    expect(system.output()).not.toMatch(/Unhandled|uncaught/i);

    system.child.kill('SIGTERM');
    expect(await system.exited).toBe(0);
  }, 150_000);
});

if (skipReason) describe('PostgreSQL restart', () => it.skip(`skipped: ${skipReason}`, () => undefined));
