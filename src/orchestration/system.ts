/**
 * The whole system in one process: database, job queue (pg-boss) with the cron schedule and the
 * monitoring tick, the retraining worker, deployment and monitoring. `quickStartRetraining` and
 * `RetrainingFactory` are the product README's ways in.
 */
import { availableParallelism, hostname } from 'node:os';
import { ConfigError } from '../errors.js';
import { DEFAULT_RETRAINING_CONFIG } from '../config/defaults.js';
import { mergeConfig } from '../config/merge.js';
import type { RetrainingConfig, RetrainingConfigInput } from '../config/schema.js';
import { validateConfig } from '../config/validate.js';
import { openDatabase, resolveDatabaseOptions } from '../db/connect.js';
import { migrate } from '../db/migrate.js';
import type { Database } from '../db/types.js';
import type { AbTestManager } from '../deployment/ab-test-manager.js';
import { DeploymentManager } from '../deployment/deployment-manager.js';
import { Logger } from '../logging/logger.js';
import { DataCollector } from '../market/data-collector.js';
import { Alerter } from '../monitoring/alerts/alerter.js';
import { AlertDispatcher } from '../monitoring/alerts/dispatcher.js';
import { channelsFromEnvironment, deliveryFromEnvironment } from '../monitoring/alerts/environment.js';
import type { HealthProbes, SystemHealth } from '../monitoring/health.js';
import { MonitoringService } from '../monitoring/monitoring-service.js';
import type { ModelType, ModelVersionRow } from '../store/versions.js';
import { findProductionVersion } from '../store/versions.js';
import type { RetrainingJobRow } from '../store/retraining-jobs.js';
import { ModelTrainer } from '../training/model-trainer.js';
import { TrainingThread } from '../training/training-thread.js';
import { createTuner } from '../training/parallel-tuner.js';
import { JobQueue, queueSettingsFromEnvironment, TICK_CHECK_SECONDS, type QueueSettings } from './jobs.js';
import type { Tuner } from './pipeline.js';
import { RetrainingService } from './retraining-service.js';

/** A scheduler whose last successful check of the ticks is older than this is reported as not firing. */
const SCHEDULER_SILENT_MS = 6 * TICK_CHECK_SECONDS * 1000;

export interface RetrainingSystemOptions {
  /** Use this database (the caller closes it); otherwise one is opened from `databaseUrl`/`dataDir`/the environment. */
  db?: Database;
  databaseUrl?: string;
  dataDir?: string;
  /** Server only: the schema for the system's tables. */
  schema?: string;
  /** pg-boss's schema; default RETRAINING_BOSS_SCHEMA or `pgboss`. */
  bossSchema?: string;
  logger?: Logger;
  /** Where alert channel settings are read from; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Run the job queue (schedule, monitoring tick, workers). Default true; false gives a library-only system. */
  jobs?: boolean;
  /** Take retraining jobs in this process. Default true. */
  worker?: boolean;
  /** Keep the cron schedule firing from this process. Default true. */
  scheduler?: boolean;
  modelType?: ModelType;
  /** Days of history a first model reads when none is in production; default a year (pipeline.ts). */
  firstModelLookbackDays?: number;
  tuner?: Tuner;
  now?: () => Date;
  /** Worker threads for hyperparameter trials; default RETRAINING_TRIAL_THREADS or one per core. */
  trialThreads?: number;
  /**
   * Train and backtest on a worker thread (default), so the API and the job queue on this thread
   * keep answering during a retraining; false trains on this thread.
   */
  trainInThread?: boolean;
  /** Queue timing, over the environment's (RETRAINING_JOB_EXPIRE_SECONDS and friends, see docs/operations.md). */
  queue?: QueueSettings;
}

export interface RetrainingServices {
  retrainingService: RetrainingService;
  deploymentManager: DeploymentManager;
  abTestManager: AbTestManager;
  monitoringService: MonitoringService;
  dataCollector: DataCollector;
  modelTrainer: ModelTrainer;
  alerter: Alerter;
}

export interface SystemStatus {
  running: boolean;
  currentJob: RetrainingJobRow | null;
  productionVersion: Pick<ModelVersionRow, 'version' | 'modelType' | 'deployedAt' | 'metrics'> | null;
  nextRuns: Date[];
  health: SystemHealth;
  database: { kind: string; location: string };
}

export class RetrainingSystem {
  readonly services: RetrainingServices;
  #queue: JobQueue | null = null;
  private readonly queueSettings: QueueSettings;
  #running = false;
  readonly #trainingThread: TrainingThread | null;
  /** This worker's periodic look after jobs whose worker died. */
  #sweeper: NodeJS.Timeout | null = null;

