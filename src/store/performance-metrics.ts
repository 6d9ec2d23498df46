import type { Queryable } from '../db/types.js';
import { toJson, type JsonObject } from './json.js';

export type MetricsSource = 'live' | 'backtest' | 'validation' | 'ab_test';

export interface PerformanceMetricsRow {
  id: string;
  version: string;
  timestamp: Date;
  metrics: JsonObject;
  source: MetricsSource;
  windowStart: Date | null;
  windowEnd: Date | null;
  tradeCount: number | null;
}

export interface NewPerformanceMetrics {
  version: string;
  metrics: JsonObject;
  source?: MetricsSource;
  timestamp?: Date;
  windowStart?: Date | null;
  windowEnd?: Date | null;
  tradeCount?: number | null;
}

const COLUMNS = `id, version, timestamp, metrics, source, window_start AS "windowStart", window_end AS "windowEnd",
  trade_count AS "tradeCount"`;

export async function recordPerformanceMetrics(
  db: Queryable,
  input: NewPerformanceMetrics,
): Promise<PerformanceMetricsRow> {
  const result = await db.query<PerformanceMetricsRow>(
    `INSERT INTO model_performance_metrics (version, timestamp, metrics, source, window_start, window_end, trade_count)
     VALUES ($1, COALESCE($2, NOW()), $3::jsonb, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
    [
      input.version,
      input.timestamp ?? null,
      toJson(input.metrics),
      input.source ?? 'live',
      input.windowStart ?? null,
      input.windowEnd ?? null,
      input.tradeCount ?? null,
    ],
  );
  return result.rows[0]!;
}

/** The newest `limit` rows (default 1000) that match, oldest first, as a chart draws them. */
export async function listPerformanceMetrics(
  db: Queryable,
  options: { version?: string; since?: Date; source?: MetricsSource; limit?: number } = {},
): Promise<PerformanceMetricsRow[]> {
  const result = await db.query<PerformanceMetricsRow>(
    `SELECT * FROM (
       SELECT ${COLUMNS} FROM model_performance_metrics
       WHERE ($1::text IS NULL OR version = $1) AND ($2::timestamptz IS NULL OR timestamp >= $2)
         AND ($3::text IS NULL OR source = $3)
       ORDER BY timestamp DESC, id DESC LIMIT $4
     ) newest ORDER BY timestamp ASC, id ASC`,
    [options.version ?? null, options.since ?? null, options.source ?? null, options.limit ?? 1000],
  );
  return result.rows;
}

/** The newest `limit` rows of a version from one source, newest first. */
export async function recentPerformanceMetrics(
  db: Queryable,
  options: { version: string; source: MetricsSource; limit: number },
): Promise<PerformanceMetricsRow[]> {
  const result = await db.query<PerformanceMetricsRow>(
    `SELECT ${COLUMNS} FROM model_performance_metrics WHERE version = $1 AND source = $2
     ORDER BY timestamp DESC, id LIMIT $3`,
    [options.version, options.source, options.limit],
  );
  return result.rows;
}

/** When the last live check of any version was recorded, or null. */
export async function latestPerformanceCheckTime(db: Queryable): Promise<Date | null> {
  const result = await db.query<{ at: Date | null }>(
    `SELECT max(timestamp) AS at FROM model_performance_metrics WHERE source IN ('live', 'ab_test')`,
  );
  return result.rows[0]?.at ?? null;
}
