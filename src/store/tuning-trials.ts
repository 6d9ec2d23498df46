import type { Queryable } from '../db/types.js';
import { toJson, type JsonObject } from './json.js';

export type StoredTrialState = 'running' | 'complete' | 'pruned' | 'failed' | 'preempted';

export interface TuningTrialRow {
  id: string;
  jobId: string;
  number: number;
  params: JsonObject;
  seed: number;
  state: StoredTrialState;
  value: number | null;
  curve: { step: number; value: number }[];
  error: string | null;
  worker: string | null;
  leaseUntil: Date | null;
  attempts: number;
  durationMs: number | null;
  createdAt: Date;
  finishedAt: Date | null;
}

const COLUMNS = `id, job_id AS "jobId", number, params, seed, state, value, curve, error, worker,
  lease_until AS "leaseUntil", attempts, duration_ms AS "durationMs", created_at AS "createdAt",
  finished_at AS "finishedAt"`;

/** Records a trial as it starts, leased to `worker` until `leaseUntil`. */
export async function startTrial(
  db: Queryable,
  input: {
    jobId: string;
    number: number;
    params: JsonObject;
    seed: number;
    worker: string;
    leaseUntil: Date;
  },
): Promise<TuningTrialRow> {
  const result = await db.query<TuningTrialRow>(
    `INSERT INTO tuning_trials (job_id, number, params, seed, worker, lease_until)
     VALUES ($1, $2, $3::jsonb, $4, $5, $6)
     ON CONFLICT (job_id, number) DO UPDATE SET state = 'running', worker = EXCLUDED.worker,
       lease_until = EXCLUDED.lease_until, attempts = tuning_trials.attempts + 1, curve = '[]'::jsonb,
       value = NULL, error = NULL, finished_at = NULL
     RETURNING ${COLUMNS}`,
    [input.jobId, input.number, toJson(input.params), input.seed, input.worker, input.leaseUntil],
  );
  return result.rows[0]!;
}

export async function finishTrial(
  db: Queryable,
  id: string,
  end: {
    state: 'complete' | 'pruned' | 'failed';
    value: number | null;
    curve: { step: number; value: number }[];
    error?: string | null;
    durationMs: number;
  },
): Promise<void> {
  await db.query(
    `UPDATE tuning_trials SET state = $2, value = $3, curve = $4::jsonb, error = $5, duration_ms = $6,
       finished_at = NOW(), lease_until = NULL
     WHERE id = $1`,
    [id, end.state, end.value, toJson(end.curve), end.error ?? null, end.durationMs],
  );
}

/** Trials whose lease ran out while running (their worker died) become `preempted`; returns them. */
export async function preemptExpiredTrials(db: Queryable, now: Date): Promise<TuningTrialRow[]> {
  const result = await db.query<TuningTrialRow>(
    `UPDATE tuning_trials SET state = 'preempted', finished_at = $1
     WHERE state = 'running' AND lease_until < $1 RETURNING ${COLUMNS}`,
    [now],
  );
  return result.rows;
}

export async function listTrials(db: Queryable, jobId: string): Promise<TuningTrialRow[]> {
  const result = await db.query<TuningTrialRow>(
    `SELECT ${COLUMNS} FROM tuning_trials WHERE job_id = $1 ORDER BY number`,
    [jobId],
  );
  return result.rows;
}
