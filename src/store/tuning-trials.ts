import type { Queryable } from '../db/types.js';
import { toJson, type JsonObject } from './json.js';

/**
 * queued → running → complete | pruned | failed; running → preempted (lease ran out, or released
 * by a stopping worker) → queued again or failed; queued | running | preempted → cancelled.
 */
export type StoredTrialState =
  'queued' | 'running' | 'complete' | 'pruned' | 'failed' | 'preempted' | 'cancelled';

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
  /** Times the trial was handed out (a retry after preemption adds one). */
  attempts: number;
  durationMs: number | null;
  /** What a worker needs to rebuild the trial (data reference and settings); null for trials run in process. */
  task: JsonObject | null;
  /** Numbers of the completed trials whose curves the median pruner compared this one with. */
  prunedAgainst: number[];
  createdAt: Date;
  finishedAt: Date | null;
}

/** Which delivery of a trial a worker holds: its row and the attempt it claimed. */
export interface TrialClaim {
  id: string;
  attempt: number;
  worker: string;
}

const COLUMNS = `id, job_id AS "jobId", number, params, seed, state, value, curve, error, worker,
  lease_until AS "leaseUntil", attempts, duration_ms AS "durationMs", task, pruned_against AS "prunedAgainst",
  created_at AS "createdAt", finished_at AS "finishedAt"`;

/** Records a trial run in this process as it starts, leased to `worker` for `leaseSeconds`. */
export async function startTrial(
  db: Queryable,
  input: {
    jobId: string;
    number: number;
    params: JsonObject;
    seed: number;
    worker: string;
    leaseSeconds: number;
    prunedAgainst?: number[];
  },
): Promise<TuningTrialRow> {
  const result = await db.query<TuningTrialRow>(
    `INSERT INTO tuning_trials (job_id, number, params, seed, state, worker, lease_until, pruned_against)
     VALUES ($1, $2, $3::jsonb, $4, 'running', $5, NOW() + make_interval(secs => $6), $7::jsonb)
     ON CONFLICT (job_id, number) DO UPDATE SET state = 'running', worker = EXCLUDED.worker,
       lease_until = EXCLUDED.lease_until, attempts = tuning_trials.attempts + 1, curve = '[]'::jsonb,
       value = NULL, error = NULL, finished_at = NULL, pruned_against = EXCLUDED.pruned_against
     RETURNING ${COLUMNS}`,
    [
      input.jobId,
      input.number,
      toJson(input.params),
      input.seed,
      input.worker,
      input.leaseSeconds,
      toJson(input.prunedAgainst ?? []),
    ],
  );
  return result.rows[0]!;
}

/** Forgets the trials of a job's earlier attempt: a study taken over by another worker starts again. */
export async function deleteTrials(db: Queryable, jobId: string): Promise<number> {
  const result = await db.query(`DELETE FROM tuning_trials WHERE job_id = $1`, [jobId]);
  return result.rowCount;
}

/** Records a trial waiting in the job queue for a worker. */
export async function queueTrial(
  db: Queryable,
  input: { jobId: string; number: number; params: JsonObject; seed: number; task: JsonObject },
): Promise<TuningTrialRow> {
  const result = await db.query<TuningTrialRow>(
    `INSERT INTO tuning_trials (job_id, number, params, seed, state, task)
     VALUES ($1, $2, $3::jsonb, $4, 'queued', $5::jsonb)
     RETURNING ${COLUMNS}`,
    [input.jobId, input.number, toJson(input.params), input.seed, toJson(input.task)],
  );
  return result.rows[0]!;
}

/**
 * Takes a queued trial for `worker`, leased for `leaseSeconds`, and records which completed trials
 * its pruner compares with. Null when the delivery is stale: the trial was claimed, re-queued
 * (another attempt), cancelled, or its retraining is no longer running.
 */
