import { createRequire } from 'node:module';
import { ArtifactChecksumError, NotFoundError } from '../errors.js';
import type { Database, Queryable } from '../db/types.js';
import { ARTIFACT_CONTENT_TYPE, packModel, unpackModel, type ModelArtifact } from '../rl/artifact.js';
import { Random } from '../rl/random.js';
import { raiseAlert, type NewAlert } from '../store/alerts.js';
import { findArtifact, insertArtifact } from '../store/artifacts.js';
import { recordDeploymentEvent } from '../store/deployment-events.js';
import { saveDriftReference } from '../store/drift.js';
import type { JsonObject } from '../store/json.js';
import {
  findVersion,
  getVersion,
  insertVersion,
  latestVersion,
  type ModelType,
  type ModelVersionRow,
} from '../store/versions.js';
import { nextVersion, type VersionBump } from './semver.js';

export interface RegistrationInput {
  modelType: ModelType;
  trainedOn: Date;
  dataPoints: number;
  metrics: JsonObject;
  /** The training configuration; the registry adds provenance (data window and hash, seed, versions). */
  config: JsonObject;
  hyperparameters?: JsonObject | null;
  parentVersion?: string | null;
  artifact: ModelArtifact;
  dataWindow: { start: Date; end: Date };
  /** SHA-256 of the training data, so a version can be traced to exactly what it saw. */
  dataHash: string;
  seed: number;
  /** Default minor: a retrain; major when the architecture changed. */
  bump?: VersionBump;
  performanceScore?: number | null;
  /** When the registration happens (default now); the clock of simulations and tests. */
  at?: Date;
  /**
   * A sample of the normalised training feature rows (row-major, the normaliser's names), stored
   * with the version as the reference for drift detection. Subsampled to `DRIFT_REFERENCE_ROWS`.
   */
  driftReference?: Float32Array;
}

/** Reference rows kept per version: enough for PSI deciles and KS, small enough to store (≈ 40 kB/feature). */
export const DRIFT_REFERENCE_ROWS = 10_000;

const require = createRequire(import.meta.url);
const PACKAGE_VERSION = (require('../../package.json') as { version: string }).version;
const TFJS_VERSION = (require('@tensorflow/tfjs/package.json') as { version: string }).version;

/**
 * Registers a trained model in one transaction: the next semantic version, its row (status
 * `training` until the gates judge it), the artifact with its SHA-256, and a `register` event.
 * Concurrent registrations are serialised so two never take the same number.
 */
export async function registerVersion(db: Database, input: RegistrationInput): Promise<ModelVersionRow> {
  const { bytes, sha256 } = await packModel(input.artifact);
  return db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('ai-trading-retraining.versions'))`);
    const latest = await latestVersion(tx);
    const version = nextVersion(latest, input.bump ?? 'minor');
    const row = await insertVersion(tx, {
      version,
      modelType: input.modelType,
      trainedOn: input.trainedOn,
      dataPoints: input.dataPoints,
      metrics: input.metrics,
      config: {
        ...input.config,
        provenance: {
          dataWindow: {
            start: input.dataWindow.start.toISOString(),
            end: input.dataWindow.end.toISOString(),
          },
          dataHash: input.dataHash,
          seed: input.seed,
          codeVersion: PACKAGE_VERSION,
          tfjsVersion: TFJS_VERSION,
        },
      },
      hyperparameters: input.hyperparameters ?? null,
      parentVersion: input.parentVersion ?? null,
      checksum: sha256,
      fileUrl: `db://model_artifacts/${version}`,
      performanceScore: input.performanceScore ?? null,
    });
    await insertArtifact(tx, { version, contentType: ARTIFACT_CONTENT_TYPE, sha256, data: bytes });
    if (input.driftReference) {
      const featureNames = input.artifact.normaliser.names;
      await saveDriftReference(tx, {
        version,
        featureNames,
        data: subsampleRows(input.driftReference, featureNames.length, DRIFT_REFERENCE_ROWS, input.seed),
      });
    }
    await recordDeploymentEvent(tx, {
      version,
      action: 'register',
      status: 'success',
      timestamp: input.at ?? null,
      fromVersion: input.parentVersion ?? null,
      details: { checksum: sha256, sizeBytes: bytes.byteLength, dataHash: input.dataHash },
    });
    return row;
  });
}

