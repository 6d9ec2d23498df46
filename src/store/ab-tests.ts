import { NotFoundError } from '../errors.js';
import type { Queryable } from '../db/types.js';
import { toJson, type JsonObject } from './json.js';

export type AbTestStatus = 'active' | 'completed' | 'stopped';
export type AbTestWinner = 'model_a' | 'model_b' | 'inconclusive';
export type AbTestMode = 'ab' | 'shadow';

export interface AbTestRow {
  id: string;
  modelAVersion: string;
  modelBVersion: string;
  trafficSplit: number;
  startTime: Date;
  endTime: Date | null;
  status: AbTestStatus;
  winner: AbTestWinner | null;
  metrics: JsonObject | null;
  mode: AbTestMode;
  minConfidence: number | null;
  endReason: string | null;
}

export interface NewAbTest {
  modelAVersion: string;
  modelBVersion: string;
  trafficSplit: number;
  startTime: Date;
  mode?: AbTestMode;
  minConfidence?: number | null;
}

const COLUMNS = `id, model_a_version AS "modelAVersion", model_b_version AS "modelBVersion",
  traffic_split AS "trafficSplit", start_time AS "startTime", end_time AS "endTime", status, winner, metrics,
  mode, min_confidence AS "minConfidence", end_reason AS "endReason"`;

export async function insertAbTest(db: Queryable, input: NewAbTest): Promise<AbTestRow> {
  const result = await db.query<AbTestRow>(
    `INSERT INTO ab_tests (model_a_version, model_b_version, traffic_split, start_time, mode, min_confidence)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
    [
      input.modelAVersion,
      input.modelBVersion,
      input.trafficSplit,
      input.startTime,
      input.mode ?? 'ab',
      input.minConfidence ?? null,
    ],
  );
  return result.rows[0]!;
}

export async function findAbTest(db: Queryable, id: string): Promise<AbTestRow | null> {
  const result = await db.query<AbTestRow>(`SELECT ${COLUMNS} FROM ab_tests WHERE id = $1`, [id]);
  return result.rows[0] ?? null;
}

export async function getAbTest(db: Queryable, id: string): Promise<AbTestRow> {
  const row = await findAbTest(db, id);
  if (!row) throw new NotFoundError(`A/B test "${id}" does not exist`);
  return row;
}

export async function findActiveAbTest(db: Queryable): Promise<AbTestRow | null> {
  const result = await db.query<AbTestRow>(`SELECT ${COLUMNS} FROM ab_tests WHERE status = 'active'`);
  return result.rows[0] ?? null;
}

/** Split-traffic tests (any status) with one of `versions` as an arm, oldest first. */
export async function listAbTestsOfVersions(
  db: Queryable,
  versions: readonly string[],
): Promise<AbTestRow[]> {
  if (versions.length === 0) return [];
  const result = await db.query<AbTestRow>(
    `SELECT ${COLUMNS} FROM ab_tests
     WHERE mode = 'ab' AND (model_a_version = ANY($1::text[]) OR model_b_version = ANY($1::text[]))
     ORDER BY start_time`,
    [versions],
  );
  return result.rows;
}

export async function listAbTests(db: Queryable, limit = 50): Promise<AbTestRow[]> {
  const result = await db.query<AbTestRow>(
    `SELECT ${COLUMNS} FROM ab_tests ORDER BY start_time DESC LIMIT $1`,
    [limit],
  );
  return result.rows;
}

export async function updateAbTestMetrics(db: Queryable, id: string, metrics: JsonObject): Promise<void> {
  const result = await db.query(`UPDATE ab_tests SET metrics = $2::jsonb WHERE id = $1`, [
    id,
    toJson(metrics),
  ]);
  if (result.rowCount === 0) throw new NotFoundError(`A/B test "${id}" does not exist`);
}

export interface AbTestEnd {
  status: Exclude<AbTestStatus, 'active'>;
  endTime: Date;
  winner: AbTestWinner | null;
  reason: string;
  metrics?: JsonObject;
}

/** Ends an active test; returns null when it was not active (already ended by someone else). */
export async function endAbTest(db: Queryable, id: string, end: AbTestEnd): Promise<AbTestRow | null> {
  const result = await db.query<AbTestRow>(
    `UPDATE ab_tests SET status = $2, end_time = $3, winner = $4, end_reason = $5,
       metrics = COALESCE($6::jsonb, metrics)
     WHERE id = $1 AND status = 'active' RETURNING ${COLUMNS}`,
    [id, end.status, end.endTime, end.winner, end.reason, toJson(end.metrics)],
  );
  return result.rows[0] ?? null;
}
