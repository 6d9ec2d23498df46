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
  createJob,
  findJob,
  findRunningJob,
  finishJob,
  getJob,
  listJobs,
  resumeJob,
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
    const running = await findRunningJob(db);
    if (running)
      throw new ConflictError(
        `retraining job ${running.id} is already running (${running.stage ?? 'starting'})`,
      );
    const job = await createJob(db, { trigger: options.trigger ?? 'manual', config: this.#jobConfig() });
    if (this.#options.queue) {
      await this.#options.queue.enqueueRetraining({ jobId: job.id, trigger: job.trigger });
      return job;
    }
    const started = await startJob(db, job.id, this.worker);
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
    await startJob(db, job.id, this.worker);
    const result = await this.#track(this.#run(job.id, options));
    return { job: await getJob(db, job.id), result };
  }

  /**
   * What a worker does with a queue job: the row it names (or a new one for a cron tick), taken
   * over when a dead process left it running. A tick while another retraining runs is skipped.
   */
  async processQueueJob(data: RetrainingJobData): Promise<PipelineResult | null> {
    const { db, logger } = this.#options;
    let id = data.jobId;
    if (!id) id = (await createJob(db, { trigger: data.trigger, config: this.#jobConfig() })).id;
    const row = await findJob(db, id);
    if (!row) {
      logger.warn('queued retraining job has no row; ignored', { jobId: id });
      return null;
    }
    if (row.status === 'running') {
      // Only a process that died leaves its job running while pg-boss hands it out again; so does
      // a run of this process that could not record its end (the database refused the write).
      const ownOrphan = row.worker === this.worker && this.#running === null;
      const resumed = await resumeJob(
        db,
        id,
        this.worker,
        `taken over by ${this.worker}: ${row.worker ?? 'its worker'} stopped without finishing`,
        ownOrphan ? 0 : (this.#options.staleAfterSeconds ?? 60),
      );
      if (!resumed && row.worker === this.worker) {
        logger.info('retraining job is running in this process; duplicate delivery ignored', { jobId: id });
        return null;
      }
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
        await startJob(db, id, this.worker);
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

  async #skipQueued(id: string, reason: string): Promise<void> {
    await finishJob(this.#options.db, id, { status: 'skipped', error: reason });
  }

  async #run(jobId: string, options: PipelineOptions): Promise<PipelineResult> {
    const o = this.#options;
    return runPipeline(
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
    );
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
