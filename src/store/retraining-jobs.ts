import { ConflictError, NotFoundError } from '../errors.js';
import type { Queryable } from '../db/types.js';
import { toJson, type JsonObject } from './json.js';

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'skipped', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export type JobTrigger = 'manual' | 'schedule' | 'startup' | 'api';

export interface JobLogLine {
  time: string;
  level: string;
  message: string;
  data?: JsonObject;
}

export interface RetrainingJobRow {
  id: string;
  status: JobStatus;
  stage: string | null;
  progress: number;
  logs: JobLogLine[];
  error: string | null;
  trigger: JobTrigger;
  dataStart: Date | null;
  dataEnd: Date | null;
  baseVersion: string | null;
  resultVersion: string | null;
  result: JsonObject | null;
  config: JsonObject | null;
  attempt: number;
  worker: string | null;
  heartbeatAt: Date | null;
  /** The pg-boss job that delivers this row (the same through its retries); null for a foreground run. */
  queueJobId: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  updatedAt: Date;
}

const COLUMNS = `id, status, stage, progress, logs, error, trigger, data_start AS "dataStart", data_end AS "dataEnd",
  base_version AS "baseVersion", result_version AS "resultVersion", result, config, attempt, worker,
  heartbeat_at AS "heartbeatAt", queue_job_id AS "queueJobId", created_at AS "createdAt", started_at AS "startedAt",
  finished_at AS "finishedAt", updated_at AS "updatedAt"`;

export async function createJob(
  db: Queryable,
  input: {
    trigger: JobTrigger;
    config?: JsonObject;
    dataStart?: Date;
    dataEnd?: Date;
    /** The queue delivery that made the row (a cron tick's). */
    queueJobId?: string;
  },
): Promise<RetrainingJobRow> {
  const result = await db.query<RetrainingJobRow>(
    `INSERT INTO retraining_jobs (trigger, config, data_start, data_end, queue_job_id)
     VALUES ($1, $2::jsonb, $3, $4, $5) RETURNING ${COLUMNS}`,
    [
      input.trigger,
      toJson(input.config),
      input.dataStart ?? null,
      input.dataEnd ?? null,
      input.queueJobId ?? null,
    ],
  );
  return result.rows[0]!;
}

/** The row a queue delivery made or runs, if any. */
export async function findJobByQueueJob(db: Queryable, queueJobId: string): Promise<RetrainingJobRow | null> {
  const result = await db.query<RetrainingJobRow>(
    `SELECT ${COLUMNS} FROM retraining_jobs WHERE queue_job_id = $1`,
    [queueJobId],
  );
  return result.rows[0] ?? null;
}

export async function findJob(db: Queryable, id: string): Promise<RetrainingJobRow | null> {
  const result = await db.query<RetrainingJobRow>(`SELECT ${COLUMNS} FROM retraining_jobs WHERE id = $1`, [
    id,
  ]);
  return result.rows[0] ?? null;
}

export async function getJob(db: Queryable, id: string): Promise<RetrainingJobRow> {
  const row = await findJob(db, id);
  if (!row) throw new NotFoundError(`retraining job "${id}" does not exist`);
  return row;
}

export async function listJobs(db: Queryable, limit = 50): Promise<RetrainingJobRow[]> {
  const result = await db.query<RetrainingJobRow>(
    `SELECT ${COLUMNS} FROM retraining_jobs ORDER BY created_at DESC LIMIT $1`,
    [limit],
  );
  return result.rows;
}

export async function findRunningJob(db: Queryable): Promise<RetrainingJobRow | null> {
  const result = await db.query<RetrainingJobRow>(
    `SELECT ${COLUMNS} FROM retraining_jobs WHERE status = 'running'`,
  );
  return result.rows[0] ?? null;
}

/** Marks a queued job running; a second running job is refused by the database. */
export async function startJob(
  db: Queryable,
  id: string,
  worker: string,
  queueJobId?: string,
): Promise<RetrainingJobRow> {
  try {
    const result = await db.query<RetrainingJobRow>(
      `UPDATE retraining_jobs SET status = 'running', worker = $2, started_at = NOW(), heartbeat_at = NOW(),
         queue_job_id = COALESCE($3, queue_job_id), updated_at = NOW()
       WHERE id = $1 AND status = 'queued' RETURNING ${COLUMNS}`,
      [id, worker, queueJobId ?? null],
    );
    const row = result.rows[0];
    if (!row) throw new ConflictError(`retraining job "${id}" is not queued; it cannot start`);
    return row;
  } catch (error) {
    if ((error as { code?: string }).code === '23505') {
      throw new ConflictError('another retraining job is already running; only one runs at a time');
    }
    throw error;
  }
}

export async function updateJobProgress(
  db: Queryable,
  id: string,
  progress: { stage: string; progress: number; logs?: JobLogLine[] },
): Promise<void> {
  const result = await db.query(
    `UPDATE retraining_jobs SET stage = $2, progress = $3, logs = logs || $4::jsonb, heartbeat_at = NOW(),
       updated_at = NOW()
     WHERE id = $1`,
    [id, progress.stage, progress.progress, JSON.stringify(progress.logs ?? [])],
  );
  if (result.rowCount === 0) throw new NotFoundError(`retraining job "${id}" does not exist`);
}

