/**
 * Jobs on pg-boss 10 in the system's own PostgreSQL (embedded through the PGlite adapter, or a
 * server): the retraining queue, the hyperparameter trials, the monitoring tick and the cron
 * schedule. pg-boss expires a job whose process died and retries it with backoff.
 *
 * The cron ticks are fired here, not by pg-boss's own schedules: those deduplicate a tick by the
 * database's current minute when the send happens, so a check near a minute boundary could send a
 * tick twice (seen on CI: two scheduler processes, one tick, two retrainings) or drop the next one.
 * Every scheduler process checks every few seconds for the latest tick of each schedule and sends
 * its job with an id derived from the tick's instant: pg-boss inserts a job id once, so a tick is
 * one job however many processes send it, and a tick missed while no scheduler ran (a restart
 * across it) still fires when one is back within `TICK_GRACE_SECONDS`.
 *
 * pg-boss 10 only polls: a worker finds a job queued by another process up to a polling interval
 * later (2 s by default), and in a hyperparameter search on several processes every trial would
 * wait that long for a free worker. On a PostgreSQL server, a process that queues a job therefore
 * NOTIFYs the queue's name on a channel of the pg-boss schema, and every process working that queue
 * LISTENs and wakes its workers at once; polling stays as the fallback (a lost connection, a missed
 * notification). On the embedded database there is one process, and its own workers are woken
 * directly.
 */
import { createHash } from 'node:crypto';
import parser from 'cron-parser';
import PgBoss from 'pg-boss';
import type { RetrainingConfig } from '../config/schema.js';
import { bossConnectionOptions, guardJobEndWrites } from '../db/boss-adapter.js';
import type { Database } from '../db/types.js';
import type { Logger } from '../logging/logger.js';
import type { JobTrigger } from '../store/retraining-jobs.js';
import type { TrialJobData } from '../training/trial-job.js';
import { ConfigError, type ConfigIssue } from '../errors.js';

export const RETRAINING_QUEUE = 'retraining';
export const MONITORING_QUEUE = 'monitoring';
export const TRIALS_QUEUE = 'trials';
/**
 * pg-boss's longest expiry (it refuses 24 hours). A trial's liveness is its lease in
 * tuning_trials, renewed while it runs; this only bounds how long pg-boss waits on a handler.
 */
const TRIAL_EXPIRE_SECONDS = 23 * 3600;
/** How often the monitoring tick runs; each tick checks only when `checkIntervalHours` has passed. */
export const MONITORING_TICK_CRON = '*/5 * * * *';
/** A scheduler fires a tick it sees up to this long after its instant (pg-boss's own: 60 s). */
export const TICK_GRACE_SECONDS = 600;
/** How long a finished job stays in pg-boss's job table (its id blocks a resend of its tick). */
const ARCHIVE_COMPLETED_SECONDS = 12 * 3600;
/** How often each scheduler process looks for a due tick. */
export const TICK_CHECK_SECONDS = 5;

export interface RetrainingJobData {
  /** The retraining_jobs row created by whoever asked; absent for a cron tick. */
  jobId?: string;
  trigger: JobTrigger;
  /** A cron tick's instant (ISO 8601); the tick's job id is derived from it. */
  scheduledFor?: string;
}

/** A tick the scheduler sent: `sent` false when another process (or an earlier check) had sent it. */
export interface FiredTick {
  queue: string;
  tick: Date;
  jobId: string;
  sent: boolean;
}

export interface JobQueueOptions {
  /** The server's connection string (pg-boss opens its own pool); not needed embedded. */
  url?: string;
  /** pg-boss's schema; default `pgboss` (tests use one per test schema). */
  schema?: string;
  logger: Logger;
  /** Keep cron schedules firing in this process (the scheduler role). Default true. */
  schedule?: boolean;
  /** The scheduler's clock; default the database's (one clock for every process). */
  now?: () => Promise<Date>;
  /** Run pg-boss maintenance (expiry, retention) in this process. Default true. */
  supervise?: boolean;
  /** A retraining job not finished after this long is expired and retried. Default 45 min. */
  expireInSeconds?: number;
  retryLimit?: number;
  /** Seconds before the first retry (doubling after, with jitter). Default 30. */
  retryDelaySeconds?: number;
  /** Seconds between polls for work; pg-boss's default is 2. */
  pollingIntervalSeconds?: number;
  /** Seconds between maintenance runs (expiry); pg-boss's default is 120. */
  maintenanceIntervalSeconds?: number;
  /** A running trial's lease; a trial not renewed for this long is preempted and queued again. Default 120. */
  trialLeaseSeconds?: number;
  /** Times a preempted trial is queued again before it counts as failed. Default 2. */
  trialRetryLimit?: number;
}

