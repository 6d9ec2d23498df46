import { DEFAULT_RETRAINING_CONFIG } from '../config/defaults.js';
import type { RetrainingConfig } from '../config/schema.js';
import type { AbTestMode, AbTestRow } from '../store/ab-tests.js';
import { AbTestManager, type AbTestResults } from './ab-test-manager.js';
import { notifyDeployment } from './notify.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import type { Database, Queryable } from '../db/types.js';
import type { Logger } from '../logging/logger.js';
import { assertTransition } from '../registry/lifecycle.js';
import {
  lastDeploymentChange,
  productionLedger,
  recordDeploymentEvent,
  type DeploymentEventRow,
} from '../store/deployment-events.js';
import {
  findProductionVersion,
  getVersion,
  setVersionStatus,
  type ModelVersionRow,
} from '../store/versions.js';

export interface DeployOptions {
  /** Why; kept in the ledger. Required with `force`. */
  reason?: string;
  /** Deploy inside the cooldown period (an emergency); needs a reason. */
  force?: boolean;
  actor?: string;
}

export interface DeploymentResult {
  version: string;
  previous: string | null;
  event: DeploymentEventRow;
}

/**
 * Which version is in production, and every change of it: one transaction per action, with its
 * `deployment_events` row (the append-only ledger), under an advisory lock so racing actions run
 * one after the other. Exactly one production version before and after each action.
 */
export class DeploymentManager {
  private abTestManager: AbTestManager | null = null;

  constructor(
    private readonly db: Database,
    private readonly config: RetrainingConfig['deployment'],
    private readonly options: {
      logger?: Logger;
      now?: () => Date;
      /** For A/B decisions (minTradesForValidation); default the product's. */
      evaluation?: RetrainingConfig['evaluation'];
    } = {},
  ) {}

  /** A/B tests against the production version (the product README reaches them here). */
  get abTests(): AbTestManager {
    this.abTestManager ??= new AbTestManager(
      this.db,
      this,
      {
        deployment: this.config,
        evaluation: this.options.evaluation ?? DEFAULT_RETRAINING_CONFIG.evaluation,
      },
      {
        ...(this.options.logger ? { logger: this.options.logger } : {}),
        ...(this.options.now ? { now: this.options.now } : {}),
      },
    );
    return this.abTestManager;
  }

  startABTest(
    modelA: string,
    modelB: string,
    trafficSplit: number,
    options: { mode?: AbTestMode } = {},
  ): Promise<AbTestRow> {
    return this.abTests.startABTest(modelA, modelB, trafficSplit, options);
  }