export async function claimTrial(
  db: Queryable,
  claim: TrialClaim & { leaseSeconds: number },
): Promise<TuningTrialRow | null> {
  const result = await db.query<TuningTrialRow>(
    `UPDATE tuning_trials AS t SET state = 'running', worker = $3, lease_until = NOW() + make_interval(secs => $4),
       pruned_against = (
         SELECT COALESCE(jsonb_agg(c.number ORDER BY c.number), '[]'::jsonb) FROM tuning_trials c
         WHERE c.job_id = t.job_id AND c.state = 'complete')
     WHERE t.id = $1 AND t.attempts = $2 AND t.state = 'queued'
       AND EXISTS (SELECT 1 FROM retraining_jobs j WHERE j.id = t.job_id AND j.status = 'running')
     RETURNING ${COLUMNS}`,
    [claim.id, claim.attempt, claim.worker, claim.leaseSeconds],
  );
  return result.rows[0] ?? null;
}

/** The learning curves of the given trials of a job, in number order. */
export async function trialCurves(
  db: Queryable,
  jobId: string,
  numbers: readonly number[],
): Promise<{ number: number; curve: { step: number; value: number }[] }[]> {
  const result = await db.query<{ number: number; curve: { step: number; value: number }[] }>(
    `SELECT number, curve FROM tuning_trials WHERE job_id = $1 AND number = ANY($2::int[]) ORDER BY number`,
    [jobId, [...numbers]],
  );
  return result.rows;
}

/** Extends a running trial's lease; false when the trial is no longer this worker's (preempted or cancelled). */
export async function renewTrialLease(
  db: Queryable,
  claim: TrialClaim & { leaseSeconds: number },
): Promise<boolean> {
  const result = await db.query(
    `UPDATE tuning_trials SET lease_until = NOW() + make_interval(secs => $4)
     WHERE id = $1 AND attempts = $2 AND worker = $3 AND state = 'running'`,
    [claim.id, claim.attempt, claim.worker, claim.leaseSeconds],
  );
  return result.rowCount > 0;
}

/**
 * Records how a trial ended; false when it is not this claim's to end (re-queued meanwhile, or
 * cancelled). A trial preempted but not yet re-queued still takes its worker's result.
 */
export async function finishTrial(
  db: Queryable,
  claim: TrialClaim,
  end: {
    state: 'complete' | 'pruned' | 'failed';
    value: number | null;
    curve: { step: number; value: number }[];
    error?: string | null;
    durationMs: number;
  },
): Promise<boolean> {
  const result = await db.query(
    `UPDATE tuning_trials SET state = $4, value = $5, curve = $6::jsonb, error = $7, duration_ms = $8,
       finished_at = NOW(), lease_until = NULL
     WHERE id = $1 AND attempts = $2 AND worker = $3 AND state IN ('running', 'preempted')`,
    [
      claim.id,
      claim.attempt,
      claim.worker,
      end.state,
      end.value,
      toJson(end.curve),
      end.error ?? null,
      end.durationMs,
    ],
  );
  return result.rowCount > 0;
}

/** A stopping worker hands its running trial back at once instead of letting the lease run out. */
export async function releaseTrial(db: Queryable, claim: TrialClaim, reason: string): Promise<boolean> {
  const result = await db.query(
    `UPDATE tuning_trials SET state = 'preempted', lease_until = NULL, finished_at = NOW(), error = $4
     WHERE id = $1 AND attempts = $2 AND worker = $3 AND state = 'running'`,
    [claim.id, claim.attempt, claim.worker, reason],
  );
  return result.rowCount > 0;
}

/** Running trials whose lease ran out (by the database's clock: their worker died) become `preempted`. */
export async function preemptExpiredTrials(db: Queryable): Promise<TuningTrialRow[]> {
  const result = await db.query<TuningTrialRow>(
    `UPDATE tuning_trials SET state = 'preempted', finished_at = NOW(),
       error = 'lease expired at ' || to_char(lease_until AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
         || ': ' || COALESCE(worker, 'its worker') || ' stopped renewing it'
     WHERE state = 'running' AND lease_until < NOW() RETURNING ${COLUMNS}`,
  );
  return result.rows;
}

