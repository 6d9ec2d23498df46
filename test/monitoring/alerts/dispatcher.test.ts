import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AlertDispatcher,
  slackChannel,
  webhookChannel,
  type AlertChannel,
  type AlertDispatcherOptions,
} from '../../../src/monitoring/alerts/index.js';
import type { AlertRow } from '../../../src/store/alerts.js';
import {
  SECRET_TOKEN,
  alertRow,
  capturingLogger,
  refusedUrl,
  startHttpReceiver,
  type HttpReceiver,
} from './servers.js';

const ALL = new Set(['critical', 'high', 'medium', 'low'] as const);

interface Failure {
  channel: string;
  error: Error;
  alert: AlertRow;
  attempts: number;
}

const receivers: HttpReceiver[] = [];
async function receiver(...args: Parameters<typeof startHttpReceiver>): Promise<HttpReceiver> {
  const started = await startHttpReceiver(...args);
  receivers.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((started) => started.close()));
});

function dispatcher(channels: AlertChannel[], options: Partial<AlertDispatcherOptions> = {}) {
  const { logger, output } = capturingLogger();
  const failures: Failure[] = [];
  const instance = new AlertDispatcher({
    channels,
    logger,
    baseDelayMs: 10,
    maxDelayMs: 40,
    timeoutMs: 2_000,
    onChannelFailure: (channel, error, alert, attempts) => {
      failures.push({ channel, error, alert, attempts });
    },
    ...options,
  });
  return { dispatcher: instance, failures, output, logger };
}

