import type { Queryable } from '../db/types.js';
import { toJson } from './json.js';
import type { AbArm } from './live-trades.js';

export interface PredictionSample {
  version: string;
  ts: Date;
  observation: number[];
  action?: number | null;
  arm?: AbArm | null;
  symbol?: string | null;
}

export interface PredictionSampleRow extends Required<PredictionSample> {
  id: number;
}

export async function insertPredictionSamples(
  db: Queryable,
  samples: readonly PredictionSample[],
): Promise<number> {
  if (samples.length === 0) return 0;
  const result = await db.query(
    `INSERT INTO prediction_samples (version, ts, observation, action, arm, symbol)
     SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::jsonb[], $4::smallint[], $5::text[], $6::text[])`,
    [
      samples.map((s) => s.version),
      samples.map((s) => s.ts.toISOString()),
      samples.map((s) => toJson(s.observation)),
      samples.map((s) => s.action ?? null),
      samples.map((s) => s.arm ?? null),
      samples.map((s) => s.symbol ?? null),
    ],
  );
  return result.rowCount;
}

export async function listPredictionSamples(
  db: Queryable,
  query: { version: string; since?: Date; limit?: number },
): Promise<PredictionSampleRow[]> {
  const result = await db.query<PredictionSampleRow>(
    `SELECT id, version, ts, observation, action, arm, symbol FROM prediction_samples
     WHERE version = $1 AND ($2::timestamptz IS NULL OR ts >= $2) ORDER BY ts ASC, id ASC LIMIT $3`,
    [query.version, query.since ?? null, query.limit ?? 100_000],
  );
  return result.rows;
}

/** Decisions recorded for the A/B (or shadow) arms of a test, since it started. */
export async function listArmDecisions(
  db: Queryable,
  query: { versions: readonly string[]; since: Date; until?: Date },
): Promise<PredictionSampleRow[]> {
  const result = await db.query<PredictionSampleRow>(
    `SELECT id, version, ts, observation, action, arm, symbol FROM prediction_samples
     WHERE version = ANY($1::text[]) AND arm IS NOT NULL AND ts >= $2 AND ($3::timestamptz IS NULL OR ts <= $3)
     ORDER BY ts ASC, id ASC`,
    [query.versions, query.since, query.until ?? null],
  );
  return result.rows;
}

/** The first `features` values of each stored observation since `since`, row-major, newest rows kept. */
export async function observationMatrix(
  db: Queryable,
  query: { version: string; since?: Date; features: number; limit?: number },
): Promise<{ rows: number; data: Float32Array }> {
  const result = await db.query<{ observation: number[] }>(
    `SELECT observation FROM prediction_samples WHERE version = $1 AND ($2::timestamptz IS NULL OR ts >= $2)
     ORDER BY ts DESC, id DESC LIMIT $3`,
    [query.version, query.since ?? null, query.limit ?? 100_000],
  );
  const data = new Float32Array(result.rows.length * query.features);
  let rows = 0;
  for (const { observation } of result.rows) {
    if (observation.length < query.features) continue;
    for (let f = 0; f < query.features; f++) data[rows * query.features + f] = observation[f]!;
    rows++;
  }
  return { rows, data: data.subarray(0, rows * query.features) };
}
