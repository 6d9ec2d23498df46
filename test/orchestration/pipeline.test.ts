import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RetrainingConfigInput } from '../../src/config/schema.js';
import { migrate } from '../../src/db/migrate.js';
import { Logger } from '../../src/logging/logger.js';
import { seedDemoData } from '../../src/market/demo.js';
import { FIRST_MODEL_LOOKBACK_DAYS, PIPELINE_STAGES } from '../../src/orchestration/pipeline.js';
import { RetrainingSystem } from '../../src/orchestration/system.js';
import { listAlerts } from '../../src/store/alerts.js';
import { listDeploymentEvents } from '../../src/store/deployment-events.js';
import { loadDriftReference } from '../../src/store/drift.js';
import { insertTrades } from '../../src/store/live-trades.js';
import { listTrials } from '../../src/store/tuning-trials.js';
import { findProductionVersion, listVersions } from '../../src/store/versions.js';
import { DEFAULT_PPO_SEARCH_SPACE } from '../../src/tuning/search-space.js';
import { BACKEND, createTestDatabase, type TestDatabase } from '../helpers/database.js';

// A Wednesday evening: the demo market's last session closed at 21:00 UTC.
const NOW = new Date('2026-11-25T21:30:00Z');
/**
 * The whole demo market (233 sessions since 2026-01-05). The gates need 30 trades on the held-out
 * last 20 %; the risk-averse default agent trades only where it has an edge, and on 60 days' held-out
 * bars even the best known policy makes just 50 trades. With 40 iterations the first candidate
 * passes the gates for 4 of seeds 1–7 here (session 8's demo market); seed 5 is one of them:
 * 84 trades, profit factor 6.85, win rate 0.83.
 */
const SMALL: RetrainingConfigInput = {
  dataCollection: { lookbackDays: 330 },
  training: { epochs: 40, batchSize: 256, hyperparameterOptimization: { enabled: false } },
};
const FIRST_MODEL_SEED = 5;
/** For the runs whose assertions do not depend on the gates' verdict: 60 days train faster. */
const SHORT_WINDOW: RetrainingConfigInput = { ...SMALL, dataCollection: { lookbackDays: 60 } };

let test: TestDatabase;
const logger = new Logger({ logToConsole: false });

function system(config: RetrainingConfigInput = SMALL): Promise<RetrainingSystem> {
  // The window each test names is the window read, first model or not.
  return RetrainingSystem.create(config, {
    db: test.db,
    jobs: false,
    logger,
    now: () => NOW,
    env: {},
    firstModelLookbackDays: 0,
  });
}

