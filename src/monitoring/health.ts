import parser from 'cron-parser';
import type { RetrainingConfig } from '../config/schema.js';
import type { Queryable } from '../db/types.js';
import { listAlerts } from '../store/alerts.js';
import { listDriftReports } from '../store/drift.js';
import { recentPerformanceMetrics } from '../store/performance-metrics.js';
import { lastFinishedJobs } from '../store/retraining-jobs.js';
import { findProductionVersion } from '../store/versions.js';

export type HealthStatus = 'healthy' | 'degraded' | 'critical';

export interface HealthCheck {
  name: 'database' | 'scheduler' | 'last_run' | 'production_model' | 'performance' | 'drift' | 'alerts';
  status: HealthStatus;
  message: string;
}

export interface SystemHealth {
  status: HealthStatus;
  /** One sentence per check that is not healthy (the product README's `issues`). */
  issues: string[];
  checks: HealthCheck[];
  checkedAt: Date;
}

/** What the process running the scheduler knows; the jobs layer provides it. */
export interface HealthProbes {
  scheduler(): Promise<{ alive: boolean; nextRunAt: Date | null; detail?: string }>;
}

const RANK: Record<HealthStatus, number> = { healthy: 0, degraded: 1, critical: 2 };

/**
 * Each check, and the worst of them: database reachable (critical when not, and nothing else is
 * judged); scheduler alive with a next run (when a probe is given and the schedule is enabled);
 * the last retraining did not fail and a success is recent (within two schedule periods); a
 * production model exists (critical when not); its latest live check is not degraded and its
 * latest drift reports are stable; no open critical alert (critical when there is one).
 */
export async function systemHealth(
  db: Queryable,
  config: RetrainingConfig,
  options: { now?: Date; probes?: HealthProbes } = {},
): Promise<SystemHealth> {
  const now = options.now ?? new Date();
  const checks: HealthCheck[] = [];
  const add = (name: HealthCheck['name'], status: HealthStatus, message: string) =>
    checks.push({ name, status, message });

  try {
    await db.query('SELECT 1');
    add('database', 'healthy', 'the database answers');
  } catch (error) {
    add('database', 'critical', `the database is unreachable: ${(error as Error).message}`);
    return summarise(checks, now);
  }

  if (config.schedule.enabled && options.probes) {
    try {
      const state = await options.probes.scheduler();
      if (!state.alive) add('scheduler', 'degraded', `the scheduler is not running${detail(state.detail)}`);
      else if (!state.nextRunAt) add('scheduler', 'degraded', 'the scheduler has no next run planned');
      else add('scheduler', 'healthy', `next retraining at ${state.nextRunAt.toISOString()}`);
    } catch (error) {
      add('scheduler', 'degraded', `the scheduler's state is unknown: ${(error as Error).message}`);
    }
  }

  const { last, lastSuccess } = await lastFinishedJobs(db);
  if (last?.status === 'failed') {
    add(
      'last_run',
      'degraded',
      `the last retraining failed at ${(last.finishedAt ?? last.updatedAt).toISOString()}: ${last.error ?? 'no reason recorded'}`,
    );
  } else if (config.schedule.enabled && lastSuccess?.finishedAt) {
    const allowed = 2 * schedulePeriodMs(config.schedule, now);
    const age = now.getTime() - lastSuccess.finishedAt.getTime();
    if (age > allowed) {
      add(
        'last_run',
        'degraded',
        `the last successful retraining was ${days(age)} days ago (${lastSuccess.finishedAt.toISOString()}); the schedule "${config.schedule.cronExpression}" expects one every ${days(allowed / 2)} days`,
      );
    } else
      add('last_run', 'healthy', `last successful retraining at ${lastSuccess.finishedAt.toISOString()}`);
  } else {
    add('last_run', 'healthy', last ? `last retraining ${last.status}` : 'no retraining has run yet');
  }

  const production = await findProductionVersion(db);
  if (!production) {
    add('production_model', 'critical', 'no model version is in production');
  } else {
    add('production_model', 'healthy', `model ${production.version} is in production`);
    const [latest] = await recentPerformanceMetrics(db, {
      version: production.version,
      source: 'live',
      limit: 1,
    });
    if (latest?.metrics.verdict === 'degraded') {
      const reasons = Array.isArray(latest.metrics.reasons) ? latest.metrics.reasons.join('; ') : '';
      add('performance', 'degraded', `production model ${production.version} is degraded: ${reasons}`);
    } else {
      add(
        'performance',
        'healthy',
        latest ? `live verdict ${String(latest.metrics.verdict)}` : 'no live check yet',
      );
    }
    const drift = await listDriftReports(db, { version: production.version, limit: 10 });
    const latestOf = (kind: 'features' | 'returns') => drift.find((report) => report.kind === kind);
    const drifting = [latestOf('features'), latestOf('returns')].filter((r) => r?.verdict === 'drift');
    if (drifting.length > 0) {
      const what = drifting.map((r) => (r!.kind === 'features' ? 'its live features' : 'its trade returns'));
      add('drift', 'degraded', `production model ${production.version} is drifting: ${what.join(' and ')}`);
    } else add('drift', 'healthy', 'no drift detected');
  }

  const critical = await listAlerts(db, { active: true, severity: 'critical', limit: 100 });
  if (critical.length > 0) {
    const first = critical[0]!;
    add(
      'alerts',
      'critical',
      `${critical.length} open critical ${critical.length === 1 ? 'alert' : 'alerts'}, newest: ${first.message}`,
    );
  } else add('alerts', 'healthy', 'no open critical alert');

  return summarise(checks, now);
}

function summarise(checks: HealthCheck[], now: Date): SystemHealth {
  const status = checks.reduce<HealthStatus>(
    (worst, c) => (RANK[c.status] > RANK[worst] ? c.status : worst),
    'healthy',
  );
  return {
    status,
    issues: checks.filter((c) => c.status !== 'healthy').map((c) => c.message),
    checks,
    checkedAt: now,
  };
}

/** The longest gap between consecutive runs of the cron schedule over its next eight runs. */
export function schedulePeriodMs(schedule: RetrainingConfig['schedule'], now: Date): number {
  const interval = parser.parseExpression(schedule.cronExpression, {
    tz: schedule.timezone,
    currentDate: now,
  });
  let previous = interval.next().getTime();
  let longest = 0;
  for (let i = 0; i < 8; i++) {
    const next = interval.next().getTime();
    longest = Math.max(longest, next - previous);
    previous = next;
  }
  return longest;
}

function days(ms: number): string {
  return (ms / 86_400_000).toFixed(1);
}

function detail(text: string | undefined): string {
  return text ? `: ${text}` : '';
}