/** Up to `limit` rows chosen without replacement (seeded, so a registration is reproducible), in order. */
export function subsampleRows(
  data: Float32Array,
  features: number,
  limit: number,
  seed: number,
): Float32Array {
  const rows = Math.floor(data.length / features);
  if (rows <= limit) return data.slice(0, rows * features);
  const random = new Random(`${seed}/drift-reference`);
  // Floyd's algorithm: `limit` distinct indices in O(limit).
  const chosen = new Set<number>();
  for (let j = rows - limit; j < rows; j++) {
    const t = Math.floor(random.next() * (j + 1));
    chosen.add(chosen.has(t) ? j : t);
  }
  const order = [...chosen].sort((a, b) => a - b);
  const out = new Float32Array(limit * features);
  order.forEach((row, i) => out.set(data.subarray(row * features, (row + 1) * features), i * features));
  return out;
}

/** Where a corrupt artifact's alert goes: the system's `Alerter` stores and delivers it. */
export interface AlertSink {
  raise(alert: NewAlert): Promise<unknown>;
}

/**
 * A version's row and model. The artifact's SHA-256 is checked against the one registered with
 * the version and the one stored with the bytes; a mismatch is an ArtifactChecksumError and a
 * critical alert (delivered on the channels when `alerts` is given, else stored), never a silent
 * load.
 */
export async function loadVersion(
  db: Database,
  version: string,
  options: { alerts?: AlertSink } = {},
): Promise<{ row: ModelVersionRow; artifact: ModelArtifact }> {
  const row = await getVersion(db, version);
  const stored = await findArtifact(db, version);
  if (!stored) throw new NotFoundError(`model version ${version} has no stored artifact`);
  try {
    if (row.checksum !== stored.sha256) {
      throw new ArtifactChecksumError(
        `model version ${version}: the artifact's recorded checksum ${stored.sha256} differs from the version's ${row.checksum}`,
      );
    }
    return { row, artifact: await unpackModel(stored.data, row.checksum) };
  } catch (error) {
    if (error instanceof ArtifactChecksumError)
      await reportCorruptArtifact(db, version, error, options.alerts);
    throw error;
  }
}

async function reportCorruptArtifact(
  db: Queryable,
  version: string,
  error: ArtifactChecksumError,
  alerts: AlertSink | undefined,
): Promise<void> {
  const alert: NewAlert = {
    type: 'deployment',
    severity: 'critical',
    message: `model version ${version} has a corrupt artifact and was not loaded: ${error.message}`,
    version,
    dedupeKey: `artifact-corrupt:${version}`,
  };
  // The load's own error is what the caller needs; an alert that cannot be stored must not hide it.
  await (alerts ? alerts.raise(alert) : raiseAlert(db, alert)).catch(() => {});
}

export interface VersionComparison {
  a: ModelVersionRow;
  b: ModelVersionRow;
  /** Numeric metrics present in both, with b − a. */
  metrics: Record<string, { a: number; b: number; difference: number }>;
}

export async function compareVersionRows(db: Queryable, a: string, b: string): Promise<VersionComparison> {
  const [rowA, rowB] = [await findVersion(db, a), await findVersion(db, b)];
  if (!rowA) throw new NotFoundError(`model version "${a}" does not exist`);
  if (!rowB) throw new NotFoundError(`model version "${b}" does not exist`);
  const metrics: VersionComparison['metrics'] = {};
  for (const [name, valueA] of Object.entries(rowA.metrics)) {
    const valueB = rowB.metrics[name];
    if (typeof valueA === 'number' && typeof valueB === 'number') {
      metrics[name] = { a: valueA, b: valueB, difference: valueB - valueA };
    }
  }
  return { a: rowA, b: rowB, metrics };
}
