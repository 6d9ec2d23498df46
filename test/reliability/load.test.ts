/**
 * Predictions at a steady rate over loopback while the same process retrains on the demo market
 * and an operator swaps the production model in the middle: no request may fail, and each
 * answer comes from a version that was in production when it was served. Latency is printed,
 * not asserted (timing belongs to `npm run bench -- load`, see docs/reliability.md).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiServer, type ApiServer } from '../../src/api/server.js';
import { migrate } from '../../src/db/migrate.js';
import { Logger } from '../../src/logging/logger.js';
import { seedDemoData } from '../../src/market/demo.js';
import { FEATURE_NAMES } from '../../src/market/features.js';
import { RetrainingSystem } from '../../src/orchestration/system.js';
import { initTensorFlow } from '../../src/rl/backend.js';
import { BACKEND, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { LoadGenerator, summarise } from '../helpers/load-generator.js';
import { registerRandomModel } from '../helpers/models.js';

const ADMIN = 'load-test-admin-key-0123456789';
const RATE = 50;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe(`predictions under load during a retraining and a swap (${BACKEND})`, () => {
  let database: TestDatabase;
  let system: RetrainingSystem;
  let server: ApiServer;
  let url: string;
  let first: string;
  let swapTo: string;

  beforeAll(async () => {
    await initTensorFlow();
    database = await createTestDatabase();
    await migrate(database.db);
    await seedDemoData(database.db, new Date('2026-11-25T21:30:00Z'));
    first = await registerRandomModel(database.db, 'load-a');
    swapTo = await registerRandomModel(database.db, 'load-b');
    system = await RetrainingSystem.create(
      {
        dataCollection: { lookbackDays: 60, minTradesThreshold: 0 },
        training: { epochs: 6, batchSize: 256, hyperparameterOptimization: { enabled: false } },
        deployment: { cooldownPeriodHours: 0, abTesting: { enabled: false } },
        evaluation: { minTradesForValidation: 0, minWinRate: 0, minProfitFactor: 0, maxDrawdownThreshold: 1 },
      },
      {
        db: database.db,
        jobs: false,
        logger: new Logger({ logToConsole: false }),
        now: () => new Date('2026-11-25T21:30:00Z'),
        env: {},
      },
    );
    await system.services.deploymentManager.deploy(first);
    server = await buildApiServer({
      system,
      keys: { admin: ADMIN, source: 'environment' },
      predictRateLimitPerMinute: 1e9,
    });
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(server.app.server.address() as { port: number }).port}/v1/predict`;
  }, 120_000);

  afterAll(async () => {
    await server?.app.close();
    await system?.stop(0);
    await database?.close();
  });

  it('answers every request, before, during and after, from the version in production', async () => {
    const load = LoadGenerator.start({
      url,
      rate: RATE,
      body: JSON.stringify({ key: 'load-bot', observation: FEATURE_NAMES.map((_, k) => Math.cos(k)) }),
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    });
    const marks: Record<string, number> = {};
    let records;
    let retrained: string | null;
    try {
      await sleep(500); // connections open
      marks.before = Date.now();
      await sleep(2_000);
      marks.during = Date.now();
      const run = system.services.retrainingService.runRetraining({ seed: 3 });
      await sleep(1_000);
      marks.swap = Date.now();
      // The operator's path: the API answers once its own predictor serves the new version.
      const deployed = await fetch(url.replace('/v1/predict', '/v1/deploy'), {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ version: swapTo, reason: 'swap under load', force: true }),
      });
      expect(deployed.status, await deployed.text()).toBe(200);
      marks.swapped = Date.now();
      const { result } = await run;
      expect(result.status, result.reason).toBe('succeeded');
      retrained = result.outcome?.action === 'deployed' ? result.version : null;
      marks.after = Date.now();
      await sleep(2_000);
      marks.end = Date.now();
    } finally {
      records = await load.stop();
    }

    const failed = records.filter((r) => r.status !== 200);
    expect(failed.map((r) => r.error ?? `HTTP ${r.status}`)).toEqual([]);
    const within = (from: number, to: number) => records.filter((r) => r.dueAt >= from && r.dueAt < to);
    const phases = {
      before: within(marks.before!, marks.during!),
      during: within(marks.during!, marks.after!),
      after: within(marks.after!, marks.end!),
    };
    for (const [name, phase] of Object.entries(phases)) {
      expect(phase.length, `requests sent ${name}`).toBeGreaterThan(RATE);
    }
    // Before the swap only the first version answers; once POST /v1/deploy returned, never again.
    expect(new Set(phases.before.map((r) => r.version))).toEqual(new Set([first]));
    const afterSwap = new Set(records.filter((r) => r.dueAt >= marks.swapped!).map((r) => r.version));
    expect(afterSwap.has(first)).toBe(false);
    expect(new Set(phases.after.map((r) => r.version))).toEqual(new Set([retrained ?? swapTo]));

    const summary = Object.fromEntries(
      Object.entries(phases).map(([name, phase]) => [name, summarise(phase)]),
    );
    console.info(`load at ${RATE}/s on ${BACKEND}:`, JSON.stringify(summary));
  }, 180_000);
});