/** A trial job as pg-boss reports it: waiting (`created`, `retry`), taken (`active`), or ended. */
export type TrialJobState = 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'failed';

export class JobQueue {
  /** pg-boss's ids of this process's trial workers, woken when a trial is queued. */
  readonly #trialWorkers: string[] = [];
  /** Set once this process works the retraining queue; then it takes trials too, when offered slots. */
  #working = false;
  #trialSlots: ((queue: JobQueue) => Promise<void>) | null = null;
  /** The cron schedules this process fires (the scheduler role), by queue. */
  #schedules = new Map<string, { cronExpression: string; timezone: string; data: object }>();
  /** The latest tick this process sent (or saw sent), by queue: each is sent once per process. */
  readonly #lastTicks = new Map<string, number>();
  /** Each queue's ticks around the last check: valid while the clock stays in [at, next). */
  readonly #tickWindows = new Map<string, { at: number; latest: Date | null; next: Date }>();
  #ticker: NodeJS.Timeout | null = null;
  #ticking: Promise<FiredTick[]> | null = null;
  /** The last check of the ticks: when it ended, and why it failed if it did. */
  #lastCheck: { at: Date; error: string | null } | null = null;
  /** pg-boss's id of this process's retraining worker, once it works that queue. */
  #retrainingWorker: string | null = null;
  /** Stops listening for other processes' wake-ups; set while this process works a queue. */
  #stopListening: Promise<(() => Promise<void>) | null> | null = null;

  private constructor(
    readonly boss: PgBoss,
    private readonly options: JobQueueOptions,
    private readonly db: Database,
    /** Where processes say a job was queued (server only); null on the embedded database. */
    private readonly wakeChannel: string | null,
  ) {}

  static async start(db: Database, options: JobQueueOptions): Promise<JobQueue> {
    const schema = options.schema ?? 'pgboss';
    const boss = new PgBoss({
      ...bossConnectionOptions(db, options.url),
      schema,
      // Cron ticks are fired by this class (see the top of the file), not by pg-boss's timekeeper.
      schedule: false,
      // A tick's job is made once because pg-boss refuses a second job with its id; that holds
      // while the first is in the job table, so finished jobs stay there far longer than a tick
      // can be re-sent (TICK_GRACE_SECONDS). pg-boss's own default, stated so it cannot drift.
      archiveCompletedAfterSeconds: ARCHIVE_COMPLETED_SECONDS,
      supervise: options.supervise ?? true,
      ...(options.maintenanceIntervalSeconds
        ? { maintenanceIntervalSeconds: options.maintenanceIntervalSeconds }
        : {}),
    } as PgBoss.ConstructorOptions);
    boss.on('error', repeatsQuieted(options.logger, 'job queue error'));
    guardJobEndWrites(boss.getDb(), schema, (error) =>
      options.logger.warn('could not record the end of a job; it is handed out again when it expires', {
        error: error instanceof Error ? error.message : String(error),
      }),
    );
    await boss.start();
    const expireInSeconds = options.expireInSeconds ?? 45 * 60;
    const retry = {
      retryLimit: options.retryLimit ?? 2,
      retryDelay: options.retryDelaySeconds ?? 30,
      retryBackoff: true,
    };
    await ensureQueue(boss, { name: RETRAINING_QUEUE, policy: 'standard', expireInSeconds, ...retry });
    await ensureQueue(boss, {
      name: MONITORING_QUEUE,
      policy: 'standard',
      expireInSeconds: 15 * 60,
      retryLimit: 0,
    });
    // The coordinating tuner retries trials itself (same parameters and seed), from their leases.
    await ensureQueue(boss, {
      name: TRIALS_QUEUE,
      policy: 'standard',
      expireInSeconds: TRIAL_EXPIRE_SECONDS,
      retryLimit: 0,
    });
    return new JobQueue(boss, options, db, db.kind === 'server' ? wakeChannel(schema) : null);
  }

  get trialLeaseSeconds(): number {
    return this.options.trialLeaseSeconds ?? 120;
  }

