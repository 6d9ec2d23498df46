import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_RETRAINING_CONFIG } from '../../src/config/defaults.js';
import { migrate } from '../../src/db/migrate.js';
import { openServerDatabase } from '../../src/db/server.js';
import { DeploymentManager } from '../../src/deployment/deployment-manager.js';
import { Predictor } from '../../src/deployment/predictor.js';
import { ValidationError } from '../../src/errors.js';
import { FEATURE_NAMES } from '../../src/market/features.js';
import { generateSyntheticMarket, symbolBars } from '../../src/market/synthetic.js';
import { initTensorFlow } from '../../src/rl/backend.js';
import { insertAbTest } from '../../src/store/ab-tests.js';
import { listPredictionSamples } from '../../src/store/prediction-samples.js';
import { setVersionStatus } from '../../src/store/versions.js';
import { BACKEND, createTestDatabase, SERVER_URL, type TestDatabase } from '../helpers/database.js';
import { registerRandomModel } from '../helpers/models.js';

let test: TestDatabase;
let predictor: Predictor | undefined;
const featureCount = FEATURE_NAMES.length;

beforeAll(async () => {
  await initTensorFlow();
});
beforeEach(async () => {
  test = await createTestDatabase();
  await migrate(test.db);
});
afterEach(async () => {
  await predictor?.stop();
  predictor = undefined;
  await test.close();
});

const register = (seed: string) => registerRandomModel(test.db, seed);

