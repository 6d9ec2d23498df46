import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { Logger } from '../../../src/logging/index.js';
import { channelsFromEnvironment, describeChannels } from '../../../src/monitoring/alerts/index.js';
import { deliveryFromEnvironment } from '../../../src/monitoring/alerts/environment.js';

const logger = new Logger({ logToConsole: false });
const SLACK_URL = 'https://hooks.slack.com/services/T0001/B0002/xoxTOKENs3cr3t0000';
const SMTP_URL = 'smtps://alerts:hunter2secret@smtp.example.com:465';

const EMAIL = {
  RETRAINING_ALERT_SMTP_URL: SMTP_URL,
  RETRAINING_ALERT_EMAIL_FROM: 'Retraining <retraining@example.com>',
  RETRAINING_ALERT_EMAIL_TO: 'ops@example.com, quant@example.com',
};

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    channelsFromEnvironment(env, logger);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('channelsFromEnvironment', () => {
  it('has only the log channel, for every severity, when nothing is set', () => {
    const channels = channelsFromEnvironment({}, logger);
    expect(describeChannels(channels)).toEqual([
      { name: 'log', severities: ['critical', 'high', 'medium', 'low'] },
    ]);
  });

  it('ignores empty variables', () => {
    const env = { RETRAINING_ALERT_WEBHOOK_URL: '', RETRAINING_ALERT_EMAIL_TO: '  ' };
    expect(describeChannels(channelsFromEnvironment(env, logger)).map((channel) => channel.name)).toEqual([
      'log',
    ]);
  });

  it('adds webhook, Slack and e-mail with their default severities', () => {
    const env = {
      RETRAINING_ALERT_WEBHOOK_URL: 'http://alerts.internal:8080/hook?key=abc',
      RETRAINING_ALERT_SLACK_WEBHOOK_URL: SLACK_URL,
      ...EMAIL,
    };
    expect(describeChannels(channelsFromEnvironment(env, logger))).toEqual([
      { name: 'log', severities: ['critical', 'high', 'medium', 'low'] },
      { name: 'webhook', severities: ['critical', 'high'] },
      { name: 'slack', severities: ['critical', 'high'] },
      { name: 'email', severities: ['critical'] },
    ]);
  });

  it('routes severities per channel from comma lists, in any case and order', () => {
    const env = {
      RETRAINING_ALERT_SLACK_WEBHOOK_URL: SLACK_URL,
      RETRAINING_ALERT_LOG_SEVERITIES: 'critical,high,medium',
      RETRAINING_ALERT_SLACK_SEVERITIES: ' Medium , CRITICAL,,critical ',
      // Valid though no webhook is configured: it only takes effect with one.
      RETRAINING_ALERT_WEBHOOK_SEVERITIES: 'low',
    };
    expect(describeChannels(channelsFromEnvironment(env, logger))).toEqual([
      { name: 'log', severities: ['critical', 'high', 'medium'] },
      { name: 'slack', severities: ['critical', 'medium'] },
    ]);
  });

  it('describes channels without URLs, passwords or addresses', () => {
    const env = { RETRAINING_ALERT_SLACK_WEBHOOK_URL: SLACK_URL, ...EMAIL };
    const text = JSON.stringify(describeChannels(channelsFromEnvironment(env, logger)));
    for (const secret of ['xoxTOKENs3cr3t0000', 'hooks.slack.com', 'hunter2secret', 'example.com']) {
      expect(text).not.toContain(secret);
    }
  });

  it('names the variable and the value of an unknown severity', () => {
    const error = configError({ RETRAINING_ALERT_EMAIL_SEVERITIES: 'critical,urgent' });
    expect(error.issues).toEqual([
      {
        field: 'RETRAINING_ALERT_EMAIL_SEVERITIES',
        value: 'critical,urgent',
        message:
          'RETRAINING_ALERT_EMAIL_SEVERITIES "critical,urgent" has "urgent", not a severity; expected a comma list of critical, high, medium, low',
      },
    ]);
    expect(error.message).toContain('RETRAINING_ALERT_EMAIL_SEVERITIES "critical,urgent"');
  });

  it('rejects a severity list that names none', () => {
    expect(configError({ RETRAINING_ALERT_LOG_SEVERITIES: ' , ' }).message).toContain(
      'RETRAINING_ALERT_LOG_SEVERITIES " , " names no severity',
    );
  });

  it('says a URL is invalid without echoing it', () => {
    const env = {
      RETRAINING_ALERT_SLACK_WEBHOOK_URL: 'hooks.slack.com/services/T0001/B0002/xoxTOKENs3cr3t0000',
      RETRAINING_ALERT_WEBHOOK_URL: 'ftp://user:pw@files.example.com/hook',
      RETRAINING_ALERT_SMTP_URL: 'https://alerts:hunter2secret@smtp.example.com',
      RETRAINING_ALERT_EMAIL_FROM: 'retraining@example.com',
      RETRAINING_ALERT_EMAIL_TO: 'ops@example.com',
    };
    const error = configError(env);
    expect(error.issues.map((issue) => issue.message)).toEqual([
      'RETRAINING_ALERT_WEBHOOK_URL has the scheme "ftp:"; expected http:// or https:// followed by a host',
      'RETRAINING_ALERT_SLACK_WEBHOOK_URL is not a valid URL; expected http:// or https:// followed by a host',
      'RETRAINING_ALERT_SMTP_URL has the scheme "https:"; expected smtp:// or smtps:// followed by a host',
    ]);
    for (const secret of ['xoxTOKENs3cr3t0000', 'hunter2secret', 'pw@']) {
      expect(JSON.stringify(error.issues)).not.toContain(secret);
      expect(error.message).not.toContain(secret);
    }
  });

  it('needs the SMTP URL, the sender and the recipients together', () => {
    const error = configError({ RETRAINING_ALERT_SMTP_URL: SMTP_URL });
    expect(error.issues).toEqual([
      {
        field: 'RETRAINING_ALERT_EMAIL_FROM, RETRAINING_ALERT_EMAIL_TO',
        message:
          'e-mail alerts need RETRAINING_ALERT_SMTP_URL, RETRAINING_ALERT_EMAIL_FROM and RETRAINING_ALERT_EMAIL_TO; missing RETRAINING_ALERT_EMAIL_FROM, RETRAINING_ALERT_EMAIL_TO',
      },
    ]);
    expect(error.message).not.toContain('hunter2secret');
  });

  it('names addresses that are not e-mail addresses, and a second sender', () => {
    const error = configError({
      ...EMAIL,
      RETRAINING_ALERT_EMAIL_FROM: 'a@example.com, b@example.com',
      RETRAINING_ALERT_EMAIL_TO: 'ops@example.com, quant at example.com',
    });
    expect(error.issues.map((issue) => issue.message)).toEqual([
      'RETRAINING_ALERT_EMAIL_TO has "quant at example.com"; expected e-mail addresses like ops@example.com, comma separated',
      'RETRAINING_ALERT_EMAIL_FROM must be one address',
    ]);
  });

  it('lists every invalid variable in one error', () => {
    const error = configError({
      RETRAINING_ALERT_LOG_SEVERITIES: 'loud',
      RETRAINING_ALERT_SLACK_SEVERITIES: 'quiet',
      RETRAINING_ALERT_WEBHOOK_URL: 'not a url',
    });
    expect(error.issues.map((issue) => issue.field)).toEqual([
      'RETRAINING_ALERT_LOG_SEVERITIES',
      'RETRAINING_ALERT_SLACK_SEVERITIES',
      'RETRAINING_ALERT_WEBHOOK_URL',
    ]);
    expect(error.exitCode).toBe(2);
  });
});