  getABTestResults(id: string): Promise<AbTestResults> {
    return this.abTests.getABTestResults(id);
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  async getProductionVersion(): Promise<ModelVersionRow | null> {
    return findProductionVersion(this.db);
  }

  /**
   * Promotes a version to production. Refused inside `cooldownPeriodHours` of the last
   * deployment change unless forced with a reason, and for a version whose status cannot become
   * production (rejected, failed, still training).
   */
  async deploy(version: string, options: DeployOptions = {}): Promise<DeploymentResult> {
    if (options.force && !options.reason?.trim()) {
      throw new ValidationError('a forced deployment needs a reason', 'reason');
    }
    const result = await this.db.transaction(async (tx) => {
      await lockDeployments(tx);
      const target = await getVersion(tx, version);
      const current = await findProductionVersion(tx);
      if (current?.version === version)
        throw new ConflictError(`model version ${version} is already in production`);
      assertTransition(version, target.status, 'production');
      await this.checkCooldown(tx, options);
      const at = this.now();
      if (current) await setVersionStatus(tx, current.version, 'retired');
      await setVersionStatus(tx, version, 'production', { deployedAt: at });
      const event = await recordDeploymentEvent(tx, {
        version,
        action: 'deploy',
        status: 'success',
        fromVersion: current?.version ?? null,
        reason: options.reason ?? null,
        actor: options.actor ?? null,
        timestamp: at,
        details: { metrics: target.metrics, forced: options.force === true },
      });
      await notifyDeployment(tx, version);
      return { version, previous: current?.version ?? null, event };
    });
    this.options.logger?.info('deployed model version', {
      version,
      previous: result.previous,
      reason: options.reason,
    });
    return result;
  }

  /**
   * Takes the production version out and puts back the last version that was good in production
   * by the ledger (or the one named), keeping the reason. Not subject to the cooldown: getting
   * out of a bad model comes first.
   */
  /** The version a rollback without `toVersion` would restore now, or null when there is none. */
  async rollbackTarget(): Promise<string | null> {
    const current = await findProductionVersion(this.db);
    return current ? lastGoodVersion(this.db, current.version) : null;
  }

  async rollback(options: { reason: string; toVersion?: string; actor?: string }): Promise<DeploymentResult> {
    if (!options.reason?.trim()) throw new ValidationError('a rollback needs a reason', 'reason');
    const result = await this.db.transaction(async (tx) => {
      await lockDeployments(tx);
      const current = await findProductionVersion(tx);
      if (!current) throw new ConflictError('there is no production version to roll back');
      const targetVersion = options.toVersion ?? (await lastGoodVersion(tx, current.version));
      if (!targetVersion) {
        throw new ConflictError(
          `model version ${current.version} has no earlier version that was good in production to roll back to; name one with toVersion`,
        );
      }
      if (targetVersion === current.version)
        throw new ConflictError(`model version ${targetVersion} is already in production`);
      const target = await getVersion(tx, targetVersion);
      assertTransition(targetVersion, target.status, 'production');
      const at = this.now();
      await setVersionStatus(tx, current.version, 'rolled_back', { rollbackReason: options.reason });
      await setVersionStatus(tx, targetVersion, 'production', { deployedAt: at });
      const event = await recordDeploymentEvent(tx, {
        version: targetVersion,
        action: 'rollback',
        status: 'success',
        fromVersion: current.version,
        reason: options.reason,
        actor: options.actor ?? null,
        timestamp: at,
        details: { rolledBackMetrics: current.metrics, restoredMetrics: target.metrics },
      });
      await notifyDeployment(tx, targetVersion);
      return { version: targetVersion, previous: current.version, event };
    });
    this.options.logger?.warn('rolled back model version', {
      from: result.previous,
      to: result.version,
      reason: options.reason,
    });
    return result;
  }

  private async checkCooldown(tx: Queryable, options: DeployOptions): Promise<void> {
    const last = await lastDeploymentChange(tx);
    if (!last) return;
    const hours = (this.now().getTime() - last.timestamp.getTime()) / 3_600_000;
    if (hours >= this.config.cooldownPeriodHours || options.force) return;
    const until = new Date(last.timestamp.getTime() + this.config.cooldownPeriodHours * 3_600_000);
    throw new ConflictError(
      `deployments are in cooldown until ${until.toISOString()} (cooldownPeriodHours ${this.config.cooldownPeriodHours}; ` +
        `last change: ${last.action} of ${last.version} at ${last.timestamp.toISOString()}); force it with a reason for an emergency`,
    );
  }
}

async function lockDeployments(tx: Queryable): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('ai-trading-retraining.deployment'))`);
}

/**
 * The most recent version, other than `current`, that the ledger shows put in production and not
 * rolled back after that: walking the ledger from newest to oldest, a rollback marks the version
 * it took out as bad for every earlier entry. A bad version is never the rollback target.
 */
async function lastGoodVersion(tx: Queryable, current: string): Promise<string | null> {
  const rolledBackLater = new Set<string>([current]);
  for (const entry of await productionLedger(tx)) {
    if (!rolledBackLater.has(entry.version)) {
      const row = await getVersion(tx, entry.version).catch((error: unknown) => {
        if (error instanceof NotFoundError) return null;
        throw error;
      });
      if (row && row.status !== 'rejected' && row.status !== 'failed') return entry.version;
    }
    if (entry.action === 'rollback' && entry.fromVersion) rolledBackLater.add(entry.fromVersion);
  }
  return null;
}