describe(`retraining pipeline end to end (${BACKEND})`, () => {
  beforeAll(async () => {
    test = await createTestDatabase();
    await migrate(test.db);
    await seedDemoData(test.db, NOW);
  }, 120_000);
  afterAll(async () => {
    await test.close();
  });

  it('runs every stage in order, registers 1.0.0 with its drift reference and deploys it as the first model', async () => {
    const retraining = await system();
    const stages: string[] = [];
    const { job, result } = await retraining.services.retrainingService.runRetraining({
      seed: FIRST_MODEL_SEED,
      onStage: (stage) => stages.push(stage),
    });
    expect(result).toMatchObject({ status: 'succeeded', version: '1.0.0', outcome: { action: 'deployed' } });
    expect(stages).toEqual(PIPELINE_STAGES.filter((s) => s !== 'tune'));
    expect(Object.keys(result.stageSeconds)).toEqual(stages);
    expect(job).toMatchObject({ status: 'succeeded', stage: 'deploy', progress: 1, resultVersion: '1.0.0' });
    expect(job.logs.map((l) => l.message)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^collected \d+ trades and \d+ bars$/),
        expect.stringMatching(/^trained \d+ iterations/),
        '1.0.0 deployed to production',
      ]),
    );
    expect((await findProductionVersion(test.db))?.version).toBe('1.0.0');
    const events = await listDeploymentEvents(test.db, { version: '1.0.0' });
    expect(events.map((e) => e.action).sort()).toEqual(['deploy', 'register', 'validate']);
    const reference = await loadDriftReference(test.db, '1.0.0');
    expect(reference?.featureNames).toHaveLength(9);
    expect(reference!.rows).toBeGreaterThan(1000);
    await retraining.stop();
  }, 180_000);

  it('warm-starts the next run from production and never replaces it without passing the gates and an A/B test', async () => {
    const retraining = await system();
    const { result } = await retraining.services.retrainingService.runRetraining({ seed: 8 });
    expect(result.status).toBe('succeeded');
    expect(result.version).toBe('1.1.0');
    expect(result.production).not.toBeNull();
    expect(['rejected', 'ab_test']).toContain(result.outcome?.action);
    expect((await findProductionVersion(test.db))?.version).toBe('1.0.0');
    const candidate = (await listVersions(test.db)).find((v) => v.version === '1.1.0')!;
    expect(candidate.parentVersion).toBe('1.0.0');
    expect(candidate.status).toBe(result.outcome?.action === 'rejected' ? 'rejected' : 'ab_testing');
    if (result.outcome?.action === 'ab_test') {
      await retraining.services.deploymentManager.abTests.stopABTest(result.outcome.testId, 'test cleanup');
    }
    await retraining.stop();
  }, 180_000);

  it('tunes with TPE first when enabled, storing every trial with its curve, and trains with the best', async () => {
    const retraining = await system({
      ...SHORT_WINDOW,
      training: { epochs: 16, batchSize: 256, hyperparameterOptimization: { enabled: true, maxTrials: 3 } },
    });
    const stages: string[] = [];
    const { job, result } = await retraining.services.retrainingService.runRetraining({
      seed: 11,
      onStage: (stage) => stages.push(stage),
    });
    expect(result.status).toBe('succeeded');
    expect(stages).toContain('tune');
    const trials = await listTrials(test.db, job.id);
    expect(trials.map((t) => t.number)).toEqual([0, 1, 2]);
    for (const trial of trials) {
      expect(trial.state).toMatch(/^(complete|pruned)$/);
      expect(trial.curve.length).toBeGreaterThan(0);
      expect(Object.keys(trial.params).sort()).toEqual(Object.keys(DEFAULT_PPO_SEARCH_SPACE).sort());
    }
    const best = trials.filter((t) => t.state === 'complete').sort((a, b) => b.value! - a.value!)[0]!;
    const version = (await listVersions(test.db)).find((v) => v.version === result.version)!;
    expect(version.hyperparameters).toMatchObject({ learningRate: best.params.learningRate });
    if (result.outcome?.action === 'ab_test') {
      await retraining.services.deploymentManager.abTests.stopABTest(result.outcome.testId, 'test cleanup');
    }
    await retraining.stop();
  }, 300_000);

  it('skips a run with too few trades, saying how many', async () => {
    const retraining = await system({
      ...SMALL,
      dataCollection: { lookbackDays: 60, minTradesThreshold: 1_000_000 },
    });
    const { job, result } = await retraining.services.retrainingService.runRetraining();
    expect(result.status).toBe('skipped');
    expect(result.reason).toMatch(/^too few trades: \d+ in the last 60 days; minTradesThreshold is 1000000$/);
    expect(job).toMatchObject({ status: 'skipped', stage: 'collect' });
    await retraining.stop();
  });

  it('reads a year of history for a first model, whatever the weekly window', async () => {
    const retraining = await RetrainingSystem.create(
      { ...SMALL, dataCollection: { lookbackDays: 7, minTradesThreshold: 1_000_000 } },
      { db: test.db, jobs: false, logger, now: () => NOW, env: {} },
    );
    const production = await retraining.services.deploymentManager.getProductionVersion();
    const { result } = await retraining.services.retrainingService.runRetraining();
    expect(result.reason).toContain(`in the last ${production ? 7 : FIRST_MODEL_LOOKBACK_DAYS} days`);
    await retraining.stop();
  });

  it('skips a run on stale bars, naming the symbol and the age', async () => {
    const later = new Date(NOW.getTime() + 10 * 86_400_000);
    const retraining = await RetrainingSystem.create(
      { ...SMALL, dataCollection: { lookbackDays: 60, minTradesThreshold: 0 } },
      { db: test.db, jobs: false, logger, now: () => later, env: {} },
    );
    const { result } = await retraining.services.retrainingService.runRetraining();
    expect(result.status).toBe('skipped');
    expect(result.reason).toMatch(
      /^stale market data: SYNA's newest 5m bar is from 2026-11-25T\d\d:\d\d:00\.000Z, 2\d\d\.\d h ago/,
    );
    await retraining.stop();
  });

  it('fails with a data-quality alert when the trades are broken, storing nothing', async () => {
    const retraining = await system({
      ...SMALL,
      dataCollection: { lookbackDays: 60, dataQualityThreshold: 0.99 },
    });
    const before = (await listVersions(test.db)).length;
    // Trades that close before they open and carry impossible prices: half the window's trades.
    const broken = Array.from({ length: 3000 }, (_, i) => ({
      idempotencyKey: `broken-${i}`,
      symbol: 'SYNA',
      side: 'long' as const,
      quantity: 1,
      entryTime: new Date(NOW.getTime() - 3_600_000 * (i + 1)),
      entryPrice: -5,
      exitTime: new Date(NOW.getTime() - 3_600_000 * (i + 2)),
      exitPrice: 100,
      fees: 0,
      pnl: 1,
      status: 'closed' as const,
      modelVersion: null,
      abTestId: null,
      arm: null,
      observation: null,
      account: null,
    }));
    await insertTrades(test.db, broken);
    try {
      const { result } = await retraining.services.retrainingService.runRetraining();
      expect(result.status).toBe('failed');
      expect(result.reason).toMatch(/^data quality of trades is 0\.\d+, under dataQualityThreshold 0\.99/);
      const alerts = await listAlerts(test.db, { active: true });
      expect(alerts.filter((a) => a.type === 'data_quality')).toMatchObject([
        { severity: 'high', message: expect.stringMatching(/^retraining failed: data quality of trades/) },
      ]);
      expect((await listVersions(test.db)).length).toBe(before);
    } finally {
      await test.db.query(`DELETE FROM live_trades WHERE idempotency_key LIKE 'broken-%'`);
      await retraining.stop();
    }
  });

  it('cancels a run stopped after registration and marks the half-made version failed', async () => {
    const retraining = await system(SHORT_WINDOW);
    const abort = new AbortController();
    const { result, job } = await retraining.services.retrainingService.runRetraining({
      seed: 9,
      signal: abort.signal,
      onStage: (stage) => {
        if (stage === 'gate') abort.abort();
      },
    });
    expect(result.status).toBe('cancelled');
    expect(job.status).toBe('cancelled');
    const version = (await listVersions(test.db)).find((v) => v.version === result.version);
    expect(version?.status).toBe('failed');
    expect((await findProductionVersion(test.db))?.version).toBe('1.0.0');
    await retraining.stop();
  }, 180_000);
});
