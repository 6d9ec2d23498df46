import { createTransport } from 'nodemailer';
import { RetrainingError } from '../../errors.js';
import type { Logger } from '../../logging/index.js';
import { ALERT_SEVERITIES, type AlertRow, type AlertSeverity } from '../../store/alerts.js';

/** Where alerts are delivered: the log, a webhook, Slack, e-mail. */
export interface AlertChannel {
  /** Safe to print and log: never a URL or a credential. */
  readonly name: string;
  /** The severities this channel receives. */
  readonly severities: ReadonlySet<AlertSeverity>;
  /** Delivers one alert; rejects with an error that names the channel but none of its secrets. */
  send(alert: AlertRow, signal: AbortSignal): Promise<void>;
}

/** Identifies this system to receivers of webhook payloads. */
export const ALERT_SOURCE = 'ai-trading-retraining';

/**
 * A delivery that failed. Messages carry the channel name, an HTTP status or a network error code,
 * never the URL or credentials: webhook URLs are secrets (Slack's contain a token).
 */
export class AlertDeliveryError extends RetrainingError {
  readonly code = 'alert_delivery_failed';
  readonly httpStatus = 502;
  readonly channel: string;
  /** What went wrong, without the channel name: `got HTTP 503; expected 2xx`. */
  readonly reason: string;
  /** False when trying again cannot help, e.g. a webhook answering 404. */
  readonly retryable: boolean;

  constructor(channel: string, reason: string, retryable = true) {
    super(`alert channel "${channel}": ${reason}`);
    this.channel = channel;
    this.reason = reason;
    this.retryable = retryable;
  }
}

const ALL_SEVERITIES: ReadonlySet<AlertSeverity> = new Set(ALERT_SEVERITIES);

/** `[CRITICAL] model_drift: PSI 0.31 on returns` on one line, short enough for a subject. */
export function alertTitle(alert: AlertRow): string {
  const message = alert.message.replace(/\s+/g, ' ').trim();
  const short = message.length > 150 ? `${message.slice(0, 149)}…` : message;
  return `[${alert.severity.toUpperCase()}] ${alert.type}: ${short}`;
}

const LOG_LEVEL_OF = { critical: 'error', high: 'error', medium: 'warn', low: 'info' } as const;

export function logChannel(
  logger: Logger,
  severities: ReadonlySet<AlertSeverity> = ALL_SEVERITIES,
): AlertChannel {
  return {
    name: 'log',
    severities,
    send(alert) {
      logger[LOG_LEVEL_OF[alert.severity]](`alert ${alertTitle(alert)}`, {
        alertId: alert.id,
        type: alert.type,
        severity: alert.severity,
        version: alert.version,
        occurrences: alert.occurrences,
        details: alert.details,
      });
      return Promise.resolve();
    },
  };
}

export interface WebhookChannelOptions {
  url: string;
  severities: ReadonlySet<AlertSeverity>;
  /** Default `webhook`. */
  name?: string;
  /** A limit of the channel's own, on top of the dispatcher's per-attempt timeout. */
  timeoutMs?: number;
}

/** The JSON body a generic webhook receives. */
export interface WebhookPayload {
  id: string;
  type: AlertRow['type'];
  severity: AlertSeverity;
  message: string;
  details: AlertRow['details'];
  version: string | null;
  /** ISO 8601. */
  timestamp: string;
  occurrences: number;
  source: typeof ALERT_SOURCE;
}

export function webhookPayload(alert: AlertRow): WebhookPayload {
  return {
    id: alert.id,
    type: alert.type,
    severity: alert.severity,
    message: alert.message,
    details: alert.details,
    version: alert.version,
    timestamp: alert.timestamp.toISOString(),
    occurrences: alert.occurrences,
    source: ALERT_SOURCE,
  };
}

export function webhookChannel(options: WebhookChannelOptions): AlertChannel {
  const name = options.name ?? 'webhook';
  return {
    name,
    severities: options.severities,
    send: (alert, signal) =>
      postJson(name, options.url, webhookPayload(alert), withTimeout(signal, options.timeoutMs)),
  };
}

export interface SlackChannelOptions {
  url: string;
  severities: ReadonlySet<AlertSeverity>;
  /** Default `slack`. */
  name?: string;
}

const SLACK_EMOJI = {
  critical: ':rotating_light:',
  high: ':red_circle:',
  medium: ':large_orange_circle:',
  low: ':large_blue_circle:',
} as const;

/** An incoming-webhook message: `text` for notifications, `blocks` for the channel. */
export function slackPayload(alert: AlertRow): { text: string; blocks: unknown[] } {
  const label = `${SLACK_EMOJI[alert.severity]} *${alert.severity.toUpperCase()}*`;
  const context = [
    `version: ${alert.version === null ? 'none' : slackEscape(alert.version)}`,
    `alert ${alert.id}`,
    alert.timestamp.toISOString(),
    ...(alert.occurrences > 1 ? [`seen ${alert.occurrences} times`] : []),
  ];
  return {
    text: `${SLACK_EMOJI[alert.severity]} ${slackEscape(alertTitle(alert))}`,
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `${label} · \`${alert.type}\`\n${slackEscape(alert.message)}` },
      },
      { type: 'context', elements: [{ type: 'mrkdwn', text: context.join(' · ') }] },
    ],
  };
}

