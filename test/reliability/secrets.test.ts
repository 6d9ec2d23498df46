/**
 * Secrets never leave the process: `retrain start` runs with API keys, a database password (server
 * pass), alert webhook URLs with tokens and an SMTP password, and is provoked into every kind of
 * error (bad bodies, missing, wrong and read-only keys, 404s, failing alert channels, a failed job,
 * a database error); then everything it wrote, every API error, the job rows and the alerts table
 * are searched for each secret. The CLI's own errors with a bad DATABASE_URL are searched too.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS_FILE, resolveApiKeys } from '../../src/api/keys.js';
import {
  createCliDatabase,
  runRetrain,
  spawnRetrain,
  type CliDatabase,
  type RetrainProcess,
} from '../helpers/cli.js';
import { BACKEND, SERVER_URL } from '../helpers/database.js';
import { seedFailingMarket } from '../helpers/fixtures.js';
import { refusedUrl, startHttpReceiver, type HttpReceiver } from '../monitoring/alerts/servers.js';

const ADMIN = 'adm1n-S3CRET-key-4f8a2c9e71d3b605';
const READ = 'r3ad-S3CRET-key-9b1e7d4c2a6f8053';
const DB_PASSWORD = 's3cretPassw0rd';
const HOOK_TOKEN = 'hookT0KEN-5e2d9a7c41';
const HOOK_QUERY = 'qs3cret-08b6f1d2';
const SLACK_TOKEN = 'xoxb-SLACKs3cret-77aa';
const SMTP_PASSWORD = 'smtpS3CRET-pa55-c0de';
const SECRETS = [ADMIN, READ, DB_PASSWORD, HOOK_TOKEN, HOOK_QUERY, SLACK_TOKEN, SMTP_PASSWORD];

/** Every secret that appears in `text`, as `name of place: secret`. */
function leaks(place: string, text: string): string[] {
  return SECRETS.filter((secret) => text.includes(secret)).map((secret) => `${place}: ${secret}`);
}

/** The server URL of this test's schema with a password added (trust auth ignores it). */
function withPassword(url: string): string {
  const parsed = new URL(url);
  parsed.password = DB_PASSWORD;
  return parsed.toString();
}

const BOSS_SCHEMA = `boss_${Math.random().toString(36).slice(2, 10)}`;

let cli: CliDatabase;
let webhook: HttpReceiver;
let system: RetrainProcess;
let url: string;
const answers: string[] = [];

