/**
 * Alert channels that hang or refuse, met by the running system: a retraining whose data cannot
 * be trained on fails and raises a high alert, which goes to a webhook, Slack and e-mail configured
 * from the environment as an operator would. The dispatcher's unit tests
 * (test/monitoring/alerts/dispatcher.test.ts) cover its rules; this checks what the system does
 * with them: the alert is stored whatever the channels do, the run is not held up, each failing
 * channel is retried with backoff and then reported on the others, and shutdown does not wait
 * for a receiver that never answers.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import type { LogEntry } from '../../src/logging/logger.js';
import { RetrainingSystem } from '../../src/orchestration/system.js';
import { listAlerts } from '../../src/store/alerts.js';
import { BACKEND, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { seedFailingMarket } from '../helpers/fixtures.js';
import {
  capturingLogger,
  refusedUrl,
  SECRET_TOKEN,
  startHttpReceiver,
  type HttpReceiver,
} from '../monitoring/alerts/servers.js';

const SMTP_PASSWORD = 'smtp-pa55word-never-logged';
const TIMEOUT_SECONDS = 1.5;
const ATTEMPTS = 3;
const RETRY_DELAY_SECONDS = 0.2;

/** An SMTP server that accepts connections and never sends its greeting. */
async function silentSmtp(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
  return {
    port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  return Number(new URL(await refusedUrl()).port);
}

const cleanups: (() => Promise<unknown>)[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
afterEach(async () => {
  process.off('unhandledRejection', onUnhandled);
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function receiver(respond: Parameters<typeof startHttpReceiver>[0]): Promise<HttpReceiver> {
  const started = await startHttpReceiver(respond);
  cleanups.push(() => started.close());
  return started;
}

interface Running {
  system: RetrainingSystem;
  test: TestDatabase;
  logs: () => LogEntry[];
  output: () => string;
}

/**
 * A system (without the job queue) on a database whose bars come in two intervals, so a
 * retraining fails at once with a high `data_quality` alert.
 */
async function systemWith(channels: NodeJS.ProcessEnv, timeoutSeconds = TIMEOUT_SECONDS): Promise<Running> {
  process.on('unhandledRejection', onUnhandled);
  const test = await createTestDatabase();
  cleanups.push(() => test.close());
  await migrate(test.db);
  await seedFailingMarket(test.db);
  const { logger, output } = capturingLogger();
  const system = await RetrainingSystem.create(
    { schedule: { enabled: false } },
    {
      db: test.db,
      jobs: false,
      logger,
      env: {
        ...channels,
        ...(channels.RETRAINING_ALERT_SMTP_URL
          ? {
              RETRAINING_ALERT_EMAIL_FROM: 'retraining@example.com',
              RETRAINING_ALERT_EMAIL_TO: 'ops@example.com',
              RETRAINING_ALERT_EMAIL_SEVERITIES: 'critical,high',
            }
          : {}),
        RETRAINING_ALERT_TIMEOUT_SECONDS: String(timeoutSeconds),
        RETRAINING_ALERT_ATTEMPTS: String(ATTEMPTS),
        RETRAINING_ALERT_RETRY_DELAY_SECONDS: String(RETRY_DELAY_SECONDS),
      },
    },
  );
  // A second stop() (after a test's own) finds nothing left to do.
  cleanups.push(() => system.stop(0));
  return { system, test, logs: () => logger.getLogs(), output };
}

/** Runs a retraining that fails at collect; resolves with its wall time. */
async function failingRun(running: Running): Promise<number> {
  const started = performance.now();
  const { result } = await running.system.services.retrainingService.runRetraining();
  const elapsed = performance.now() - started;
  expect(result.status).toBe('failed');
  expect(result.reason).toMatch(/different finest intervals/);
  return elapsed;
}

const messages = (running: Running) => running.logs().map((entry) => entry.message);

describe(`alert channels that hang or refuse, in the running system (${BACKEND})`, () => {
  // The first embedded database of a file takes seconds to create; not part of any measurement.
  beforeAll(() => createTestDatabase().then((warm) => warm.close()), 60_000);

  it('stores the alert, does not hold up the run, retries each channel with backoff and reports it on the others', async () => {
    const hanging = await receiver(() => 'hang');
    const failing = await receiver(() => 500);
    const smtp = await silentSmtp();
    cleanups.push(() => smtp.close());
    const running = await systemWith({
      RETRAINING_ALERT_WEBHOOK_URL: hanging.url,
      RETRAINING_ALERT_SLACK_WEBHOOK_URL: failing.url,
      RETRAINING_ALERT_SMTP_URL: `smtp://alerts:${SMTP_PASSWORD}@127.0.0.1:${smtp.port}`,
    });

    const runMs = await failingRun(running);
    console.info(`failed run with three broken channels: ${runMs.toFixed(0)} ms`);
    expect(runMs).toBeLessThan(TIMEOUT_SECONDS * 1000);
    const [stored] = await listAlerts(running.test.db, { active: true });
    expect(stored).toMatchObject({ type: 'data_quality', severity: 'high' });

    const started = performance.now();
    await running.system.services.alerter.flush();
    const deliveryMs = performance.now() - started;
    console.info(`deliveries given up after ${deliveryMs.toFixed(0)} ms`);
    // Three tries of the hanging webhook, each ended by the timeout.
    expect(deliveryMs).toBeGreaterThan(ATTEMPTS * TIMEOUT_SECONDS * 1000 - 500);
    expect(hanging.requests.filter((r) => r.body.includes('"data_quality"'))).toHaveLength(ATTEMPTS);
    expect(failing.requests.filter((r) => r.body.includes('data_quality'))).toHaveLength(ATTEMPTS);

    // Each retry waited the doubling delay with jitter: [d/2, d] for d = 0.2 s, 0.4 s.
    for (const channel of ['webhook', 'slack', 'email']) {
      const retries = running
        .logs()
        .filter((entry) => entry.message.startsWith(`alert channel "${channel}" attempt`))
        .filter((entry) => entry.data?.alertId === stored!.id);
      expect(retries.map((entry) => entry.message)).toEqual([
        `alert channel "${channel}" attempt 1 of ${ATTEMPTS} failed`,
        `alert channel "${channel}" attempt 2 of ${ATTEMPTS} failed`,
      ]);
      const delays = retries.map((entry) => entry.data?.retryInMs as number);
      expect(delays[0]).toBeGreaterThanOrEqual(100);
      expect(delays[0]).toBeLessThanOrEqual(200);
      expect(delays[1]).toBeGreaterThanOrEqual(200);
      expect(delays[1]).toBeLessThanOrEqual(400);
      expect(messages(running)).toContain(`alert channel "${channel}" failed after ${ATTEMPTS} attempts`);
    }

    // Every channel's failure is a system alert of its own, delivered to the log and the others.
    const system = (await listAlerts(running.test.db, { active: true })).filter((a) => a.type === 'system');
    expect(system.map((a) => a.dedupeKey).sort()).toEqual([
      'alert-channel:email',
      'alert-channel:slack',
      'alert-channel:webhook',
    ]);
    const reasons = Object.fromEntries(system.map((a) => [a.dedupeKey, a.message]));
    expect(reasons['alert-channel:webhook']).toMatch(/timed out/);
    expect(reasons['alert-channel:slack']).toMatch(/got HTTP 500/);
    expect(reasons['alert-channel:email']).toMatch(/timed out/);
    expect(messages(running)).toContain(
      `alert [HIGH] system: alert channel "webhook" failed after ${ATTEMPTS} attempts: ${reasons['alert-channel:webhook']!.split(': ').at(-1)}`,
    );
    expect(failing.requests.some((r) => r.body.includes('alert channel \\"webhook\\" failed'))).toBe(true);
    expect(hanging.requests.some((r) => r.body.includes('alert channel \\"slack\\" failed'))).toBe(true);

    for (const text of [running.output(), JSON.stringify(system)]) {
      expect(text).not.toContain(SMTP_PASSWORD);
      expect(text).not.toContain(SECRET_TOKEN);
    }
    expect(unhandled).toEqual([]);
  }, 40_000);

  it('reports channels that refuse the connection on the channel that works', async () => {
    const slack = await receiver(() => 200);
    const running = await systemWith({
      RETRAINING_ALERT_WEBHOOK_URL: await refusedUrl(),
      RETRAINING_ALERT_SLACK_WEBHOOK_URL: slack.url,
      RETRAINING_ALERT_SMTP_URL: `smtp://alerts:${SMTP_PASSWORD}@127.0.0.1:${await closedPort()}`,
    });
    await failingRun(running);
    const started = performance.now();
    await running.system.services.alerter.flush();
    const deliveryMs = performance.now() - started;
    console.info(`refused channels given up after ${deliveryMs.toFixed(0)} ms`);
    expect(deliveryMs).toBeLessThan(5_000);

    const bodies = slack.requests.map((r) => r.body);
    expect(bodies.filter((b) => b.includes('data_quality'))).toHaveLength(1);
    expect(
      bodies.some((b) =>
        /alert channel \\"webhook\\" failed after 3 attempts: request failed \(ECONNREFUSED\)/.test(b),
      ),
    ).toBe(true);
    expect(
      bodies.some((b) =>
        /alert channel \\"email\\" failed after 3 attempts: SMTP ESOCKET: connect ECONNREFUSED/.test(b),
      ),
    ).toBe(true);
    for (const text of [running.output(), ...bodies]) expect(text).not.toContain(SMTP_PASSWORD);
    expect(unhandled).toEqual([]);
  }, 30_000);

  it('shuts down within a short grace while a channel never answers', async () => {
    const hanging = await receiver(() => 'hang');
    // A timeout far beyond the grace: stop() must not wait for it.
    const running = await systemWith({ RETRAINING_ALERT_WEBHOOK_URL: hanging.url }, 60);
    await failingRun(running);
    const deadline = Date.now() + 5_000;
    while (hanging.requests.length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(hanging.requests).toHaveLength(1);

    const started = performance.now();
    await running.system.stop(0);
    const stopMs = performance.now() - started;
    console.info(`stop() with a hanging webhook: ${stopMs.toFixed(0)} ms`);
    expect(stopMs).toBeLessThan(4_000);
    expect(messages(running)).toContain('alert channel "webhook" delivery abandoned at shutdown');
    // Abandoned, not failed: no system alert is raised while the system shuts down.
    const system = (await listAlerts(running.test.db, { active: true })).filter((a) => a.type === 'system');
    expect(system).toEqual([]);
    expect(unhandled).toEqual([]);
  }, 30_000);
});
