import { hostname } from 'node:os';
import type { RetrainingConfig } from '../config/schema.js';
import type { Database } from '../db/types.js';
import type { AbTestRow } from '../store/ab-tests.js';
import type { JsonObject } from '../store/json.js';
import type { DeploymentManager, DeploymentResult } from '../deployment/deployment-manager.js';
import { ConflictError, ValidationError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { SystemHealth } from '../monitoring/health.js';
import type { MonitoringService } from '../monitoring/monitoring-service.js';
import { lastMonitoringCheck, recordMonitoringCheck } from '../store/monitoring-checks.js';
import {
  abandonJob,
  createJob,
  findJob,
  findJobByQueueJob,
  findRunningJob,
  finishJob,
  getJob,
  listJobs,
  resumeJob,
  staleRunningJobs,
  startJob,
  type JobTrigger,
  type RetrainingJobRow,
} from '../store/retraining-jobs.js';
import { failOrphanedVersions } from '../store/versions.js';
import type { PipelineTrainer } from '../training/training-thread.js';
import { isStudyTuner } from '../training/parallel-tuner.js';
import { nextRuns, type JobQueue, type RetrainingJobData } from './jobs.js';
import { runPipeline, type PipelineOptions, type PipelineResult, type Tuner } from './pipeline.js';
import type { ModelType } from '../store/versions.js';

export interface RetrainingServiceOptions {
  db: Database;
  config: RetrainingConfig;
  logger: Logger;
  deployments: DeploymentManager;
  monitoring: MonitoringService;
  trainer?: PipelineTrainer;
  tuner?: Tuner;
  modelType?: ModelType;
  now?: () => Date;
  /** With a queue, retrainings go through pg-boss (any worker may run them); without, in this process. */
  queue?: JobQueue | null;
  /** A running job without a heartbeat for this long belongs to a dead process and may be taken over. Default 60. */
  staleAfterSeconds?: number;
  /** Days of history a first model reads (see `PipelineDependencies.firstModelLookbackDays`). */
  firstModelLookbackDays?: number;
}

/**
 * The jobs running in this process, whichever service instance runs them: a job of this process's
 * worker that is not here was left by a run that could not record its end.
 */
const RUNNING_HERE = new Map<string, Promise<unknown>>();

/** The product README's RetrainingService: runs retrainings, and is the door to tests, rollbacks and health. */
export class RetrainingService {
  readonly worker = `${hostname()}:${process.pid}`;
  #options: RetrainingServiceOptions;
  readonly #abort = new AbortController();
  #running: Promise<unknown> | null = null;
  #stopping = false;

  constructor(options: RetrainingServiceOptions) {
    this.#options = options;
  }

  get config(): RetrainingConfig {
    return this.#options.config;
  }

  /**
   * Sends retrainings through the job queue from now on (the system calls this once it has started
   * one); a study tuner queues its trials there too, and offers this process's trial slots.
   */
  useQueue(queue: JobQueue | null): void {
    this.#options.queue = queue;
    const { tuner, logger } = this.#options;
    if (isStudyTuner(tuner)) {
      tuner
        .useQueue(queue)
        .catch((error: unknown) => logger.error('could not take trial jobs', error as Error));
    }
  }

  /**
   * Starts one retraining and returns its job (status `queued`, or `running` when this process
   * runs it at once). With a job queue, any worker takes it; without one, it runs here in the
   * background. Refused while another retraining is running.
   */
  async startRetraining(options: { trigger?: JobTrigger } = {}): Promise<RetrainingJobRow> {
    this.#refuseWhenStopping();
    const { db } = this.#options;
    let running = await findRunningJob(db);
    // A job left running by a process that died (and that nobody will deliver again) is ended first.
    if (running && (await this.sweepOrphanedJobs()).length > 0) running = await findRunningJob(db);
    if (running)
      throw new ConflictError(
        `retraining job ${running.id} is already running (${running.stage ?? 'starting'})`,
      );
    const job = await createJob(db, { trigger: options.trigger ?? 'manual', config: this.#jobConfig() });
    if (this.#options.queue) {
      try {
        await this.#options.queue.enqueueRetraining({ jobId: job.id, trigger: job.trigger });
      } catch (error) {
        // Not left `queued` for a delivery that will never come.
        await finishJob(db, job.id, {
          status: 'failed',
          error: `could not queue the retraining: ${(error as Error).message}`,
        }).catch(() => undefined);
        throw error;
      }
      return job;
    }
    const started = await this.#startOrSweep(job.id);
    this.#track(this.#run(started.id, {}));
    return started;
  }

  /** One retraining in the foreground (the CLI's `retrain run`): create, run, and return the result. */
  async runRetraining(
    options: { trigger?: JobTrigger } & PipelineOptions = {},
  ): Promise<{ job: RetrainingJobRow; result: PipelineResult }> {
    this.#refuseWhenStopping();
    const { db } = this.#options;
    const job = await createJob(db, { trigger: options.trigger ?? 'manual', config: this.#jobConfig() });
    try {
      await this.#startOrSweep(job.id);
    } catch (error) {
      await this.#skipQueued(job.id, (error as Error).message);
      throw error;
    }
    const result = await this.#track(this.#run(job.id, options));
    return { job: await getJob(db, job.id), result };
  }

  /**
   * What a worker does with a queue delivery (`queueJobId` is pg-boss's id, the same through its
   * retries): the row it names, or for a cron tick the row its first delivery made (a new one the
   * first time), taken over when a dead process left it running. A tick while another retraining
   * runs is skipped.
   */
  async processQueueJob(data: RetrainingJobData, queueJobId?: string): Promise<PipelineResult | null> {
    const { db, logger } = this.#options;
    let row: RetrainingJobRow | null;
    if (data.jobId) {
      row = await findJob(db, data.jobId);
    } else {
      row =
        (queueJobId ? await findJobByQueueJob(db, queueJobId) : null) ??
        (await createJob(db, {
          trigger: data.trigger,
          config: this.#jobConfig(),
          ...(queueJobId ? { queueJobId } : {}),
        }));
    }
    if (!row) {
      logger.warn('queued retraining job has no row; ignored', { jobId: data.jobId });
      return null;
    }
    const id = row.id;
    if (row.status === 'running') {
      const here = RUNNING_HERE.get(id);
      if (here) {
        // pg-boss expired the delivery of a run still going here and handed it out again. Held
        // until the run ends, so the queue keeps a delivery to retry should this process die.
        logger.info('retraining job is running in this process; the repeated delivery waits for it', {
          jobId: id,
        });
        await here.catch(() => undefined);
        return null;
      }
      // Only a process that died leaves its job running while pg-boss hands it out again; so does
      // a run of this process that could not record its end (the database refused the write).
      const resumed = await resumeJob(
        db,
        id,
        this.worker,
        `taken over by ${this.worker}: ${row.worker ?? 'its worker'} stopped without finishing`,
        this.#staleAfterFor(row),
        queueJobId,
      );
      if (!resumed) {
        // Another worker's heartbeat is recent: it is alive, or died less than the stale age ago.
        // Completing this delivery would lose the job in the second case; failing it makes pg-boss
        // deliver it again after a backoff, by when the heartbeat tells which.
        throw new ConflictError(
          `retraining job ${id} is running on ${row.worker ?? 'another worker'} with a recent heartbeat; the queue delivers it again later`,
        );
      }
      logger.warn('took over a retraining job whose worker died', { jobId: id, previousWorker: row.worker });
      const failed = await failOrphanedVersions(db);
      if (failed.length > 0) logger.warn('marked half-made versions failed', { versions: failed });
    } else if (row.status === 'queued') {
      try {
        await this.#startOrSweep(id, queueJobId);
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        await this.#skipQueued(id, error.message);
        return null;
      }
    } else {
      return null; // finished already (a duplicate delivery)
    }
    return this.#track(this.#run(id, {}));
  }

  /**
   * Looks after running jobs whose worker is gone: its heartbeat is older than the stale age
   * (embedded: any other process's, since the folder lock proves it dead). A delivery the dead
   * worker still holds is handed back to the queue at once (pg-boss would wait for its expiry), to
   * be taken over; a job the queue will not deliver again (its retries spent, or run outside the
   * queue, as `retrain run` does) is ended failed with where it stood and an alert, its half-made
   * version failed: left `running`, it would block every later retraining. Run by every worker
   * when it starts and every half stale age (at most 30 s) after, and before a retraining is refused as "already running".
   * Returns the jobs ended.
   */
  async sweepOrphanedJobs(): Promise<RetrainingJobRow[]> {
    const { db, logger, queue } = this.#options;
    const ended: RetrainingJobRow[] = [];
    const candidates = await staleRunningJobs(db, this.#exclusive ? 0 : this.#staleAfter);
    for (const row of candidates) {
      if (RUNNING_HERE.has(row.id)) continue; // alive, in this process
      const staleAfter = this.#staleAfterFor(row);
      let reason: string;
      const where = `at ${row.stage ?? 'its start'}, attempt ${row.attempt}`;
      if (row.queueJobId) {
        if (!queue) continue; // the queue's business, and this process cannot see it
        const delivery = await queue.retrainingDelivery(row.queueJobId);
        if (delivery === 'waiting') continue; // handed out again soon: the take-over path's business
        if (delivery === 'taken') {
          // Still held by the dead worker: handed back now, not when pg-boss expires it (45 min).
          await queue.releaseRetrainingDelivery(
            row.queueJobId,
            `its worker ${row.worker ?? '(unknown)'} stopped`,
          );
          logger.warn('handed back the delivery of a retraining job whose worker stopped', {
            jobId: row.id,
            worker: row.worker,
          });
          continue;
        }
        reason = `its worker ${row.worker ?? '(unknown)'} stopped without finishing (${where}) and the queue's retries are spent`;
      } else {
        reason = `its process ${row.worker ?? '(unknown)'} stopped without finishing (${where}); a run outside the job queue is not retried`;
      }
      const abandoned = await abandonJob(db, row.id, reason, staleAfter);
      if (!abandoned) continue;
      const failed = await failOrphanedVersions(db);
      logger.warn('ended a retraining job nobody will finish', {
        jobId: row.id,
        reason,
        failedVersions: failed,
      });
      await this.#options.monitoring.alerter
        .raise({
          type: 'training_failure',
          severity: 'high',
          message: `retraining ${row.id} failed: ${reason}${failed.length ? `; half-made ${failed.join(', ')} failed` : ''}`,
          timestamp: this.#options.now?.() ?? new Date(),
        })
        .catch((error: unknown) => logger.error('could not raise an alert', error as Error));
      ended.push(abandoned);
    }
    return ended;
  }

  get #staleAfter(): number {
    return this.#options.staleAfterSeconds ?? 60;
  }

  /**
   * The embedded database is opened by one process at a time (its folder lock): a job another
   * worker left running there belongs to a process that is certainly dead.
   */
  get #exclusive(): boolean {
    return this.#options.db.kind === 'embedded';
  }

  /**
   * How old a running job's heartbeat must be before it counts as its worker's death (asked only
   * of jobs this process is not running): none for this process's own or, embedded, any other.
   */
  #staleAfterFor(row: RetrainingJobRow): number {
    return row.worker === this.worker || this.#exclusive ? 0 : this.#staleAfter;
  }

  /** Starts a queued job; when another is "running", ends it first if it is an orphan, then tries once more. */
  async #startOrSweep(id: string, queueJobId?: string): Promise<RetrainingJobRow> {
    const { db } = this.#options;
    try {
      return await startJob(db, id, this.worker, queueJobId);
    } catch (error) {
      if (!(error instanceof ConflictError) || (await this.sweepOrphanedJobs()).length === 0) throw error;
      return startJob(db, id, this.worker, queueJobId);
    }
  }

  async #skipQueued(id: string, reason: string): Promise<void> {
    await finishJob(this.#options.db, id, { status: 'skipped', error: reason });
  }

  async #run(jobId: string, options: PipelineOptions): Promise<PipelineResult> {
    const o = this.#options;
    const run = runPipeline(
      {
        db: o.db,
        config: o.config,
        deployments: o.deployments,
        alerter: o.monitoring.alerter,
        logger: o.logger,
        ...(o.trainer ? { trainer: o.trainer } : {}),
        ...(o.tuner ? { tuner: o.tuner } : {}),
        ...(o.now ? { now: o.now } : {}),
        ...(o.modelType ? { modelType: o.modelType } : {}),
        ...(o.firstModelLookbackDays !== undefined
          ? { firstModelLookbackDays: o.firstModelLookbackDays }
          : {}),
      },
      jobId,
      { ...options, signal: options.signal ?? this.#abort.signal },
    ).finally(() => RUNNING_HERE.delete(jobId));
    RUNNING_HERE.set(jobId, run);
    return run;
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    const tracked = promise.finally(() => {
      if (this.#running === tracked) this.#running = null;
    });
    this.#running = tracked;
    tracked.catch((error: unknown) => this.#options.logger.error('retraining crashed', error as Error));
    return tracked;
  }

  /**
   * Runs the monitoring checks when `checkIntervalHours` has passed since they last ran (the
   * 5-minute tick). The time is kept in the database, so a restart or another worker keeps the pace;
   * a check that fails is tried again on the next tick.
   */
  async monitoringTick(): Promise<boolean> {
    const { db, config, monitoring } = this.#options;
    const last = await lastMonitoringCheck(db);
    const now = this.#options.now?.() ?? new Date();
    const due =
      !last ||
      now.getTime() - last.getTime() >= config.monitoring.modelDriftDetection.checkIntervalHours * 3_600_000;
    if (due) {
      await monitoring.runChecks();
      await recordMonitoringCheck(db, now);
    }
    return due;
  }

  getCurrentJob(): Promise<RetrainingJobRow | null> {
    return findRunningJob(this.#options.db);
  }

  getJob(id: string): Promise<RetrainingJobRow> {
    return getJob(this.#options.db, id);
  }

  listJobs(limit = 50): Promise<RetrainingJobRow[]> {
    return listJobs(this.#options.db, limit);
  }

  /** The next scheduled retraining instants (none when the schedule is disabled). */
  nextRuns(count = 1, from?: Date): Date[] {
    const { schedule } = this.#options.config;
    if (!schedule.enabled) return [];
    return nextRuns(schedule, from ?? this.#options.now?.() ?? new Date(), count);
  }

  startABTest(modelA: string, modelB: string, trafficSplit: number): Promise<AbTestRow> {
    return this.#options.deployments.startABTest(modelA, modelB, trafficSplit);
  }

  /** Rolls production back to the last good version (or `version`); the reason is required and kept. */
  async rollbackModel(reason: string, version?: string): Promise<DeploymentResult> {
    if (typeof reason !== 'string' || !reason.trim())
      throw new ValidationError('a rollback needs a reason', 'reason');
    return this.#options.deployments.rollback({
      reason,
      ...(version ? { toVersion: version } : {}),
      actor: 'api',
    });
  }

  checkSystemHealth(): Promise<SystemHealth> {
    return this.#options.monitoring.getSystemHealth();
  }

  /**
   * Stops taking work; a retraining in progress is given `graceMs` to finish, then cancelled (its
   * job ends `cancelled`, a half-made version `failed`).
   */
  async shutdown(graceMs = 30_000): Promise<void> {
    this.#stopping = true;
    const running = this.#running;
    if (running) {
      const finished = await Promise.race([
        running.then(
          () => true,
          () => true,
        ),
        new Promise<false>((resolve) => setTimeout(() => resolve(false), graceMs).unref()),
      ]);
      if (!finished) {
        this.#abort.abort();
        await running.catch(() => undefined);
      }
    }
    // Trials of other workers' studies running here are handed back, to be queued again at once.
    const { tuner } = this.#options;
    if (isStudyTuner(tuner)) await tuner.close();
  }

  #refuseWhenStopping(): void {
    if (this.#stopping) throw new ConflictError('the retraining service is shutting down');
  }

  /** The settings a job ran with, kept on its row. */
  #jobConfig(): JsonObject {
    const { training, dataCollection, evaluation } = this.#options.config;
    return { training, dataCollection, evaluation } as unknown as JsonObject;
  }
}