export function slackChannel(options: SlackChannelOptions): AlertChannel {
  const name = options.name ?? 'slack';
  return {
    name,
    severities: options.severities,
    send: (alert, signal) => postJson(name, options.url, slackPayload(alert), signal),
  };
}

export interface EmailChannelOptions {
  /** `smtp://user:pass@host:587` or `smtps://user:pass@host:465`. */
  smtpUrl: string;
  from: string;
  to: readonly string[];
  severities: ReadonlySet<AlertSeverity>;
  /** Default `email`. */
  name?: string;
}

export function emailMessage(alert: AlertRow): { subject: string; text: string; html: string } {
  const rows: [string, string][] = [
    ['Severity', alert.severity],
    ['Type', alert.type],
    ['Message', alert.message],
    ['Model version', alert.version ?? 'none'],
    ['Raised at', alert.timestamp.toISOString()],
    ['Occurrences', String(alert.occurrences)],
    ['Alert id', alert.id],
  ];
  const details = alert.details === null ? undefined : JSON.stringify(alert.details, null, 2);
  const text = [
    ...rows.map(([label, value]) => `${label}: ${value}`),
    ...(details === undefined ? [] : ['', 'Details:', details]),
  ].join('\n');
  const html = [
    `<h2>${htmlEscape(alertTitle(alert))}</h2>`,
    '<table>',
    ...rows.map(([label, value]) => `<tr><th align="left">${label}</th><td>${htmlEscape(value)}</td></tr>`),
    '</table>',
    ...(details === undefined ? [] : [`<pre>${htmlEscape(details)}</pre>`]),
  ].join('\n');
  return { subject: alertTitle(alert), text: `${text}\n`, html };
}

export function emailChannel(options: EmailChannelOptions): AlertChannel {
  const name = options.name ?? 'email';
  const secrets = smtpSecrets(options.smtpUrl);
  const transport = createTransport({
    url: options.smtpUrl,
    // The dispatcher's per-attempt signal cancels the send; these bound each SMTP step as well.
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  return {
    name,
    severities: options.severities,
    async send(alert, signal) {
      try {
        await transport.sendMail({ from: options.from, to: [...options.to], ...emailMessage(alert), signal });
      } catch (error) {
        throw new AlertDeliveryError(name, describeSmtpFailure(error, signal, secrets));
      }
    },
  };
}

async function postJson(channel: string, url: string, body: unknown, signal: AbortSignal): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': ALERT_SOURCE },
      body: JSON.stringify(body),
      signal,
    });
  } catch (error) {
    throw new AlertDeliveryError(channel, describeFetchFailure(error, signal));
  }
  const text = await response.text().catch(() => '');
  if (response.ok) return;
  // Slack answers with a short code (`invalid_token`, `channel_not_found`); other bodies may echo input.
  const reason = /^[a-z_]{1,60}$/.test(text.trim()) ? ` (${text.trim()})` : '';
  const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
  throw new AlertDeliveryError(channel, `got HTTP ${response.status}${reason}; expected 2xx`, retryable);
}

/* Never the error's message: fetch puts the URL in some of them ("Failed to parse URL from …"). */
function describeFetchFailure(error: unknown, signal: AbortSignal): string {
  if (signal.aborted) return abortReason(signal);
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  const code = typeof cause?.code === 'string' && /^[A-Z0-9_]+$/.test(cause.code) ? cause.code : undefined;
  return code === undefined ? 'request failed' : `request failed (${code})`;
}

function describeSmtpFailure(error: unknown, signal: AbortSignal, secrets: readonly string[]): string {
  if (signal.aborted) return abortReason(signal);
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  let text = typeof message === 'string' ? message : 'SMTP send failed';
  for (const secret of secrets) text = text.split(secret).join('[REDACTED]');
  return typeof code === 'string' ? `SMTP ${code}: ${text}` : `SMTP: ${text}`;
}

function abortReason(signal: AbortSignal): string {
  return (signal.reason as { name?: unknown } | undefined)?.name === 'TimeoutError'
    ? 'request timed out'
    : 'request aborted';
}

/** The strings of an SMTP URL that must never appear in a message: the URL and its password. */
function smtpSecrets(smtpUrl: string): string[] {
  const secrets = [smtpUrl];
  try {
    const { password } = new URL(smtpUrl);
    if (password.length > 0) secrets.push(password, decodeURIComponent(password));
  } catch {
    // Not a parseable URL: nodemailer fails on it too, and the whole string is already listed.
  }
  return secrets.sort((a, b) => b.length - a.length);
}

/**
 * `signal`, also aborted after `timeoutMs`. A timer of its own holds the controller: Node.js 20's
 * `AbortSignal.any` holds an `AbortSignal.timeout` only weakly, and one collected before it fired
 * never fired (see sendWithTimeout in dispatcher.ts).
 */
function withTimeout(signal: AbortSignal, timeoutMs: number | undefined): AbortSignal {
  if (timeoutMs === undefined) return signal;
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError')),
    timeoutMs,
  );
  timer.unref();
  const onAbort = () => {
    clearTimeout(timer);
    controller.abort(signal.reason);
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return controller.signal;
}

function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function htmlEscape(text: string): string {
  return slackEscape(text).replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
