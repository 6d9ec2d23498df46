/**
 * Hyperparameter trials on one and on two worker threads: the same trials, as many as the default
 * search runs (20; `HPO_TRIALS` sets another number), their parameters drawn uniformly from the
 * search space with a fixed seed, 10 iterations each (`HPO_ITERATIONS` sets another length), on
 * 20 sessions of the synthetic market; wall
 * time with a pool of 1 and of 2 threads. Goal: speedup ≥ 1.7 on 2 cores.
 *
 * Each configuration runs twice, in the order 1, 2, 2, 1, and the figures are the means.
 *
 * With BENCH_DATABASE_URL (a PostgreSQL server), also the same trials as jobs on the `trials` queue
 * taken by 1 and by 2 `retrain worker` processes of one thread each, as workers on several machines
 * would: the figure includes claiming, loading the bars from the database and recording results.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { DEFAULT_RETRAINING_CONFIG } from '../src/config/defaults.js';
import { mergeConfig } from '../src/config/merge.js';
import { migrate } from '../src/db/migrate.js';
import { openServerDatabase } from '../src/db/server.js';
import { Logger } from '../src/logging/logger.js';
import { importBars } from '../src/market/import/bars.js';
import { generateSyntheticMarket, symbolBars } from '../src/market/synthetic.js';
import { JobQueue } from '../src/orchestration/jobs.js';
import { Random } from '../src/rl/random.js';
import type { JsonObject } from '../src/store/json.js';
import { listBars, type MarketBar } from '../src/store/market-bars.js';
import { createJob, startJob } from '../src/store/retraining-jobs.js';
import { liveTrialSlots, queueTrial } from '../src/store/tuning-trials.js';
import { trialSpec } from '../src/training/parallel-tuner.js';
import { specAsJson, type TrialSpec } from '../src/training/trial-job.js';
import { TrialPool } from '../src/training/trial-pool.js';
import type { TrialTask } from '../src/training/trial.js';
import { DEFAULT_PPO_SEARCH_SPACE, sampleUniform, type Params } from '../src/tuning/search-space.js';

/** The default search's size (`maxTrials`, 20); `HPO_TRIALS` sets another. */
const TRIALS = Number(
  process.env.HPO_TRIALS ?? DEFAULT_RETRAINING_CONFIG.training.hyperparameterOptimization.maxTrials,
);
/** Iterations a trial (a default search's trials run 25: `HPO_ITERATIONS=25`). */
const ITERATIONS = Number(process.env.HPO_ITERATIONS ?? 10);
const MARKET = { seed: 21, sessions: 20 };
const NO_PRUNING = { startupTrials: 1000, warmupSteps: 1000 };
const CONFIG = mergeConfig(DEFAULT_RETRAINING_CONFIG, { training: { epochs: ITERATIONS } });

/** The trials' parameters; the widest networks take several times longer, so the workload is kept even. */
function trialParams(): Params[] {
  const random = new Random('hpo-scaling');
  return Array.from({ length: TRIALS }, () => ({
    ...sampleUniform(DEFAULT_PPO_SEARCH_SPACE, random),
    hiddenWidth: 64,
    updateEpochs: 4,
  }));
}

function tasks(): TrialTask[] {
  const market = generateSyntheticMarket(MARKET);
  const bars = Object.fromEntries(market.options.symbols.map((s) => [s, symbolBars(market, s)]));
  return trialParams().map(
    (params, number) =>
      ({
        number,
        seed: number + 1,
        params,
        bars,
        config: CONFIG,
        interval: market.options.interval,
        modelType: 'ppo',
        metric: 'sharpe_ratio',
        pruner: NO_PRUNING,
        completedCurves: [],
      }) satisfies TrialTask,
  );
}

async function wallSeconds(threads: number, work: TrialTask[]): Promise<number> {
  const pool = new TrialPool(threads);
  try {
    // Warm-up: every thread loads TF.js and compiles its kernels once.
    await Promise.all(
      Array.from({ length: threads }, (_, i) =>
        pool.run({ ...work[i]!, config: mergeConfig(work[i]!.config, { training: { epochs: 1 } }) }),
      ),
    );
    const started = performance.now();
    await Promise.all(work.map((task) => pool.run(task)));
    return (performance.now() - started) / 1000;
  } finally {
    await pool.close();
  }
}

