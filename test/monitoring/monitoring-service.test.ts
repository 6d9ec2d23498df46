import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_RETRAINING_CONFIG } from '../../src/config/defaults.js';
import { mergeConfig } from '../../src/config/merge.js';
import type { RetrainingConfig, RetrainingConfigInput } from '../../src/config/schema.js';
import { migrate } from '../../src/db/migrate.js';
import { DeploymentManager } from '../../src/deployment/deployment-manager.js';
import { Logger } from '../../src/logging/logger.js';
import { Alerter } from '../../src/monitoring/alerts/alerter.js';
import type { AlertChannel } from '../../src/monitoring/alerts/channels.js';
import { AlertDispatcher } from '../../src/monitoring/alerts/dispatcher.js';
import { MonitoringService } from '../../src/monitoring/monitoring-service.js';
import { Random } from '../../src/rl/random.js';
import { getAbTest } from '../../src/store/ab-tests.js';
import { listAlerts, type AlertRow } from '../../src/store/alerts.js';
import { listDeploymentEvents } from '../../src/store/deployment-events.js';
import { saveDriftReference } from '../../src/store/drift.js';
import { insertTrades, type LiveTrade } from '../../src/store/live-trades.js';
import { insertPredictionSamples } from '../../src/store/prediction-samples.js';
import { findProductionVersion, insertVersion, listVersions } from '../../src/store/versions.js';
import { BACKEND, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { versionInput } from '../helpers/fixtures.js';

const HOUR = 3_600_000;
const VALIDATED = { winRate: 0.56, profitFactor: 1.6, sharpeRatio: 2.5, maxDrawdown: 0.08 };

let test: TestDatabase;
let clock: Date;
let delivered: AlertRow[];
let deployments: DeploymentManager;
let alerter: Alerter;
let tradeCount = 0;

/** A channel that keeps what it is sent: the test's view of what people were told. */
const recordingChannel = (): AlertChannel => ({
  name: 'recording',
  severities: new Set(['critical', 'high', 'medium', 'low'] as const),
  send: async (alert) => {
    delivered.push(alert);
  },
});

function service(config: RetrainingConfig = configWith({})): MonitoringService {
  deployments = new DeploymentManager(test.db, config.deployment, {
    now: () => clock,
    evaluation: config.evaluation,
  });
  return new MonitoringService(test.db, config, deployments, { now: () => clock, alerter });
}

function configWith(overrides: RetrainingConfigInput): RetrainingConfig {
  return mergeConfig(DEFAULT_RETRAINING_CONFIG, { deployment: { cooldownPeriodHours: 0 } }, overrides);
}

const later = (hours: number) => {
  clock = new Date(clock.getTime() + hours * HOUR);
};

/** `count` closed trades of `version`, one every 20 seconds ending now, returns ~ N(mean, 1 %). */
async function trade(
  version: string,
  count: number,
  mean: number,
  extra: Partial<LiveTrade> = {},
  seed = 'trades',
): Promise<void> {
  const random = new Random(`${seed}/${tradeCount}`);
  const trades: LiveTrade[] = [];
  for (let i = 0; i < count; i++) {
    const exit = new Date(clock.getTime() - (count - i) * 20_000);
    const r = random.normal(mean, 0.01);
    trades.push({
      idempotencyKey: `t-${tradeCount++}`,
      symbol: 'AAA',
      side: 'long',
      quantity: 10,
      entryTime: new Date(exit.getTime() - 60_000),
      entryPrice: 100,
      exitTime: exit,
      exitPrice: 100 * (1 + r),
      fees: 0,
      pnl: 1000 * r,
      status: 'closed',
      modelVersion: version,
      abTestId: null,
      arm: null,
      observation: null,
      account: null,
      ...extra,
    });
  }
  await insertTrades(test.db, trades);
}

const statuses = async () =>
  Object.fromEntries((await listVersions(test.db)).map((row) => [row.version, row.status]));

beforeEach(async () => {
  test = await createTestDatabase();
  await migrate(test.db);
  delivered = [];
  const logger = new Logger({ logToConsole: false });
  alerter = new Alerter({
    db: test.db,
    dispatcher: new AlertDispatcher({ channels: [recordingChannel()], logger, baseDelayMs: 1 }),
    logger,
  });
  for (const version of ['1.0.0', '1.1.0', '1.2.0']) {
    await insertVersion(test.db, versionInput(version, { status: 'validated', metrics: VALIDATED }));
  }
  clock = new Date('2026-11-02T00:00:00Z');
});
afterEach(async () => {
  await alerter.close();
  await test.close();
});

describe(`MonitoringService performance (${BACKEND})`, () => {
  it('turns bad live trades into one alert and one rollback, confirmed over two checks, with the events', async () => {
    const monitoring = service();
    await deployments.deploy('1.0.0', { reason: 'first' });
    later(24);
    await deployments.deploy('1.1.0', { reason: 'weekly retrain' });
    later(6);
    await trade('1.1.0', 60, 0.004);
    const [good] = await monitoring.checkPerformance();
    expect(good).toMatchObject({ version: '1.1.0', confirmed: false, action: 'none' });
    expect(good!.degradation.verdict).toBe('healthy');

    later(6);
    await trade('1.1.0', 150, -0.004);
    const [first] = await monitoring.checkPerformance();
    expect(first!.degradation.verdict).toBe('degraded');
    expect(first).toMatchObject({ confirmed: false, action: 'none' });
    expect(await statuses()).toMatchObject({ '1.1.0': 'production' });

    later(6);
    await trade('1.1.0', 10, -0.004);
    const [second] = await monitoring.checkPerformance();
    expect(second).toMatchObject({ confirmed: true, action: 'rolled_back' });
    expect(await statuses()).toMatchObject({ '1.0.0': 'production', '1.1.0': 'rolled_back' });
    const [rollback] = await listDeploymentEvents(test.db, { version: '1.0.0' });
    expect(rollback).toMatchObject({ action: 'rollback', fromVersion: '1.1.0', actor: 'monitoring' });
    expect(rollback!.reason).toMatch(/^automatic: production model 1\.1\.0 degraded on 2 consecutive checks/);

    // The restored version starts a fresh window: no trades of its own yet, so nothing to judge.
    later(6);
    const [after] = await monitoring.checkPerformance();
    expect(after).toMatchObject({ version: '1.0.0', confirmed: false });
    expect(after!.degradation.verdict).toBe('insufficient_data');

    await alerter.flush();
    const degradation = delivered.filter((a) => a.type === 'performance_degradation');
    expect(degradation).toHaveLength(1);
    expect(degradation[0]).toMatchObject({ version: '1.1.0', severity: 'high' });
    expect(delivered.filter((a) => a.type === 'deployment').map((a) => a.message)).toEqual([
      expect.stringMatching(/^rolled back 1\.1\.0 to 1\.0\.0: production model 1\.1\.0 degraded/),
    ]);
    // Every check is in the history, with its verdict.
    const history = await monitoring.getMetricsHistory({ version: '1.1.0' });
    expect(history.map((row) => row.metrics.verdict)).toEqual(['healthy', 'degraded', 'degraded']);
    expect(history.map((row) => row.tradeCount)).toEqual([60, 210, 220]);
    // A limit keeps the newest checks, still oldest first.
    const newest = await monitoring.getMetricsHistory({ version: '1.1.0', limit: 2 });
    expect(newest.map((row) => row.tradeCount)).toEqual([210, 220]);
  });

  it('says insufficient data below minTradesForValidation, and never confirms on it', async () => {
    const monitoring = service();
    await deployments.deploy('1.1.0');
    later(1);
    await trade('1.1.0', 29, -0.02);
    for (let i = 0; i < 3; i++) {
      const [check] = await monitoring.checkPerformance();
      expect(check!.degradation).toMatchObject({
        verdict: 'insufficient_data',
        reasons: ['29 closed trades; at least 30 are needed to judge'],
      });
      expect(check!.confirmed).toBe(false);
      later(1);
    }
    expect(await statuses()).toMatchObject({ '1.1.0': 'production' });
  });

  it('alerts without rolling back when rollbackOnDegradation is off', async () => {
    const monitoring = service(
      configWith({ deployment: { rollbackOnDegradation: false, cooldownPeriodHours: 0 } }),
    );
    await deployments.deploy('1.0.0');
    later(1);
    await deployments.deploy('1.1.0');
    later(1);
    await trade('1.1.0', 100, -0.005);
    await monitoring.checkPerformance();
    later(1);
    const [check] = await monitoring.checkPerformance();
    expect(check).toMatchObject({ confirmed: true, action: 'alerted' });
    expect(await statuses()).toMatchObject({ '1.1.0': 'production' });
    expect(await listAlerts(test.db, { active: true })).toHaveLength(1);
  });

  it('raises a critical alert when the degraded model has nothing to roll back to', async () => {
    const monitoring = service();
    await deployments.deploy('1.0.0');
    later(1);
    await trade('1.0.0', 100, -0.005);
    await monitoring.checkPerformance();
    later(1);
    const [check] = await monitoring.checkPerformance();
    expect(check!.action).toBe('rollback_impossible');
    const critical = await listAlerts(test.db, { severity: 'critical' });
    expect(critical[0]!.message).toMatch(/production model 1\.0\.0 is degraded and could not be rolled back/);
    expect((await monitoring.getSystemHealth()).status).toBe('critical');
  });

  it('retires a degraded A/B candidate and keeps A in production', async () => {
    const monitoring = service();
    await deployments.deploy('1.0.0');
    later(1);
    const abTest = await deployments.startABTest('1.0.0', '1.1.0', 10);
    later(2);
    await trade('1.0.0', 100, 0.004, { abTestId: abTest.id, arm: 'A' }, 'arm-a');
    await trade('1.1.0', 100, -0.005, { abTestId: abTest.id, arm: 'B' }, 'arm-b');
    await monitoring.checkPerformance();
    later(1);
    const checks = await monitoring.checkPerformance();
    expect(checks.map((c) => [c.version, c.role, c.action])).toEqual([
      ['1.0.0', 'production', 'none'],
      ['1.1.0', 'candidate', 'candidate_rejected'],
    ]);
    expect(await statuses()).toMatchObject({ '1.0.0': 'production', '1.1.0': 'retired' });
    expect(await getAbTest(test.db, abTest.id)).toMatchObject({ status: 'completed', winner: 'model_a' });
  });

  it('concludes the active A/B test on its evidence each round: waits while it is thin, promotes a clearly better B', async () => {
    const monitoring = service(configWith({ monitoring: { modelDriftDetection: { enabled: false } } }));
    await deployments.deploy('1.0.0');
    later(1);
    const abTest = await deployments.startABTest('1.0.0', '1.1.0', 50);
    later(1);
    await trade('1.0.0', 20, 0.001, { abTestId: abTest.id, arm: 'A' }, 'thin-a');
    await trade('1.1.0', 20, 0.002, { abTestId: abTest.id, arm: 'B' }, 'thin-b');
    expect((await monitoring.runChecks()).abTest).toMatchObject({ id: abTest.id, action: 'continued' });
    later(24);
    await trade('1.0.0', 400, -0.001, { abTestId: abTest.id, arm: 'A' }, 'more-a');
    await trade('1.1.0', 400, 0.004, { abTestId: abTest.id, arm: 'B' }, 'more-b');
    expect((await monitoring.runChecks()).abTest).toMatchObject({ id: abTest.id, action: 'promoted' });
    expect(await getAbTest(test.db, abTest.id)).toMatchObject({ status: 'completed', winner: 'model_b' });
    expect(await statuses()).toMatchObject({ '1.0.0': 'retired', '1.1.0': 'production' });
    expect((await monitoring.runChecks()).abTest).toBeNull();
  });

  it('keeps the A/B test going when the degraded production model has nothing to roll back to', async () => {
    const monitoring = service();
    await deployments.deploy('1.0.0');
    later(1);
    const abTest = await deployments.startABTest('1.0.0', '1.1.0', 10);
    later(1);
    await trade('1.0.0', 100, -0.005, { abTestId: abTest.id, arm: 'A' });
    await monitoring.checkPerformance();
    later(1);
    const checks = await monitoring.checkPerformance();
    expect(checks.find((c) => c.version === '1.0.0')!.action).toBe('rollback_impossible');
    expect(await getAbTest(test.db, abTest.id)).toMatchObject({ status: 'active' });
    expect(await statuses()).toMatchObject({ '1.0.0': 'production', '1.1.0': 'ab_testing' });
    const [critical] = await listAlerts(test.db, { severity: 'critical' });
    expect(critical!.message).toMatch(
      /could not be rolled back: .*the A\/B test of candidate 1\.1\.0 goes on/,
    );
  });

  it('stops the A/B test before rolling back a degraded production model', async () => {
    const monitoring = service();
    await deployments.deploy('1.0.0');
    later(1);
    await deployments.deploy('1.1.0');
    later(1);
    const abTest = await deployments.startABTest('1.1.0', '1.2.0', 10);
    later(1);
    await trade('1.1.0', 100, -0.005);
    await monitoring.checkPerformance();
    later(1);
    const [check] = await monitoring.checkPerformance();
    expect(check!.action).toBe('rolled_back');
    expect(await getAbTest(test.db, abTest.id)).toMatchObject({ status: 'stopped' });
    expect(await statuses()).toMatchObject({
      '1.0.0': 'production',
      '1.1.0': 'rolled_back',
      '1.2.0': 'validated',
    });
    expect((await findProductionVersion(test.db))?.version).toBe('1.0.0');
  });
});

describe(`MonitoringService drift (${BACKEND})`, () => {
  const names = ['f0', 'f1', 'f2'];
  const sample = (random: Random, rows: number, shift: number) =>
    Float32Array.from({ length: rows * names.length }, (_, i) => random.normal(i % 3 === 1 ? shift : 0, 1));

  async function observe(version: string, rows: Float32Array): Promise<void> {
    const samples = [];
    for (let r = 0; r < rows.length / 3; r++) {
      samples.push({
        version,
        ts: new Date(clock.getTime() - r * 1000),
        observation: [...rows.subarray(r * 3, r * 3 + 3), 1],
      });
    }
    await insertPredictionSamples(test.db, samples);
  }

  it('stores a stable verdict for live features like the reference, and flags and alerts a shifted one', async () => {
    const monitoring = service();
    await deployments.deploy('1.0.0');
    const random = new Random('drift-check');
    await saveDriftReference(test.db, {
      version: '1.0.0',
      featureNames: names,
      data: sample(random, 2000, 0),
    });
    later(1);
    await observe('1.0.0', sample(random, 1000, 0));
    const stable = await monitoring.checkDrift();
    expect(stable!.features).toMatchObject({ verdict: 'stable', liveSamples: 1000, referenceSamples: 2000 });
    expect(stable!.features.settings).toMatchObject({
      sensitivity: 0.1,
      psiThreshold: 0.25,
      minSamples: 200,
    });
    expect(stable!.returns.verdict).toBe('insufficient_data');

    later(1);
    await observe('1.0.0', sample(random, 3000, 1));
    const shifted = await monitoring.checkDrift();
    expect(shifted!.features.verdict).toBe('drift');
    expect(shifted!.features.details.drifted).toEqual(['f1']);
    expect((shifted!.features.details.features as { name: string }[])[0]!.name).toBe('f1');
    await alerter.flush();
    expect(delivered.map((a) => [a.type, a.severity])).toEqual([['model_drift', 'medium']]);
    expect((await monitoring.getSystemHealth()).issues).toContain(
      'production model 1.0.0 is drifting: its live features',
    );
  });

  it('says insufficient data without a stored reference', async () => {
    const monitoring = service();
    await deployments.deploy('1.0.0');
    const check = await monitoring.checkDrift();
    expect(check!.features).toMatchObject({
      verdict: 'insufficient_data',
      details: { reason: 'model version 1.0.0 has no reference sample stored' },
    });
  });

  it('detects a fall of the per-trade returns with Page-Hinkley and says when', async () => {
    const monitoring = service();
    await deployments.deploy('1.0.0');
    later(48);
    await trade('1.0.0', 400, 0.004);
    later(40);
    await trade('1.0.0', 400, -0.004);
    const check = await monitoring.checkDrift();
    expect(check!.returns.verdict).toBe('drift');
    const at = check!.returns.details.changeAt as number;
    expect(at).toBeGreaterThanOrEqual(400);
    expect(at).toBeLessThan(600);
    await alerter.flush();
    expect(delivered.map((a) => [a.type, a.severity])).toEqual([['model_drift', 'high']]);
  });
});