describe('alert delivery timing from the environment', () => {
  it('reads seconds and attempts, keeps the defaults when unset, and names every bad value', () => {
    expect(deliveryFromEnvironment({})).toEqual({});
    expect(
      deliveryFromEnvironment({
        RETRAINING_ALERT_TIMEOUT_SECONDS: '2.5',
        RETRAINING_ALERT_ATTEMPTS: '3',
        RETRAINING_ALERT_RETRY_DELAY_SECONDS: ' 0.1 ',
      }),
    ).toEqual({ timeoutMs: 2500, attempts: 3, baseDelayMs: 100 });
    let error: unknown;
    try {
      deliveryFromEnvironment({
        RETRAINING_ALERT_TIMEOUT_SECONDS: 'soon',
        RETRAINING_ALERT_ATTEMPTS: '1.5',
        RETRAINING_ALERT_RETRY_DELAY_SECONDS: '-1',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => i.field)).toEqual([
      'RETRAINING_ALERT_TIMEOUT_SECONDS',
      'RETRAINING_ALERT_ATTEMPTS',
      'RETRAINING_ALERT_RETRY_DELAY_SECONDS',
    ]);
    expect((error as ConfigError).message).toMatch(
      /RETRAINING_ALERT_ATTEMPTS "1.5" is invalid; expected a whole number/,
    );
  });
});
