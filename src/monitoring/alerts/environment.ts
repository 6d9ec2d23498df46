import { ConfigError, type ConfigIssue } from '../../errors.js';
import type { Logger } from '../../logging/index.js';
import { ALERT_SEVERITIES, type AlertSeverity } from '../../store/alerts.js';
import { emailChannel, logChannel, slackChannel, webhookChannel, type AlertChannel } from './channels.js';
import type { AlertDispatcherOptions } from './dispatcher.js';

/** The environment variables the alert channels read. URLs carry secrets and are never printed. */
export const ALERT_ENV = {
  webhookUrl: 'RETRAINING_ALERT_WEBHOOK_URL',
  slackWebhookUrl: 'RETRAINING_ALERT_SLACK_WEBHOOK_URL',
  smtpUrl: 'RETRAINING_ALERT_SMTP_URL',
  emailFrom: 'RETRAINING_ALERT_EMAIL_FROM',
  emailTo: 'RETRAINING_ALERT_EMAIL_TO',
} as const;

export type AlertChannelKind = 'log' | 'webhook' | 'slack' | 'email';

/** Every severity goes to the log; only what needs a person goes further. */
export const DEFAULT_CHANNEL_SEVERITIES: Readonly<Record<AlertChannelKind, readonly AlertSeverity[]>> = {
  log: ALERT_SEVERITIES,
  webhook: ['critical', 'high'],
  slack: ['critical', 'high'],
  email: ['critical'],
};

/** `RETRAINING_ALERT_SLACK_SEVERITIES`: a comma list of severities the channel receives. */
export const severitiesVariable = (kind: AlertChannelKind): string =>
  `RETRAINING_ALERT_${kind.toUpperCase()}_SEVERITIES`;

/**
 * The channels the environment configures: the log always, a webhook, Slack and e-mail when their
 * variables are set. Unset and empty variables are ignored. Throws one ConfigError listing every
 * invalid variable.
 */
export function channelsFromEnvironment(env: NodeJS.ProcessEnv, logger: Logger): AlertChannel[] {
  const issues: ConfigIssue[] = [];
  const severities = (kind: AlertChannelKind) => parseSeverities(env, kind, issues);
  const logSeverities = severities('log');
  const webhookSeverities = severities('webhook');
  const slackSeverities = severities('slack');
  const emailSeverities = severities('email');

  const webhookUrl = parseUrl(env, ALERT_ENV.webhookUrl, ['http:', 'https:'], issues);
  const slackUrl = parseUrl(env, ALERT_ENV.slackWebhookUrl, ['http:', 'https:'], issues);
  const smtpUrl = parseUrl(env, ALERT_ENV.smtpUrl, ['smtp:', 'smtps:'], issues);
  const from = parseAddresses(env, ALERT_ENV.emailFrom, issues);
  const to = parseAddresses(env, ALERT_ENV.emailTo, issues);
  if (from !== undefined && from.length > 1) {
    issues.push(issue(ALERT_ENV.emailFrom, env, `${ALERT_ENV.emailFrom} must be one address`));
  }
  const emailSettings = [env[ALERT_ENV.smtpUrl], env[ALERT_ENV.emailFrom], env[ALERT_ENV.emailTo]];
  if (emailSettings.some(isSet) && !emailSettings.every(isSet)) {
    const missing = [ALERT_ENV.smtpUrl, ALERT_ENV.emailFrom, ALERT_ENV.emailTo].filter(
      (name) => !isSet(env[name]),
    );
    issues.push({
      field: missing.join(', '),
      message: `e-mail alerts need ${ALERT_ENV.smtpUrl}, ${ALERT_ENV.emailFrom} and ${ALERT_ENV.emailTo}; missing ${missing.join(', ')}`,
    });
  }
  if (issues.length > 0) throw new ConfigError(issues, 'alert channels from the environment');

  const channels = [logChannel(logger, logSeverities)];
  if (webhookUrl) channels.push(webhookChannel({ url: webhookUrl, severities: webhookSeverities }));
  if (slackUrl) channels.push(slackChannel({ url: slackUrl, severities: slackSeverities }));
  if (smtpUrl && from?.[0] && to) {
    channels.push(emailChannel({ smtpUrl, from: from[0], to, severities: emailSeverities }));
  }
  return channels;
}

/** Delivery timing variables: each a number; attempts a whole number of 1 or more. */
export const ALERT_DELIVERY_ENV = {
  timeoutMs: 'RETRAINING_ALERT_TIMEOUT_SECONDS',
  attempts: 'RETRAINING_ALERT_ATTEMPTS',
  baseDelayMs: 'RETRAINING_ALERT_RETRY_DELAY_SECONDS',
} as const;

export type AlertDelivery = Pick<AlertDispatcherOptions, keyof typeof ALERT_DELIVERY_ENV>;

