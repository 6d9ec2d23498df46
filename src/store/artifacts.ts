import type { Queryable } from '../db/types.js';

export interface ModelArtifactRow {
  id: string;
  version: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  data: Uint8Array;
  createdAt: Date;
}

export interface NewModelArtifact {
  version: string;
  contentType: string;
  sha256: string;
  data: Uint8Array;
}

const COLUMNS = `id, version, content_type AS "contentType", size_bytes AS "sizeBytes", sha256, data,
  created_at AS "createdAt"`;

/** Stores a version's artifact; the checksum is the caller's, verified again on every load. */
export async function insertArtifact(db: Queryable, input: NewModelArtifact): Promise<ModelArtifactRow> {
  const result = await db.query<ModelArtifactRow>(
    `INSERT INTO model_artifacts (version, content_type, size_bytes, sha256, data)
     VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
    [input.version, input.contentType, input.data.byteLength, input.sha256, input.data],
  );
  return normalise(result.rows[0]!);
}

export async function findArtifact(db: Queryable, version: string): Promise<ModelArtifactRow | null> {
  const result = await db.query<ModelArtifactRow>(
    `SELECT ${COLUMNS} FROM model_artifacts WHERE version = $1`,
    [version],
  );
  const row = result.rows[0];
  return row ? normalise(row) : null;
}

// pg returns bytea as a Buffer, PGlite as a Uint8Array: hand out a Uint8Array either way.
function normalise(row: ModelArtifactRow): ModelArtifactRow {
  const data = row.data;
  return { ...row, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}
