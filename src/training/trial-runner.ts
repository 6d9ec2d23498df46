/**
 * The trials of one process: it runs them on its own slots (worker threads of a pool, or the
 * process itself for a single slot without a queue), each under a lease in tuning_trials that it renews while
 * the trial runs. With a job queue it takes trial jobs of any study, so every `retrain worker`
 * process on the same database adds its slots; it says so in trial_workers every few seconds, so
 * coordinating tuners know how many trials may run at once. A trial whose lease is taken away
 * (preempted, or its study cancelled) is stopped and its result dropped; a stopping process hands
 * its running trials back at once.
 */
import type { Database } from '../db/types.js';
import { CancelledError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { JobQueue } from '../orchestration/jobs.js';
import type { MarketBar } from '../store/market-bars.js';
import {
  claimTrial,
  finishTrial,
  preemptExpiredTrials,
  registerTrialWorker,
  releaseTrial,
  removeGoneTrialWorkers,
  removeTrialWorker,
  renewTrialLease,
  trialCurves,
  type TrialClaim,
} from '../store/tuning-trials.js';
import { loadReferencedBars, trialTask, type TrialJobData } from './trial-job.js';
import { TrialPool } from './trial-pool.js';
import { runTrialTask, type TrialOutcome, type TrialTask } from './trial.js';

/** How often a process says it is alive in trial_workers; a tuner counts slots seen within 6 × this. */
export const TRIAL_WORKER_HEARTBEAT_SECONDS = 5;

export interface TrialRunnerOptions {
  db: Database;
  logger: Logger;
  /** host:pid, written on the trials it runs. */
  worker: string;
  /** Trials at once (worker threads of a pool; one slot without a queue runs in this process). */
  slots: number;
  /** How a task runs; default on the pool or in process. Tests give one that hangs. */
  runTask?: (task: TrialTask, signal: AbortSignal) => Promise<TrialOutcome>;
  /** Milliseconds between lease renewals; default a quarter of the lease. */
  renewEveryMs?: number;
}

interface RunningTrial {
  jobId: string;
  claim: TrialClaim;
  controller: AbortController;
  done: Promise<void>;
}

export class TrialRunner {
  readonly worker: string;
  readonly slots: number;
  readonly #options: TrialRunnerOptions;
  #pool: TrialPool | null = null;
  #queue: JobQueue | null = null;
  #heartbeat: NodeJS.Timeout | null = null;
  #stopping = false;
  readonly #running = new Set<RunningTrial>();
  readonly #listeners = new Set<(jobId: string) => void>();
  #bars: { key: string; bars: Promise<Record<string, MarketBar[]>> } | null = null;

  constructor(options: TrialRunnerOptions) {
    if (!Number.isInteger(options.slots) || options.slots < 1)
      throw new RangeError(`trial slots ${options.slots}; expected an integer ≥ 1`);
    this.#options = options;
    this.worker = options.worker;
    this.slots = options.slots;
  }

  /** Whether this process takes trial jobs from a queue (then its studies go through the queue too). */
  get working(): boolean {
    return this.#queue !== null && !this.#stopping;
  }

  /**
   * Runs a task on a free slot; `signal` cancels it. A process working the queue trains on threads
   * even with one slot: its main thread must stay free to renew leases and coordinate, or a long
   * training step would let a lease run out under a live worker. Same results either way.
   */
  run(task: TrialTask, signal: AbortSignal): Promise<TrialOutcome> {
    if (this.#options.runTask) return this.#options.runTask(task, signal);
    if (this.slots === 1 && !this.#queue) return runTrialTask(task, signal);
    this.#pool ??= new TrialPool(this.slots);
    return this.#pool.run(task, signal);
  }

  /**
   * Runs a claimed trial, renewing its lease until it ends. Null when the lease was taken away
   * (the trial was preempted or cancelled: its result is not this run's to record); a CancelledError
   * when `signal` cancelled it.
   */
  async runLeased(
    claim: TrialClaim,
    task: TrialTask,
    leaseSeconds: number,
    signal?: AbortSignal,
  ): Promise<TrialOutcome | null> {
    // runTrialTask and the pool listen for an abort; one that already happened would go unseen.
    if (signal?.aborted) throw new CancelledError(`trial ${task.number} cancelled before it started`);
    const controller = new AbortController();
    const stop = () => controller.abort();
    signal?.addEventListener('abort', stop, { once: true });
    let lost = false;
    const renew = async () => {
      try {
        if (!(await renewTrialLease(this.#options.db, { ...claim, leaseSeconds }))) {
          lost = true;
          controller.abort();
        }
      } catch (error) {
        // A missed renewal is not fatal: the lease has three more before it runs out.
        this.#options.logger.warn('could not renew a trial lease', {
          trial: claim.id,
          error: (error as Error).message,
        });
      }
    };
    const timer = setInterval(() => void renew(), this.#options.renewEveryMs ?? (leaseSeconds * 1000) / 4);
    try {
      return await this.run(task, controller.signal);
    } catch (error) {
      if (lost && error instanceof CancelledError) return null;
      throw error;
    } finally {
      clearInterval(timer);
      signal?.removeEventListener('abort', stop);
    }
  }

  /** Calls `listener` with the job id whenever a trial this process ran has been recorded or handed back. */
  onTrialEnd(listener: (jobId: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Takes trial jobs from `queue` on every slot until `stop`. Every heartbeat it also marks trials
   * whose lease ran out preempted (whichever study they belong to, so none stays running when its
   * coordinator died too) and forgets workers gone for an hour.
   */
  async work(queue: JobQueue): Promise<void> {
    if (this.#queue) return;
    this.#queue = queue;
    const { db, logger } = this.#options;
    await registerTrialWorker(db, this.worker, this.slots);
    const beat = async () => {
      await registerTrialWorker(db, this.worker, this.slots);
      await preemptExpiredTrials(db);
      await removeGoneTrialWorkers(db, 3600);
    };
    this.#heartbeat = setInterval(() => {
      beat().catch((error: unknown) =>
        logger.warn('trial worker heartbeat failed', { error: (error as Error).message }),
      );
    }, TRIAL_WORKER_HEARTBEAT_SECONDS * 1000);
    this.#heartbeat.unref();
    await queue.workTrials(this.slots, (data) => this.#take(data, queue.trialLeaseSeconds));
  }

  /** Stops this process's trials of `jobId` now (its study was cancelled here). */
  cancelStudy(jobId: string): void {
    for (const trial of this.#running) if (trial.jobId === jobId) trial.controller.abort();
  }

  /** Stops taking trials, hands the running ones back (their tuners queue them again), closes the threads. */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    await this.#queue?.stopWorkingTrials();
    for (const trial of this.#running) trial.controller.abort();
    await Promise.allSettled([...this.#running].map((trial) => trial.done));
    if (this.#queue) await removeTrialWorker(this.#options.db, this.worker).catch(() => undefined);
    await this.#pool?.close();
    this.#pool = null;
  }

  async #take(data: TrialJobData, leaseSeconds: number): Promise<void> {
    const { db, logger } = this.#options;
    const log = logger.child({ jobId: data.jobId, trial: data.number, attempt: data.attempt });
    if (this.#stopping) return; // taken after `stop`: the tuner sees the job end unclaimed and queues it again
    const claim: TrialClaim = { id: data.trialId, attempt: data.attempt, worker: this.worker };
    const row = await claimTrial(db, { ...claim, leaseSeconds });
    if (!row) {
      log.debug(
        'trial delivery is stale (claimed, queued again, cancelled, or its retraining ended); ignored',
      );
      return;
    }
    const controller = new AbortController();
    let finished!: () => void;
    const trial: RunningTrial = {
      jobId: data.jobId,
      claim,
      controller,
      done: new Promise<void>((resolve) => (finished = resolve)),
    };
    this.#running.add(trial);
    if (this.#stopping) controller.abort(); // claimed while `stop` ran: handed back at once
    log.info('trial started', { worker: this.worker });
    try {
      let outcome: TrialOutcome | null;
      try {
        const bars = await this.#loadBars(data);
        const curves = await trialCurves(db, data.jobId, row.prunedAgainst);
        outcome = await this.runLeased(
          claim,
          trialTask(
            data,
            bars,
            curves.map((c) => c.curve),
          ),
          leaseSeconds,
          controller.signal,
        );
      } catch (error) {
        if (error instanceof CancelledError) {
          if (this.#stopping)
            await releaseTrial(db, claim, `released by ${this.worker}: the process stopped`);
          log.info('trial stopped', { reason: this.#stopping ? 'process stopping' : 'study cancelled' });
          return;
        }
        const message = error instanceof Error ? error.message : String(error);
        outcome = {
          number: data.number,
          state: 'failed',
          value: null,
          curve: [],
          error: message,
          durationMs: 0,
        };
      }
      if (outcome === null) {
        log.warn('trial lease was taken away (preempted or cancelled); result dropped');
        return;
      }
      const recorded = await finishTrial(db, claim, {
        state: outcome.state,
        value: outcome.value,
        curve: outcome.curve,
        error: outcome.error ?? null,
        durationMs: outcome.durationMs,
      });
      log.info(recorded ? `trial ${outcome.state}` : 'trial result not recorded: queued again meanwhile', {
        value: outcome.value,
        ...(outcome.error ? { error: outcome.error } : {}),
      });
    } finally {
      this.#running.delete(trial);
      finished();
      for (const listener of this.#listeners) listener(data.jobId);
    }
  }

  /** The study's bars, loaded once per study (every trial of it refers to the same ones). */
  #loadBars(data: TrialJobData): Promise<Record<string, MarketBar[]>> {
    const key = JSON.stringify(data.spec.data);
    if (this.#bars?.key !== key) {
      const bars = loadReferencedBars(this.#options.db, data.spec.data);
      this.#bars = { key, bars };
      bars.catch(() => {
        if (this.#bars?.bars === bars) this.#bars = null;
      });
    }
    return this.#bars.bars;
  }
}
