import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_RETRAINING_CONFIG } from '../../src/config/defaults.js';
import { migrate } from '../../src/db/migrate.js';
import { AbTestManager } from '../../src/deployment/ab-test-manager.js';
import { handleCandidate } from '../../src/deployment/candidate.js';
import { DeploymentManager } from '../../src/deployment/deployment-manager.js';
import type { GateDecision } from '../../src/deployment/gates.js';
import { getAbTest } from '../../src/store/ab-tests.js';
import { listDeploymentEvents } from '../../src/store/deployment-events.js';
import { getVersion, insertVersion } from '../../src/store/versions.js';
import { BACKEND, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { versionInput } from '../helpers/fixtures.js';

let test: TestDatabase;
let clock: Date;
const pass: GateDecision = {
  verdict: 'pass',
  checks: [{ name: 'minWinRate', passed: true, value: 0.55, threshold: 0.45, message: '' }],
  reasons: [],
};
const fail: GateDecision = {
  verdict: 'fail',
  checks: [
    {
      name: 'minProfitFactor',
      passed: false,
      value: 1.05,
      threshold: 1.2,
      message: 'profit factor 1.05 is below 1.2',
    },
  ],
  reasons: ['profit factor 1.05 is below 1.2'],
};

beforeEach(async () => {
  test = await createTestDatabase();
  await migrate(test.db);
  for (const version of ['1.0.0', '1.1.0', '1.2.0']) await insertVersion(test.db, versionInput(version));
  clock = new Date('2026-11-01T00:00:00Z');
});
afterEach(async () => {
  await test.close();
});

function managers(config = DEFAULT_RETRAINING_CONFIG) {
  const deployments = new DeploymentManager(test.db, config.deployment, { now: () => clock });
  return {
    deployments,
    abTests: new AbTestManager(test.db, deployments, config, { now: () => clock, maxDurationHours: 48 }),
  };
}

describe(`after the gates (${BACKEND})`, () => {
  it('deploys the first model, then A/B tests a passing candidate against production', async () => {
    const m = managers();
    expect(await handleCandidate(test.db, m, DEFAULT_RETRAINING_CONFIG.deployment, '1.0.0', pass)).toEqual({
      action: 'deployed',
    });
    const outcome = await handleCandidate(test.db, m, DEFAULT_RETRAINING_CONFIG.deployment, '1.1.0', pass);
    expect(outcome.action).toBe('ab_test');
    const ab = await getAbTest(test.db, (outcome as { testId: string }).testId);
    expect(ab).toMatchObject({ modelAVersion: '1.0.0', modelBVersion: '1.1.0', trafficSplit: 10 });
    expect((await getVersion(test.db, '1.1.0')).metrics).toMatchObject({ gates: { verdict: 'pass' } });
    // Another passing candidate while a test runs stays validated, and says why.
    const waiting = await handleCandidate(test.db, m, DEFAULT_RETRAINING_CONFIG.deployment, '1.2.0', pass);
    expect(waiting).toMatchObject({
      action: 'validated',
      reason: expect.stringContaining('another A/B test is active'),
    });
  });

  it('rejects a failing candidate with its reasons stored and in the ledger', async () => {
    const outcome = await handleCandidate(
      test.db,
      managers(),
      DEFAULT_RETRAINING_CONFIG.deployment,
      '1.0.0',
      fail,
    );
    expect(outcome).toEqual({ action: 'rejected', reasons: ['profit factor 1.05 is below 1.2'] });
    const row = await getVersion(test.db, '1.0.0');
    expect(row.status).toBe('rejected');
    expect(row.metrics).toMatchObject({
      gates: { verdict: 'fail', reasons: ['profit factor 1.05 is below 1.2'] },
    });
    expect(await listDeploymentEvents(test.db, { version: '1.0.0' })).toMatchObject([
      { action: 'reject', reason: 'profit factor 1.05 is below 1.2' },
    ]);
  });

  it('deploys directly with autoDeploy and A/B testing off, and leaves it validated with both off', async () => {
    const noAb = {
      ...DEFAULT_RETRAINING_CONFIG,
      deployment: {
        ...DEFAULT_RETRAINING_CONFIG.deployment,
        abTesting: { ...DEFAULT_RETRAINING_CONFIG.deployment.abTesting, enabled: false },
        cooldownPeriodHours: 0,
      },
    };
    const m = managers(noAb);
    await handleCandidate(test.db, m, noAb.deployment, '1.0.0', pass);
    expect(await handleCandidate(test.db, m, noAb.deployment, '1.1.0', pass)).toEqual({ action: 'deployed' });
    const manual = { ...noAb.deployment, autoDeploy: false };
    expect((await handleCandidate(test.db, m, manual, '1.2.0', pass)).action).toBe('validated');
    expect((await getVersion(test.db, '1.2.0')).status).toBe('validated');
  });

  it('ends an A/B test without evidence at its maximum duration and retires the candidate', async () => {
    const m = managers();
    await handleCandidate(test.db, m, DEFAULT_RETRAINING_CONFIG.deployment, '1.0.0', pass);
    const outcome = (await handleCandidate(
      test.db,
      m,
      DEFAULT_RETRAINING_CONFIG.deployment,
      '1.1.0',
      pass,
    )) as { testId: string };
    clock = new Date(clock.getTime() + 24 * 3_600_000);
    expect((await m.abTests.concludeABTest(outcome.testId)).action).toBe('continued');
    clock = new Date(clock.getTime() + 25 * 3_600_000);
    expect((await m.abTests.concludeABTest(outcome.testId)).action).toBe('kept');
    expect(await getAbTest(test.db, outcome.testId)).toMatchObject({
      status: 'completed',
      winner: 'inconclusive',
    });
    expect((await getVersion(test.db, '1.1.0')).status).toBe('retired');
  });
});
