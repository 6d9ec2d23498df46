import type { Queryable } from '../db/types.js';
import { toJson, type JsonObject } from './json.js';

export type DeploymentEventStatus = 'started' | 'success' | 'failed' | 'skipped';

export interface DeploymentEventRow {
  id: string;
  version: string;
  action: string;
  status: DeploymentEventStatus;
  details: JsonObject | null;
  timestamp: Date;
  fromVersion: string | null;
  reason: string | null;
  actor: string | null;
}

export interface NewDeploymentEvent {
  version: string;
  action: string;
  status: DeploymentEventStatus;
  details?: JsonObject | null;
  fromVersion?: string | null;
  reason?: string | null;
  actor?: string | null;
  timestamp?: Date | null;
}

const COLUMNS = `id, version, action, status, details, timestamp, from_version AS "fromVersion", reason, actor`;

/** Call inside the transaction that changes the deployment state, so the two never disagree. */
export async function recordDeploymentEvent(
  db: Queryable,
  input: NewDeploymentEvent,
): Promise<DeploymentEventRow> {
  const result = await db.query<DeploymentEventRow>(
    `INSERT INTO deployment_events (version, action, status, details, timestamp, from_version, reason, actor)
     VALUES ($1, $2, $3, $4::jsonb, COALESCE($5, NOW()), $6, $7, $8) RETURNING ${COLUMNS}`,
    [
      input.version,
      input.action,
      input.status,
      toJson(input.details),
      input.timestamp ?? null,
      input.fromVersion ?? null,
      input.reason ?? null,
      input.actor ?? null,
    ],
  );
  return result.rows[0]!;
}

export async function listDeploymentEvents(
  db: Queryable,
  options: { version?: string; limit?: number } = {},
): Promise<DeploymentEventRow[]> {
  const result = await db.query<DeploymentEventRow>(
    `SELECT ${COLUMNS} FROM deployment_events WHERE ($1::text IS NULL OR version = $1)
     ORDER BY timestamp DESC, seq DESC LIMIT $2`,
    [options.version ?? null, options.limit ?? 100],
  );
  return result.rows;
}

/** Successful deploys and rollbacks, newest first: the history of what was in production. */
export async function productionLedger(db: Queryable, limit = 500): Promise<DeploymentEventRow[]> {
  const result = await db.query<DeploymentEventRow>(
    `SELECT ${COLUMNS} FROM deployment_events
     WHERE action IN ('deploy', 'rollback', 'promote') AND status = 'success'
     ORDER BY timestamp DESC, seq DESC LIMIT $1`,
    [limit],
  );
  return result.rows;
}

/** The last successful change of the production version, for the cooldown. */
export async function lastDeploymentChange(db: Queryable): Promise<DeploymentEventRow | null> {
  return (await productionLedger(db, 1))[0] ?? null;
}
