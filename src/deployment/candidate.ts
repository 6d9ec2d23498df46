import type { RetrainingConfig } from '../config/schema.js';
import type { Database } from '../db/types.js';
import { ConflictError } from '../errors.js';
import { assertTransition } from '../registry/lifecycle.js';
import { recordDeploymentEvent } from '../store/deployment-events.js';
import type { JsonObject } from '../store/json.js';
import {
  findProductionVersion,
  getVersion,
  setVersionStatus,
  updateVersionMetrics,
} from '../store/versions.js';
import type { AbTestManager } from './ab-test-manager.js';
import type { DeploymentManager } from './deployment-manager.js';
import type { GateDecision } from './gates.js';

export type CandidateOutcome =
  | { action: 'rejected'; reasons: string[] }
  | { action: 'validated'; reason: string }
  | { action: 'ab_test'; testId: string }
  | { action: 'deployed' };

/**
 * What happens to a freshly trained version once the gates have judged it, as the configuration
 * says: the verdict, its reasons and the figures behind them are stored with the version (and in
 * the ledger); a version that fails, or lacks evidence, is rejected; one that passes is A/B tested
 * against production when `abTesting.enabled`, deployed directly when `autoDeploy`, or left
 * validated for an operator. The first model has nothing to be tested against and is deployed.
 */
export async function handleCandidate(
  db: Database,
  managers: { deployments: DeploymentManager; abTests: AbTestManager },
  config: RetrainingConfig['deployment'],
  version: string,
  decision: GateDecision,
  /** When the verdict is recorded in the ledger: the system's clock, not the database's. */
  at: Date = new Date(),
): Promise<CandidateOutcome> {
  const passed = decision.verdict === 'pass';
  await db.transaction(async (tx) => {
    const row = await getVersion(tx, version);
    const status = passed ? 'validated' : 'rejected';
    assertTransition(version, row.status, status);
    await updateVersionMetrics(
      tx,
      version,
      { ...row.metrics, gates: decision as unknown as JsonObject },
      row.performanceScore,
    );
    await setVersionStatus(tx, version, status);
    await recordDeploymentEvent(tx, {
      version,
      action: passed ? 'validate' : 'reject',
      status: 'success',
      reason: passed ? 'all gates passed' : decision.reasons.join('; '),
      timestamp: at,
      details: {
        verdict: decision.verdict,
        checks: decision.checks as unknown as JsonObject[],
      } as JsonObject,
    });
  });
  if (!passed) return { action: 'rejected', reasons: decision.reasons };

  const production = await findProductionVersion(db);
  if (!production) {
    await managers.deployments.deploy(version, {
      reason: 'first model: nothing in production',
      actor: 'retraining',
    });
    return { action: 'deployed' };
  }
  if (config.abTesting.enabled) {
    try {
      const test = await managers.abTests.startABTest(
        production.version,
        version,
        config.abTesting.trafficSplit,
      );
      return { action: 'ab_test', testId: test.id };
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      return { action: 'validated', reason: `gates passed; not A/B tested yet: ${error.message}` };
    }
  }
  if (config.autoDeploy) {
    await managers.deployments.deploy(version, { reason: 'gates passed; autoDeploy', actor: 'retraining' });
    return { action: 'deployed' };
  }
  return { action: 'validated', reason: 'gates passed; autoDeploy is off, an operator deploys it' };
}
