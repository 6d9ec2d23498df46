import { ValidationError } from '../../errors.js';
import type { Logger } from '../../logging/index.js';
import type { AlertRow } from '../../store/alerts.js';
import { AlertDeliveryError, type AlertChannel } from './channels.js';

/** Called once a channel has failed every attempt for an alert. */
export type ChannelFailureListener = (
  channel: string,
  error: Error,
  alert: AlertRow,
  attempts: number,
) => void | Promise<void>;

export interface AlertDispatcherOptions {
  channels: readonly AlertChannel[];
  logger: Logger;
  /** Tries per channel and alert, the first included. Default 4. */
  attempts?: number;
  /** Wait before the first retry; it doubles with each retry. Default 500 ms. */
  baseDelayMs?: number;
  /** Longest wait between two tries. Default 30 s. */
  maxDelayMs?: number;
  /** Limit of one try. Default 10 s. */
  timeoutMs?: number;
  /** How long close() lets tries in progress go on before abandoning them. Default 2 s. */
  closeGraceMs?: number;
  onChannelFailure?: ChannelFailureListener;
}

export interface ChannelStats {
  delivered: number;
  failed: number;
  /** Deliveries given up at close() while waiting to retry. */
  abandoned: number;
}

/**
 * Delivers alerts to their channels in the background: one independent task per channel, each
 * retried with exponential backoff, so that neither a slow channel nor a failing one holds up the
 * pipeline that raised the alert or the other channels.
 */
export class AlertDispatcher {
  readonly channels: readonly AlertChannel[];
  readonly #logger: Logger;
  readonly #attempts: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #timeoutMs: number;
  readonly #listeners: ChannelFailureListener[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  readonly #closeGraceMs: number;
  /** Aborted by close(): no new deliveries, no more waiting retries. */
  readonly #closing = new AbortController();
  /** Aborted when close()'s grace has run out: tries still in progress are abandoned. */
  readonly #abandoning = new AbortController();
  readonly #stats = new Map<string, ChannelStats>();

  constructor(options: AlertDispatcherOptions) {
    this.channels = options.channels;
    this.#logger = options.logger;
    this.#attempts = positiveInteger(options.attempts ?? 4, 'attempts');
    this.#baseDelayMs = nonNegative(options.baseDelayMs ?? 500, 'baseDelayMs');
    this.#maxDelayMs = nonNegative(options.maxDelayMs ?? 30_000, 'maxDelayMs');
    this.#timeoutMs = positiveInteger(options.timeoutMs ?? 10_000, 'timeoutMs');
    this.#closeGraceMs = nonNegative(options.closeGraceMs ?? 2_000, 'closeGraceMs');
    if (options.onChannelFailure) this.#listeners.push(options.onChannelFailure);
    for (const channel of this.channels) this.#statsOf(channel.name);
  }

  /** Adds a listener for channels that failed every attempt; returns a function removing it. */
  addFailureListener(listener: ChannelFailureListener): () => void {
    this.#listeners.push(listener);
    return () => {
      const index = this.#listeners.indexOf(listener);
      if (index >= 0) this.#listeners.splice(index, 1);
    };
  }

  /**
   * Starts delivering `alert` to every channel whose severities include it, except those named in
   * `exclude`, and returns at once. Never throws: failures are logged and reported to the listeners.
   */
  dispatch(alert: AlertRow, options: { exclude?: readonly string[] } = {}): void {
    try {
      if (this.#closing.signal.aborted) {
        this.#logger.warn('alert dispatcher is closed; alert not delivered', { alertId: alert.id });
        return;
      }
      const exclude = options.exclude ?? [];
      for (const channel of this.channels) {
        if (!channel.severities.has(alert.severity) || exclude.includes(channel.name)) continue;
        const task = this.#deliver(channel, alert).finally(() => this.#inFlight.delete(task));
        this.#inFlight.add(task);
      }
    } catch (error) {
      this.#logger.error('alert dispatch failed', toError(error));
    }
  }