/**
 * Puts a preempted trial (or a queued one whose delivery was lost) back in the queue as its next
 * attempt, with the same parameters and seed; returns the new attempt, or null when it moved on.
 */
export async function requeueTrial(
  db: Queryable,
  trial: { id: string; attempt: number },
): Promise<number | null> {
  const result = await db.query<{ attempts: number }>(
    `UPDATE tuning_trials SET state = 'queued', attempts = attempts + 1, worker = NULL, lease_until = NULL,
       curve = '[]'::jsonb, value = NULL, duration_ms = NULL, finished_at = NULL, pruned_against = '[]'::jsonb
     WHERE id = $1 AND attempts = $2 AND state IN ('preempted', 'queued') RETURNING attempts`,
    [trial.id, trial.attempt],
  );
  return result.rows[0]?.attempts ?? null;
}

/** A trial that was preempted too often, or could not be delivered, ends failed with the reason. */
export async function abandonTrial(
  db: Queryable,
  trial: { id: string; attempt: number },
  error: string,
): Promise<boolean> {
  const result = await db.query(
    `UPDATE tuning_trials SET state = 'failed', error = $3, lease_until = NULL, finished_at = NOW()
     WHERE id = $1 AND attempts = $2 AND state IN ('preempted', 'queued')`,
    [trial.id, trial.attempt, error],
  );
  return result.rowCount > 0;
}

/** Ends every unfinished trial of a job (its retraining was cancelled or failed); returns how many. */
export async function cancelTrials(db: Queryable, jobId: string, reason: string): Promise<number> {
  const result = await db.query(
    `UPDATE tuning_trials SET state = 'cancelled', error = $2, lease_until = NULL, finished_at = NOW()
     WHERE job_id = $1 AND state IN ('queued', 'running', 'preempted')`,
    [jobId, reason],
  );
  return result.rowCount;
}

export async function getTrial(db: Queryable, id: string): Promise<TuningTrialRow | null> {
  const result = await db.query<TuningTrialRow>(`SELECT ${COLUMNS} FROM tuning_trials WHERE id = $1`, [id]);
  return result.rows[0] ?? null;
}

export async function listTrials(db: Queryable, jobId: string): Promise<TuningTrialRow[]> {
  const result = await db.query<TuningTrialRow>(
    `SELECT ${COLUMNS} FROM tuning_trials WHERE job_id = $1 ORDER BY number`,
    [jobId],
  );
  return result.rows;
}

/** A process that takes trial jobs says it is alive and how many trials it runs at once. */
export async function registerTrialWorker(db: Queryable, worker: string, slots: number): Promise<void> {
  await db.query(
    `INSERT INTO trial_workers (worker, slots) VALUES ($1, $2)
     ON CONFLICT (worker) DO UPDATE SET slots = EXCLUDED.slots, seen_at = NOW()`,
    [worker, slots],
  );
}

export async function removeTrialWorker(db: Queryable, worker: string): Promise<void> {
  await db.query(`DELETE FROM trial_workers WHERE worker = $1`, [worker]);
}

/** Forgets workers not seen for `seconds` (killed processes leave their row behind). */
export async function removeGoneTrialWorkers(db: Queryable, seconds: number): Promise<number> {
  const result = await db.query(
    `DELETE FROM trial_workers WHERE seen_at < NOW() - make_interval(secs => $1)`,
    [seconds],
  );
  return result.rowCount;
}

/** Trial slots of the workers seen within `withinSeconds` (by the database's clock). */
export async function liveTrialSlots(db: Queryable, withinSeconds: number): Promise<number> {
  const result = await db.query<{ slots: number }>(
    `SELECT COALESCE(sum(slots), 0)::int AS slots FROM trial_workers
     WHERE seen_at > NOW() - make_interval(secs => $1)`,
    [withinSeconds],
  );
  return result.rows[0]!.slots;
}