const MAIN = new URL('../src/cli/main.ts', import.meta.url).pathname;
const TSX_LOADER = new URL('../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

/** The trials as queued jobs on a fresh schema of the server, run by `processes` worker processes. */
async function processSeconds(url: string, processes: number): Promise<number> {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const bossSchema = `${schema}_boss`;
  const db = await openServerDatabase({ url, schema, maxConnections: 4 });
  const children: ChildProcess[] = [];
  let queue: JobQueue | null = null;
  try {
    await migrate(db);
    const market = generateSyntheticMarket(MARKET);
    const interval = market.options.interval;
    await importBars(db, market.bars, { interval });
    const bars: Record<string, MarketBar[]> = {};
    for (const symbol of market.options.symbols) bars[symbol] = await listBars(db, { symbol, interval });
    const jobId = (await startJob(db, (await createJob(db, { trigger: 'api' })).id, 'bench')).id;
    const logger = new Logger({ logToConsole: false });
    queue = await JobQueue.start(db, { url, schema: bossSchema, logger, schedule: false, supervise: false });
    const childUrl = new URL(url);
    childUrl.searchParams.set('options', `-c search_path=${schema}`);
    for (let i = 0; i < processes; i++) {
      children.push(
        spawn(
          process.execPath,
          ['--import', TSX_LOADER, MAIN, 'worker', '--no-scheduler', '--trial-threads', '1'],
          {
            env: {
              PATH: process.env.PATH,
              HOME: process.env.HOME,
              DATABASE_URL: childUrl.toString(),
              RETRAINING_BOSS_SCHEMA: bossSchema,
              RETRAINING_CONFIG_JSON: JSON.stringify({ schedule: { enabled: false } }),
              LOG_LEVEL: 'warn',
            },
            stdio: ['ignore', 'ignore', 'inherit'],
          },
        ),
      );
    }
    while ((await liveTrialSlots(db, 30)) < processes) await sleep(200);
    // The same trials as the threads run (`trialSpec` derives the length from CONFIG's epochs).
    const spec: TrialSpec = {
      ...trialSpec(CONFIG, { bars, interval, modelType: 'ppo' }),
      iterations: ITERATIONS,
      pruner: NO_PRUNING,
    };
    const params = trialParams();
    const run = async (numbers: number[], trialSpecOf: TrialSpec) => {
      for (const number of numbers) {
        const trialParamsOf = params[number % TRIALS]!;
        const row = await queueTrial(db, {
          jobId,
          number,
          params: trialParamsOf as JsonObject,
          seed: (number % TRIALS) + 1,
          task: specAsJson(trialSpecOf),
        });
        const data = { trialId: row.id, jobId, number, attempt: 1, params: trialParamsOf, seed: row.seed };
        await queue!.enqueueTrial({ ...data, spec: trialSpecOf });
      }
      // A count, not the trials' rows: the workers need both cores, so the watching stays cheap.
      const finished = async () =>
        (
          await db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM tuning_trials
             WHERE job_id = $1 AND number = ANY($2::int[]) AND finished_at IS NOT NULL`,
            [jobId, numbers],
          )
        ).rows[0]!.n;
      while ((await finished()) < numbers.length) await sleep(100);
    };
    // Warm-up: one 1-iteration trial per process loads TF.js and the bars there.
    const warmUp = Array.from({ length: processes }, (_, i) => 100 + i);
    await run(warmUp, { ...spec, iterations: 1 });
    const started = performance.now();
    await run(
      Array.from({ length: TRIALS }, (_, i) => i),
      spec,
    );
    return (performance.now() - started) / 1000;
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(
      children.map(
        (child) =>
          new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.on('close', resolve))),
      ),
    );
    await queue?.stop(5_000);
    for (const name of [schema, bossSchema]) await db.exec(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    await db.close();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `one` and `two` timed in the order one, two, two, one (ABBA): this machine's speed drifts by
 * tens of percent within minutes, and a drift that is linear over the four runs cancels out of
 * the sums. Returns the mean wall time of each.
 */
async function interleaved(
  one: () => Promise<number>,
  two: () => Promise<number>,
): Promise<{ one: number; two: number }> {
  const a1 = await one();
  const b1 = await two();
  const b2 = await two();
  const a2 = await one();
  return { one: (a1 + a2) / 2, two: (b1 + b2) / 2 };
}

export async function benchHpoScaling(): Promise<Record<string, number>> {
  const work = tasks();
  const threads = await interleaved(
    () => wallSeconds(1, work),
    () => wallSeconds(2, work),
  );
  const figures: Record<string, number> = {
    seconds_1_worker: threads.one,
    seconds_2_workers: threads.two,
    speedup: threads.one / threads.two,
  };
  const url = process.env.BENCH_DATABASE_URL?.trim();
  if (url) {
    const processes = await interleaved(
      () => processSeconds(url, 1),
      () => processSeconds(url, 2),
    );
    Object.assign(figures, {
      seconds_1_process: processes.one,
      seconds_2_processes: processes.two,
      process_speedup: processes.one / processes.two,
    });
  }
  return figures;
}
