import type { Queryable } from '../../db/types.js';
import { ValidationError } from '../../errors.js';
import type { Logger } from '../../logging/index.js';
import {
  acknowledgeAlert,
  listAlerts,
  raiseAlert,
  resolveAlert,
  type AlertRow,
  type AlertSeverity,
  type NewAlert,
} from '../../store/alerts.js';
import { describeChannelFailure, failureReason, type AlertDispatcher } from './dispatcher.js';

export interface AlerterOptions {
  db: Queryable;
  dispatcher: AlertDispatcher;
  logger: Logger;
  /** When false alerts are stored but not delivered (config `monitoring.alertsEnabled`). Default true. */
  enabled?: boolean;
  /** The time stamped on acknowledgements and resolutions: the system's clock. Default the wall clock. */
  now?: () => Date;
}

/** The dedupe key of the system alert raised while a channel keeps failing. */
export const channelFailureKey = (channel: string): string => `alert-channel:${channel}`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Raises, acknowledges and resolves alerts and delivers new ones to the channels. A channel that
 * fails every attempt becomes a `system` alert of its own, delivered to the other channels only.
 */
export class Alerter {
  readonly #db: Queryable;
  readonly #dispatcher: AlertDispatcher;
  readonly #logger: Logger;
  readonly #enabled: boolean;
  readonly #now: () => Date;

  constructor(options: AlerterOptions) {
    this.#db = options.db;
    this.#dispatcher = options.dispatcher;
    this.#logger = options.logger;
    this.#enabled = options.enabled ?? true;
    this.#now = options.now ?? (() => new Date());
    this.#dispatcher.addFailureListener((channel, error, alert, attempts) =>
      this.#channelFailed(channel, error, alert, attempts),
    );
  }

  /** Stores the alert, or counts a repeat of the open one with its dedupe key; delivers new ones only. */
  async raise(input: NewAlert): Promise<{ alert: AlertRow; created: boolean }> {
    const result = await raiseAlert(this.#db, input);
    if (result.created && this.#enabled) this.#dispatcher.dispatch(result.alert);
    return result;
  }

  async acknowledge(id: string): Promise<AlertRow> {
    return acknowledgeAlert(this.#db, checkId(id), this.#now());
  }

  /** Closes the alert; `resolution` says what was done and is required. */
  async resolve(id: string, resolution: string): Promise<AlertRow> {
    if (typeof resolution !== 'string' || resolution.trim() === '') {
      throw new ValidationError('resolution must be a non-empty text saying what was done', 'resolution');
    }
    return resolveAlert(this.#db, checkId(id), resolution.trim(), this.#now());
  }

  /** Alerts not yet resolved, newest first. */
  active(options: { severity?: AlertSeverity; limit?: number } = {}): Promise<AlertRow[]> {
    return listAlerts(this.#db, { ...options, active: true });
  }

  /** Waits for every delivery in flight. */
  flush(): Promise<void> {
    return this.#dispatcher.flush();
  }

  close(): Promise<void> {
    return this.#dispatcher.close();
  }

  async #channelFailed(channel: string, error: Error, alert: AlertRow, attempts: number): Promise<void> {
    const reason = failureReason(error);
    try {
      const { alert: failure, created } = await raiseAlert(this.#db, {
        timestamp: this.#now(),
        type: 'system',
        severity: 'high',
        message: `${describeChannelFailure(channel, attempts)}: ${reason}`,
        details: { channel, attempts, reason, alertId: alert.id },
        dedupeKey: channelFailureKey(channel),
      });
      // Never to the failing channel: its own failure alert failing there would start a loop.
      if (created && this.#enabled) this.#dispatcher.dispatch(failure, { exclude: [channel] });
    } catch (caught) {
      this.#logger.error(`could not record the failure of alert channel "${channel}"`, {
        channel,
        alertId: alert.id,
        error: caught instanceof Error ? caught.message : String(caught),
      });
    }
  }
}

function checkId(id: string): string {
  if (typeof id === 'string' && UUID.test(id)) return id;
  throw new ValidationError(`alert id "${String(id)}" is not a UUID`, 'id');
}