describe('AlertDispatcher', () => {
  it('retries a webhook answering 500 and delivers on the third attempt', async () => {
    const http = await receiver((index) => (index < 2 ? 500 : 200));
    const {
      dispatcher: alerts,
      failures,
      logger,
    } = dispatcher([webhookChannel({ url: http.url, severities: ALL })]);
    alerts.dispatch(alertRow());
    await alerts.flush();

    expect(http.requests).toHaveLength(3);
    expect(new Set(http.requests.map((request) => request.body)).size).toBe(1);
    expect(failures).toEqual([]);
    expect(alerts.stats()).toEqual({ webhook: { delivered: 1, failed: 0, abandoned: 0 } });
    const warnings = logger.getLogs({ level: 'warn' }).map((entry) => entry.message);
    expect(warnings).toEqual([
      'alert channel "webhook" attempt 1 of 4 failed',
      'alert channel "webhook" attempt 2 of 4 failed',
    ]);
    expect(logger.getLogs({ level: 'info' }).at(-1)?.data).toMatchObject({ channel: 'webhook', attempt: 3 });
  });

  it('tries a channel that is down `attempts` times, then reports it', async () => {
    const url = await refusedUrl();
    const {
      dispatcher: alerts,
      failures,
      logger,
    } = dispatcher([webhookChannel({ url, severities: ALL })], { attempts: 3 });
    const alert = alertRow();
    alerts.dispatch(alert);
    await alerts.flush();

    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ channel: 'webhook', alert, attempts: 3 });
    expect(failures[0]?.error.message).toBe('alert channel "webhook": request failed (ECONNREFUSED)');
    expect(alerts.stats()).toEqual({ webhook: { delivered: 0, failed: 1, abandoned: 0 } });
    expect(logger.getLogs({ level: 'warn' }).filter((entry) => entry.level === 'warn')).toHaveLength(2);
    const [error] = logger.getLogs({ level: 'error' });
    expect(error?.message).toBe('alert channel "webhook" failed after 3 attempts');
    expect(error?.data).toMatchObject({ attempts: 3, reason: 'request failed (ECONNREFUSED)' });
  });

  it('does not retry an answer that cannot change, such as 404', async () => {
    const http = await receiver(() => 404);
    const { dispatcher: alerts, failures } = dispatcher([webhookChannel({ url: http.url, severities: ALL })]);
    alerts.dispatch(alertRow());
    await alerts.flush();
    expect(http.requests).toHaveLength(1);
    expect(failures[0]?.attempts).toBe(1);
  });

  it('ends an attempt at the timeout when the receiver never answers', async () => {
    const http = await receiver(() => 'hang');
    const { dispatcher: alerts, failures } = dispatcher(
      [webhookChannel({ url: http.url, severities: ALL })],
      {
        attempts: 2,
        timeoutMs: 100,
      },
    );
    const started = performance.now();
    alerts.dispatch(alertRow());
    await alerts.flush();

    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(http.requests).toHaveLength(2);
    expect(failures[0]?.error.message).toMatch(
      /^alert channel "webhook": (request timed out|timed out after 100 ms)$/,
    );
  });

  it('ends an attempt at the timeout even when the channel ignores its signal', async () => {
    const stuck: AlertChannel = { name: 'stuck', severities: ALL, send: () => new Promise(() => {}) };
    const { dispatcher: alerts, failures } = dispatcher([stuck], { attempts: 1, timeoutMs: 50 });
    alerts.dispatch(alertRow());
    await alerts.flush();
    expect(failures[0]?.error.message).toBe('alert channel "stuck": timed out after 50 ms');
  });

  it('returns from dispatch at once, even when a channel hangs or blocks', async () => {
    const http = await receiver(() => 'hang');
    let sent = false;
    const blocking: AlertChannel = {
      name: 'blocking',
      severities: ALL,
      send: () => {
        sent = true;
        const until = Date.now() + 50;
        while (Date.now() < until) {
          // a channel doing slow synchronous work
        }
        return Promise.resolve();
      },
    };
    const { dispatcher: alerts } = dispatcher(
      [webhookChannel({ url: http.url, severities: ALL }), blocking],
      { attempts: 1, timeoutMs: 200 },
    );
    alerts.dispatch(alertRow());
    // No channel code ran inside dispatch (a clock would say the same, but flakily under load).
    expect(sent).toBe(false);
    expect(http.requests).toHaveLength(0);
    await alerts.flush();
    expect(sent).toBe(true);
    expect(alerts.stats()).toEqual({
      webhook: { delivered: 0, failed: 1, abandoned: 0 },
      blocking: { delivered: 1, failed: 0, abandoned: 0 },
    });
  });

  it('never throws from dispatch, even when a channel throws synchronously', async () => {
    const broken: AlertChannel = {
      name: 'broken',
      severities: ALL,
      send: () => {
        throw new Error('not a promise');
      },
    };
    const { dispatcher: alerts, failures } = dispatcher([broken], { attempts: 1 });
    expect(() => alerts.dispatch(alertRow())).not.toThrow();
    await alerts.flush();
    expect(failures[0]?.error.message).toBe('not a promise');
  });

  it('delivers each alert only to the channels routed its severity, minus the excluded ones', async () => {
    const critical = await receiver();
    const everything = await receiver();
    const { dispatcher: alerts } = dispatcher([
      webhookChannel({ name: 'pager', url: critical.url, severities: new Set(['critical']) }),
      webhookChannel({ name: 'archive', url: everything.url, severities: ALL }),
    ]);
    alerts.dispatch(alertRow({ severity: 'low' }));
    alerts.dispatch(alertRow({ severity: 'critical' }));
    alerts.dispatch(alertRow({ severity: 'critical' }), { exclude: ['archive'] });
    await alerts.flush();
    expect(critical.requests).toHaveLength(2);
    expect(everything.requests).toHaveLength(2);
  });

  it('keeps channels independent: one failing does not delay or stop another', async () => {
    const down = await refusedUrl();
    const up = await receiver();
    const { dispatcher: alerts, failures } = dispatcher([
      webhookChannel({ url: down, severities: ALL }),
      slackChannel({ url: up.url, severities: ALL }),
    ]);
    alerts.dispatch(alertRow());
    await alerts.flush();
    expect(up.requests).toHaveLength(1);
    expect(failures.map((failure) => failure.channel)).toEqual(['webhook']);
  });

  it('logs and survives a failure listener that throws', async () => {
    const url = await refusedUrl();
    const { dispatcher: alerts, logger } = dispatcher([webhookChannel({ url, severities: ALL })], {
      attempts: 1,
      onChannelFailure: () => Promise.reject(new Error('database gone')),
    });
    alerts.dispatch(alertRow());
    await alerts.flush();
    expect(logger.getLogs({ level: 'error' }).map((entry) => entry.message)).toEqual([
      'alert channel "webhook" failed after 1 attempt',
      'alert channel failure listener failed',
    ]);
  });

  it('abandons waiting retries at close instead of holding up shutdown', async () => {
    const http = await receiver(() => 500);
    const { dispatcher: alerts, failures } = dispatcher(
      [webhookChannel({ url: http.url, severities: ALL })],
      {
        baseDelayMs: 60_000,
        maxDelayMs: 60_000,
      },
    );
    alerts.dispatch(alertRow());
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = performance.now();
    await alerts.close();

    expect(performance.now() - started).toBeLessThan(1_000);
    expect(http.requests).toHaveLength(1);
    expect(failures).toEqual([]);
    expect(alerts.stats()).toEqual({ webhook: { delivered: 0, failed: 0, abandoned: 1 } });
    alerts.dispatch(alertRow());
    await alerts.flush();
    expect(http.requests).toHaveLength(1);
  });

  it('never writes the secret token of a webhook URL to the log or into an error', async () => {
    const failing = await receiver(() => 500);
    const hanging = await receiver(() => 'hang');
    const down = await refusedUrl();
    const {
      dispatcher: alerts,
      failures,
      output,
    } = dispatcher(
      [
        webhookChannel({ url: failing.url, severities: ALL }),
        slackChannel({ url: down, severities: ALL }),
        webhookChannel({ name: 'hanging', url: hanging.url, severities: ALL }),
      ],
      { attempts: 2, timeoutMs: 100 },
    );
    alerts.dispatch(alertRow());
    await alerts.flush();

    expect(failures).toHaveLength(3);
    const errors = failures.map(({ error }) =>
      JSON.stringify({ message: error.message, stack: error.stack }),
    );
    expect(output()).toContain('alert channel \\"slack\\" failed after 2 attempts');
    for (const text of [output(), ...errors]) {
      expect(text).not.toContain(SECRET_TOKEN);
      expect(text).not.toContain('/services/');
    }
  });
});