async function call(method: string, path: string, key: string | null, body?: unknown): Promise<number> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  // The answer only: a secret the caller itself put in the request may come back to it.
  answers.push(`${response.status} ${await response.text()}`);
  return response.status;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe(`secrets in logs, API errors, job rows and alerts (${BACKEND})`, () => {
  beforeAll(async () => {
    cli = await createCliDatabase('retrain-secrets');
    webhook = await startHttpReceiver(() => 500);
    // Bars in two intervals: a retraining fails at once, with a high alert for every channel.
    await cli.seed(seedFailingMarket);
    const hook = new URL(webhook.url);
    hook.pathname = `/hooks/${HOOK_TOKEN}`;
    hook.search = `?token=${HOOK_QUERY}`;
    const slack = new URL(await refusedUrl());
    slack.pathname = `/services/T0/B0/${SLACK_TOKEN}`;
    const smtpPort = new URL(await refusedUrl()).port;
    system = spawnRetrain(
      ['start', '--port', '0', '--no-demo', '--no-first-model'],
      {
        ...(SERVER_URL ? { DATABASE_URL: withPassword(cli.env.DATABASE_URL!) } : cli.env),
        RETRAINING_DATA_DIR: cli.env.RETRAINING_DATA_DIR ?? join(cli.dir, 'data'),
        RETRAINING_ADMIN_KEY: ADMIN,
        RETRAINING_READ_KEY: READ,
        RETRAINING_CONFIG_JSON: JSON.stringify({ schedule: { enabled: false } }),
        RETRAINING_BOSS_SCHEMA: BOSS_SCHEMA,
        RETRAINING_QUEUE_POLL_SECONDS: '0.5',
        RETRAINING_TRIAL_THREADS: '1',
        RETRAINING_ALERT_WEBHOOK_URL: hook.toString(),
        RETRAINING_ALERT_SLACK_WEBHOOK_URL: slack.toString(),
        RETRAINING_ALERT_SMTP_URL: `smtp://alerts:${SMTP_PASSWORD}@127.0.0.1:${smtpPort}`,
        RETRAINING_ALERT_EMAIL_FROM: 'retraining@example.com',
        RETRAINING_ALERT_EMAIL_TO: 'ops@example.com',
        RETRAINING_ALERT_EMAIL_SEVERITIES: 'critical,high',
        RETRAINING_ALERT_TIMEOUT_SECONDS: '1',
        RETRAINING_ALERT_ATTEMPTS: '2',
        RETRAINING_ALERT_RETRY_DELAY_SECONDS: '0.1',
      },
      cli.dir,
    );
    [, url] = (await system.waitFor(/ready at (http:\/\/127\.0\.0\.1:\d+);/, 90_000)) as [string, string];
  }, 120_000);

  afterAll(async () => {
    if (system && system.child.exitCode === null) system.child.kill('SIGKILL');
    await webhook?.close();
    if (SERVER_URL) await cli.seed((db) => db.exec(`DROP SCHEMA IF EXISTS ${BOSS_SCHEMA} CASCADE`));
    await cli?.close();
  });

  it('writes no secret to its output, its API errors, its job rows or its alerts, whatever goes wrong', async () => {
    // Keys missing, wrong, read-only, or sent where they do not belong.
    expect(await call('GET', '/v1/status', null)).toBe(401);
    expect(await call('GET', '/v1/status', `${ADMIN}x`)).toBe(401);
    expect(await call('POST', '/v1/deploy', READ, { version: '1.0.0' })).toBe(403);
    expect(await call('GET', `/v1/versions/${ADMIN}`, READ)).toBeGreaterThanOrEqual(400);
    expect(await call('GET', `/v1/nothing?key=${ADMIN}`, ADMIN)).toBe(404);
    // Bad bodies that carry secrets in the places a careless error message would echo.
    expect(await call('POST', '/v1/deploy', ADMIN, { version: ADMIN })).toBe(400);
    expect(await call('POST', '/v1/deploy', ADMIN, { [READ]: 1 })).toBe(400);
    expect(await call('POST', '/v1/deploy', ADMIN, `{"version": "${SMTP_PASSWORD}`)).toBe(400);
    expect(await call('POST', '/v1/rollback', ADMIN, { reason: DB_PASSWORD, version: '7.7.7' })).toBe(409);
    expect(await call('POST', '/v1/predict', ADMIN, { key: HOOK_TOKEN, observation: [1], position: 0 })).toBe(
      503,
    );
    // A failed job raises a high alert; the webhook answers 500, Slack and SMTP refuse.
    expect(await call('POST', '/v1/jobs', ADMIN, {})).toBe(202);
    await system.waitFor(/alert channel \\?"slack\\?" failed after 2 attempts/, 30_000);
    await system.waitFor(/alert channel \\?"email\\?" failed after 2 attempts/, 30_000);
    await system.waitFor(/alert channel \\?"webhook\\?" failed after 2 attempts/, 30_000);
    if (SERVER_URL) {
      // A database error under the API: a table it reads is gone for a moment.
      await cli.seed((db) => db.exec('ALTER TABLE retraining_jobs RENAME TO retraining_jobs_away'));
      expect(await call('GET', '/v1/status', ADMIN)).toBe(500);
      expect(await call('GET', '/v1/jobs', READ)).toBe(500);
      await cli.seed((db) => db.exec('ALTER TABLE retraining_jobs_away RENAME TO retraining_jobs'));
    }
    expect(await call('GET', '/v1/jobs', READ)).toBe(200);
    expect(await call('GET', '/v1/alerts?all=true', READ)).toBe(200);
    await sleep(1_000);

    system.child.kill('SIGTERM');
    expect(await system.exited).toBe(0);

    const stored: string[] = [];
    await cli.seed(async (db) => {
      const jobs = await db.query('SELECT * FROM retraining_jobs');
      const alerts = await db.query('SELECT * FROM performance_alerts');
      const events = await db.query('SELECT * FROM deployment_events');
      stored.push(JSON.stringify(jobs.rows), JSON.stringify(alerts.rows), JSON.stringify(events.rows));
      expect(jobs.rows).toContainEqual(expect.objectContaining({ status: 'failed' }));
      expect(alerts.rows.map((row) => (row as { type: string }).type)).toContain('system');
    });
    // The webhook received the alerts: the payload carries no secret of this process either.
    const received = webhook.requests.map((request) => request.body);
    expect(received.length).toBeGreaterThan(0);
    const found = [
      ...leaks('process output', system.output()),
      ...answers.flatMap((answer) => leaks('API answer', answer)),
      ...stored.flatMap((rows) => leaks('database', rows)),
      ...received.flatMap((body) => leaks('webhook payload', body)),
    ];
    expect(found).toEqual([]);
    expect(system.output()).toContain('keys from the environment (not printed)');
    expect(answers.join('\n')).not.toMatch(/\n\s+at /);
  }, 90_000);

  it("keeps the CLI's errors about a bad DATABASE_URL free of its password", async () => {
    const closed = new URL(await refusedUrl()).port;
    const urls = [
      `postgres://trader:${DB_PASSWORD}@127.0.0.1:${closed}/retraining`,
      `postgres://trader:${DB_PASSWORD}@[not-a-host/retraining`,
      `postgresql://trader:${encodeURIComponent(`${DB_PASSWORD}@/#`)}@127.0.0.1:${closed}/x?sslmode=require`,
    ];
    const commands = [['status'], ['migrate', '--json'], ['versions']];
    const runs = await Promise.all(
      urls.map((databaseUrl, i) => runRetrain(commands[i]!, { DATABASE_URL: databaseUrl }, cli.dir)),
    );
    for (const run of runs) {
      expect(run.code).not.toBe(0);
      expect(`${run.stdout}${run.stderr}`).toMatch(/retrain: /);
      expect(`${run.stdout}${run.stderr}`).not.toContain(DB_PASSWORD);
      expect(`${run.stdout}${run.stderr}`).not.toContain(encodeURIComponent(DB_PASSWORD));
    }
  }, 60_000);

  it('keeps generated keys in a file only its owner can read', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'retrain-keys-'));
    const keys = await resolveApiKeys({ env: {}, dataDir, generate: true });
    expect(keys?.source).toBe('generated');
    expect(statSync(join(dataDir, KEYS_FILE)).mode & 0o777).toBe(0o600);
    rmSync(dataDir, { recursive: true, force: true });
  });
});
