import { ValidationError } from '../errors.js';
import type { Queryable } from '../db/types.js';
import { toJson, type JsonObject } from './json.js';

/** The training sample drift is measured against: normalised feature rows, row-major. */
export interface DriftReference {
  version: string;
  featureNames: string[];
  rows: number;
  data: Float32Array;
}

export type DriftKind = 'features' | 'returns';
export type DriftVerdict = 'stable' | 'drift' | 'insufficient_data';

export interface DriftReportRow {
  id: string;
  version: string;
  timestamp: Date;
  kind: DriftKind;
  verdict: DriftVerdict;
  settings: JsonObject;
  details: JsonObject;
  liveSamples: number;
  referenceSamples: number | null;
  windowStart: Date | null;
  windowEnd: Date | null;
}

export type NewDriftReport = Omit<DriftReportRow, 'id' | 'timestamp' | 'windowStart' | 'windowEnd'> & {
  timestamp?: Date;
  windowStart?: Date | null;
  windowEnd?: Date | null;
};

/** Stores (or replaces) a version's reference sample; float32 little-endian on disk. */
export async function saveDriftReference(
  db: Queryable,
  reference: Omit<DriftReference, 'rows'>,
): Promise<DriftReference> {
  const features = reference.featureNames.length;
  if (features === 0) throw new ValidationError('a drift reference needs feature names', 'featureNames');
  if (reference.data.length % features !== 0) {
    throw new ValidationError(
      `drift reference has ${reference.data.length} values, not a multiple of its ${features} features`,
      'data',
    );
  }
  for (let i = 0; i < reference.data.length; i++) {
    if (!Number.isFinite(reference.data[i])) {
      const row = Math.floor(i / features);
      throw new ValidationError(
        `drift reference row ${row} feature "${reference.featureNames[i % features]}" is ${reference.data[i]}; expected a finite number`,
        'data',
      );
    }
  }
  const rows = reference.data.length / features;
  const bytes = littleEndianBytes(reference.data);
  await db.query(
    `INSERT INTO model_drift_references (version, feature_names, row_count, data) VALUES ($1, $2::jsonb, $3, $4)
     ON CONFLICT (version) DO UPDATE SET feature_names = EXCLUDED.feature_names, row_count = EXCLUDED.row_count,
       data = EXCLUDED.data, created_at = NOW()`,
    [reference.version, toJson(reference.featureNames), rows, bytes],
  );
  return { ...reference, rows };
}

export async function loadDriftReference(db: Queryable, version: string): Promise<DriftReference | null> {
  const result = await db.query<{ featureNames: string[]; rows: number; data: Uint8Array }>(
    `SELECT feature_names AS "featureNames", row_count AS rows, data FROM model_drift_references WHERE version = $1`,
    [version],
  );
  const row = result.rows[0];
  if (!row) return null;
  const view = new DataView(row.data.buffer, row.data.byteOffset, row.data.byteLength);
  const data = new Float32Array(row.data.byteLength / 4);
  for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(i * 4, true);
  return { version, featureNames: row.featureNames, rows: row.rows, data };
}

function littleEndianBytes(values: Float32Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return bytes;
}

const COLUMNS = `id, version, timestamp, kind, verdict, settings, details, live_samples AS "liveSamples",
  reference_samples AS "referenceSamples", window_start AS "windowStart", window_end AS "windowEnd"`;

export async function recordDriftReport(db: Queryable, input: NewDriftReport): Promise<DriftReportRow> {
  const result = await db.query<DriftReportRow>(
    `INSERT INTO drift_reports (version, timestamp, kind, verdict, settings, details, live_samples,
       reference_samples, window_start, window_end)
     VALUES ($1, COALESCE($2, NOW()), $3, $4, $5::jsonb, $6::jsonb, $7, $8, $9, $10) RETURNING ${COLUMNS}`,
    [
      input.version,
      input.timestamp ?? null,
      input.kind,
      input.verdict,
      toJson(input.settings),
      toJson(input.details),
      input.liveSamples,
      input.referenceSamples,
      input.windowStart ?? null,
      input.windowEnd ?? null,
    ],
  );
  return result.rows[0]!;
}

/** Newest first. */
export async function listDriftReports(
  db: Queryable,
  options: { version?: string; kind?: DriftKind; since?: Date; limit?: number } = {},
): Promise<DriftReportRow[]> {
  const result = await db.query<DriftReportRow>(
    `SELECT ${COLUMNS} FROM drift_reports
     WHERE ($1::text IS NULL OR version = $1) AND ($2::text IS NULL OR kind = $2)
       AND ($3::timestamptz IS NULL OR timestamp >= $3)
     ORDER BY timestamp DESC, id LIMIT $4`,
    [options.version ?? null, options.kind ?? null, options.since ?? null, options.limit ?? 100],
  );
  return result.rows;
}
