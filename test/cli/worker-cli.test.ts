import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/types.js';
import { DEFAULT_RETRAINING_CONFIG } from '../../src/config/defaults.js';
import { mergeConfig } from '../../src/config/merge.js';
import { Logger } from '../../src/logging/logger.js';
import { seedDemoData } from '../../src/market/demo.js';
import { importBars } from '../../src/market/import/bars.js';
import { generateSyntheticMarket } from '../../src/market/synthetic.js';
import { JobQueue } from '../../src/orchestration/jobs.js';
import { listBars, type MarketBar } from '../../src/store/market-bars.js';
import { createJob, getJob, startJob, touchJob } from '../../src/store/retraining-jobs.js';
import { listTrials } from '../../src/store/tuning-trials.js';
import { listVersions } from '../../src/store/versions.js';
import { trialSpec } from '../../src/training/parallel-tuner.js';
import { runQueuedStudy } from '../../src/training/queued-study.js';
import { TrialRunner } from '../../src/training/trial-runner.js';
import { DEFAULT_PPO_SEARCH_SPACE } from '../../src/tuning/search-space.js';
import { TpeSampler } from '../../src/tuning/tpe.js';
import { createCliDatabase, CLI_MAIN, type CliDatabase } from '../helpers/cli.js';
import { BACKEND, SERVER_URL } from '../helpers/database.js';

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

function startWorker(extraEnv: NodeJS.ProcessEnv = {}): Worker {
  const child = spawn(process.execPath, [CLI_MAIN, 'worker', '--no-scheduler'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env, ...extraEnv },
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

  // Trial jobs reach other processes only through a shared server (an embedded folder has one process).
  it.skipIf(!SERVER_URL)(
    'runs the trials of a study coordinated elsewhere; a worker killed mid-trial has its trial preempted and run again',
    async () => {
      const trialEnv = { RETRAINING_TRIAL_THREADS: '1', RETRAINING_TRIAL_LEASE_SECONDS: '3' };
      const logger = new Logger({ logToConsole: false });
      await withDb(async (db) => {
        const market = generateSyntheticMarket({ seed: 5, sessions: 8 });
        const interval = market.options.interval;
        await importBars(db, market.bars, { interval });
        const bars: Record<string, MarketBar[]> = {};
        for (const symbol of market.options.symbols) bars[symbol] = await listBars(db, { symbol, interval });
        const jobId = (await startJob(db, (await createJob(db, { trigger: 'api' })).id, 'test')).id;
        const queue = await JobQueue.start(db, {
          url: cli.env.DATABASE_URL!,
          schema: env.RETRAINING_BOSS_SCHEMA!,
          logger,
          schedule: false,
          supervise: false,
          trialLeaseSeconds: 3,
        });
        // The coordinator's proof of life, as its pipeline writes it: without it the workers
        // would take the retraining for a dead process's and end it.
        const heartbeat = setInterval(() => void touchJob(db, jobId).catch(() => undefined), 1_000);
        try {
          const first = startWorker(trialEnv);
          await first.waitFor(/worker started/, 60_000);
          // Seed 5 draws two small networks; 8 iterations a trial.
          const config = mergeConfig(DEFAULT_RETRAINING_CONFIG, { training: { epochs: 8, batchSize: 256 } });
          const study = runQueuedStudy({
            db,
            queue,
            logger,
            runner: new TrialRunner({ db, logger, worker: 'coordinator', slots: 1 }),
            jobId,
            seed: 5,
            trials: 2,
            sampler: new TpeSampler({ space: DEFAULT_PPO_SEARCH_SPACE, seed: 5, direction: 'maximize' }),
            spec: trialSpec(config, { bars, interval, modelType: 'ppo' }),
            onTrial: async () => undefined,
            pollMs: 200,
          });
          await first.waitFor(/trial started/, 60_000);
          first.child.kill('SIGKILL');
          expect(await first.exited).toBeNull();
          const [killed] = await listTrials(db, jobId);
          expect(killed).toMatchObject({
            number: 0,
            state: 'running',
            worker: expect.stringMatching(`:${first.child.pid}$`),
          });

          const second = startWorker(trialEnv);
          const records = await study;
          expect(records.map((r) => r.state).sort()).toEqual(['complete', 'complete']);
          const trials = await listTrials(db, jobId);
          for (const trial of trials) expect(trial.worker).toMatch(new RegExp(`:${second.child.pid}$`));
          expect(trials[0]).toMatchObject({
            state: 'complete',
            attempts: 2,
            params: killed!.params,
            seed: killed!.seed,
          });
          second.child.kill('SIGTERM');
          expect(await second.exited).toBe(0);
        } finally {
          clearInterval(heartbeat);
          await queue.stop(5_000);
        }
      });
    },
    180_000,
  );
});
