/**
 * `load`: `POST /v1/predict` at a fixed rate over loopback (open loop, from a worker thread) while
 * the same process runs a retraining on the demo market and an operator deploys another version
 * in the middle of it, as `retrain start` does. Latency before, during and after; any failed
 * request fails the benchmark. Baseline: the same with training on the serving thread. `LOAD_RATE` (default 200/s), `LOAD_EPOCHS` (default 30) and
 * `BENCH_DATABASE_URL` (a server instead of embedded) change the set-up.
 */
import { openDatabase } from '../src/db/connect.js';
import { migrate } from '../src/db/migrate.js';
import { Logger } from '../src/logging/logger.js';
import { seedDemoData } from '../src/market/demo.js';
import { FEATURE_NAMES } from '../src/market/features.js';
import { RetrainingSystem } from '../src/orchestration/system.js';
import { initTensorFlow } from '../src/rl/backend.js';
import { LoadGenerator, summarise, type RequestRecord } from '../test/helpers/load-generator.js';
import { registerRandomModel } from '../test/helpers/models.js';
import { serveApi } from './predict-http.js';

const ADMIN = 'bench-admin-key-0123456789abcdef';
const PHASE_MS = 10_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The scenario twice: as the system runs (training on a worker thread), then the baseline with
 * training on the thread that serves (`trainInThread: false`), as before the worker thread.
 */
export async function benchLoad(): Promise<Record<string, number>> {
  const threaded = await scenario(true);
  const baseline = await scenario(false);
  return {
    ...threaded,
    baseline_during_p50_ms: baseline.during_p50_ms!,
    baseline_during_p99_ms: baseline.during_p99_ms!,
    baseline_during_max_ms: baseline.during_max_ms!,
    baseline_failed: baseline.failed!,
  };
}

async function scenario(trainInThread: boolean): Promise<Record<string, number>> {
  const rate = Number(process.env.LOAD_RATE ?? 200);
  const epochs = Number(process.env.LOAD_EPOCHS ?? 30);
  await initTensorFlow();
  const url = process.env.BENCH_DATABASE_URL;
  const db = await openDatabase(
    url ? { url, schema: `bench_load_${process.pid}` } : { dataDir: 'memory://' },
  );
  const now = new Date('2026-11-25T21:30:00Z');
  try {
    await migrate(db);
    await seedDemoData(db, now);
    const first = await registerRandomModel(db, 'load-a', { hidden: [64, 64], initialWeights: true });
    const swapTo = await registerRandomModel(db, 'load-b', { hidden: [64, 64], initialWeights: true });
    const system = await RetrainingSystem.create(
      {
        dataCollection: { lookbackDays: 90, minTradesThreshold: 0 },
        training: { epochs, batchSize: 256, hyperparameterOptimization: { enabled: false } },
        deployment: { cooldownPeriodHours: 0, abTesting: { enabled: false } },
      },
      { db, jobs: false, logger: new Logger({ level: 'error' }), now: () => now, env: {}, trainInThread },
    );
    const deployments = system.services.deploymentManager;
    await deployments.deploy(first);
    const { app, port } = await serveApi(system, ADMIN);

    const load = LoadGenerator.start({
      url: `http://127.0.0.1:${port}/v1/predict`,
      rate,
      body: JSON.stringify({ key: 'load-bot', observation: FEATURE_NAMES.map((_, k) => Math.sin(k)) }),
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    });
    let records: RequestRecord[];
    const marks: Record<string, number> = {};
    let retraining = 'not run';
    try {
      await sleep(2_000); // warm-up: connections open, V8 optimises; not counted
      marks.before = Date.now();
      await sleep(PHASE_MS);
      marks.during = Date.now();
      const run = system.services.retrainingService.runRetraining({ seed: 1 });
      // The operator's swap lands while the pipeline trains.
      await sleep(3_000);
      marks.swap = Date.now();
      await deployments.deploy(swapTo, { reason: 'load benchmark swap', force: true });
      marks.swapped = Date.now();
      const { result } = await run;
      retraining = `${result.status}: ${result.reason}`;
      marks.after = Date.now();
      await sleep(PHASE_MS);
      marks.end = Date.now();
    } finally {
      records = await load.stop();
      await app.close();
      await system.stop(0);
    }
    process.stderr.write(
      `retraining (${trainInThread ? 'worker thread' : 'serving thread'}) ${retraining}\n`,
    );
    const within = (from: number, to: number) => records.filter((r) => r.dueAt >= from && r.dueAt < to);
    const before = summarise(within(marks.before!, marks.during!));
    const during = summarise(within(marks.during!, marks.after!));
    const after = summarise(within(marks.after!, marks.end!));
    const failed = records.filter((r) => r.status !== 200);
    if (failed.length > 0) {
      const first = failed[0]!;
      throw new Error(
        `${failed.length} failed requests, the first: ${first.error ?? `HTTP ${first.status}`}`,
      );
    }
    const servedAfterSwap = new Set(within(marks.swapped!, marks.after!).map((r) => r.version));
    return {
      rate_per_s: rate,
      requests: records.length,
      failed: failed.length,
      before_p50_ms: before.p50Ms,
      before_p99_ms: before.p99Ms,
      during_p50_ms: during.p50Ms,
      during_p99_ms: during.p99Ms,
      during_max_ms: during.maxMs,
      after_p50_ms: after.p50Ms,
      after_p99_ms: after.p99Ms,
      retraining_s: Math.round((marks.after! - marks.during!) / 100) / 10,
      versions_served_after_swap: servedAfterSwap.size,
    };
  } finally {
    if (url) await db.exec(`DROP SCHEMA IF EXISTS bench_load_${process.pid} CASCADE`).catch(() => undefined);
    await db.close();
  }
}
