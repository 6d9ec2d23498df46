/**
 * Process-level faults (issue 10, item 2), against the real `retrain` CLI in child processes:
 * SIGKILL at the start of every pipeline stage, two `retrain start` on one database, an embedded
 * folder the process may not write, and a corrupt production artifact. Every check reads what the
 * system stored (the database, or the API of the process that runs it), nothing is stubbed.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_RETRAINING_CONFIG } from '../../src/config/defaults.js';
import { openEmbeddedDatabase } from '../../src/db/embedded.js';
import { LOCK_FILE_NAME } from '../../src/db/folder-lock.js';
import type { Database } from '../../src/db/types.js';
import { DeploymentManager } from '../../src/deployment/deployment-manager.js';
import { seedDemoData } from '../../src/market/demo.js';
import { PAUSE_AT_STAGE_VARIABLE, PIPELINE_STAGES } from '../../src/orchestration/pipeline.js';
import { loadVersion } from '../../src/registry/registry.js';
import { initTensorFlow } from '../../src/rl/backend.js';
import { findArtifact } from '../../src/store/artifacts.js';
import { listDeploymentEvents, productionLedger } from '../../src/store/deployment-events.js';
import { listJobs } from '../../src/store/retraining-jobs.js';
import { listTrials } from '../../src/store/tuning-trials.js';
import { listVersions, type ModelVersionRow } from '../../src/store/versions.js';
import {
  collectResult,
  createCliDatabase,
  runRetrain,
  spawnRetrain,
  CLI_MAIN,
  type CliDatabase,
  type CliResult,
  type RetrainProcess,
} from '../helpers/cli.js';
import { BACKEND, SERVER_URL } from '../helpers/database.js';
import { registerRandomModel } from '../helpers/models.js';

const ADMIN_KEY = randomBytes(16).toString('hex');
const READ_KEY = randomBytes(16).toString('hex');

/**
 * Small and quick: two weeks of the demo market, four PPO iterations, no tuning; gates loose
 * enough that candidates are deployed (so kills land around real production swaps); no A/B test
 * and no cooldown, so a passing candidate goes straight to production.
 */
const CONFIG = {
  schedule: { enabled: false },
  dataCollection: { lookbackDays: 14, minTradesThreshold: 20 },
  training: { epochs: 4, batchSize: 256, hyperparameterOptimization: { enabled: false } },
  evaluation: { minTradesForValidation: 5, minProfitFactor: 0.5, minWinRate: 0.2, maxDrawdownThreshold: 0.9 },
  deployment: { abTesting: { enabled: false }, cooldownPeriodHours: 0 },
};

/**
 * Queue timing for fault injection: a killed run's job expires after 3 s and is retried after
 * about a second, and a heartbeat older than 2 s marks its worker dead (a restarted process can be
 * ready sooner: a test that asks at once waits that out). Safe only while one process works the
 * queue at a time: a second one would take over a live run (heartbeats come every 5 s);
 * `LIVE_QUEUE_ENV` is for those tests.
 */
const QUEUE_ENV = {
  RETRAINING_JOB_EXPIRE_SECONDS: '3',
  RETRAINING_JOB_RETRY_DELAY_SECONDS: '1',
  RETRAINING_JOB_RETRY_LIMIT: '8',
  RETRAINING_JOB_STALE_SECONDS: '2',
  RETRAINING_QUEUE_POLL_SECONDS: '0.5',
  RETRAINING_QUEUE_MAINTENANCE_SECONDS: '1',
  RETRAINING_TRIAL_THREADS: '1',
};

/** The defaults' proportions: no expiry during a run, a heartbeat stale only after 60 s. */
const LIVE_QUEUE_ENV = { RETRAINING_JOB_EXPIRE_SECONDS: '600', RETRAINING_JOB_STALE_SECONDS: '60' };

/** A database with the demo market and a random (but real, loadable) model in production. */
interface Prepared {
  cli: CliDatabase;
  env: NodeJS.ProcessEnv;
  /** The version in production before any fault. */
  original: string;
}

let template: Prepared | undefined;
const prepared: Prepared[] = [];
const processes: RetrainProcess[] = [];

