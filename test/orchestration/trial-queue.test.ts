import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RETRAINING_CONFIG } from '../../src/config/defaults.js';
import { mergeConfig } from '../../src/config/merge.js';
import { migrate } from '../../src/db/migrate.js';
import { CancelledError } from '../../src/errors.js';
import { Logger } from '../../src/logging/logger.js';
import { importBars } from '../../src/market/import/bars.js';
import { generateSyntheticMarket } from '../../src/market/synthetic.js';
import {
  JobQueue,
  queueSettingsFromEnvironment,
  type JobQueueOptions,
} from '../../src/orchestration/jobs.js';
import { RetrainingSystem } from '../../src/orchestration/system.js';
import { listBars, type MarketBar } from '../../src/store/market-bars.js';
import { createJob, finishJob, findRunningJob, startJob } from '../../src/store/retraining-jobs.js';
import {
  listTrials,
  liveTrialSlots,
  registerTrialWorker,
  removeTrialWorker,
  type TuningTrialRow,
} from '../../src/store/tuning-trials.js';
import { createTuner, trialSpec } from '../../src/training/parallel-tuner.js';
import { runQueuedStudy } from '../../src/training/queued-study.js';
import { TrialRunner, type TrialRunnerOptions } from '../../src/training/trial-runner.js';
import type { TrialOutcome, TrialTask } from '../../src/training/trial.js';
import { DEFAULT_PPO_SEARCH_SPACE } from '../../src/tuning/search-space.js';
import { TpeSampler } from '../../src/tuning/tpe.js';
import { BACKEND, createTestDatabase, uniqueName, type TestDatabase } from '../helpers/database.js';
import { startTestQueue } from '../helpers/queue.js';

const logger = new Logger({ logToConsole: false });
// 8 iterations per trial (the shortest), two trials: enough for a study, short for CI.
const CONFIG = mergeConfig(DEFAULT_RETRAINING_CONFIG, {
  training: { epochs: 8, batchSize: 256, hyperparameterOptimization: { enabled: true, maxTrials: 2 } },
});
// This seed's first two trials draw small networks (widths 64 and 32): real training, kept short.
const SEED = 5;

let test: TestDatabase;
let bars: Record<string, MarketBar[]>;
let interval: string;
const bossSchema = uniqueName('boss');
const queues: JobQueue[] = [];
const runners: TrialRunner[] = [];

async function startQueue(settings: Partial<JobQueueOptions> = {}): Promise<JobQueue> {
  const queue = await startTestQueue(test, bossSchema, logger, { pollingIntervalSeconds: 0.5, ...settings });
  queues.push(queue);
  return queue;
}

function runner(worker: string, options: Partial<TrialRunnerOptions> = {}): TrialRunner {
  const created = new TrialRunner({ db: test.db, logger, worker, slots: 1, ...options });
  runners.push(created);
  return created;
}

/** A retraining job in state running (only one may run at a time: the previous one is ended). */
async function runningJob(): Promise<string> {
  const running = await findRunningJob(test.db);
  if (running) await finishJob(test.db, running.id, { status: 'succeeded' });
  const job = await createJob(test.db, { trigger: 'api' });
  return (await startJob(test.db, job.id, 'test')).id;
}

function study(
  queue: JobQueue,
  coordinator: TrialRunner,
  jobId: string,
  trials: number,
  signal?: AbortSignal,
) {
  return runQueuedStudy({
    db: test.db,
    queue,
    logger,
    runner: coordinator,
    jobId,
    seed: SEED,
    trials,
    sampler: new TpeSampler({ space: DEFAULT_PPO_SEARCH_SPACE, seed: SEED, direction: 'maximize' }),
    spec: trialSpec(CONFIG, { bars, interval, modelType: 'ppo' }),
    onTrial: async () => undefined,
    pollMs: 100,
    ...(signal ? { signal } : {}),
  });
}

/** A trial in no time, its value from its seed: what the queue does is under test, not training. */
const quick = async (task: TrialTask): Promise<TrialOutcome> => ({
  number: task.number,
  state: 'complete',
  value: (task.seed % 1000) / 1000,
  curve: [{ step: 1, value: 0 }],
  durationMs: 1,
});

/** A trial that runs until it is stopped (or `finish` is called), as a worker that hangs. */
function hanging() {
  const seen: TrialTask[] = [];
  let finish: (outcome: TrialOutcome) => void = () => undefined;
  const runTask = (task: TrialTask, signal: AbortSignal) =>
    new Promise<TrialOutcome>((resolve, reject) => {
      seen.push(task);
      finish = resolve;
      signal.addEventListener('abort', () => reject(new CancelledError('stopped')), { once: true });
    });
  return { seen, runTask, finish: (outcome: TrialOutcome) => finish(outcome) };
}

