/**
 * Why an alert may stay open, and the on-call person of the simulation who resolves the rest.
 *
 * The system raises alerts and never closes them: closing is a person's call, made through
 * `Alerter.resolve` (the API's and the dashboard's path). An alert's cause still holds when:
 * - `performance_degradation` of V: V still trades (production or in an A/B test);
 * - `model_drift` of V: V is still in production (drift is judged for production only);
 * - `deployment`, critical (a degraded model that could not be rolled back) of V: V is still in production;
 * - `training_failure`, `data_quality`: the latest retraining did not succeed;
 * - any other `deployment` alert (a rollback or a retired candidate, already acted on) and
 *   `system` alerts: never; they are reports for a person to read.
 * The on-call reviews every morning and resolves each open alert whose cause no longer holds,
 * saying why. So an open alert is either still true or raised since the last review.
 */
import type { Alerter } from '../monitoring/alerts/alerter.js';
import type { AlertRow } from '../store/alerts.js';
import type { VersionStatus } from '../store/versions.js';

export interface AlertContext {
  statuses: ReadonlyMap<string, VersionStatus>;
  /** Status of the latest retraining job, or null before the first. */
  latestJob: string | null;
}

export interface AlertCause {
  holds: boolean;
  reason: string;
}

export function alertCause(alert: AlertRow, context: AlertContext): AlertCause {
  const version = alert.version;
  const status = version ? (context.statuses.get(version) ?? 'unknown') : 'none';
  const whileStatus = (wanted: readonly string[], what: string): AlertCause =>
    wanted.includes(status)
      ? { holds: true, reason: `${version} ${what} (${status})` }
      : { holds: false, reason: `${version ?? 'its version'} no longer ${what} (now ${status})` };
  switch (alert.type) {
    case 'performance_degradation':
      return whileStatus(['production', 'ab_testing'], 'trades');
    case 'model_drift':
      return whileStatus(['production'], 'is in production');
    case 'deployment':
      if (alert.severity === 'critical') return whileStatus(['production'], 'is in production');
      return { holds: false, reason: 'the automatic action it reports was taken' };
    case 'training_failure':
    case 'data_quality':
      return context.latestJob === 'succeeded'
        ? { holds: false, reason: 'a later retraining succeeded' }
        : { holds: true, reason: `the latest retraining ended ${context.latestJob ?? 'never ran'}` };
    case 'system':
      return { holds: false, reason: 'a report for a person; read' };
  }
}

/** The morning review: resolves every open alert whose cause has passed. Returns how many. */
export async function reviewAlerts(alerter: Alerter, context: AlertContext): Promise<number> {
  let resolved = 0;
  for (const alert of await alerter.active({ limit: 10_000 })) {
    const cause = alertCause(alert, context);
    if (cause.holds) continue;
    await alerter.resolve(alert.id, `on-call review: ${cause.reason}`);
    resolved++;
  }
  return resolved;
}