async function seedMarketAndModel(cli: CliDatabase): Promise<string> {
  let original = '';
  await cli.seed(async (db) => {
    await seedDemoData(db, new Date());
    await initTensorFlow();
    original = await registerRandomModel(db, 'production', { hidden: [64, 64] });
    await new DeploymentManager(db, DEFAULT_RETRAINING_CONFIG.deployment).deploy(original, {
      reason: 'the model in production before the faults',
    });
  });
  return original;
}

/**
 * A fresh prepared database per test: on the server a schema seeded anew, embedded a copy of one
 * seeded folder (copying a stopped folder is its documented backup, and 10x quicker than seeding).
 */
async function prepare(): Promise<Prepared> {
  let cli: CliDatabase;
  let original: string;
  if (SERVER_URL) {
    cli = await createCliDatabase('process-faults');
    original = await seedMarketAndModel(cli);
  } else {
    template ??= await (async () => {
      const seeded = await createCliDatabase('process-faults-template');
      return { cli: seeded, env: seeded.env, original: await seedMarketAndModel(seeded) };
    })();
    const dir = mkdtempSync(join(tmpdir(), 'process-faults-'));
    const dataDir = join(dir, 'data');
    cpSync(template.env.RETRAINING_DATA_DIR!, dataDir, { recursive: true });
    original = template.original;
    cli = {
      env: { RETRAINING_DATA_DIR: dataDir },
      dir,
      seed: async (fn) => {
        const db = await openEmbeddedDatabase({ dataDir });
        try {
          await fn(db);
        } finally {
          await db.close();
        }
      },
      close: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const env: NodeJS.ProcessEnv = {
    ...cli.env,
    ...QUEUE_ENV,
    RETRAINING_CONFIG_JSON: JSON.stringify(CONFIG),
    RETRAINING_ADMIN_KEY: ADMIN_KEY,
    RETRAINING_READ_KEY: READ_KEY,
    RETRAINING_BOSS_SCHEMA: `boss_${randomBytes(4).toString('hex')}`,
    LOG_LEVEL: 'info',
  };
  const result = { cli, env, original };
  prepared.push(result);
  return result;
}

/** `retrain start` on the prepared database: API on a free port, scheduler, worker, monitoring. */
function startSystem(db: Prepared, extraEnv: NodeJS.ProcessEnv = {}): RetrainProcess {
  const system = spawnRetrain(
    ['start', '--port', '0', '--no-demo', '--no-first-model'],
    { ...db.env, ...extraEnv },
    db.cli.dir,
  );
  processes.push(system);
  return system;
}

async function ready(system: RetrainProcess): Promise<string> {
  const [, url] = (await system.waitFor(/ready at (http:\/\/127\.0\.0\.1:\d+);/, 90_000)) as string[];
  return url!;
}

async function api<T = Record<string, unknown>>(
  url: string,
  path: string,
  init: { method?: string; body?: unknown; key?: string } = {},
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${url}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${init.key ?? ADMIN_KEY}`,
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as T };
}

interface JobView {
  id: string;
  status: string;
  stage: string | null;
  attempt: number;
  worker: string | null;
  resultVersion: string | null;
  error: string | null;
  logs: { time: string; level: string; message: string }[];
}

const FINISHED = new Set(['succeeded', 'skipped', 'failed', 'cancelled']);

/** Polls `probe` until it returns a value (not undefined), or fails after `timeoutMs`. */
async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function finishedJob(url: string, id: string, timeoutMs = 90_000): Promise<JobView> {
  let last: JobView | null = null;
  try {
    return await until(
      async () => {
        const { body } = await api<JobView>(url, `/v1/jobs/${id}`);
        last = body;
        return FINISHED.has(body.status) ? body : undefined;
      },
      timeoutMs,
      `job ${id} to finish`,
    );
  } catch (error) {
    // Where the job stood is what tells a slow machine from a lost job.
    const seen = last as JobView | null;
    const logs = seen?.logs.map((l) => `  ${l.time} ${l.message}`).join('\n') ?? '';
    throw new Error(
      `${(error as Error).message}; last seen ${seen?.status ?? 'never'} at ${seen?.stage ?? '-'}, attempt ${seen?.attempt ?? '-'}, worker ${seen?.worker ?? '-'}:\n${logs}`,
      { cause: error },
    );
  }
}

const observation = [0.001, 0.002, -0.001, 0.01, 55, 0.0001, 0.3, 0.5, 0.002];

/**
 * What must hold whatever was killed when: one production version, loadable (its artifact's
 * bytes match the checksum it was registered with), either the original or a candidate that
 * passed the gates with its validate and deploy events, the ledger agreeing with it, and every
 * registered version with its artifact bytes. `settled`: after a restart recovered, nothing is
 * left half-made (no version training, no job running).
 */
async function expectConsistent(
  db: Database,
  original: string,
  settled: boolean,
): Promise<ModelVersionRow[]> {
  const versions = await listVersions(db, { limit: 1000 });
  const production = versions.filter((v) => v.status === 'production');
  expect(production).toHaveLength(1);
  const served = production[0]!;
  expect((await productionLedger(db, 1))[0]?.version).toBe(served.version);
  if (served.version !== original) {
    expect((served.metrics.gates as { verdict: string }).verdict).toBe('pass');
    const actions = (await listDeploymentEvents(db, { version: served.version })).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['register', 'validate', 'deploy']));
  }
  for (const version of versions) {
    const artifact = await findArtifact(db, version.version);
    expect(artifact, `artifact of ${version.version}`).not.toBeNull();
    expect(artifact!.data.byteLength).toBeGreaterThan(0);
    expect(createHash('sha256').update(artifact!.data).digest('hex')).toBe(version.checksum);
  }
  await initTensorFlow();
  expect((await loadVersion(db, served.version)).artifact.weights.actor.length).toBeGreaterThan(0);
  if (settled) {
    expect(versions.filter((v) => v.status === 'training').map((v) => v.version)).toEqual([]);
    expect((await listJobs(db, 1000)).filter((j) => j.status === 'running' || j.status === 'queued')).toEqual(
      [],
    );
  }
  return versions;
}

/** Root can drop to `nobody` with runuser: the only way to make a folder unwritable for the process here. */
const NOBODY_UID = 65534;
const CAN_RUN_AS_NOBODY = process.getuid?.() === 0 && existsSync('/usr/sbin/runuser');
/** Why the embedded-folder tests do not run here, for their names; null when they do. */
const FOLDER_SKIP = SERVER_URL
  ? 'embedded only: a server has no data folder of ours'
  : CAN_RUN_AS_NOBODY
    ? null
    : 'needs root and runuser to run the process as nobody';

function nobodyCommand(args: string[], env: NodeJS.ProcessEnv, cwd: string) {
  return spawn('runuser', ['-u', 'nobody', '--', process.execPath, CLI_MAIN, ...args], {
    env: { PATH: process.env.PATH, HOME: cwd, ...env },
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: runuser does not pass SIGKILL on, so cleanup kills the group.
    detached: true,
  });
}

/** SIGTERM to the node process itself (runuser would SIGKILL it 2 s after passing SIGTERM on). */
async function stopNobody(system: RetrainProcess, dataDir: string): Promise<number | null> {
  const lock = JSON.parse(readFileSync(join(dataDir, LOCK_FILE_NAME), 'utf8')) as { pid: number };
  process.kill(lock.pid, 'SIGTERM');
  return system.exited;
}

function runAsNobody(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<CliResult> {
  return collectResult(nobodyCommand(args, env, cwd));
}

function spawnAsNobody(args: string[], env: NodeJS.ProcessEnv, cwd: string): RetrainProcess {
  const child = nobodyCommand(args, env, cwd);
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const process: RetrainProcess = {
    child,
    output: () => output,
    exited,
    waitFor: async (pattern, timeoutMs) =>
      until(
        async () => output.match(pattern) ?? (child.exitCode === null ? undefined : null),
        timeoutMs,
        `${pattern}`,
      ).then((match) => {
        if (!match) throw new Error(`exited before printing ${pattern}:\n${output}`);
        return match;
      }),
  };
  processes.push(process);
  return process;
}

function walk(dir: string, visit: (path: string, isDirectory: boolean) => void): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, visit);
    visit(path, entry.isDirectory());
  }
}

function chownTree(dir: string, uid: number): void {
  walk(dir, (path) => chownSync(path, uid, -1));
  chownSync(dir, uid, -1);
}

/** Takes write permission from (or gives it back to) every file and folder of the tree. */
function chmodTree(dir: string, writable: boolean): void {
  const mode = (isDirectory: boolean) =>
    writable ? (isDirectory ? 0o755 : 0o644) : isDirectory ? 0o555 : 0o444;
  walk(dir, (path, isDirectory) => chmodSync(path, mode(isDirectory)));
  chmodSync(dir, mode(true));
}

/** Every file with its size and modification time: what "nothing touched" compares. */
function folderSnapshot(dir: string): Record<string, string> {
  const snapshot: Record<string, string> = {};
  walk(dir, (path) => {
    const stats = statSync(path);
    snapshot[path] = `${stats.size}@${stats.mtimeMs}`;
  });
  return snapshot;
}

function expectNoStackTrace(result: CliResult): void {
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stdout).not.toMatch(/\n\s+at /);
}

afterEach(async () => {
  for (const process of processes.splice(0)) {
    if (process.child.exitCode === null && process.child.signalCode === null) {
      if (process.child.spawnargs[0] === 'runuser') globalThis.process.kill(-process.child.pid!, 'SIGKILL');
      else process.child.kill('SIGKILL');
      await process.exited;
    }
  }
  for (const db of prepared.splice(0)) {
    if (SERVER_URL)
      await db.cli.seed((d) => d.exec(`DROP SCHEMA IF EXISTS ${db.env.RETRAINING_BOSS_SCHEMA} CASCADE`));
    await db.cli.close();
  }
});
afterAll(async () => {
  await template?.cli.close();
});

describe(`process faults (${BACKEND})`, () => {
  const stages = PIPELINE_STAGES.filter((s) => s !== 'tune');

  it(`SIGKILL at the start of each stage (${stages.join(', ')}): a restarted process takes the job over and completes it; nothing half-made is left or served`, async () => {
    const db = await prepare();
    let killed: { id: string; stage: string } | null = null;
    for (const stage of [...stages, null]) {
      // After the first kill the job comes back while its heartbeat is still younger than the
      // stale age: on a server (where the dead process might be alive) it must be delivered again
      // later, not dropped as a live worker's duplicate. Embedded, the folder lock proves the
      // process dead: the job is taken over at once.
      const stale = killed?.stage === 'collect' ? { RETRAINING_JOB_STALE_SECONDS: '15' } : {};
      const system = startSystem(db, { ...stale, ...(stage ? { [PAUSE_AT_STAGE_VARIABLE]: stage } : {}) });
      const url = await ready(system);
      if (killed) {
        // The restarted process takes the killed job over once pg-boss expires it, and runs it through.
        // Generous: on a loaded 2-core machine one small run has taken over a minute.
        const job = await finishedJob(url, killed.id, 180_000);
        expect(job, `job killed at ${killed.stage}`).toMatchObject({ status: 'succeeded', attempt: 2 });
        const paused = job.logs.find((l) => l.message.startsWith('paused at'))!;
        const takenOver = job.logs.find((l) =>
          /^taken over by .* stopped without finishing$/.test(l.message),
        );
        expect(takenOver).toBeDefined();
        if (killed.stage === 'collect' && SERVER_URL) {
          expect(Date.parse(takenOver!.time) - Date.parse(paused.time)).toBeGreaterThan(15_000);
        }
        const { body } = await api<{ versions: { status: string }[] }>(url, '/v1/versions?limit=100');
        expect(body.versions.filter((v) => v.status === 'training')).toEqual([]);
        // The restarted process serves whatever is in production now.
        const predicted = await api(url, '/v1/predict', {
          method: 'POST',
          body: { key: 'bot', observation, position: 0 },
          key: READ_KEY,
        });
        expect(predicted.status).toBe(200);
      }
      if (!stage) {
        system.child.kill('SIGTERM');
        expect(await system.exited).toBe(0);
        break;
      }
      const posted = await api<JobView>(url, '/v1/jobs', { method: 'POST', body: {} });
      expect(posted.status).toBe(202);
      await until(
        async () => {
          const { body } = await api<JobView>(url, `/v1/jobs/${posted.body.id}`);
          return body.logs.some((l) => l.message.startsWith(`paused at ${stage}`)) ? body : undefined;
        },
        180_000, // a run to gate trains and evaluates: minutes on a loaded 2-core machine
        `job ${posted.body.id} to pause at ${stage}`,
      );
      system.child.kill('SIGKILL');
      expect(await system.exited).toBeNull();
      killed = { id: posted.body.id, stage };
      if (stage === 'gate' || stage === 'deploy') {
        // Killed between registration and the verdict: the version is half-made, never in production.
        await db.cli.seed(async (d) => {
          const versions = await expectConsistent(d, db.original, false);
          const halfMade = versions.filter((v) => v.status === 'training');
          expect(halfMade).toHaveLength(1);
          expect(halfMade[0]!.version).not.toBe(versions.find((v) => v.status === 'production')!.version);
        });
      } else if (!SERVER_URL) {
        // The next start finds the killed process's lock and takes it over.
        const lock = JSON.parse(readFileSync(join(db.env.RETRAINING_DATA_DIR!, LOCK_FILE_NAME), 'utf8')) as {
          pid: number;
        };
        expect(lock.pid).toBe(system.child.pid);
      }
    }
    await db.cli.seed(async (d) => {
      const versions = await expectConsistent(d, db.original, true);
      const jobs = await listJobs(d, 100);
      expect(jobs).toHaveLength(stages.length);
      expect(jobs.map((j) => [j.status, j.attempt])).toEqual(stages.map(() => ['succeeded', 2]));
      // The versions half-made by the kills at gate and deploy were failed by the process that took over.
      expect(versions.filter((v) => v.status === 'failed')).toHaveLength(2);
      // Every completed run warm-started from production and was judged against it.
      for (const job of jobs) {
        const made = versions.find((v) => v.version === job.resultVersion)!;
        expect(made.metrics.training).toMatchObject({ warmStarted: true });
        expect(made.metrics.production).not.toBeNull();
      }
    });
  }, 900_000);

  it('SIGKILL at the start of tune: a restarted process takes the job over, searches again and completes it', async () => {
    const db = await prepare();
    const tuning = {
      RETRAINING_CONFIG_JSON: JSON.stringify({
        ...CONFIG,
        training: { ...CONFIG.training, hyperparameterOptimization: { enabled: true, maxTrials: 1 } },
      }),
    };
    const first = startSystem(db, { ...tuning, [PAUSE_AT_STAGE_VARIABLE]: 'tune' });
    const firstUrl = await ready(first);
    const posted = await api<JobView>(firstUrl, '/v1/jobs', { method: 'POST', body: {} });
    expect(posted.status).toBe(202);
    await until(
      async () => {
        const { body } = await api<JobView>(firstUrl, `/v1/jobs/${posted.body.id}`);
        return body.logs.some((l) => l.message.startsWith('paused at tune')) ? body : undefined;
      },
      60_000,
      `job ${posted.body.id} to pause at tune`,
    );
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();

    const second = startSystem(db, tuning);
    const url = await ready(second);
    const job = await finishedJob(url, posted.body.id, 180_000);
    expect(job).toMatchObject({ status: 'succeeded', attempt: 2 });
    expect(job.logs.some((l) => /^best of 1 trials/.test(l.message))).toBe(true);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    await db.cli.seed(async (d) => {
      await expectConsistent(d, db.original, true);
      const trials = await listTrials(d, posted.body.id);
      expect(trials.map((t) => t.state)).toEqual(['complete']);
    });
  }, 400_000);

  it('SIGKILL of `retrain run` (a run outside the queue, not retried): the next `retrain start` ends its job failed with where it stood, fails its half-made version, raises an alert, and a retraining then runs', async () => {
    const db = await prepare();
    const run = spawnRetrain(['run'], { ...db.env, [PAUSE_AT_STAGE_VARIABLE]: 'gate' }, db.cli.dir);
    processes.push(run);
    await run.waitFor(/paused at gate for a fault test/, 120_000);
    run.child.kill('SIGKILL');
    expect(await run.exited).toBeNull();
    // On a server the dead run is known dead only once its heartbeat is older than the stale age
    // (2 s here); until then it may be alive elsewhere, and a retraining asked for is refused as
    // "already running". A restarted system can be ready sooner than that, so wait it out.
    if (SERVER_URL) await new Promise((resolve) => setTimeout(resolve, 2_500));

    const system = startSystem(db);
    const url = await ready(system);
    // Embedded, the job is ended when the worker starts (the folder lock proves its process
    // dead); on a server, once its heartbeat is older than the stale age, which a retraining
    // asked for finds out before refusing it as "already running".
    const posted = await api<JobView>(url, '/v1/jobs', { method: 'POST', body: {} });
    expect(posted.status).toBe(202);
    const { body } = await api<{ jobs: JobView[] }>(url, '/v1/jobs?limit=10');
    const dead = body.jobs.find((j) => j.id !== posted.body.id)!;
    expect(dead).toMatchObject({ status: 'failed', attempt: 1 });
    expect(dead.error).toMatch(
      /^its process \S+ stopped without finishing \(at gate, attempt 1\); a run outside the job queue is not retried$/,
    );
    const alerts = await api<{ alerts: { type: string; severity: string; message: string }[] }>(
      url,
      '/v1/alerts',
    );
    expect(alerts.body.alerts.find((a) => a.message.includes(dead.id))).toMatchObject({
      type: 'training_failure',
      severity: 'high',
    });
    expect(alerts.body.alerts.find((a) => a.message.includes(dead.id))!.message).toMatch(
      /half-made \S+ failed/,
    );

    const job = await finishedJob(url, posted.body.id, 180_000);
    expect(job).toMatchObject({ status: 'succeeded', attempt: 1 });
    system.child.kill('SIGTERM');
    expect(await system.exited).toBe(0);
    await db.cli.seed(async (d) => {
      const versions = await expectConsistent(d, db.original, true);
      expect(versions.filter((v) => v.status === 'failed')).toHaveLength(1);
    });
  }, 360_000);

  it('two retrain start on one database: embedded refuses the second naming the holder; on a server both serve, a retraining runs once, and either survives the other', async () => {
    const db = await prepare();
    const first = startSystem(db, LIVE_QUEUE_ENV);
    const firstUrl = await ready(first);
    const predict = (url: string) =>
      api<{ version: string }>(url, '/v1/predict', {
        method: 'POST',
        body: { key: 'bot', observation, position: 0 },
        key: READ_KEY,
      });
    if (!SERVER_URL) {
      const second = await runRetrain(
        ['start', '--port', '0', '--no-demo', '--no-first-model'],
        db.env,
        db.cli.dir,
      );
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(`the embedded database in ${db.env.RETRAINING_DATA_DIR} is in use`);
      expect(second.stderr).toContain(`process ${first.child.pid} on `);
      expect(second.stderr).toContain('DATABASE_URL');
      expectNoStackTrace(second);
      expect((await predict(firstUrl)).status).toBe(200);
      expect((await api(firstUrl, '/v1/status')).status).toBe(200);
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      return;
    }
    const second = startSystem(db, LIVE_QUEUE_ENV);
    const secondUrl = await ready(second);
    const posted = await api<JobView>(firstUrl, '/v1/jobs', { method: 'POST', body: {} });
    expect(posted.status).toBe(202);
    await until(
      async () => {
        const { body } = await api<JobView>(secondUrl, `/v1/jobs/${posted.body.id}`);
        return body.status === 'running' ? body : undefined;
      },
      30_000,
      'the job to run',
    );
    // One retraining at a time, whichever process is asked.
    const refused = await api<{ error: { code: string } }>(secondUrl, '/v1/jobs', {
      method: 'POST',
      body: {},
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('conflict');
    const job = await finishedJob(secondUrl, posted.body.id);
    expect(job).toMatchObject({ status: 'succeeded', attempt: 1 });
    expect(job.logs.filter((l) => l.message.startsWith('collecting trades'))).toHaveLength(1);
    const { body: jobs } = await api<{ jobs: JobView[] }>(firstUrl, '/v1/jobs');
    expect(jobs.jobs.map((j) => j.id)).toEqual([posted.body.id]);
    const { body: versions } = await api<{ versions: { version: string }[] }>(secondUrl, '/v1/versions');
    expect(versions.versions.map((v) => v.version).sort()).toEqual([db.original, job.resultVersion].sort());
    // Both serve the same production version (the other learns of a deployment by NOTIFY or polling).
    const { body: status } = await api<{ productionVersion: { version: string } }>(firstUrl, '/v1/status');
    const production = status.productionVersion.version;
    for (const url of [firstUrl, secondUrl]) {
      await until(
        async () => ((await predict(url)).body.version === production ? true : undefined),
        15_000,
        `${url} to serve ${production}`,
      );
    }
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect((await predict(secondUrl)).status).toBe(200);
    expect((await api(secondUrl, '/v1/status')).status).toBe(200);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 180_000);

  it.skipIf(FOLDER_SKIP !== null)(
    `an embedded folder the process may not write (run as nobody): start and status refuse, naming the folder and the permission, and touch nothing${FOLDER_SKIP ? ` [skipped: ${FOLDER_SKIP}]` : ''}`,
    async () => {
      const db = await prepare();
      const dataDir = db.env.RETRAINING_DATA_DIR!;
      chmodSync(db.cli.dir, 0o755); // nobody may look, not write
      const before = folderSnapshot(dataDir);
      for (const args of [['status'], ['start', '--port', '0', '--no-demo', '--no-first-model']]) {
        const result = await runAsNobody(args, db.env, db.cli.dir);
        expect(result.code, args[0]).toBe(1);
        expect(result.stderr).toContain(`cannot use the embedded database folder ${dataDir}`);
        expect(result.stderr).toMatch(/EACCES: permission denied/);
        expect(result.stderr).toContain('RETRAINING_DATA_DIR');
        expectNoStackTrace(result);
      }
      expect(folderSnapshot(dataDir)).toEqual(before);
    },
    120_000,
  );

  it.skipIf(FOLDER_SKIP !== null)(
    `the embedded folder made unwritable under a running process: writes are refused without a stack trace, predictions go on; after a restart with permissions back, nothing half-written${FOLDER_SKIP ? ` [skipped: ${FOLDER_SKIP}]` : ''}`,
    async () => {
      const db = await prepare();
      const dataDir = db.env.RETRAINING_DATA_DIR!;
      chmodSync(db.cli.dir, 0o755);
      chownTree(dataDir, NOBODY_UID);
      const system = spawnAsNobody(
        ['start', '--port', '0', '--no-demo', '--no-first-model'],
        db.env,
        db.cli.dir,
      );
      const url = await ready(system);
      const trade = {
        key: 'unwritable-1',
        modelVersion: db.original,
        symbol: 'SYNA',
        side: 'long',
        entryTime: '2026-11-20T15:00:00Z',
        entryPrice: 100,
        quantity: 1,
        status: 'open',
      };
      chmodTree(dataDir, false);
      try {
        const stored = await api<{ error: { code: string; message: string } }>(url, '/v1/trades', {
          method: 'POST',
          body: { trades: [trade] },
        });
        expect(stored).toMatchObject({ status: 503, body: { error: { code: 'database_unavailable' } } });
        expect(JSON.stringify(stored.body)).not.toMatch(/\n\s+at |parser\.ts/);
        // The log says which folder and why; the answer does not show the server's paths.
        await system.waitFor(
          new RegExp(`the embedded database in ${dataDir} cannot use its files: .*Permission denied`),
          5_000,
        );
        // The model is in memory: bots keep getting answers.
        const predicted = await api<{ version: string }>(url, '/v1/predict', {
          method: 'POST',
          body: { key: 'bot', observation, position: 0 },
          key: READ_KEY,
        });
        expect(predicted).toMatchObject({ status: 200, body: { version: db.original } });
      } finally {
        chmodTree(dataDir, true);
      }
      // PGlite's file system keeps the modes it saw: this process would refuse writes until restarted.
      expect(await stopNobody(system, dataDir)).toBe(0);
      const again = spawnAsNobody(
        ['start', '--port', '0', '--no-demo', '--no-first-model'],
        db.env,
        db.cli.dir,
      );
      const againUrl = await ready(again);
      const { body: jobs } = await api<{ jobs: JobView[] }>(againUrl, '/v1/jobs');
      expect(jobs.jobs).toEqual([]);
      const stored = await api<{ stored: { inserted: number } }>(againUrl, '/v1/trades', {
        method: 'POST',
        body: { trades: [trade] },
      });
      expect(stored).toMatchObject({ status: 200, body: { stored: { inserted: 1 } } });
      expect(await stopNobody(again, dataDir)).toBe(0);
    },
    120_000,
  );

  it('a corrupt production artifact: the API comes up, predictions answer 503 with the checksum error and a critical alert is raised; a retraining trains from scratch and says so; a rollback restores predictions', async () => {
    const db = await prepare();
    let corrupt = '';
    await db.cli.seed(async (d) => {
      await initTensorFlow();
      corrupt = await registerRandomModel(d, 'to-be-corrupted', { hidden: [64, 64] });
      await new DeploymentManager(d, {
        ...DEFAULT_RETRAINING_CONFIG.deployment,
        cooldownPeriodHours: 0,
      }).deploy(corrupt, { reason: 'the version whose bytes rot' });
      // One byte flipped in the stored artifact; the size (checked by the database) is unchanged.
      await d.query(
        `UPDATE model_artifacts SET data = set_byte(data, 200, (get_byte(data, 200) + 1) % 256) WHERE version = $1`,
        [corrupt],
      );
    });
    const system = startSystem(db);
    const url = await ready(system);
    expect(system.output()).toMatch(/the production model could not be loaded; not serving predictions/);
    expect(system.output()).not.toMatch(/\n\s+at /);

    const predict = () =>
      api<{ version?: string; error?: { code: string; message: string } }>(url, '/v1/predict', {
        method: 'POST',
        body: { key: 'bot', observation, position: 0 },
        key: READ_KEY,
      });
    const refused = await predict();
    expect(refused.status).toBe(503);
    expect(refused.body.error!.message).toMatch(
      new RegExp(
        `^production model ${corrupt.replaceAll('.', '\\.')} could not be loaded: .*checksum mismatch`,
      ),
    );
    const { body: alerts } = await api<{ alerts: { type: string; severity: string; version: string }[] }>(
      url,
      '/v1/alerts',
    );
    expect(alerts.alerts).toContainEqual(
      expect.objectContaining({ type: 'deployment', severity: 'critical', version: corrupt }),
    );
    const { body: health } = await api<{ status: string }>(url, '/v1/health');
    expect(health.status).toBe('critical');

    // A retraining cannot warm-start from the corrupt model: it trains from scratch and its log says why.
    const posted = await api<JobView>(url, '/v1/jobs', { method: 'POST', body: {} });
    const job = await finishedJob(url, posted.body.id);
    expect(job.status).toBe('succeeded');
    expect(job.logs).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: expect.stringMatching(
          `^production model ${corrupt.replaceAll('.', '\\.')} could not be loaded for a warm start; training from scratch: .*checksum mismatch`,
        ),
      }),
    );
    const { body: made } = await api<{ status: string; metrics: { training: unknown; production: unknown } }>(
      url,
      `/v1/versions/${job.resultVersion}`,
    );
    expect(made.metrics).toMatchObject({ training: { warmStarted: false }, production: null });
    expect(job.resultVersion).toMatch(/^2\.0\.0$/); // a new architecture line: not derived from production
    if (made.status === 'production') {
      // The fresh model passed the gates and replaced the corrupt one: predictions are back.
      expect(await predict()).toMatchObject({ status: 200, body: { version: job.resultVersion } });
    } else {
      expect(made.status).toBe('rejected');
      expect((await predict()).status).toBe(503);
    }

    // The operator's way out: roll back to the last good version, served from the next request.
    const rolledBack = await api(url, '/v1/rollback', {
      method: 'POST',
      body: { reason: 'corrupt artifact', version: db.original },
    });
    expect(rolledBack.status).toBe(200);
    expect(await predict()).toMatchObject({ status: 200, body: { version: db.original } });
    system.child.kill('SIGTERM');
    expect(await system.exited).toBe(0);
  }, 180_000);
});
