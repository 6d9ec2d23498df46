import { NotFoundError } from '../errors.js';
import type { Queryable } from '../db/types.js';
import { toJson, type JsonObject } from './json.js';

export const ALERT_TYPES = [
  'performance_degradation',
  'model_drift',
  'training_failure',
  'data_quality',
  'deployment',
  'system',
] as const;
export type AlertType = (typeof ALERT_TYPES)[number];
export const ALERT_SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export interface AlertRow {
  id: string;
  type: AlertType;
  severity: AlertSeverity;
  timestamp: Date;
  message: string;
  details: JsonObject | null;
  acknowledged: boolean;
  acknowledgedAt: Date | null;
  resolvedAt: Date | null;
  resolution: string | null;
  version: string | null;
  dedupeKey: string | null;
  occurrences: number;
  lastSeenAt: Date;
}

export interface NewAlert {
  type: AlertType;
  severity: AlertSeverity;
  message: string;
  details?: JsonObject | null;
  version?: string | null;
  /** Alerts with the same key while one is open count as repeats of it, not new alerts. */
  dedupeKey?: string | null;
  timestamp?: Date;
}

const COLUMNS = `id, type, severity, timestamp, message, details, acknowledged, acknowledged_at AS "acknowledgedAt",
  resolved_at AS "resolvedAt", resolution, version, dedupe_key AS "dedupeKey", occurrences,
  last_seen_at AS "lastSeenAt"`;

/**
 * Raises an alert, or counts a repeat of the open alert with the same dedupe key. Returns the row
 * and whether it is new (channels are notified of new alerts only).
 */
export async function raiseAlert(
  db: Queryable,
  input: NewAlert,
): Promise<{ alert: AlertRow; created: boolean }> {
  const at = input.timestamp ?? new Date();
  const params = [
    input.type,
    input.severity,
    at,
    input.message,
    toJson(input.details),
    input.version ?? null,
    input.dedupeKey ?? null,
  ];
  const result = await db.query<AlertRow & { created: boolean }>(
    `INSERT INTO performance_alerts (type, severity, timestamp, message, details, version, dedupe_key, last_seen_at)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $3)
     ON CONFLICT (dedupe_key) WHERE resolved_at IS NULL AND dedupe_key IS NOT NULL
     DO UPDATE SET occurrences = performance_alerts.occurrences + 1,
       last_seen_at = EXCLUDED.last_seen_at,
       details = COALESCE(EXCLUDED.details, performance_alerts.details)
     RETURNING ${COLUMNS}, (xmax = 0) AS created`,
    params,
  );
  const { created, ...alert } = result.rows[0]!;
  return { alert, created };
}

export async function listAlerts(
  db: Queryable,
  options: { active?: boolean; severity?: AlertSeverity; limit?: number } = {},
): Promise<AlertRow[]> {
  const result = await db.query<AlertRow>(
    `SELECT ${COLUMNS} FROM performance_alerts
     WHERE ($1::boolean IS NULL OR (resolved_at IS NULL) = $1) AND ($2::text IS NULL OR severity = $2)
     ORDER BY timestamp DESC LIMIT $3`,
    [options.active ?? null, options.severity ?? null, options.limit ?? 100],
  );
  return result.rows;
}

export async function acknowledgeAlert(db: Queryable, id: string, at = new Date()): Promise<AlertRow> {
  const result = await db.query<AlertRow>(
    `UPDATE performance_alerts SET acknowledged = TRUE, acknowledged_at = COALESCE(acknowledged_at, $2)
     WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, at],
  );
  const row = result.rows[0];
  if (!row) throw new NotFoundError(`alert "${id}" does not exist`);
  return row;
}

export async function resolveAlert(
  db: Queryable,
  id: string,
  resolution: string,
  at = new Date(),
): Promise<AlertRow> {
  const result = await db.query<AlertRow>(
    `UPDATE performance_alerts SET resolved_at = COALESCE(resolved_at, $2), resolution = $3
     WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, at, resolution],
  );
  const row = result.rows[0];
  if (!row) throw new NotFoundError(`alert "${id}" does not exist`);
  return row;
}