  /** Resolves when every delivery started so far, and any they lead to, has ended. */
  async flush(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /**
   * Stops waiting retries (their alerts count as abandoned), gives tries in progress `closeGraceMs`
   * to end, then abandons them too: a receiver that never answers must not hold up shutdown for
   * the whole per-try timeout.
   */
  async close(): Promise<void> {
    this.#closing.abort();
    const ended = this.flush();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([ended, new Promise((resolve) => (timer = setTimeout(resolve, this.#closeGraceMs)))]);
    clearTimeout(timer);
    this.#abandoning.abort();
    await ended;
  }

  /** Deliveries per channel name since the dispatcher was created. */
  stats(): Record<string, ChannelStats> {
    return Object.fromEntries([...this.#stats].map(([name, stats]) => [name, { ...stats }]));
  }

  async #deliver(channel: AlertChannel, alert: AlertRow): Promise<void> {
    // The caller's synchronous work finishes before any channel code runs.
    await new Promise((resolve) => setImmediate(resolve));
    const stats = this.#statsOf(channel.name);
    const context = { channel: channel.name, alertId: alert.id };
    for (let attempt = 1; ; attempt++) {
      let error: Error;
      try {
        await sendWithTimeout(channel, alert, this.#timeoutMs, this.#abandoning.signal);
        stats.delivered++;
        if (attempt > 1)
          this.#logger.info(`alert channel "${channel.name}" delivered`, { ...context, attempt });
        return;
      } catch (caught) {
        error = toError(caught);
      }
      if (this.#abandoning.signal.aborted) {
        stats.abandoned++;
        this.#logger.warn(`alert channel "${channel.name}" delivery abandoned at shutdown`, context);
        return;
      }
      const retryable = !(error instanceof AlertDeliveryError) || error.retryable;
      if (attempt >= this.#attempts || !retryable) {
        stats.failed++;
        await this.#reportFailure(channel, error, alert, attempt);
        return;
      }
      const delayMs = this.#backoff(attempt);
      this.#logger.warn(`alert channel "${channel.name}" attempt ${attempt} of ${this.#attempts} failed`, {
        ...context,
        reason: failureReason(error),
        retryInMs: delayMs,
      });
      if (!(await sleep(delayMs, this.#closing.signal))) {
        stats.abandoned++;
        this.#logger.warn(`alert channel "${channel.name}" delivery abandoned at shutdown`, context);
        return;
      }
    }
  }

  async #reportFailure(
    channel: AlertChannel,
    error: Error,
    alert: AlertRow,
    attempts: number,
  ): Promise<void> {
    this.#logger.error(describeChannelFailure(channel.name, attempts), {
      channel: channel.name,
      alertId: alert.id,
      attempts,
      reason: failureReason(error),
    });
    for (const listener of this.#listeners) {
      try {
        await listener(channel.name, error, alert, attempts);
      } catch (caught) {
        this.#logger.error('alert channel failure listener failed', toError(caught));
      }
    }
  }

  #statsOf(channel: string): ChannelStats {
    let stats = this.#stats.get(channel);
    if (!stats) this.#stats.set(channel, (stats = { delivered: 0, failed: 0, abandoned: 0 }));
    return stats;
  }

  /** Exponential backoff with equal jitter: half the delay fixed, half random, so retries spread. */
  #backoff(attempt: number): number {
    const delay = Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** (attempt - 1));
    return Math.round(delay / 2 + (Math.random() * delay) / 2);
  }
}

/** `alert channel "slack" failed after 4 attempts`. */
export function describeChannelFailure(channel: string, attempts: number): string {
  return `alert channel "${channel}" failed after ${attempts} attempt${attempts === 1 ? '' : 's'}`;
}

/** What went wrong, without the channel name the messages around it already give. */
export function failureReason(error: Error): string {
  return error instanceof AlertDeliveryError ? error.reason : error.message;
}

/* Races the channel against the timeout (or shutdown) so that one ignoring its signal cannot hang the task. */
async function sendWithTimeout(
  channel: AlertChannel,
  alert: AlertRow,
  timeoutMs: number,
  abandon: AbortSignal,
): Promise<void> {
  // One controller aborted by a timer this function holds, not `AbortSignal.any` over
  // `AbortSignal.timeout`: Node.js 20 holds the timeout signal only weakly there, and a garbage
  // collection before it fires left tries hanging far past their limit (seen on CI: a 1.5 s
  // webhook try still waiting 35 s later, an SMTP one ended by nodemailer's own 10 s).
  const controller = new AbortController();
  let fail: (error: AlertDeliveryError) => void = () => {};
  const ended = new Promise<never>((_, reject) => (fail = reject));
  const stop = (reason: string) => {
    const error = new AlertDeliveryError(channel.name, reason);
    controller.abort(error);
    fail(error);
  };
  const timer = setTimeout(() => stop(`timed out after ${timeoutMs} ms`), timeoutMs);
  const onAbandon = () => stop('abandoned at shutdown');
  if (abandon.aborted) onAbandon();
  else abandon.addEventListener('abort', onAbandon, { once: true });
  try {
    await Promise.race([channel.send(alert, controller.signal), ended]);
  } finally {
    clearTimeout(timer);
    abandon.removeEventListener('abort', onAbandon);
  }
}

/** Resolves true after `ms`, or false at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

function positiveInteger(value: number, field: string): number {
  if (Number.isInteger(value) && value >= 1) return value;
  throw new ValidationError(`AlertDispatcher ${field} must be an integer >= 1, got ${String(value)}`, field);
}

function nonNegative(value: number, field: string): number {
  if (Number.isFinite(value) && value >= 0) return value;
  throw new ValidationError(`AlertDispatcher ${field} must be a number >= 0, got ${String(value)}`, field);
}