  get trialRetryLimit(): number {
    return this.options.trialRetryLimit ?? 2;
  }

  /** Seconds between polls for work; pg-boss's default is 2. */
  get pollingIntervalSeconds(): number {
    return this.options.pollingIntervalSeconds ?? 2;
  }

  /** Queues a retraining for the workers; returns pg-boss's job id. */
  async enqueueRetraining(data: RetrainingJobData): Promise<string> {
    const id = await this.boss.send(RETRAINING_QUEUE, data);
    if (!id) throw new Error('the job queue refused the retraining job');
    this.#wake(RETRAINING_QUEUE);
    await this.#announce(RETRAINING_QUEUE);
    return id;
  }

  /**
   * Keeps (or removes, when disabled) the retraining cron schedule and the monitoring tick; a
   * scheduler process (the `schedule` option) checks for due ticks from now on.
   */
  async applySchedule(config: RetrainingConfig): Promise<void> {
    // Schedules an earlier version kept in pg-boss: a process of that version would fire them too.
    await this.boss.unschedule(RETRAINING_QUEUE);
    await this.boss.unschedule(MONITORING_QUEUE);
    const { schedule } = config;
    this.#schedules = new Map();
    this.#tickWindows.clear();
    if (schedule.enabled)
      this.#schedules.set(RETRAINING_QUEUE, {
        cronExpression: schedule.cronExpression,
        timezone: schedule.timezone,
        data: { trigger: 'schedule' },
      });
    this.#schedules.set(MONITORING_QUEUE, {
      cronExpression: MONITORING_TICK_CRON,
      timezone: 'UTC',
      data: {},
    });
    if ((this.options.schedule ?? true) && !this.#ticker) {
      this.#ticker = setInterval(
        () => void this.fireDueTicks().catch(() => undefined),
        TICK_CHECK_SECONDS * 1000,
      );
      this.#ticker.unref();
      await this.fireDueTicks().catch(() => undefined);
    }
  }

  /**
   * Sends the job of each schedule's latest tick at or before now, when it is at most
   * `TICK_GRACE_SECONDS` old and this process has not sent it yet; pg-boss keeps one job per tick
   * id, so of all the processes sending it one job is made. Failures are logged and tried again on
   * the next check.
   */
  fireDueTicks(): Promise<FiredTick[]> {
    // One check at a time: the interval does not pile up checks behind a slow database.
    this.#ticking ??= this.#fireDueTicks().finally(() => {
      this.#ticking = null;
    });
    return this.#ticking;
  }

  /**
   * Whether this process fires the cron schedule, and how its last check went: a scheduler whose
   * checks fail (the database gone, say) or stopped is not firing ticks, whatever its next run.
   */
  schedulerState(): { firing: boolean; lastCheckAt: Date | null; error: string | null } {
    return {
      firing: this.#ticker !== null,
      lastCheckAt: this.#lastCheck?.at ?? null,
      error: this.#lastCheck?.error ?? null,
    };
  }

  async #fireDueTicks(): Promise<FiredTick[]> {
    const fired: FiredTick[] = [];
    try {
      const now = await (this.options.now?.() ?? this.#databaseNow());
      for (const [queue, schedule] of this.#schedules) {
        let window = this.#tickWindows.get(queue);
        if (!window || now.getTime() < window.at || now.getTime() >= window.next.getTime()) {
          window = { at: now.getTime(), ...ticksAround(schedule, now) };
          this.#tickWindows.set(queue, window);
        }
        const tick = window.latest;
        if (!tick || now.getTime() - tick.getTime() > TICK_GRACE_SECONDS * 1000) continue;
        if (this.#lastTicks.get(queue) === tick.getTime()) continue;
        const jobId = tickJobId(queue, tick);
        const data =
          queue === RETRAINING_QUEUE ? { ...schedule.data, scheduledFor: tick.toISOString() } : schedule.data;
        const sent = (await this.boss.send(queue, data, { id: jobId })) !== null;
        this.#lastTicks.set(queue, tick.getTime());
        if (sent) {
          this.#wake(queue);
          await this.#announce(queue);
        }
        if (sent && queue === RETRAINING_QUEUE)
          this.options.logger.info('scheduled retraining queued', {
            scheduledFor: tick.toISOString(),
            queueJobId: jobId,
          });
        fired.push({ queue, tick, jobId, sent });
      }
    } catch (error) {
      this.#lastCheck = { at: new Date(), error: (error as Error).message };
      this.options.logger.error('could not fire the scheduled ticks; tried again shortly', error as Error);
      throw error;
    }
    this.#lastCheck = { at: new Date(), error: null };
    return fired;
  }

  async #databaseNow(): Promise<Date> {
    const { rows } = await this.boss.getDb().executeSql('SELECT now() AS now', []);
    return new Date((rows[0] as { now: Date | string }).now);
  }

  /**
   * Takes retraining jobs one at a time in this process until stopped, and trial jobs on the slots
   * a tuner offered (`offerTrialSlots`): a worker process runs the trials of whichever worker
   * coordinates a study.
   */
  async workRetraining(handler: (data: RetrainingJobData, id: string) => Promise<void>): Promise<void> {
    const id: string = await this.boss.work<RetrainingJobData>(
      RETRAINING_QUEUE,
      { batchSize: 1, pollingIntervalSeconds: this.pollingIntervalSeconds },
      async ([job]) => {
        if (!job) return;
        await handler(job.data, job.id);
        this.boss.notifyWorker(id); // another may be waiting: ask again now, not after a poll interval
      },
    );
    this.#retrainingWorker = id;
    this.#working = true;
    await this.#listenForWakeUps();
    await this.#trialSlots?.(this);
  }

  /** A tuner's slots for trial jobs, taken up when (or as soon as) this process works the queue. */
  async offerTrialSlots(start: (queue: JobQueue) => Promise<void>): Promise<void> {
    this.#trialSlots = start;
    if (this.#working) await start(this);
  }

  /** Queues a hyperparameter trial for any process that works the trials queue; returns pg-boss's job id. */
  async enqueueTrial(data: TrialJobData): Promise<string> {
    const id = await this.boss.send(TRIALS_QUEUE, data);
    if (!id) throw new Error(`the job queue refused trial ${data.number} of job ${data.jobId}`);
    this.#wake(TRIALS_QUEUE);
    await this.#announce(TRIALS_QUEUE);
    return id;
  }

  /**
   * Where pg-boss stands with a retraining delivery: `waiting` to be handed out (`created`,
   * `retry`), `taken` by a worker (`active`; expired and retried if its process died), or `ended`
   * (or gone), when it will not be handed out again.
   */
  async retrainingDelivery(id: string): Promise<'waiting' | 'taken' | 'ended'> {
    const job = await this.boss.getJobById<RetrainingJobData>(RETRAINING_QUEUE, id);
    if (job?.state === 'created' || job?.state === 'retry') return 'waiting';
    return job?.state === 'active' ? 'taken' : 'ended';
  }

  /** Hands a taken retraining delivery back, to be retried (with backoff) while retries remain. */
  async releaseRetrainingDelivery(id: string, reason: string): Promise<void> {
    await this.boss.fail(RETRAINING_QUEUE, id, { message: reason });
  }

  /** Null once pg-boss no longer has the job (archived or deleted). */
  async trialJobState(id: string): Promise<TrialJobState | null> {
    const job = await this.boss.getJobById<TrialJobData>(TRIALS_QUEUE, id);
    return job?.state ?? null;
  }

  async cancelTrialJobs(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.boss.cancel(TRIALS_QUEUE, [...ids]);
  }

  /** Takes trial jobs in this process, `slots` at a time, until `stopWorkingTrials` or `stop`. */
  async workTrials(slots: number, handler: (data: TrialJobData, id: string) => Promise<void>): Promise<void> {
    for (let slot = 0; slot < slots; slot++) {
      const id: string = await this.boss.work<TrialJobData>(
        TRIALS_QUEUE,
        { batchSize: 1, pollingIntervalSeconds: this.pollingIntervalSeconds },
        async ([job]) => {
          if (!job) return;
          await handler(job.data, job.id);
          this.boss.notifyWorker(id); // another may be waiting: ask again now, not after a poll interval
        },
      );
      this.#trialWorkers.push(id);
    }
    await this.#listenForWakeUps();
  }

  /** Wakes this process's workers of `queue` (all of them for ''), so they fetch now instead of at their next poll. */
  #wake(queue: string): void {
    if ((queue === TRIALS_QUEUE || queue === '') && this.#trialWorkers.length > 0)
      for (const worker of this.#trialWorkers) this.boss.notifyWorker(worker);
    if ((queue === RETRAINING_QUEUE || queue === '') && this.#retrainingWorker)
      this.boss.notifyWorker(this.#retrainingWorker);
  }

  /**
   * Tells the other processes on the server that a job of `queue` was queued. The job is already
   * stored: a notification that fails only leaves it to their next poll.
   */
  async #announce(queue: string): Promise<void> {
    if (!this.wakeChannel) return;
    try {
      await this.db.query('SELECT pg_notify($1, $2)', [this.wakeChannel, queue]);
    } catch (error) {
      this.options.logger.debug('could not notify the other workers of a queued job; they poll for it', {
        queue,
        error: (error as Error).message,
      });
    }
  }

  /** Once this process works a queue on a server: wake its workers when another process queues a job. */
  async #listenForWakeUps(): Promise<void> {
    if (!this.wakeChannel || this.#stopListening) return;
    this.#stopListening = this.db
      // A reconnected listener is called with '' (it may have missed some): every worker fetches.
      .listen(this.wakeChannel, (queue) => this.#wake(queue))
      .catch((error: unknown) => {
        this.options.logger.warn('LISTEN unavailable; workers find queued jobs by polling', {
          error: (error as Error).message,
        });
        return null;
      });
    await this.#stopListening;
  }

  /** Stops fetching trial jobs (the ones running finish on their own). */
  async stopWorkingTrials(): Promise<void> {
    if (this.#trialWorkers.length === 0) return;
    this.#trialWorkers.length = 0;
    await this.boss.offWork(TRIALS_QUEUE);
  }

  async workMonitoring(handler: () => Promise<void>): Promise<void> {
    await this.boss.work(MONITORING_QUEUE, { batchSize: 1, pollingIntervalSeconds: 10 }, async () =>
      handler(),
    );
  }

  /**
   * Stops fetching retraining and monitoring jobs in this process (a running one finishes); trial
   * slots keep serving other workers' studies. `workRetraining`/`workMonitoring` take them up again.
   */
  async pauseWork(): Promise<void> {
    this.#retrainingWorker = null;
    await this.boss.offWork(RETRAINING_QUEUE);
    await this.boss.offWork(MONITORING_QUEUE);
  }

  /** Stops taking jobs, waits for the running ones (up to `timeoutMs`), and closes pg-boss's connections. */
  async stop(timeoutMs = 30_000): Promise<void> {
    clearInterval(this.#ticker ?? undefined);
    this.#ticker = null;
    const stopListening = await this.#stopListening;
    this.#stopListening = null;
    await stopListening?.().catch(() => undefined);
    await this.#ticking?.catch(() => undefined);
    await this.boss.stop({ graceful: true, wait: true, close: true, timeout: timeoutMs });
  }
}

/** The LISTEN channel of the queues in pg-boss schema `schema` (NOTIFY reaches the whole database). */
function wakeChannel(schema: string): string {
  return `jobs_${schema.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63);
}

async function ensureQueue(boss: PgBoss, queue: PgBoss.Queue): Promise<void> {
  const existing = await boss.getQueue(queue.name);
  if (existing) await boss.updateQueue(queue.name, queue);
  else await boss.createQueue(queue.name, queue);
}

/** Queue settings an operator (or a fault-injection test) sets through the environment. */
export interface QueueSettings {
  expireInSeconds?: number;
  retryDelaySeconds?: number;
  retryLimit?: number;
  pollingIntervalSeconds?: number;
  maintenanceIntervalSeconds?: number;
  staleAfterSeconds?: number;
  trialLeaseSeconds?: number;
  trialRetryLimit?: number;
}

const QUEUE_ENV: Record<keyof QueueSettings, string> = {
  expireInSeconds: 'RETRAINING_JOB_EXPIRE_SECONDS',
  retryDelaySeconds: 'RETRAINING_JOB_RETRY_DELAY_SECONDS',
  retryLimit: 'RETRAINING_JOB_RETRY_LIMIT',
  pollingIntervalSeconds: 'RETRAINING_QUEUE_POLL_SECONDS',
  maintenanceIntervalSeconds: 'RETRAINING_QUEUE_MAINTENANCE_SECONDS',
  staleAfterSeconds: 'RETRAINING_JOB_STALE_SECONDS',
  trialLeaseSeconds: 'RETRAINING_TRIAL_LEASE_SECONDS',
  trialRetryLimit: 'RETRAINING_TRIAL_RETRY_LIMIT',
};

export function queueSettingsFromEnvironment(env: NodeJS.ProcessEnv): QueueSettings {
  const settings: QueueSettings = {};
  const issues: ConfigIssue[] = [];
  for (const [key, name] of Object.entries(QUEUE_ENV) as [keyof QueueSettings, string][]) {
    const text = env[name]?.trim();
    if (!text) continue;
    const value = Number(text);
    const integer = key === 'retryLimit' || key === 'trialRetryLimit';
    if (!Number.isFinite(value) || (integer ? !Number.isInteger(value) || value < 0 : value <= 0)) {
      issues.push({
        field: name,
        value: text,
        message: `${name} "${text}" is invalid; expected ${integer ? 'an integer of 0 or more' : 'a number of seconds greater than 0'}`,
      });
    } else settings[key] = value;
  }
  if (issues.length > 0) throw new ConfigError(issues, 'environment');
  return settings;
}

/**
 * The latest instant of a cron expression in its time zone at or before `at` (null when none
 * falls in the look-back), as `nextRuns` counts them: walked forwards with cron-parser from
 * `TICK_GRACE_SECONDS` plus two hours before `at`. cron-parser's `prev()` disagrees with `next()`
 * around daylight-saving changes (it finds the repeated 02:30 of an autumn night a second time and
 * misses the 03:30 that stands in for a spring night's missing 02:30), and so does `next()` from a
 * start inside the repeated hour; from a start two hours back, a tick within the grace is the one
 * the status shows.
 */
export function latestTick(
  schedule: Pick<RetrainingConfig['schedule'], 'cronExpression' | 'timezone'>,
  at: Date,
): Date | null {
  return ticksAround(schedule, at).latest;
}

/** `latestTick` and the first tick after `at`, from one walk (cron-parser takes milliseconds a step). */
export function ticksAround(
  schedule: Pick<RetrainingConfig['schedule'], 'cronExpression' | 'timezone'>,
  at: Date,
): { latest: Date | null; next: Date } {
  const interval = parser.parseExpression(schedule.cronExpression, {
    tz: schedule.timezone,
    currentDate: new Date(at.getTime() - TICK_GRACE_SECONDS * 1000 - 2 * 3_600_000),
  });
  let latest: Date | null = null;
  for (;;) {
    const tick = interval.next().toDate();
    if (tick.getTime() > at.getTime()) return { latest, next: tick };
    latest = tick;
  }
}

/** The job id of a queue's tick at `tick`: a UUID from a hash of both, the same in every process. */
export function tickJobId(queue: string, tick: Date): string {
  const hex = createHash('sha256').update(`${queue}@${tick.toISOString()}`).digest('hex');
  // Version 8 (custom) with the RFC 4122 variant, so it is a well-formed UUID.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The next `count` instants of a cron expression in its time zone after `from`, by cron-parser,
 * the library the scheduler fires ticks with.
 */
export function nextRuns(
  schedule: Pick<RetrainingConfig['schedule'], 'cronExpression' | 'timezone'>,
  from: Date,
  count: number,
): Date[] {
  const interval = parser.parseExpression(schedule.cronExpression, {
    tz: schedule.timezone,
    currentDate: from,
  });
  return Array.from({ length: count }, () => interval.next().toDate());
}

/**
 * pg-boss reports a failed poll every second or so while the database is down: the first error of
 * a run is logged in full, the same message again at most once a minute with how many times it
 * came, so an outage is a few lines in the log rather than thousands of stack traces.
 */
export function repeatsQuieted(
  logger: Pick<Logger, 'error'>,
  message: string,
  windowMs = 60_000,
  now: () => number = Date.now,
): (error: Error) => void {
  let last: { text: string; loggedAt: number; repeats: number } | null = null;
  return (error) => {
    const text = error.message;
    const at = now();
    if (last && last.text === text) {
      last.repeats++;
      if (at - last.loggedAt < windowMs) return;
      logger.error(
        `${message} (repeated ${last.repeats} times in ${Math.round((at - last.loggedAt) / 1000)} s)`,
        {
          error: text,
        },
      );
      last = { text, loggedAt: at, repeats: 0 };
      return;
    }
    logger.error(message, error);
    last = { text, loggedAt: at, repeats: 0 };
  };
}