  private constructor(
    readonly db: Database,
    readonly config: RetrainingConfig,
    readonly logger: Logger,
    private readonly ownsDatabase: boolean,
    private readonly options: RetrainingSystemOptions,
  ) {
    const env = options.env ?? process.env;
    this.queueSettings = { ...queueSettingsFromEnvironment(env), ...(options.queue ?? {}) };
    const now = options.now;
    const alerter = new Alerter({
      db,
      dispatcher: new AlertDispatcher({
        channels: channelsFromEnvironment(env, logger),
        logger,
        ...deliveryFromEnvironment(env),
      }),
      logger,
      enabled: config.monitoring.alertsEnabled,
      ...(now ? { now } : {}),
    });
    const deploymentManager = new DeploymentManager(db, config.deployment, {
      logger,
      evaluation: config.evaluation,
      ...(now ? { now } : {}),
    });
    const probes: HealthProbes = {
      scheduler: async () => {
        const nextRunAt = this.services.retrainingService.nextRuns(1)[0] ?? null;
        if (!this.#queue)
          return { alive: false, nextRunAt, detail: 'the job queue is not running in this process' };
        const state = this.#queue.schedulerState();
        if (!state.firing) {
          return {
            alive: false,
            nextRunAt,
            detail:
              'this process does not fire the schedule (started without the scheduler); check a process that does',
          };
        }
        if (state.error) return { alive: false, nextRunAt, detail: `its last check failed: ${state.error}` };
        const lastCheckMs = state.lastCheckAt ? Date.now() - state.lastCheckAt.getTime() : null;
        if (lastCheckMs !== null && lastCheckMs > SCHEDULER_SILENT_MS) {
          return {
            alive: false,
            nextRunAt,
            detail: `its last check was ${Math.round(lastCheckMs / 1000)} s ago`,
          };
        }
        return { alive: true, nextRunAt };
      },
    };
    const monitoringService = new MonitoringService(db, config, deploymentManager, {
      logger,
      alerter,
      probes,
      ...(now ? { now } : {}),
    });
    const modelTrainer = new ModelTrainer();
    this.#trainingThread = options.trainInThread === false ? null : new TrainingThread();
    this.services = {
      deploymentManager,
      abTestManager: deploymentManager.abTests,
      monitoringService,
      alerter,
      modelTrainer,
      dataCollector: new DataCollector(db, config.dataCollection, { logger }),
      retrainingService: new RetrainingService({
        db,
        config,
        logger,
        deployments: deploymentManager,
        monitoring: monitoringService,
        trainer: this.#trainingThread ?? modelTrainer,
        tuner:
          options.tuner ??
          createTuner({
            db,
            config,
            logger,
            worker: `${hostname()}:${process.pid}`,
            threads: options.trialThreads ?? trialThreadsFromEnvironment(options.env ?? process.env),
          }),
        ...(options.modelType ? { modelType: options.modelType } : {}),
        ...(now ? { now } : {}),
        staleAfterSeconds: this.queueSettings.staleAfterSeconds ?? 60,
        ...(options.firstModelLookbackDays !== undefined
          ? { firstModelLookbackDays: options.firstModelLookbackDays }
          : {}),
      }),
    };
  }

  /** The product README reaches the services as `system._services`. */
  get _services(): RetrainingServices {
    return this.services;
  }

  get isRunning(): boolean {
    return this.#running;
  }

  /** Opens (and migrates) the database and builds the services; nothing runs until `start()`. */
  static async create(
    config: RetrainingConfigInput = {},
    options: RetrainingSystemOptions = {},
  ): Promise<RetrainingSystem> {
    const resolved = validateConfig(mergeConfig(DEFAULT_RETRAINING_CONFIG, config));
    const logger = options.logger ?? new Logger({ context: { service: 'retraining' } });
    const db =
      options.db ??
      (await openDatabase({
        ...(options.databaseUrl ? { url: options.databaseUrl } : {}),
        ...(options.dataDir ? { dataDir: options.dataDir } : {}),
        ...(options.schema ? { schema: options.schema } : {}),
      }));
    try {
      await migrate(db);
    } catch (error) {
      if (!options.db) await db.close();
      throw error;
    }
    return new RetrainingSystem(db, resolved, logger, !options.db, options);
  }

  /**
   * Starts the job queue: the cron schedule (`schedule.enabled`), the monitoring tick, and this
   * process as a worker; with `runOnStartup`, queues a retraining now.
   */
  async start(): Promise<void> {
    if (this.#running) return;
    if (this.#queue) return this.resume();
    const o = this.options;
    const service = this.services.retrainingService;
    if (o.jobs !== false) {
      const url = o.databaseUrl ?? resolveDatabaseOptions({}).url;
      this.#queue = await JobQueue.start(this.db, {
        ...(url ? { url } : {}),
        schema: o.bossSchema ?? (o.env ?? process.env).RETRAINING_BOSS_SCHEMA?.trim() ?? 'pgboss',
        logger: this.logger,
        schedule: o.scheduler ?? true,
        ...this.queueSettings,
      });
      service.useQueue(this.#queue);
      await this.#queue.applySchedule(this.config);
      if (o.worker !== false) await this.#work(this.#queue);
    }
    this.#running = true;
    this.logger.info('retraining system started', {
      database: this.db.location,
      schedule: this.config.schedule.enabled
        ? `${this.config.schedule.cronExpression} (${this.config.schedule.timezone})`
        : 'off',
      nextRun: service.nextRuns(1)[0]?.toISOString() ?? null,
    });
    if (this.config.schedule.runOnStartup) await service.startRetraining({ trigger: 'startup' });
  }

  async #work(queue: JobQueue): Promise<void> {
    const service = this.services.retrainingService;
    // Jobs whose worker died: handed back to the queue, or ended when nobody will finish them.
    let sweeping = false; // one at a time: a delivery is handed back once
    const sweep = async () => {
      if (sweeping) return;
      sweeping = true;
      try {
        await service.sweepOrphanedJobs();
      } catch (error) {
        this.logger.error('could not look after orphaned retraining jobs', error as Error);
      } finally {
        sweeping = false;
      }
    };
    await sweep();
    clearInterval(this.#sweeper ?? undefined);
    const staleAfter = this.queueSettings.staleAfterSeconds ?? 60;
    this.#sweeper = setInterval(() => void sweep(), Math.min(30, Math.max(1, staleAfter / 2)) * 1000);
    this.#sweeper.unref();
    await queue.workRetraining(async (data, id) => {
      await service.processQueueJob(data, id);
    });
    await queue.workMonitoring(async () => {
      await service.monitoringTick();
    });
  }

  /**
   * Stops this process taking retraining and monitoring jobs (the dashboard's "stop"): a running
   * retraining finishes; the schedule stays in the database, so its ticks wait in the queue for a
   * worker (another process, or this one after `resume()`). The API keeps serving.
   */
  async pause(): Promise<void> {
    if (!this.#running) return;
    clearInterval(this.#sweeper ?? undefined);
    this.#sweeper = null;
    await this.#queue?.pauseWork();
    this.#running = false;
    this.logger.info('retraining system paused: no new jobs are taken in this process');
  }

  /** Takes jobs again after `pause()`. */
  async resume(): Promise<void> {
    if (this.#running) return;
    if (!this.#queue) return this.start();
    if (this.options.worker !== false) await this.#work(this.#queue);
    this.#running = true;
    this.logger.info('retraining system resumed');
  }

  async getStatus(): Promise<SystemStatus> {
    const production = await findProductionVersion(this.db);
    return {
      running: this.#running,
      currentJob: await this.services.retrainingService.getCurrentJob(),
      productionVersion: production
        ? {
            version: production.version,
            modelType: production.modelType,
            deployedAt: production.deployedAt,
            metrics: production.metrics,
          }
        : null,
      nextRuns: this.services.retrainingService.nextRuns(3),
      health: await this.services.monitoringService.getSystemHealth(),
      database: { kind: this.db.kind, location: this.db.location },
    };
  }

  /** Graceful: stop taking jobs, let the running retraining finish (or cancel it after `graceMs`), deliver alerts, close. */
  async stop(graceMs = 30_000): Promise<void> {
    clearInterval(this.#sweeper ?? undefined);
    this.#sweeper = null;
    await this.services.retrainingService.shutdown(graceMs);
    if (this.#queue) {
      await this.#queue.stop(graceMs);
      this.#queue = null;
    }
    await this.services.monitoringService.close();
    await this.#trainingThread?.close();
    this.#running = false;
    if (this.ownsDatabase) await this.db.close();
  }
}

/** RETRAINING_TRIAL_THREADS, or one thread per core. */
export function trialThreadsFromEnvironment(env: NodeJS.ProcessEnv): number {
  const text = env.RETRAINING_TRIAL_THREADS?.trim();
  if (!text) return availableParallelism();
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 256) {
    throw new ConfigError([
      {
        field: 'RETRAINING_TRIAL_THREADS',
        value: text,
        message: `RETRAINING_TRIAL_THREADS "${text}" is invalid; expected an integer from 1 to 256`,
      },
    ]);
  }
  return value;
}

/** The product README's factory; one instance per process. */
export class RetrainingFactory {
  static #instance: RetrainingFactory | undefined;

  static getInstance(): RetrainingFactory {
    RetrainingFactory.#instance ??= new RetrainingFactory();
    return RetrainingFactory.#instance;
  }

  /** A system built and started (job queue, schedule, worker). */
  async createSystem(
    config: RetrainingConfigInput = {},
    options: RetrainingSystemOptions = {},
  ): Promise<RetrainingSystem> {
    const system = await RetrainingSystem.create(config, options);
    try {
      await system.start();
    } catch (error) {
      await system.stop(0).catch(() => undefined);
      throw error;
    }
    return system;
  }
}

/** The product README's one-call start: `{ system, stop, getStatus }`. */
export async function quickStartRetraining(
  config: RetrainingConfigInput = {},
  options: RetrainingSystemOptions = {},
): Promise<{ system: RetrainingSystem; stop: () => Promise<void>; getStatus: () => Promise<SystemStatus> }> {
  const system = await RetrainingFactory.getInstance().createSystem(config, options);
  return { system, stop: () => system.stop(), getStatus: () => system.getStatus() };
}