export async function finishJob(
  db: Queryable,
  id: string,
  end: {
    status: Extract<JobStatus, 'succeeded' | 'failed' | 'skipped' | 'cancelled'>;
    error?: string | null;
    result?: JsonObject | null;
    resultVersion?: string | null;
  },
): Promise<RetrainingJobRow> {
  const result = await db.query<RetrainingJobRow>(
    `UPDATE retraining_jobs SET status = $2::text, error = $3, result = $4::jsonb, result_version = $5,
       progress = CASE WHEN $2::text = 'succeeded' THEN 1 ELSE progress END, finished_at = NOW(), updated_at = NOW()
     WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, end.status, end.error ?? null, toJson(end.result), end.resultVersion ?? null],
  );
  const row = result.rows[0];
  if (!row) throw new NotFoundError(`retraining job "${id}" does not exist`);
  return row;
}

/** The newest finished job (succeeded, failed or skipped; cancelled ones say nothing of health) and the newest success. */
export async function lastFinishedJobs(
  db: Queryable,
): Promise<{ last: RetrainingJobRow | null; lastSuccess: RetrainingJobRow | null }> {
  const result = await db.query<RetrainingJobRow & { kind: 'last' | 'success' }>(
    `(SELECT ${COLUMNS}, 'last' AS kind FROM retraining_jobs WHERE status IN ('succeeded', 'failed', 'skipped')
       ORDER BY finished_at DESC NULLS LAST, created_at DESC LIMIT 1)
     UNION ALL
     (SELECT ${COLUMNS}, 'success' AS kind FROM retraining_jobs WHERE status = 'succeeded'
       ORDER BY finished_at DESC NULLS LAST, created_at DESC LIMIT 1)`,
  );
  const pick = (kind: 'last' | 'success') => {
    const row = result.rows.find((r) => r.kind === kind);
    if (!row) return null;
    const { kind: _kind, ...job } = row;
    return job;
  };
  return { last: pick('last'), lastSuccess: pick('success') };
}

/**
 * Takes over a job left `running` by a process that died (its queue job expired and came back):
 * the attempt is counted, the worker replaced and the take-over logged. Returns null when the job
 * is no longer running (another process finished or took it).
 */
export async function resumeJob(
  db: Queryable,
  id: string,
  worker: string,
  note: string,
  staleAfterSeconds: number,
  queueJobId?: string,
): Promise<RetrainingJobRow | null> {
  // A job whose worker still heartbeats is not taken: a duplicate delivery must not run it twice.
  const result = await db.query<RetrainingJobRow>(
    `UPDATE retraining_jobs SET worker = $2, attempt = attempt + 1, stage = NULL, progress = 0, started_at = NOW(),
       heartbeat_at = NOW(), queue_job_id = COALESCE($5, queue_job_id), updated_at = NOW(),
       logs = logs || jsonb_build_array(jsonb_build_object('time', NOW(), 'level', 'warn', 'message', $3::text))
     WHERE id = $1 AND status = 'running'
       AND (heartbeat_at IS NULL OR heartbeat_at < NOW() - make_interval(secs => $4))
     RETURNING ${COLUMNS}`,
    [id, worker, note, staleAfterSeconds, queueJobId ?? null],
  );
  return result.rows[0] ?? null;
}

/** Running jobs whose worker has not heartbeaten for `staleAfterSeconds`: dead, or stalled. */
export async function staleRunningJobs(
  db: Queryable,
  staleAfterSeconds: number,
): Promise<RetrainingJobRow[]> {
  const result = await db.query<RetrainingJobRow>(
    `SELECT ${COLUMNS} FROM retraining_jobs
     WHERE status = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < NOW() - make_interval(secs => $1))`,
    [staleAfterSeconds],
  );
  return result.rows;
}

/**
 * Ends a running job nobody will finish (its process died and the queue will not deliver it
 * again) as failed, with the reason in its error and log. Null when it is no longer running or its
 * worker heartbeated meanwhile.
 */
export async function abandonJob(
  db: Queryable,
  id: string,
  reason: string,
  staleAfterSeconds: number,
): Promise<RetrainingJobRow | null> {
  const result = await db.query<RetrainingJobRow>(
    `UPDATE retraining_jobs SET status = 'failed', error = $2, finished_at = NOW(), updated_at = NOW(),
       logs = logs || jsonb_build_array(jsonb_build_object('time', NOW(), 'level', 'error', 'message', $2::text))
     WHERE id = $1 AND status = 'running'
       AND (heartbeat_at IS NULL OR heartbeat_at < NOW() - make_interval(secs => $3))
     RETURNING ${COLUMNS}`,
    [id, reason, staleAfterSeconds],
  );
  return result.rows[0] ?? null;
}

/** The running job's proof of life, written every few seconds by the process running it. */
export async function touchJob(db: Queryable, id: string): Promise<void> {
  await db.query(`UPDATE retraining_jobs SET heartbeat_at = NOW() WHERE id = $1 AND status = 'running'`, [
    id,
  ]);
}