const features = (i: number) => Array.from({ length: featureCount }, (_, k) => Math.sin(i * 0.37 + k));
const waitFor = async (condition: () => boolean, ms = 10_000) => {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe(`Predictor (${BACKEND})`, () => {
  it('serves the production model, validates requests, and samples observations', async () => {
    const v1 = await register('one');
    const manager = new DeploymentManager(test.db, DEFAULT_RETRAINING_CONFIG.deployment);
    predictor = new Predictor(test.db, { sampleRate: 1 });
    await predictor.start();
    expect(() => predictor!.predict({ key: 'a', features: features(1), position: 0 })).toThrow(
      /no model is in production/,
    );
    await manager.deploy(v1);
    await predictor.refresh();
    const prediction = predictor.predict({ key: 'bot-1', features: features(1), position: 0, symbol: 'ES' });
    expect(prediction).toMatchObject({ version: v1, arm: null });
    expect(prediction.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect([-1, 0, 1]).toContain(prediction.position);
    expect(() => predictor!.predict({ key: 'a', features: [1, 2], position: 0 })).toThrow(ValidationError);
    expect(() => predictor!.predict({ key: 'a', features: features(1), position: 2 })).toThrow(
      /position 2 is not one of/,
    );
    expect(() =>
      predictor!.predict({ key: 'a', features: features(1).map(() => Number.NaN), position: 0 }),
    ).toThrow(/not a finite number/);
    await predictor.flushSamples();
    expect(await listPredictionSamples(test.db, { version: v1 })).toHaveLength(1);
  });

  it('stores at most maxSamplesPerSecond observations a second however many requests come', async () => {
    const v1 = await register('capped');
    await new DeploymentManager(test.db, DEFAULT_RETRAINING_CONFIG.deployment).deploy(v1);
    predictor = new Predictor(test.db, { sampleRate: 1, maxSamplesPerSecond: 5 });
    await predictor.start();
    const started = Date.now();
    for (let i = 0; i < 2000; i++) predictor.predict({ key: `k${i}`, features: features(i), position: 0 });
    const seconds = Math.floor(Date.now() / 1000) - Math.floor(started / 1000) + 1;
    await predictor.flushSamples();
    const stored = (await listPredictionSamples(test.db, { version: v1, limit: 10_000 })).length;
    expect(stored).toBeGreaterThanOrEqual(5);
    expect(stored).toBeLessThanOrEqual(5 * seconds);
  });

  it('predicts from recent bars', async () => {
    const v1 = await register('bars');
    await new DeploymentManager(test.db, DEFAULT_RETRAINING_CONFIG.deployment).deploy(v1);
    predictor = new Predictor(test.db);
    await predictor.start();
    const bars = symbolBars(generateSyntheticMarket({ seed: 2, sessions: 3 }), 'SYNA');
    expect(predictor.predictFromBars({ key: 'k', bars, position: 1 }).version).toBe(v1);
    expect(() => predictor!.predictFromBars({ key: 'k', bars: bars.slice(0, 10), position: 1 })).toThrow(
      /the features need at least/,
    );
  });

  it('swaps to a new deployment under concurrent requests with no failed or mixed request', async () => {
    const [v1, v2] = [await register('one'), await register('two')];
    // On the server the deployment comes from another connection, as from another process.
    const other = SERVER_URL ? await openServerDatabase({ url: SERVER_URL, schema: test.schema! }) : test.db;
    const manager = new DeploymentManager(other, DEFAULT_RETRAINING_CONFIG.deployment);
    await manager.deploy(v1);
    predictor = new Predictor(test.db, { pollIntervalMs: 60_000 });
    await predictor.start();
    const seen: string[] = [];
    let failures = 0;
    let stop = false;
    const traffic = (async () => {
      for (let i = 0; !stop; i++) {
        try {
          seen.push(predictor!.predict({ key: `k${i}`, features: features(i), position: 0 }).version);
        } catch {
          failures++;
        }
        if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await manager.deploy(v2, { force: true, reason: 'swap test' });
    // The notification, not the (one-minute) poll, makes the swap.
    await waitFor(() => predictor!.servingVersion === v2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    stop = true;
    await traffic;
    if (other !== test.db) await other.close();
    expect(failures).toBe(0);
    const firstV2 = seen.indexOf(v2);
    expect(firstV2).toBeGreaterThan(0);
    expect(seen.slice(0, firstV2).every((v) => v === v1)).toBe(true);
    expect(seen.slice(firstV2).every((v) => v === v2)).toBe(true);
  });

  it('routes keys of an active A/B test to the candidate by the split, consistently', async () => {
    const [v1, v2] = [await register('one'), await register('two')];
    await new DeploymentManager(test.db, DEFAULT_RETRAINING_CONFIG.deployment).deploy(v1);
    await setVersionStatus(test.db, v2, 'ab_testing');
    await insertAbTest(test.db, {
      modelAVersion: v1,
      modelBVersion: v2,
      trafficSplit: 30,
      startTime: new Date(),
    });
    predictor = new Predictor(test.db);
    await predictor.start();
    let b = 0;
    for (let i = 0; i < 5000; i++) {
      const prediction = predictor.predict({ key: `account-${i}`, features: features(i), position: 0 });
      expect(prediction.version).toBe(prediction.arm === 'B' ? v2 : v1);
      if (prediction.arm === 'B') b++;
      expect(predictor.predict({ key: `account-${i}`, features: features(i + 1), position: 0 }).arm).toBe(
        prediction.arm,
      );
    }
    expect(Math.abs(b / 5000 - 0.3)).toBeLessThan(0.03);
  });
});

describe(`shadow mode (${BACKEND})`, () => {
  it('answers with production, records the candidate on every request, and scores both on the bars that followed', async () => {
    const { AbTestManager } = await import('../../src/deployment/ab-test-manager.js');
    const { importBars } = await import('../../src/market/import/bars.js');
    const [v1, v2] = [await register('one'), await register('two')];
    const deployments = new DeploymentManager(test.db, DEFAULT_RETRAINING_CONFIG.deployment);
    await deployments.deploy(v1);
    const abTests = new AbTestManager(test.db, deployments, DEFAULT_RETRAINING_CONFIG);
    const shadow = await abTests.startABTest(v1, v2, 0, { mode: 'shadow' });
    predictor = new Predictor(test.db, { sampleRate: 0 });
    await predictor.start();
    for (let i = 0; i < 40; i++) {
      const prediction = predictor.predict({
        key: `k${i}`,
        features: features(i),
        position: 0,
        symbol: 'ES',
      });
      expect(prediction).toMatchObject({ version: v1, arm: null });
    }
    await predictor.flushSamples();
    // Bars around the decisions, so each has a next bar to be scored on.
    const now = Date.now();
    await importBars(
      test.db,
      Array.from({ length: 20 }, (_, i) => ({
        symbol: 'ES',
        interval: '1m',
        ts: new Date(now - 10 * 60_000 + i * 60_000),
        open: 100 + i,
        high: 101 + i,
        low: 99 + i,
        close: 100 + i,
        volume: 1,
      })),
    );
    const results = await abTests.getABTestResults(shadow.id);
    expect(results.test.mode).toBe('shadow');
    expect(results.decision.a.trades).toBe(40);
    expect(results.decision.b.trades).toBe(40);
    expect(results.recommendation).toBe('continue');
  });
});
