import type { RetrainingConfig } from '../config/schema.js';
import type { Database } from '../db/types.js';
import { ConflictError, ValidationError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { assertTransition } from '../registry/lifecycle.js';
import {
  endAbTest,
  getAbTest,
  insertAbTest,
  updateAbTestMetrics,
  type AbTestMode,
  type AbTestRow,
} from '../store/ab-tests.js';
import { recordDeploymentEvent } from '../store/deployment-events.js';
import { listTrades } from '../store/live-trades.js';
import { listBarsWithWarmup, listIntervals, type MarketBar } from '../store/market-bars.js';
import { listArmDecisions } from '../store/prediction-samples.js';
import { loadVersion } from '../registry/registry.js';
import { scoreDecisions } from './shadow.js';
import { findProductionVersion, getVersion, setVersionStatus } from '../store/versions.js';
import { compareArms, type AbDecision } from './ab-statistics.js';
import type { DeploymentManager } from './deployment-manager.js';
import { notifyDeployment } from './notify.js';

export interface AbTestResults {
  test: AbTestRow;
  decision: AbDecision;
  /** The product README's name for the decision. */
  recommendation: AbDecision['recommendation'];
}

/**
 * A/B tests of a candidate against the production model on live traffic: start (one at a time,
 * A must be in production), results (per-arm live trades compared by ab-statistics), stop, and
 * conclude (promote B through the DeploymentManager, or retire it). Each change is one
 * transaction with its ledger event and a notification to serving instances.
 */
export class AbTestManager {
  constructor(
    private readonly db: Database,
    private readonly deployments: DeploymentManager,
    private readonly config: Pick<RetrainingConfig, 'deployment' | 'evaluation'>,
    private readonly options: { logger?: Logger; now?: () => Date; maxDurationHours?: number } = {},
  ) {}

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  async startABTest(
    modelA: string,
    modelB: string,
    trafficSplit: number,
    options: { mode?: AbTestMode } = {},
  ): Promise<AbTestRow> {
    if (!Number.isInteger(trafficSplit) || trafficSplit < 0 || trafficSplit > 100) {
      throw new ValidationError(
        `trafficSplit ${trafficSplit} is out of range; expected an integer from 0 to 100`,
        'trafficSplit',
      );
    }
    if (modelA === modelB) throw new ValidationError('an A/B test needs two different versions', 'modelB');
    return this.db.transaction(async (tx) => {
      const production = await findProductionVersion(tx);
      if (production?.version !== modelA) {
        throw new ConflictError(
          `model A must be the production version (${production?.version ?? 'none'}), not ${modelA}`,
        );
      }
      const candidate = await getVersion(tx, modelB);
      assertTransition(modelB, candidate.status, 'ab_testing');
      let test: AbTestRow;
      try {
        test = await insertAbTest(tx, {
          modelAVersion: modelA,
          modelBVersion: modelB,
          trafficSplit,
          startTime: this.now(),
          mode: options.mode ?? 'ab',
          minConfidence: this.config.deployment.abTesting.minConfidenceThreshold,
        });
      } catch (error) {
        if ((error as { code?: string }).code === '23505')
          throw new ConflictError('another A/B test is active; stop it first');
        throw error;
      }
      await setVersionStatus(tx, modelB, 'ab_testing');
      await recordDeploymentEvent(tx, {
        version: modelB,
        action: 'ab_test_start',
        status: 'success',
        fromVersion: modelA,
        timestamp: this.now(),
        details: { testId: test.id, trafficSplit, mode: test.mode },
      });
      await notifyDeployment(tx, modelA);
      return test;
    });
  }

  async getABTestResults(id: string): Promise<AbTestResults> {
    const test = await getAbTest(this.db, id);
    const [returnsA, returnsB] =
      test.mode === 'shadow' ? await this.shadowReturns(test) : await this.tradeReturns(id);
    const decision = compareArms(returnsA, returnsB, {
      minConfidence: test.minConfidence ?? this.config.deployment.abTesting.minConfidenceThreshold,
      minTradesPerArm: this.config.evaluation.minTradesForValidation,
    });
    if (test.status === 'active') {
      await updateAbTestMetrics(this.db, id, {
        a: { ...decision.a },
        b: { ...decision.b },
        probabilityBBeatsA: decision.probabilityBBeatsA,
        recommendation: decision.recommendation,
      });
    }
    return { test, decision, recommendation: decision.recommendation };
  }

  /** Per-trade net returns of each arm's live trades. */
  private async tradeReturns(id: string): Promise<[number[], number[]]> {
    const trades = await listTrades(this.db, { abTestId: id, limit: 1_000_000 });
    const returnsOf = (arm: 'A' | 'B') =>
      trades.filter((t) => t.arm === arm && t.pnl !== null).map((t) => t.pnl! / (t.entryPrice * t.quantity));
    return [returnsOf('A'), returnsOf('B')];
  }

  /** Shadow mode: every recorded decision of each model, scored on the bar that followed it. */
  private async shadowReturns(test: AbTestRow): Promise<[number[], number[]]> {
    const decisions = await listArmDecisions(this.db, {
      versions: [test.modelAVersion, test.modelBVersion],
      since: test.startTime,
      ...(test.endTime ? { until: test.endTime } : {}),
    });
    const symbols = [...new Set(decisions.map((d) => d.symbol).filter((s): s is string => s !== null))];
    const bars = new Map<string, MarketBar[]>();
    const last = decisions.at(-1)?.ts ?? test.startTime;
    for (const { symbol, interval } of await listIntervals(this.db, symbols)) {
      if (bars.has(symbol)) continue;
      bars.set(
        symbol,
        await listBarsWithWarmup(this.db, {
          symbol,
          interval,
          from: test.startTime,
          to: new Date(last.getTime() + 86_400_000),
          warmup: 1,
        }),
      );
    }
    const positions = new Map<string, number[]>();
    for (const version of [test.modelAVersion, test.modelBVersion]) {
      const { artifact } = await loadVersion(this.db, version);
      positions.set(version, (artifact.config as { positions?: number[] }).positions ?? [-1, 0, 1]);
    }
    const scored = (arm: 'A' | 'B') =>
      scoreDecisions(
        decisions
          .filter((d) => d.arm === arm)
          .map((d) => ({
            symbol: d.symbol,
            ts: d.ts,
            position: positions.get(d.version)![d.action ?? 0] ?? 0,
          })),
        bars,
      );
    return [scored('A'), scored('B')];
  }

  /** Ends a test without a winner; the candidate goes back to validated. */
  async stopABTest(id: string, reason: string): Promise<AbTestRow> {
    return this.end(id, { status: 'stopped', winner: null, reason, candidateStatus: 'validated' });
  }

  /**
   * Ends a test because the candidate failed on live traffic (monitoring found it degraded): A
   * stays in production and B is retired, whatever the statistics say so far.
   */
  async rejectCandidate(id: string, reason: string): Promise<AbTestRow> {
    return this.end(id, { status: 'completed', winner: 'model_a', reason, candidateStatus: 'retired' });
  }

  /**
   * Acts on the evidence: promote B (a deployment, subject to the cooldown), keep A (B retired),
   * or nothing yet. Returns what it did.
   */
  async concludeABTest(
    id: string,
  ): Promise<{ action: 'promoted' | 'kept' | 'continued'; results: AbTestResults }> {
    const results = await this.getABTestResults(id);
    const { test, recommendation, decision } = results;
    if (test.status !== 'active') return { action: 'continued', results };
    if (recommendation === 'continue') {
      // A test that has run its maximum duration without enough evidence ends the candidate.
      const hours = (this.now().getTime() - test.startTime.getTime()) / 3_600_000;
      const limit = this.options.maxDurationHours ?? 14 * 24;
      if (hours < limit) return { action: 'continued', results };
      await this.end(id, {
        status: 'completed',
        winner: 'inconclusive',
        reason: `no decision after ${limit} hours: ${decision.reason}`,
        candidateStatus: 'retired',
      });
      return { action: 'kept', results };
    }
    if (recommendation === 'keep_a') {
      // Reaching the planned maximum without crossing a boundary keeps A without calling a winner.
      const inconclusive = decision.sequential.horizonReached && decision.reason.startsWith('inconclusive');
      await this.end(id, {
        status: 'completed',
        winner: inconclusive ? 'inconclusive' : 'model_a',
        reason: decision.reason,
        candidateStatus: 'retired',
      });
      return { action: 'kept', results };
    }
    // Deploy first: a cooldown refusal leaves the test running, to be concluded later. If the
    // process dies between the two steps, the next conclusion finds B in production and only
    // ends the test.
    const production = await this.deployments.getProductionVersion();
    if (production?.version !== test.modelBVersion) {
      await this.deployments.deploy(test.modelBVersion, {
        reason: `A/B test ${id}: ${decision.reason}`,
        actor: 'ab-test',
      });
    }
    await this.end(id, {
      status: 'completed',
      winner: 'model_b',
      reason: decision.reason,
      candidateStatus: null,
    });
    return { action: 'promoted', results };
  }

  private async end(
    id: string,
    end: {
      status: 'stopped' | 'completed';
      winner: 'model_a' | 'model_b' | 'inconclusive' | null;
      reason: string;
      candidateStatus: 'validated' | 'retired' | null;
    },
  ): Promise<AbTestRow> {
    if (!end.reason.trim()) throw new ValidationError('ending an A/B test needs a reason', 'reason');
    return this.db.transaction(async (tx) => {
      const test = await getAbTest(tx, id);
      const ended = await endAbTest(tx, id, {
        status: end.status,
        endTime: this.now(),
        winner: end.winner,
        reason: end.reason,
      });
      if (!ended) throw new ConflictError(`A/B test ${id} is not active (${test.status})`);
      // A promoted candidate stays in ab_testing until the deployment moves it to production.
      if (end.candidateStatus) await setVersionStatus(tx, test.modelBVersion, end.candidateStatus);
      await recordDeploymentEvent(tx, {
        version: test.modelBVersion,
        action: end.status === 'stopped' ? 'ab_test_stop' : 'ab_test_complete',
        status: 'success',
        fromVersion: test.modelAVersion,
        reason: end.reason,
        timestamp: this.now(),
        details: { testId: id, winner: end.winner },
      });
      await notifyDeployment(tx, test.modelAVersion);
      return ended;
    });
  }
}
