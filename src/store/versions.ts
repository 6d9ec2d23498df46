import { NotFoundError } from '../errors.js';
import type { Queryable } from '../db/types.js';
import { toJson, type JsonObject } from './json.js';

export const VERSION_STATUSES = [
  'training',
  'validated',
  'rejected',
  'ab_testing',
  'production',
  'retired',
  'rolled_back',
  'failed',
] as const;
export type VersionStatus = (typeof VERSION_STATUSES)[number];
export type ModelType = 'ppo' | 'cppo';

export interface ModelVersionRow {
  id: string;
  version: string;
  modelType: ModelType;
  createdAt: Date;
  trainedOn: Date;
  dataPoints: number;
  metrics: JsonObject;
  config: JsonObject;
  hyperparameters: JsonObject | null;
  status: VersionStatus;
  deployedAt: Date | null;
  rollbackReason: string | null;
  performanceScore: number | null;
  fileUrl: string | null;
  checksum: string | null;
  parentVersion: string | null;
  updatedAt: Date;
}

export interface NewModelVersion {
  version: string;
  modelType: ModelType;
  trainedOn: Date;
  dataPoints: number;
  metrics: JsonObject;
  config: JsonObject;
  hyperparameters?: JsonObject | null;
  status?: VersionStatus;
  performanceScore?: number | null;
  fileUrl?: string | null;
  checksum?: string | null;
  parentVersion?: string | null;
}

const COLUMNS = `id, version, model_type AS "modelType", created_at AS "createdAt", trained_on AS "trainedOn",
  data_points AS "dataPoints", metrics, config, hyperparameters, status, deployed_at AS "deployedAt",
  rollback_reason AS "rollbackReason", performance_score AS "performanceScore", file_url AS "fileUrl",
  checksum, parent_version AS "parentVersion", updated_at AS "updatedAt"`;

export async function insertVersion(db: Queryable, input: NewModelVersion): Promise<ModelVersionRow> {
  const result = await db.query<ModelVersionRow>(
    `INSERT INTO ml_model_versions (version, model_type, trained_on, data_points, metrics, config,
       hyperparameters, status, performance_score, file_url, checksum, parent_version)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7::jsonb, $8, $9, $10, $11, $12)
     RETURNING ${COLUMNS}`,
    [
      input.version,
      input.modelType,
      input.trainedOn,
      input.dataPoints,
      toJson(input.metrics),
      toJson(input.config),
      toJson(input.hyperparameters),
      input.status ?? 'training',
      input.performanceScore ?? null,
      input.fileUrl ?? null,
      input.checksum ?? null,
      input.parentVersion ?? null,
    ],
  );
  return result.rows[0]!;
}

export async function findVersion(db: Queryable, version: string): Promise<ModelVersionRow | null> {
  const result = await db.query<ModelVersionRow>(
    `SELECT ${COLUMNS} FROM ml_model_versions WHERE version = $1`,
    [version],
  );
  return result.rows[0] ?? null;
}

export async function getVersion(db: Queryable, version: string): Promise<ModelVersionRow> {
  const row = await findVersion(db, version);
  if (!row) throw new NotFoundError(`model version "${version}" does not exist`);
  return row;
}

export async function findProductionVersion(db: Queryable): Promise<ModelVersionRow | null> {
  const result = await db.query<ModelVersionRow>(
    `SELECT ${COLUMNS} FROM ml_model_versions WHERE status = 'production'`,
  );
  return result.rows[0] ?? null;
}

export async function listVersions(
  db: Queryable,
  options: { status?: VersionStatus; limit?: number } = {},
): Promise<ModelVersionRow[]> {
  const result = await db.query<ModelVersionRow>(
    `SELECT ${COLUMNS} FROM ml_model_versions
     WHERE ($1::text IS NULL OR status = $1)
     ORDER BY created_at DESC, version DESC
     LIMIT $2`,
    [options.status ?? null, options.limit ?? 100],
  );
  return result.rows;
}

export interface VersionStatusChange {
  deployedAt?: Date | null;
  rollbackReason?: string | null;
}

/**
 * Sets a version's status. The partial unique index refuses a second production version, so
 * callers demote the current one first, in the same transaction.
 */
export async function setVersionStatus(
  db: Queryable,
  version: string,
  status: VersionStatus,
  change: VersionStatusChange = {},
): Promise<ModelVersionRow> {
  const result = await db.query<ModelVersionRow>(
    `UPDATE ml_model_versions
     SET status = $2,
         deployed_at = CASE WHEN $3::boolean THEN $4::timestamptz ELSE deployed_at END,
         rollback_reason = CASE WHEN $5::boolean THEN $6::text ELSE rollback_reason END,
         updated_at = NOW()
     WHERE version = $1
     RETURNING ${COLUMNS}`,
    [
      version,
      status,
      change.deployedAt !== undefined,
      change.deployedAt ?? null,
      change.rollbackReason !== undefined,
      change.rollbackReason ?? null,
    ],
  );
  const row = result.rows[0];
  if (!row) throw new NotFoundError(`model version "${version}" does not exist`);
  return row;
}

export async function updateVersionMetrics(
  db: Queryable,
  version: string,
  metrics: JsonObject,
  performanceScore: number | null,
): Promise<ModelVersionRow> {
  const result = await db.query<ModelVersionRow>(
    `UPDATE ml_model_versions SET metrics = $2::jsonb, performance_score = $3, updated_at = NOW()
     WHERE version = $1 RETURNING ${COLUMNS}`,
    [version, toJson(metrics), performanceScore],
  );
  const row = result.rows[0];
  if (!row) throw new NotFoundError(`model version "${version}" does not exist`);
  return row;
}

/** Which of the given version strings exist. */
export async function existingVersions(db: Queryable, versions: readonly string[]): Promise<Set<string>> {
  if (versions.length === 0) return new Set();
  const result = await db.query<{ version: string }>(
    `SELECT version FROM ml_model_versions WHERE version = ANY($1::text[])`,
    [versions],
  );
  return new Set(result.rows.map((row) => row.version));
}

/** The highest registered version (by semantic order), or null. */
export async function latestVersion(db: Queryable): Promise<string | null> {
  const result = await db.query<{ version: string }>(
    `SELECT version FROM ml_model_versions
     ORDER BY split_part(version, '.', 1)::int DESC, split_part(version, '.', 2)::int DESC,
              split_part(version, '.', 3)::int DESC
     LIMIT 1`,
  );
  return result.rows[0]?.version ?? null;
}

/** Versions still `training` outside a running job are half-made (their run died): mark them failed. */
export async function failOrphanedVersions(db: Queryable): Promise<string[]> {
  const result = await db.query<{ version: string }>(
    `UPDATE ml_model_versions SET status = 'failed', updated_at = NOW() WHERE status = 'training' RETURNING version`,
  );
  return result.rows.map((row) => row.version);
}
