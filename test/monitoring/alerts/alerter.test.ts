import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../../src/db/migrate.js';
import { NotFoundError, ValidationError } from '../../../src/errors.js';
import { Logger } from '../../../src/logging/index.js';
import {
  AlertDispatcher,
  Alerter,
  slackChannel,
  webhookChannel,
  type AlertChannel,
} from '../../../src/monitoring/alerts/index.js';
import type { AlertRow, NewAlert } from '../../../src/store/alerts.js';
import { BACKEND, createTestDatabase, type TestDatabase } from '../../helpers/database.js';
import { refusedUrl, startHttpReceiver, type HttpReceiver } from './servers.js';

const ALL = new Set(['critical', 'high', 'medium', 'low'] as const);
const DRIFT: NewAlert = {
  type: 'model_drift',
  severity: 'critical',
  message: 'PSI 0.31 on log returns exceeds 0.25',
  details: { psi: 0.31 },
  dedupeKey: 'drift:logReturn',
};

let test: TestDatabase;
let http: HttpReceiver;
beforeEach(async () => {
  test = await createTestDatabase();
  await migrate(test.db);
  http = await startHttpReceiver();
});
afterEach(async () => {
  await http.close();
  await test.close();
});

/** Wraps a channel to record the alerts it was asked to deliver. */
function recorded(channel: AlertChannel): AlertChannel & { sent: AlertRow[] } {
  const sent: AlertRow[] = [];
  return {
    name: channel.name,
    severities: channel.severities,
    sent,
    send(alert, signal) {
      sent.push(alert);
      return channel.send(alert, signal);
    },
  };
}

function alerter(channels: AlertChannel[], enabled = true) {
  const logger = new Logger({ logToConsole: false });
  const dispatcher = new AlertDispatcher({
    channels,
    logger,
    attempts: 2,
    baseDelayMs: 10,
    timeoutMs: 2_000,
  });
  return { alerts: new Alerter({ db: test.db, dispatcher, logger, enabled }), dispatcher, logger };
}

const bodies = () => http.requests.map((request) => JSON.parse(request.body) as Record<string, unknown>);

describe(`Alerter (${BACKEND})`, () => {
  it('delivers a repeated alert once and counts its occurrences', async () => {
    const { alerts } = alerter([webhookChannel({ url: http.url, severities: ALL })]);
    const first = await alerts.raise(DRIFT);
    const second = await alerts.raise({ ...DRIFT, details: { psi: 0.34 } });
    await alerts.flush();

    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.alert.id).toBe(first.alert.id);
    expect(second.alert.occurrences).toBe(2);
    expect(bodies()).toEqual([
      expect.objectContaining({
        id: first.alert.id,
        type: 'model_drift',
        severity: 'critical',
        occurrences: 1,
      }),
    ]);
    const [active] = await alerts.active();
    expect(active).toMatchObject({ id: first.alert.id, occurrences: 2, details: { psi: 0.34 } });
  });

  it('stores but does not deliver alerts when alerts are disabled', async () => {
    const { alerts } = alerter([webhookChannel({ url: http.url, severities: ALL })], false);
    const { created } = await alerts.raise(DRIFT);
    await alerts.flush();
    expect(created).toBe(true);
    expect(http.requests).toEqual([]);
    expect(await alerts.active()).toHaveLength(1);
  });

  it('raises a system alert for a channel that is down and delivers it to the other channel only', async () => {
    const down = recorded(webhookChannel({ url: await refusedUrl(), severities: ALL }));
    const up = recorded(slackChannel({ url: http.url, severities: ALL }));
    const { alerts, dispatcher } = alerter([down, up]);
    const { alert } = await alerts.raise(DRIFT);
    await alerts.flush();

    const failure = (await alerts.active({ limit: 10 })).find((row) => row.type === 'system');
    expect(failure).toMatchObject({
      type: 'system',
      severity: 'high',
      dedupeKey: 'alert-channel:webhook',
      message: 'alert channel "webhook" failed after 2 attempts: request failed (ECONNREFUSED)',
      details: {
        channel: 'webhook',
        attempts: 2,
        reason: 'request failed (ECONNREFUSED)',
        alertId: alert.id,
      },
      occurrences: 1,
    });
    expect(down.sent.map((row) => row.id)).toEqual([alert.id, alert.id]);
    expect(up.sent.map((row) => row.id)).toEqual([alert.id, failure?.id]);
    const slackTexts = http.requests.map((request) => (JSON.parse(request.body) as { text: string }).text);
    expect(slackTexts[1]).toBe(
      ':red_circle: [HIGH] system: alert channel "webhook" failed after 2 attempts: request failed (ECONNREFUSED)',
    );
    expect(dispatcher.stats()).toEqual({
      webhook: { delivered: 0, failed: 1, abandoned: 0 },
      slack: { delivered: 2, failed: 0, abandoned: 0 },
    });

    // The channel failing again counts on the open system alert instead of sending another.
    await alerts.raise({ ...DRIFT, dedupeKey: 'drift:volume', message: 'PSI 0.4 on volume' });
    await alerts.flush();
    const again = (await alerts.active({ limit: 10 })).find((row) => row.type === 'system');
    expect(again).toMatchObject({ id: failure?.id, occurrences: 2 });
    expect(up.sent).toHaveLength(3);
  });

  it('acknowledges and resolves alerts with a resolution text', async () => {
    const { alerts } = alerter([]);
    const { alert } = await alerts.raise(DRIFT);
    const acknowledged = await alerts.acknowledge(alert.id);
    expect(acknowledged.acknowledged).toBe(true);
    expect(acknowledged.acknowledgedAt).toBeInstanceOf(Date);

    await expect(alerts.resolve(alert.id, '   ')).rejects.toBeInstanceOf(ValidationError);
    const resolved = await alerts.resolve(alert.id, ' retrained on the last 90 days ');
    expect(resolved.resolution).toBe('retrained on the last 90 days');
    expect(resolved.resolvedAt).toBeInstanceOf(Date);
    expect(await alerts.active()).toEqual([]);

    // Resolved, the dedupe key is free: the same problem again is a new alert, delivered again.
    expect((await alerts.raise(DRIFT)).created).toBe(true);
  });

  it('rejects ids that are not UUIDs and reports unknown ones as not found', async () => {
    const { alerts } = alerter([]);
    await expect(alerts.acknowledge('42')).rejects.toBeInstanceOf(ValidationError);
    await expect(alerts.resolve('42', 'fixed')).rejects.toThrow('alert id "42" is not a UUID');
    await expect(alerts.acknowledge('00000000-0000-4000-8000-000000000000')).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });
});
