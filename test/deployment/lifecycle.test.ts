import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_RETRAINING_CONFIG } from '../../src/config/defaults.js';
import { migrate } from '../../src/db/migrate.js';
import { AbTestManager } from '../../src/deployment/ab-test-manager.js';
import { DeploymentManager } from '../../src/deployment/deployment-manager.js';
import { ConflictError } from '../../src/errors.js';
import { registerVersion } from '../../src/registry/registry.js';
import { initTensorFlow } from '../../src/rl/backend.js';
import { PpoAgent } from '../../src/rl/ppo.js';
import { Random } from '../../src/rl/random.js';
import { getAbTest } from '../../src/store/ab-tests.js';
import { listDeploymentEvents } from '../../src/store/deployment-events.js';
import { insertTrades, type LiveTrade } from '../../src/store/live-trades.js';
import { listVersions, setVersionStatus } from '../../src/store/versions.js';
import { BACKEND, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { identityNormaliser } from '../helpers/fixtures.js';

let test: TestDatabase;
let clock: Date;
const HOUR = 3_600_000;
const config = DEFAULT_RETRAINING_CONFIG;

beforeAll(async () => {
  await initTensorFlow();
});
beforeEach(async () => {
  test = await createTestDatabase();
  await migrate(test.db);
  clock = new Date('2026-11-01T02:00:00Z');
});
afterEach(async () => {
  await test.close();
});

async function registerValidated(seed: string, parent: string | null): Promise<string> {
  const agent = PpoAgent.create(10, 3, [8, 8], new Random(seed));
  const weights = agent.readWeights();
  agent.dispose();
  const row = await registerVersion(test.db, {
    modelType: 'ppo',
    trainedOn: clock,
    dataPoints: 1000,
    metrics: { sharpeRatio: 1 },
    config: {},
    parentVersion: parent,
    artifact: {
      weights,
      normaliser: identityNormaliser(),
      config: {},
      metadata: {},
    },
    dataWindow: { start: new Date(clock.getTime() - 7 * 24 * HOUR), end: clock },
    dataHash: 'a'.repeat(64),
    seed: 1,
    at: clock,
  });
  // The gates (evaluateGates) passed: validated.
  await setVersionStatus(test.db, row.version, 'validated');
  return row.version;
}

function armTrades(
  testId: string,
  arm: 'A' | 'B',
  version: string,
  count: number,
  meanReturn: number,
  seed: string,
): LiveTrade[] {
  const random = new Random(seed);
  return Array.from({ length: count }, (_, i) => {
    const entry = new Date(clock.getTime() + i * 60_000);
    const ret = meanReturn + random.normal(0, 0.002);
    return {
      idempotencyKey: `${arm}-${i}`,
      symbol: 'ES',
      side: 'long',
      quantity: 1,
      entryTime: entry,
      entryPrice: 100,
      exitTime: new Date(entry.getTime() + 30_000),
      exitPrice: 100 * (1 + ret),
      fees: 0,
      pnl: 100 * ret,
      status: 'closed',
      modelVersion: version,
      abTestId: testId,
      arm,
      observation: null,
      account: `acct-${i}`,
    };
  });
}

describe(`a model's whole life (${BACKEND})`, () => {
  it('register → gate → A/B → promote → degrade → rollback, with the ledger telling the story', async () => {
    const deployments = new DeploymentManager(test.db, config.deployment, { now: () => clock });
    const abTests = new AbTestManager(test.db, deployments, config, { now: () => clock });

    const v1 = await registerValidated('one', null);
    await deployments.deploy(v1, { reason: 'first model' });
    clock = new Date(clock.getTime() + 7 * 24 * HOUR);
    const v2 = await registerValidated('two', v1);

    await expect(abTests.startABTest(v2, v1, 10)).rejects.toThrow(/model A must be the production version/);
    await expect(abTests.startABTest(v1, v2, 120)).rejects.toThrow(/trafficSplit 120 is out of range/);
    const ab = await abTests.startABTest(v1, v2, 50);
    await expect(abTests.startABTest(v1, v2, 50)).rejects.toBeInstanceOf(ConflictError);
    expect((await listVersions(test.db, { status: 'ab_testing' })).map((v) => v.version)).toEqual([v2]);

    // Few trades: no decision yet.
    await insertTrades(test.db, armTrades(ab.id, 'A', v1, 10, 0, 'a0'));
    expect((await abTests.concludeABTest(ab.id)).action).toBe('continued');

    // Enough evidence that B earns more per trade: promoted.
    await insertTrades(test.db, [
      ...armTrades(ab.id, 'A', v1, 1000, 0, 'a'),
      ...armTrades(ab.id, 'B', v2, 1000, 0.0005, 'b'),
    ]);
    const results = await abTests.getABTestResults(ab.id);
    expect(results.decision.a.trades).toBe(1000);
    expect(results.decision.probabilityBBeatsA!).toBeGreaterThan(0.99);
    const concluded = await abTests.concludeABTest(ab.id);
    expect(concluded.action).toBe('promoted');
    expect(await getAbTest(test.db, ab.id)).toMatchObject({ status: 'completed', winner: 'model_b' });
    expect((await deployments.getProductionVersion())?.version).toBe(v2);

    // Live results degrade: roll back to the last good production version.
    clock = new Date(clock.getTime() + 3 * HOUR);
    await deployments.rollback({ reason: 'live Sharpe decayed below the production threshold' });
    expect((await deployments.getProductionVersion())?.version).toBe(v1);

    const story = (await listDeploymentEvents(test.db)).reverse().map((e) => `${e.action} ${e.version}`);
    expect(story).toEqual([
      `register ${v1}`,
      `deploy ${v1}`,
      `register ${v2}`,
      `ab_test_start ${v2}`,
      `deploy ${v2}`,
      `ab_test_complete ${v2}`,
      `rollback ${v1}`,
    ]);
  });

  it('stops a test with a reason and keeps A when B is worse', async () => {
    const deployments = new DeploymentManager(test.db, config.deployment, { now: () => clock });
    const abTests = new AbTestManager(test.db, deployments, config, { now: () => clock });
    const v1 = await registerValidated('one', null);
    await deployments.deploy(v1);
    const v2 = await registerValidated('two', v1);
    const stopped = await abTests.startABTest(v1, v2, 20);
    await abTests.stopABTest(stopped.id, 'operator wants more data first');
    expect(await getAbTest(test.db, stopped.id)).toMatchObject({
      status: 'stopped',
      endReason: 'operator wants more data first',
    });
    expect((await listVersions(test.db, { status: 'validated' })).map((v) => v.version)).toEqual([v2]);
    await expect(abTests.stopABTest(stopped.id, 'again')).rejects.toThrow(/is not active/);

    const worse = await abTests.startABTest(v1, v2, 20);
    await insertTrades(test.db, [
      ...armTrades(worse.id, 'A', v1, 1000, 0.0005, 'wa'),
      ...armTrades(worse.id, 'B', v2, 1000, 0, 'wb'),
    ]);
    expect((await abTests.concludeABTest(worse.id)).action).toBe('kept');
    expect((await listVersions(test.db, { status: 'retired' })).map((v) => v.version)).toEqual([v2]);
    expect((await deployments.getProductionVersion())?.version).toBe(v1);
  });
});
