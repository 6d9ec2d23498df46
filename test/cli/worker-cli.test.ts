import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/types.js';
import { Logger } from '../../src/logging/logger.js';
import { seedDemoData } from '../../src/market/demo.js';
import { JobQueue } from '../../src/orchestration/jobs.js';
import { createJob, getJob } from '../../src/store/retraining-jobs.js';
import { listVersions } from '../../src/store/versions.js';
import { createCliDatabase, TSX_LOADER, type CliDatabase } from '../helpers/cli.js';
import { BACKEND, SERVER_URL } from '../helpers/database.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
// Short queue timings so a dead worker's job comes back within seconds, not the default 45 minutes.
const QUEUE = { expireInSeconds: 15, retryDelaySeconds: 1 };
const CONFIG = {
  schedule: { enabled: false },
  dataCollection: { lookbackDays: 60 },
  training: { epochs: 30, batchSize: 256, hyperparameterOptimization: { enabled: false } },
};

let cli: CliDatabase;
let env: NodeJS.ProcessEnv;
const children: ChildProcess[] = [];

interface Worker {
  child: ChildProcess;
  output: () => string;
  waitFor: (pattern: RegExp, timeoutMs: number) => Promise<void>;
  exited: Promise<number | null>;
}

function startWorker(): Worker {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, MAIN, 'worker', '--no-scheduler'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const waiter of [...waiters]) {
      if (waiter.pattern.test(output)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    waitFor: (pattern, timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        if (pattern.test(output)) return resolve();
        const timer = setTimeout(
          () =>
            reject(
              new Error(`worker did not log ${pattern} within ${timeoutMs} ms:\n${output.slice(-3000)}`),
            ),
          timeoutMs,
        );
        waiters.push({
          pattern,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      }),
  };
}

/** On the server the test reads while workers run; embedded, only between them (one process per folder). */
async function withDb<T>(fn: (db: Database) => Promise<T>): Promise<T> {
  let result: T | undefined;
  await cli.seed(async (db) => {
    result = await fn(db);
  });
  return result as T;
}

beforeEach(async () => {
  cli = await createCliDatabase('retraining-worker-cli');
  env = {
    ...cli.env,
    RETRAINING_CONFIG_JSON: JSON.stringify(CONFIG),
    RETRAINING_BOSS_SCHEMA: `boss_${Math.random().toString(36).slice(2, 10)}`,
    RETRAINING_JOB_EXPIRE_SECONDS: String(QUEUE.expireInSeconds),
    RETRAINING_JOB_RETRY_DELAY_SECONDS: String(QUEUE.retryDelaySeconds),
    RETRAINING_JOB_STALE_SECONDS: '8',
    RETRAINING_QUEUE_POLL_SECONDS: '0.5',
    RETRAINING_QUEUE_MAINTENANCE_SECONDS: '1',
    LOG_LEVEL: 'info',
  };
});
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  if (SERVER_URL)
    await withDb((db) => db.exec(`DROP SCHEMA IF EXISTS ${env.RETRAINING_BOSS_SCHEMA} CASCADE`));
  await cli.close();
});

describe(`retrain worker (${BACKEND})`, () => {
  it('survives SIGKILL mid-training: the job is taken over, completes, and no version is left training', async () => {
    const jobId = await withDb(async (db) => {
      await seedDemoData(db, new Date());
      const job = await createJob(db, { trigger: 'api' });
      const queue = await JobQueue.start(db, {
        ...(cli.env.DATABASE_URL ? { url: cli.env.DATABASE_URL } : {}),
        schema: env.RETRAINING_BOSS_SCHEMA!,
        logger: new Logger({ logToConsole: false }),
        schedule: false,
        supervise: false,
        ...QUEUE,
      });
      await queue.enqueueRetraining({ jobId: job.id, trigger: 'api' });
      await queue.stop();
      return job.id;
    });

    const first = startWorker();
    await first.waitFor(/training PPO/, 90_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    expect(first.output()).not.toMatch(/retraining finished/);

    const second = startWorker();
    await second.waitFor(/retraining finished/, 120_000);
    expect(second.output()).toMatch(/took over a retraining job whose worker died/);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    await withDb(async (db) => {
      const job = await getJob(db, jobId);
      expect(job.status).toMatch(/^(succeeded|skipped)$/);
      expect(job.attempt).toBe(2);
      expect(job.logs.map((l) => l.message)).toContainEqual(
        expect.stringMatching(/^taken over by .* stopped without finishing$/),
      );
      const versions = await listVersions(db);
      expect(versions.filter((v) => v.status === 'training')).toEqual([]);
    });
  }, 300_000);
});