async function until(condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const trialRows = (jobId: string) => listTrials(test.db, jobId);
const asStudied = (rows: TuningTrialRow[]) =>
  rows.map(({ number, params, seed, state, value, curve }) => ({
    number,
    params,
    seed,
    state,
    value,
    curve,
  }));

describe(`hyperparameter trials as jobs (${BACKEND})`, () => {
  beforeAll(async () => {
    test = await createTestDatabase();
    await migrate(test.db);
    const market = generateSyntheticMarket({ seed: 5, sessions: 8 });
    interval = market.options.interval;
    await importBars(test.db, market.bars, { interval });
    bars = {};
    for (const symbol of market.options.symbols) bars[symbol] = await listBars(test.db, { symbol, interval });
  }, 60_000);
  afterEach(async () => {
    for (const created of runners.splice(0)) await created.stop();
    for (const queue of queues.splice(0)) await queue.stop(5_000);
  });
  afterAll(async () => {
    if (test.url) await test.db.exec(`DROP SCHEMA IF EXISTS ${bossSchema} CASCADE`);
    await test.close();
  });

  it('gives the same trials run in process, queued to its own process, and queued to another consumer', async () => {
    const input = (jobId: string) => ({
      jobId,
      bars,
      interval,
      seed: SEED,
      modelType: 'ppo' as const,
      report: async () => undefined,
    });
    const inProcess = createTuner({ db: test.db, config: CONFIG, logger, worker: 'in-process' });
    const sequentialJob = await runningJob();
    const sequential = await inProcess(input(sequentialJob));
    const expected = asStudied(await trialRows(sequentialJob));
    expect(expected.map((t) => t.state)).toEqual(['complete', 'complete']);

    // The system's wiring: the tuner offers its slot, and the process works the queue.
    const queued = createTuner({ db: test.db, config: CONFIG, logger, worker: 'own', pollMs: 100 });
    const queue = await startQueue();
    await queued.useQueue(queue);
    await queue.workRetraining(async () => undefined);
    const queuedJob = await runningJob();
    expect(await queued(input(queuedJob))).toEqual(sequential);
    const own = await trialRows(queuedJob);
    expect(asStudied(own)).toEqual(expected);
    expect(own.map((t) => t.worker)).toEqual(['own', 'own']);
    await queued.close();

    // Another consumer on its own queue connection rebuilds each task from the job and the database.
    await runner('second').work(await startQueue());
    const remoteJob = await runningJob();
    await study(queues[0]!, runner('coordinator'), remoteJob, 2);
    const remote = await trialRows(remoteJob);
    expect(asStudied(remote)).toEqual(expected);
    for (const trial of remote) {
      expect(trial).toMatchObject({
        worker: 'second',
        attempts: 1,
        prunedAgainst: trial.number === 0 ? [] : [0],
      });
      expect(trial.task).toMatchObject({ iterations: 8, modelType: 'ppo', metric: 'sharpe_ratio' });
    }
  }, 120_000);

  it('preempts a trial whose worker stopped renewing its lease, queues it again with the same parameters and seed, and completes the study', async () => {
    const stuck = hanging();
    await runner('stuck', { runTask: stuck.runTask, renewEveryMs: 600_000 }).work(
      await startQueue({ trialLeaseSeconds: 1 }),
    );
    const jobId = await runningJob();
    const coordinatorQueue = await startQueue({ trialLeaseSeconds: 1, trialRetryLimit: 2 });
    const running = study(coordinatorQueue, runner('coordinator'), jobId, 3);
    await until(async () =>
      (await trialRows(jobId)).some((t) => t.state === 'running' && t.worker === 'stuck'),
    );
    await runner('healthy', { runTask: quick }).work(await startQueue({ trialLeaseSeconds: 5 }));
    const records = await running;

    expect(records.map((r) => r.state)).toEqual(['complete', 'complete', 'complete']);
    const rows = await trialRows(jobId);
    const retried = rows.find((t) => t.number === stuck.seen[0]!.number)!;
    expect(retried).toMatchObject({ state: 'complete', worker: 'healthy', attempts: 2 });
    expect(retried.params).toEqual(stuck.seen[0]!.params);
    expect(retried.seed).toBe(stuck.seen[0]!.seed);
    for (const row of rows) {
      expect(Object.keys(row.params).sort()).toEqual(Object.keys(DEFAULT_PPO_SEARCH_SPACE).sort());
      expect(row.seed).toBeGreaterThan(0);
    }

    // The stuck worker's late result is not recorded over the retry's.
    const ended = new Promise((resolve) => runners[0]!.onTrialEnd(resolve));
    stuck.finish({ number: retried.number, state: 'complete', value: 999, curve: [], durationMs: 1 });
    await ended;
    expect((await trialRows(jobId)).find((t) => t.id === retried.id)).toMatchObject({ value: retried.value });
  }, 60_000);

  it('gives up on a trial preempted more often than the retry limit, as failed', async () => {
    const stuck = hanging();
    await runner('stuck', { runTask: stuck.runTask, renewEveryMs: 600_000 }).work(
      await startQueue({ trialLeaseSeconds: 1 }),
    );
    const jobId = await runningJob();
    const records = await study(
      await startQueue({ trialLeaseSeconds: 1, trialRetryLimit: 0 }),
      runner('c'),
      jobId,
      1,
    );
    expect(records).toMatchObject([
      { state: 'failed', error: expect.stringMatching(/stopped renewing it; gave up after 1 attempts$/) },
    ]);
    expect(await trialRows(jobId)).toMatchObject([{ state: 'failed', attempts: 1 }]);
  }, 60_000);

  it('cancels the queued and running trials of a cancelled study; the worker stops its trial', async () => {
    const work = hanging();
    const busy = runner('busy', { runTask: work.runTask, renewEveryMs: 100 });
    await busy.work(await startQueue({ trialLeaseSeconds: 5 }));
    await registerTrialWorker(test.db, 'idle elsewhere', 1); // a second slot: a second trial waits queued
    try {
      const jobId = await runningJob();
      const cancel = new AbortController();
      const running = study(await startQueue(), runner('coordinator'), jobId, 3, cancel.signal);
      await until(async () => {
        const rows = await trialRows(jobId);
        return rows.length === 2 && rows.some((t) => t.state === 'running');
      });
      const stopped = new Promise((resolve) => busy.onTrialEnd(resolve));
      cancel.abort();
      await expect(running).rejects.toThrow(CancelledError);
      expect((await trialRows(jobId)).map((t) => t.state)).toEqual(['cancelled', 'cancelled']);
      await stopped; // its lease renewal found the trial cancelled
      const jobs = await test.db.query<{ state: string }>(
        `SELECT state FROM ${bossSchema}.job WHERE name = 'trials' ORDER BY created_on`,
      );
      expect(jobs.rows.map((j) => j.state)).toContain('cancelled');
    } finally {
      await removeTrialWorker(test.db, 'idle elsewhere');
    }
  }, 60_000);

  it('fails a trial clearly when the stored bars changed after the study started', async () => {
    await runner('worker', { runTask: quick }).work(await startQueue());
    const jobId = await runningJob();
    const [symbol, list] = Object.entries(bars)[0]!;
    const bar = list[list.length - 1]!;
    await test.db.query(
      `UPDATE market_bars SET close = close + 1 WHERE symbol = $1 AND interval = $2 AND ts = $3`,
      [symbol, interval, bar.ts],
    );
    try {
      const records = await study(await startQueue(), runner('coordinator'), jobId, 1);
      expect(records).toMatchObject([
        {
          state: 'failed',
          error: expect.stringMatching(
            /^the stored 5m bars \(SYNA .*\) are not the ones the study started with/,
          ),
        },
      ]);
    } finally {
      await test.db.query(
        `UPDATE market_bars SET close = $4 WHERE symbol = $1 AND interval = $2 AND ts = $3`,
        [symbol, interval, bar.ts, bar.close],
      );
    }
  }, 60_000);

  it('a worker system offers its trial slots while it runs and withdraws them when it stops', async () => {
    const system = await RetrainingSystem.create(
      { schedule: { enabled: false } },
      {
        db: test.db,
        ...(test.url ? { databaseUrl: test.url } : {}),
        bossSchema,
        logger,
        scheduler: false,
        trialThreads: 2,
        env: {},
      },
    );
    await system.start();
    try {
      const worker = system.services.retrainingService.worker;
      const rows = await test.db.query<{ worker: string; slots: number }>(
        `SELECT worker, slots FROM trial_workers`,
      );
      expect(rows.rows).toEqual([{ worker, slots: 2 }]);
      expect(await liveTrialSlots(test.db, 30)).toBe(2);
    } finally {
      await system.stop(5_000);
    }
    expect(await liveTrialSlots(test.db, 30)).toBe(0);
  }, 60_000);
});

describe('trial queue settings', () => {
  it('reads the trial lease and retry limit from the environment, naming a bad value', () => {
    expect(
      queueSettingsFromEnvironment({
        RETRAINING_TRIAL_LEASE_SECONDS: '90',
        RETRAINING_TRIAL_RETRY_LIMIT: '0',
      }),
    ).toEqual({ trialLeaseSeconds: 90, trialRetryLimit: 0 });
    expect(() => queueSettingsFromEnvironment({ RETRAINING_TRIAL_RETRY_LIMIT: '1.5' })).toThrow(
      /RETRAINING_TRIAL_RETRY_LIMIT "1.5" is invalid; expected an integer of 0 or more/,
    );
  });
});