/**
 * How long one try may take, how many tries a channel gets and the first retry delay (doubling
 * after), for operators whose receivers are slow or far; unset variables keep the dispatcher's
 * defaults (10 s, 4, 0.5 s).
 */
export function deliveryFromEnvironment(env: NodeJS.ProcessEnv): AlertDelivery {
  const delivery: AlertDelivery = {};
  const issues: ConfigIssue[] = [];
  for (const [option, name] of Object.entries(ALERT_DELIVERY_ENV) as [keyof AlertDelivery, string][]) {
    const raw = env[name];
    if (!isSet(raw)) continue;
    const value = Number(raw.trim());
    if (option === 'attempts') {
      if (Number.isInteger(value) && value >= 1 && value <= 100) delivery.attempts = value;
      else
        issues.push(issue(name, env, `${name} "${raw}" is invalid; expected a whole number from 1 to 100`));
    } else if (Number.isFinite(value) && value > 0 && value <= 3600) {
      delivery[option] = Math.max(1, Math.round(value * 1000));
    } else {
      issues.push(
        issue(name, env, `${name} "${raw}" is invalid; expected seconds greater than 0, at most 3600`),
      );
    }
  }
  if (issues.length > 0) throw new ConfigError(issues, 'alert delivery from the environment');
  return delivery;
}

export interface ChannelDescription {
  name: string;
  /** Most severe first. */
  severities: AlertSeverity[];
}

/** What `status` may print about the channels: names and severities, no URL or address. */
export function describeChannels(channels: readonly AlertChannel[]): ChannelDescription[] {
  return channels.map((channel) => ({
    name: channel.name,
    severities: ALERT_SEVERITIES.filter((severity) => channel.severities.has(severity)),
  }));
}

function isSet(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

function parseSeverities(
  env: NodeJS.ProcessEnv,
  kind: AlertChannelKind,
  issues: ConfigIssue[],
): ReadonlySet<AlertSeverity> {
  const name = severitiesVariable(kind);
  const raw = env[name];
  // On an error the default is returned only to keep collecting issues: the caller throws.
  const fallback = new Set(DEFAULT_CHANNEL_SEVERITIES[kind]);
  if (!isSet(raw)) return fallback;
  const values = raw
    .split(',')
    .map((value) => value.trim().toLowerCase())
    .filter((value) => value !== '');
  const expected = `expected a comma list of ${ALERT_SEVERITIES.join(', ')}`;
  const unknown = values.filter((value) => !(ALERT_SEVERITIES as readonly string[]).includes(value));
  if (unknown.length > 0) {
    const list = unknown.map((value) => `"${value}"`).join(', ');
    issues.push(issue(name, env, `${name} "${raw}" has ${list}, not a severity; ${expected}`));
    return fallback;
  }
  if (values.length === 0) {
    issues.push(issue(name, env, `${name} "${raw}" names no severity; ${expected}`));
    return fallback;
  }
  return new Set(values as AlertSeverity[]);
}

/* The value is never echoed: a webhook URL is a secret and an SMTP URL carries a password. */
function parseUrl(
  env: NodeJS.ProcessEnv,
  name: string,
  protocols: readonly string[],
  issues: ConfigIssue[],
): string | undefined {
  const raw = env[name];
  if (!isSet(raw)) return undefined;
  const expected = `expected ${protocols.map((protocol) => `${protocol}//`).join(' or ')} followed by a host`;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    issues.push({ field: name, message: `${name} is not a valid URL; ${expected}` });
    return undefined;
  }
  if (!protocols.includes(url.protocol)) {
    issues.push({ field: name, message: `${name} has the scheme "${url.protocol}"; ${expected}` });
    return undefined;
  }
  if (url.hostname === '') {
    issues.push({ field: name, message: `${name} has no host; ${expected}` });
    return undefined;
  }
  return raw.trim();
}

/** `ops@example.com` or `Retraining <ops@example.com>`. */
const ADDRESS = /^(?:[^<>@,]*<[^\s<>@,]+@[^\s<>@,]+>|[^\s<>@,]+@[^\s<>@,]+)$/;

function parseAddresses(env: NodeJS.ProcessEnv, name: string, issues: ConfigIssue[]): string[] | undefined {
  const raw = env[name];
  if (!isSet(raw)) return undefined;
  const addresses = raw
    .split(',')
    .map((value) => value.trim())
    .filter((value) => value !== '');
  const invalid = addresses.filter((address) => !ADDRESS.test(address));
  if (invalid.length > 0 || addresses.length === 0) {
    const what = invalid.length > 0 ? invalid.map((value) => `"${value}"`).join(', ') : 'no address';
    issues.push(
      issue(
        name,
        env,
        `${name} has ${what}; expected e-mail addresses like ops@example.com, comma separated`,
      ),
    );
    return undefined;
  }
  return addresses;
}

function issue(name: string, env: NodeJS.ProcessEnv, message: string): ConfigIssue {
  return { field: name, value: env[name], message };
}
