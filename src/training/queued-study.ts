/**
 * A study whose trials are jobs on the `trials` queue, coordinated by the process running the
 * retraining: it keeps the sampler and suggests each trial from the trials finished so far, stores
 * the trial and queues it; whichever process works the queue runs it and writes the result to
 * tuning_trials, which the coordinator polls. It keeps as many trials in flight as there are live
 * trial slots (trial_workers), so with one slot the study is the sequential one, reproducible from
 * its seed, and N workers run N trials at once.
 *
 * Leases: a trial whose worker stopped renewing its lease is preempted and queued again with the
 * same parameters and seed, up to the queue's trial retry limit, then counted failed. A trial job
 * that ended without any worker claiming it (its taker died first) is queued again the same way.
 * A cancelled study cancels its queued and running trials.
 */
import type { Database } from '../db/types.js';
import { CancelledError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { JobQueue } from '../orchestration/jobs.js';
import type { JsonObject } from '../store/json.js';
import {
  abandonTrial,
  cancelTrials,
  deleteTrials,
  listTrials,
  liveTrialSlots,
  preemptExpiredTrials,
  queueTrial,
  requeueTrial,
  type TuningTrialRow,
} from '../store/tuning-trials.js';
import { DEFAULT_PPO_SEARCH_SPACE, validateParams, type Params } from '../tuning/search-space.js';
import { completedTrial, trialSeed, type TrialRecord } from '../tuning/study.js';
import type { Sampler } from '../tuning/tpe.js';
import { specAsJson, type TrialJobData, type TrialSpec } from './trial-job.js';
import { TRIAL_WORKER_HEARTBEAT_SECONDS, type TrialRunner } from './trial-runner.js';

export interface QueuedStudyOptions {
  db: Database;
  queue: JobQueue;
  logger: Logger;
  /** This process's runner: wakes the study when a local trial ends, stops local trials on cancel. */
  runner: TrialRunner;
  jobId: string;
  seed: number;
  trials: number;
  sampler: Sampler;
  spec: TrialSpec;
  signal?: AbortSignal;
  /** Called as each trial is recorded, with the records so far (in the order they finished). */
  onTrial: (record: TrialRecord, records: readonly TrialRecord[]) => Promise<void>;
  /** Milliseconds between looks at tuning_trials. Default 1000. */
  pollMs?: number;
}

interface InFlight {
  data: TrialJobData;
  bossJobId: string;
  /** When this process first saw the job taken by a worker while the trial was still unclaimed. */
  takenUnclaimedSince?: number;
}

const FINISHED = new Set(['complete', 'pruned', 'failed']);

export async function runQueuedStudy(options: QueuedStudyOptions): Promise<TrialRecord[]> {
  const { db, queue, runner, jobId, spec, signal } = options;
  const log = options.logger.child({ jobId });
  const pollMs = options.pollMs ?? 1000;
  const leaseMs = queue.trialLeaseSeconds * 1000;
  const records: TrialRecord[] = [];
  const inFlight = new Map<number, InFlight>();
  let next = 0;
  let wake: (() => void) | null = null;
  let woken = false;
  const wakeUp = () => {
    woken = true;
    wake?.();
  };
  const stopListening = runner.onTrialEnd((id) => id === jobId && wakeUp());
  signal?.addEventListener('abort', wakeUp);

  const launch = async (number: number) => {
    const params: Params = options.sampler.suggest(records.map(completedTrial), number);
    validateParams(DEFAULT_PPO_SEARCH_SPACE, params);
    const seed = trialSeed(options.seed, number);
    const row = await queueTrial(db, {
      jobId,
      number,
      params: params as JsonObject,
      seed,
      task: specAsJson(spec),
    });
    const data: TrialJobData = { trialId: row.id, jobId, number, attempt: row.attempts, params, seed, spec };
    inFlight.set(number, { data, bossJobId: await queue.enqueueTrial(data) });
  };

  const record = async (row: TuningTrialRow, error = row.error) => {
    inFlight.delete(row.number);
    const trial: TrialRecord = {
      number: row.number,
      params: row.params as Params,
      seed: row.seed,
      curve: row.curve,
      value: row.value,
      state: row.state === 'complete' || row.state === 'pruned' ? row.state : 'failed',
      durationMs: row.durationMs ?? 0,
      ...(error !== null ? { error } : {}),
    };
    records.push(trial);
    await options.onTrial(trial, records);
  };

  /** The same parameters and seed as the next attempt, or failed when it has had all its attempts. */
  const retry = async (row: TuningTrialRow, flight: InFlight, why: string) => {
    if (row.attempts > queue.trialRetryLimit) {
      const error = `${why}; gave up after ${row.attempts} attempts`;
      if (await abandonTrial(db, { id: row.id, attempt: row.attempts }, error)) {
        await record({ ...row, state: 'failed' }, error);
      }
      return;
    }
    const attempt = await requeueTrial(db, { id: row.id, attempt: row.attempts });
    if (attempt === null) return; // it moved on (its worker finished it after all): seen next time
    log.warn('trial queued again', { trial: row.number, attempt, reason: why });
    flight.data = { ...flight.data, attempt };
    flight.takenUnclaimedSince = undefined;
    flight.bossJobId = await queue.enqueueTrial(flight.data);
  };

  const look = async () => {
    const preempted = await preemptExpiredTrials(db);
    if (preempted.length > 0) {
      log.warn('preempted trials whose lease ran out', {
        trials: preempted.map((t) => `${t.jobId}#${t.number} on ${t.worker ?? '?'}`),
      });
    }
    for (const row of await listTrials(db, jobId)) {
      const flight = inFlight.get(row.number);
      if (!flight || row.id !== flight.data.trialId || row.attempts !== flight.data.attempt) continue;
      if (FINISHED.has(row.state)) await record(row);
      else if (row.state === 'cancelled') await record(row, row.error ?? 'cancelled');
      else if (row.state === 'preempted') await retry(row, flight, row.error ?? 'preempted');
      else if (row.state === 'queued') await redeliverIfLost(row, flight);
    }
  };

  const redeliverIfLost = async (row: TuningTrialRow, flight: InFlight) => {
    const state = await queue.trialJobState(flight.bossJobId);
    if (state === 'created' || state === 'retry') return;
    if (state === 'active') {
      // A taker claims the trial as its first step; one that has not for a lease's time died before.
      flight.takenUnclaimedSince ??= Date.now();
      if (Date.now() - flight.takenUnclaimedSince < leaseMs) return;
      await queue.cancelTrialJobs([flight.bossJobId]);
    }
    await retry(row, flight, `trial job ${state ?? 'vanished'} without a worker claiming the trial`);
  };

  /** Until the next look is due, or a trial of this process ended, or the study is cancelled. */
  const pause = () =>
    new Promise<void>((resolve) => {
      if (woken) return resolve();
      const timer = setTimeout(resolve, pollMs);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    }).finally(() => {
      wake = null;
      woken = false;
    });

  try {
    await deleteTrials(db, jobId); // a job taken over from a dead worker runs its study again
    while (next < options.trials || inFlight.size > 0) {
      if (signal?.aborted) throw new CancelledError('hyperparameter search cancelled');
      await look();
      const slots = Math.max(1, await liveTrialSlots(db, 6 * TRIAL_WORKER_HEARTBEAT_SECONDS));
      while (next < options.trials && inFlight.size < slots) await launch(next++);
      if (inFlight.size > 0) await pause();
    }
    return records;
  } catch (error) {
    const reason = error instanceof CancelledError ? 'its retraining was cancelled' : 'its study failed';
    await cancelTrials(db, jobId, reason).catch(() => undefined);
    await queue.cancelTrialJobs([...inFlight.values()].map((f) => f.bossJobId)).catch(() => undefined);
    runner.cancelStudy(jobId);
    throw error;
  } finally {
    stopListening();
    signal?.removeEventListener('abort', wakeUp);
  }
}
