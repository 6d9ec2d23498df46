import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiServer, type ApiServer } from '../../src/api/server.js';
import { migrate } from '../../src/db/migrate.js';
import { FEATURE_NAMES } from '../../src/market/features.js';
import { Logger } from '../../src/logging/logger.js';
import { RetrainingSystem } from '../../src/orchestration/system.js';
import { initTensorFlow } from '../../src/rl/backend.js';
import { findTrade } from '../../src/store/live-trades.js';
import { listBars } from '../../src/store/market-bars.js';
import { tableRowCounts } from '../../src/store/status.js';
import { BACKEND, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { registerRandomModel } from '../helpers/models.js';

const ADMIN = 'admin-key-for-tests-0123456789';
const READ = 'read-key-for-tests-0123456789ab';

let test: TestDatabase;
let system: RetrainingSystem;
let server: ApiServer;
let base: string;
const versions: string[] = [];

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function call(
  method: string,
  path: string,
  options: { key?: string | null; body?: unknown; raw?: string; contentType?: string } = {},
): Promise<Answer> {
  const key = options.key === undefined ? ADMIN : options.key;
  const headers: Record<string, string> = {};
  if (key) headers.authorization = `Bearer ${key}`;
  let body: string | undefined;
  if (options.raw !== undefined || options.body !== undefined) {
    headers['content-type'] = options.contentType ?? 'application/json';
    body = options.raw ?? JSON.stringify(options.body);
  }
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body } : {}),
  });
  const text = await response.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: response.status, body: parsed };
}

const errorOf = (answer: Answer) => answer.body.error as { code: string; message: string; field?: string };
const observation = () => FEATURE_NAMES.map((_, k) => Math.sin(k));

describe(`HTTP API (${BACKEND})`, () => {
  beforeAll(async () => {
    await initTensorFlow();
    test = await createTestDatabase();
    await migrate(test.db);
    for (const seed of ['a', 'b', 'c']) versions.push(await registerRandomModel(test.db, seed));
    system = await RetrainingSystem.create(
      {
        schedule: { cronExpression: '0 2 * * 0', timezone: 'America/New_York' },
        deployment: { cooldownPeriodHours: 6 },
      },
      { db: test.db, jobs: false, logger: new Logger({ logToConsole: false }), env: {} },
    );
    server = await buildApiServer({
      system,
      keys: { admin: ADMIN, read: READ, source: 'environment' },
      eventPollMs: 100,
    });
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    const address = server.app.server.address() as { port: number };
    base = `http://127.0.0.1:${address.port}`;
  }, 120_000);

  afterAll(async () => {
    await server?.app.close();
    await system?.stop(0);
    await test?.close();
  });

  it('guards every /v1 route with a key and every write with the admin key', async () => {
    const before = await tableRowCounts(test.db);
    expect((await call('GET', '/v1/status', { key: null })).status).toBe(401);
    expect(errorOf(await call('GET', '/v1/status', { key: 'not-a-key-at-all-000000' })).code).toBe(
      'unauthorized',
    );
    expect((await call('GET', '/v1/status', { key: READ })).status).toBe(200);
    // Every route the OpenAPI document lists, so a route added later is covered without a change here.
    const spec = (await call('GET', '/docs/json', { key: null })).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const routes = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => ({
        method: method.toUpperCase(),
        path: path.replace(/\{[^}]+\}/g, () => crypto.randomUUID()),
      })),
    );
    const versioned = routes.filter((route) => route.path.startsWith('/v1/'));
    expect(versioned.length).toBeGreaterThan(25);
    // Trading bots hold the read key: predicting is the one write it may make.
    const readMayWrite = new Set(['POST /v1/predict']);
    for (const { method, path } of versioned) {
      const body = method === 'GET' ? undefined : {};
      const noKey = await call(method, path, { key: null, body });
      expect(noKey.status, `${method} ${path} without a key`).toBe(401);
      const wrongKey = await call(method, path, { key: 'not-a-key-at-all-000000', body });
      expect(wrongKey.status, `${method} ${path} with a wrong key`).toBe(401);
      if (method === 'GET' || readMayWrite.has(`${method} ${path}`)) continue;
      const readKey = await call(method, path, { key: READ, body });
      expect(readKey.status, `${method} ${path} with the read key`).toBe(403);
      expect(errorOf(readKey).code).toBe('forbidden');
    }
    // Nothing was changed by the refused writes.
    expect(await tableRowCounts(test.db)).toEqual(before);
    expect((await call('GET', '/v1/whoami', { key: READ })).body).toEqual({ role: 'read' });
    expect((await call('GET', '/v1/whoami')).body).toEqual({ role: 'admin' });
    expect((await call('POST', '/v1/system/stop', { key: READ, body: {} })).status).toBe(403);
    // Open routes.
    expect((await call('GET', '/health', { key: null })).body).toEqual({ status: 'ok' });
  });

  it('deploys, refuses a deployment in the cooldown, forces one with a reason and rolls back', async () => {
    const [a, b] = versions as [string, string];
    const notReady = await call('POST', '/v1/predict', {
      key: READ,
      body: { key: 'bot', observation: observation() },
    });
    expect(notReady.status).toBe(503);
    expect(errorOf(notReady).code).toBe('no_production_model');

    const first = await call('POST', '/v1/deploy', { body: { version: a } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ version: a, previous: null });
    const predicted = await call('POST', '/v1/predict', {
      key: READ,
      body: { key: 'bot', observation: observation() },
    });
    expect(predicted.status).toBe(200);
    expect(predicted.body).toMatchObject({ version: a, arm: null });
    expect((predicted.body.probabilities as number[]).reduce((s, p) => s + p, 0)).toBeCloseTo(1, 5);

    const cooldown = await call('POST', '/v1/deploy', { body: { version: b } });
    expect(cooldown.status).toBe(409);
    expect(errorOf(cooldown).message).toMatch(/cooldown/);
    const forcedNoReason = await call('POST', '/v1/deploy', { body: { version: b, force: true } });
    expect(forcedNoReason.status).toBe(400);
    expect(errorOf(forcedNoReason).field).toBe('reason');
    const forced = await call('POST', '/v1/deploy', { body: { version: b, force: true, reason: 'hotfix' } });
    expect(forced.status).toBe(200);
    expect(
      (await call('POST', '/v1/predict', { key: READ, body: { key: 'bot', observation: observation() } }))
        .body.version,
    ).toBe(b);

    const noReason = await call('POST', '/v1/rollback', { body: {} });
    expect(noReason.status).toBe(400);
    expect(errorOf(noReason).field).toBe('reason');
    expect(errorOf(noReason).message).toBe('request body: reason is required');
    const emptyReason = await call('POST', '/v1/rollback', { body: { reason: '' } });
    expect(emptyReason.status).toBe(400);
    expect(errorOf(emptyReason).message).toBe('request body: reason is required and cannot be empty');
    const rollback = await call('POST', '/v1/rollback', { body: { reason: 'live Sharpe fell' } });
    expect(rollback.status).toBe(200);
    expect(rollback.body).toMatchObject({ version: a, previous: b });

    const again = await call('POST', '/v1/deploy', { body: { version: a } });
    expect(again.status).toBe(409);
    const unknown = await call('POST', '/v1/deploy', { body: { version: '9.9.9' } });
    expect(unknown.status).toBe(404);
    const invalid = await call('POST', '/v1/deploy', { body: { version: 'latest' } });
    expect(invalid.status).toBe(400);
    expect(errorOf(invalid).field).toBe('version');
  });

  it('lists, reads and compares versions with their events', async () => {
    const [a, b] = versions as [string, string];
    const list = await call('GET', '/v1/versions?limit=10', { key: READ });
    expect(list.status).toBe(200);
    expect((list.body.versions as { version: string }[]).map((v) => v.version).sort()).toEqual(
      [...versions].sort(),
    );
    const one = await call('GET', `/v1/versions/${a}`, { key: READ });
    expect(one.body).toMatchObject({ version: a, status: 'production' });
    expect((one.body.events as { action: string }[]).map((e) => e.action)).toEqual([
      'rollback',
      'deploy',
      'register',
    ]);
    const compare = await call('GET', `/v1/versions/compare?a=${a}&b=${b}`, { key: READ });
    expect(compare.status).toBe(200);
    expect(compare.body).toHaveProperty('metrics');
    expect((await call('GET', '/v1/versions/7.7.7', { key: READ })).status).toBe(404);
    expect((await call('GET', '/v1/versions/compare?a=1.0.0', { key: READ })).status).toBe(400);
    expect((await call('GET', '/v1/versions?limit=0', { key: READ })).status).toBe(400);
    expect((await call('GET', '/v1/versions?status=nonsense', { key: READ })).status).toBe(400);
    const timeline = await call('GET', '/v1/deployments', { key: READ });
    const actions = (timeline.body.events as { action: string }[]).map((e) => e.action);
    expect(actions.slice(0, 3)).toEqual(['rollback', 'deploy', 'deploy']);
  });

  it('runs A/B tests: start, results, stop, and the errors of each', async () => {
    const c = versions[2]!;
    const started = await call('POST', '/v1/ab-tests', { body: { modelB: c, trafficSplit: 50 } });
    expect(started.status).toBe(201);
    const id = started.body.id as string;
    const second = await call('POST', '/v1/ab-tests', { body: { modelB: versions[1], trafficSplit: 50 } });
    expect(second.status).toBe(409);
    const arms = new Set<unknown>();
    for (let i = 0; i < 40; i++) {
      const answer = await call('POST', '/v1/predict', {
        key: READ,
        body: { key: `bot-${i}`, observation: observation() },
      });
      arms.add(answer.body.arm);
    }
    expect(arms).toEqual(new Set(['A', 'B']));
    const results = await call('GET', `/v1/ab-tests/${id}`, { key: READ });
    expect(results.status).toBe(200);
    expect(results.body).toHaveProperty('recommendation');
    expect((await call('GET', `/v1/ab-tests/${crypto.randomUUID()}`, { key: READ })).status).toBe(404);
    expect((await call('GET', '/v1/ab-tests/not-a-uuid', { key: READ })).status).toBe(400);
    expect((await call('POST', '/v1/ab-tests', { body: { modelB: c, trafficSplit: 150 } })).status).toBe(400);
    expect((await call('POST', `/v1/ab-tests/${id}/stop`, { body: {} })).status).toBe(400);
    const stopped = await call('POST', `/v1/ab-tests/${id}/stop`, { body: { reason: 'enough' } });
    expect(stopped.status).toBe(200);
    expect((await call('POST', `/v1/ab-tests/${id}/stop`, { body: { reason: 'again' } })).status).toBe(409);
    const list = await call('GET', '/v1/ab-tests', { key: READ });
    expect((list.body.tests as unknown[]).length).toBe(1);
  });

  it('ingests trades and bars idempotently and refuses bad ones without storing anything', async () => {
    const trade = {
      key: 'trade-1',
      symbol: 'DEMO',
      side: 'long',
      quantity: 2,
      entryTime: '2026-11-02T14:30:00Z',
      entryPrice: 100,
      exitTime: '2026-11-02T15:30:00Z',
      exitPrice: 101,
      fees: 0.1,
      status: 'closed',
    };
    const stored = await call('POST', '/v1/trades', { body: { trades: [trade] } });
    expect(stored.status).toBe(200);
    expect(stored.body.stored).toMatchObject({ inserted: 1 });
    const replay = await call('POST', '/v1/trades', { body: { trades: [trade] } });
    expect(replay.body.stored).toMatchObject({ inserted: 0 });
    const bad = await call('POST', '/v1/trades', {
      body: {
        trades: [
          { ...trade, key: 'trade-2' },
          { ...trade, key: 'trade-3', entryPrice: 'abc' },
        ],
      },
    });
    expect(bad.status).toBe(400);
    expect(errorOf(bad).field).toBe('trades[1].entryPrice');
    expect(await findTrade(test.db, 'trade-2')).toBeNull();

    const bars = Array.from({ length: 5 }, (_, i) => ({
      ts: new Date(Date.UTC(2026, 10, 2, 14, 30 + 5 * i)).toISOString(),
      open: 100 + i,
      high: 101 + i,
      low: 99 + i,
      close: 100.5 + i,
      volume: 1000,
    }));
    const first = await call('POST', '/v1/bars', { body: { symbol: 'DEMO', interval: '5m', bars } });
    expect(first.status).toBe(200);
    expect(first.body.stored).toMatchObject({ inserted: 5 });
    const again = await call('POST', '/v1/bars', { body: { symbol: 'DEMO', interval: '5m', bars } });
    expect(again.body.stored).toMatchObject({ inserted: 0, unchanged: 5 });
    const broken = await call('POST', '/v1/bars', {
      body: {
        symbol: 'DEMO',
        interval: '5m',
        bars: [
          { ...bars[0], close: 500 },
          { ...bars[1], ts: 'yesterday' },
        ],
      },
    });
    expect(broken.status).toBe(400);
    const stillStored = await listBars(test.db, { symbol: 'DEMO', interval: '5m' });
    expect(stillStored[0]!.close).toBe(100.5);
  });

  it('answers malformed, unknown, oversized and wrongly typed bodies with a clear 4xx', async () => {
    const malformed = await call('POST', '/v1/deploy', { raw: '{"version": ' });
    expect(malformed.status).toBe(400);
    expect(errorOf(malformed).message).toMatch(/JSON/);
    // /v1/predict parses its bodies itself (JSON.parse): the same answers.
    const badPredict = await call('POST', '/v1/predict', { key: READ, raw: '{"key": ' });
    expect(badPredict.status).toBe(400);
    expect(errorOf(badPredict)).toMatchObject({ code: 'invalid_input' });
    expect(errorOf(badPredict).message).toMatch(/^request body is not valid JSON/);
    const emptyPredict = await call('POST', '/v1/predict', { key: READ, raw: '' });
    expect(emptyPredict.status).toBe(400);
    expect(errorOf(emptyPredict).message).toBe('request body is empty; expected a JSON object');
    const poisoned = await call('POST', '/v1/predict', {
      key: READ,
      raw: '{"key": "k", "observation": [1], "__proto__": {"admin": true}}',
    });
    expect(poisoned.status).toBe(400);
    expect(errorOf(poisoned).field).toBe('__proto__');
    const unknownField = await call('POST', '/v1/deploy', { body: { version: versions[0], forse: true } });
    expect(unknownField.status).toBe(400);
    expect(errorOf(unknownField).field).toBe('forse');
    const wrongType = await call('POST', '/v1/deploy', { body: { version: 100 } });
    expect(wrongType.status).toBe(400);
    const text = await call('POST', '/v1/deploy', { raw: 'version=1.0.0', contentType: 'text/plain' });
    expect(text.status).toBe(400);
    expect(errorOf(text).message).toMatch(/must be object/);
    const form = await call('POST', '/v1/deploy', {
      raw: 'version=1.0.0',
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(415);
    expect(errorOf(form).code).toBe('unsupported_media_type');
    const oversized = await call('POST', '/v1/rollback', { body: { reason: 'x'.repeat(1_100_000) } });
    expect(oversized.status).toBe(413);
    expect(errorOf(oversized).code).toBe('body_too_large');
    const both = await call('POST', '/v1/predict', {
      key: READ,
      body: { key: 'k', observation: observation(), symbol: 'DEMO', bars: [] },
    });
    expect(both.status).toBe(400);
    const shortObservation = await call('POST', '/v1/predict', {
      key: READ,
      body: { key: 'k', observation: [1, 2] },
    });
    expect(shortObservation.status).toBe(400);
    expect(errorOf(shortObservation).message).toMatch(/expects 9/);
    const route = await call('GET', '/v1/nothing-here', { key: READ });
    expect(route.status).toBe(404);
    for (const answer of [malformed, unknownField, wrongType, oversized, both]) {
      expect(JSON.stringify(answer.body)).not.toMatch(/at .*\.(ts|js):\d+/);
    }
  });

  it('serves alerts, jobs, status, health, schedule, metrics history and drift', async () => {
    const { alert } = await system.services.alerter.raise({
      type: 'system',
      severity: 'high',
      message: 'test alert',
      dedupeKey: 'api-test',
    });
    const open = await call('GET', '/v1/alerts', { key: READ });
    expect((open.body.alerts as { id: string }[]).map((a) => a.id)).toContain(alert.id);
    const ack = await call('POST', `/v1/alerts/${alert.id}/acknowledge`, { body: {} });
    expect(ack.body).toMatchObject({ acknowledged: true });
    expect((await call('POST', `/v1/alerts/${alert.id}/resolve`, { body: {} })).status).toBe(400);
    const resolved = await call('POST', `/v1/alerts/${alert.id}/resolve`, {
      body: { resolution: 'fixed the feed' },
    });
    expect(resolved.body).toMatchObject({ resolution: 'fixed the feed' });
    expect((await call('POST', `/v1/alerts/${crypto.randomUUID()}/acknowledge`, { body: {} })).status).toBe(
      404,
    );
    const all = await call('GET', '/v1/alerts?all=true&severity=high', { key: READ });
    expect((all.body.alerts as unknown[]).length).toBe(1);
    const ids = async (state: string) =>
      ((await call('GET', `/v1/alerts?state=${state}`, { key: READ })).body.alerts as { id: string }[]).map(
        (a) => a.id,
      );
    expect(await ids('resolved')).toContain(alert.id);
    expect(await ids('open')).not.toContain(alert.id);
    expect(await ids('all')).toContain(alert.id);
    expect((await call('GET', '/v1/alerts?state=closed', { key: READ })).status).toBe(400);

    const job = await call('POST', '/v1/jobs', { body: {} });
    expect(job.status).toBe(202);
    const id = job.body.id as string;
    let row = job.body;
    for (let i = 0; i < 100 && ['queued', 'running'].includes(String(row.status)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      row = (await call('GET', `/v1/jobs/${id}`, { key: READ })).body;
    }
    // No market data in this database: the job ends skipped, with its reason in the row.
    expect(row).toMatchObject({ status: 'skipped' });
    expect((await call('GET', '/v1/jobs', { key: READ })).body.jobs).toHaveLength(1);
    expect((await call('GET', `/v1/jobs/${crypto.randomUUID()}`, { key: READ })).status).toBe(404);

    const status = await call('GET', '/v1/status', { key: READ });
    expect(status.body).toMatchObject({ productionVersion: { version: versions[0] } });
    expect(status.body.nextRuns).toHaveLength(3);
    const health = await call('GET', '/v1/health', { key: READ });
    expect(health.body).toHaveProperty('status');
    const schedule = await call('GET', '/v1/schedule?count=2', { key: READ });
    expect(schedule.body).toMatchObject({ timezone: 'America/New_York', enabled: true });
    expect(schedule.body.nextRuns).toHaveLength(2);
    expect((await call('GET', '/v1/metrics/history', { key: READ })).body).toEqual({ metrics: [] });
    expect((await call('GET', '/v1/metrics/history?since=notatime', { key: READ })).status).toBe(400);
    expect((await call('GET', '/v1/drift', { key: READ })).body).toEqual({ reports: [] });
  });

  it('stops and starts the system (this process taking jobs) through the API', async () => {
    const stopped = await call('POST', '/v1/system/stop', { body: {} });
    expect(stopped.status).toBe(200);
    expect(stopped.body.running).toBe(false);
    expect(system.isRunning).toBe(false);
    const started = await call('POST', '/v1/system/start', { body: {} });
    expect(started.body.running).toBe(true);
  });

  it('streams deployments and alerts to event-stream clients', async () => {
    const controller = new AbortController();
    const response = await fetch(`${base}/v1/events`, {
      headers: { authorization: `Bearer ${READ}` },
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    await reader.read();
    const deployed = call('POST', '/v1/deploy', {
      body: { version: versions[2], force: true, reason: 'stream test' },
    });
    await system.services.alerter.raise({ type: 'system', severity: 'low', message: 'streamed alert' });
    const until = Date.now() + 10_000;
    while (!(text.includes('event: deployment') && text.includes('event: alert')) && Date.now() < until) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    controller.abort();
    expect((await deployed).status).toBe(200);
    expect(text).toContain('event: deployment');
    expect(text).toContain(`"version":"${versions[2]}"`);
    expect(text).toContain('streamed alert');
  });

  it('serves every prediction while a deployment swaps the model under concurrent load', async () => {
    const status = await call('GET', '/v1/status', { key: READ });
    const before = (status.body.productionVersion as { version: string }).version;
    const target = versions.find((v) => v !== before)!;
    const seen = new Set<string>();
    const failures: number[] = [];
    const client = async (id: number) => {
      for (let i = 0; i < 40; i++) {
        const answer = await call('POST', '/v1/predict', {
          key: READ,
          body: { key: `load-${id}-${i}`, observation: observation(), position: 0 },
        });
        if (answer.status !== 200) failures.push(answer.status);
        else seen.add(String(answer.body.version));
      }
    };
    const load = Promise.all(Array.from({ length: 16 }, (_, id) => client(id)));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const swap = await call('POST', '/v1/deploy', {
      body: { version: target, force: true, reason: 'swap under load' },
    });
    await load;
    expect(swap.status).toBe(200);
    expect(failures).toEqual([]);
    expect(seen.has(target)).toBe(true);
    const after = await call('POST', '/v1/predict', {
      key: READ,
      body: { key: 'after', observation: observation() },
    });
    expect(after.body.version).toBe(target);
  });

  it("draws a version's live equity from its closed trades, compounded in exit order", async () => {
    const version = versions[1]!;
    const hour = 3_600_000;
    const start = Date.now() - 10 * hour;
    // Net returns on notional (pnl over entry price × quantity): +1 %, −2 %, +3 %, sent out of order.
    const trades = [1, -2, 3].map((pnl, i) => ({
      key: `equity-${i}`,
      symbol: 'DEMO',
      side: 'long',
      quantity: 1,
      entryTime: new Date(start + i * 2 * hour).toISOString(),
      entryPrice: 100,
      exitTime: new Date(start + (i * 2 + 1) * hour).toISOString(),
      exitPrice: 100 + pnl,
      pnl,
      status: 'closed',
      modelVersion: version,
    }));
    expect((await call('POST', '/v1/trades', { body: { trades: trades.reverse() } })).status).toBe(200);

    const answer = await call('GET', `/v1/equity?version=${version}`, { key: READ });
    expect(answer.status).toBe(200);
    const [curve] = answer.body.curves as {
      version: string;
      tradeCount: number;
      totalReturn: number;
      points: [number, number][];
    }[];
    const expected = [1.01, 1.01 * 0.98, 1.01 * 0.98 * 1.03];
    expect(curve).toMatchObject({ version, tradeCount: 3 });
    expect(curve!.totalReturn).toBeCloseTo(expected[2]! - 1, 12);
    expect(curve!.points.map(([, equity]) => equity)).toEqual(expected.map((e) => expect.closeTo(e, 12)));
    expect(curve!.points.map(([time]) => time)).toEqual([1, 3, 5].map((h) => start + h * hour));
    // Every version with trades when none is named; thinned to `points`, ending at the last trade.
    const every = await call('GET', '/v1/equity?points=2', { key: READ });
    const thinned = (every.body.curves as { version: string; points: [number, number][] }[]).find(
      (c) => c.version === version,
    );
    expect(thinned!.points).toHaveLength(2);
    expect(thinned!.points[1]![1]).toBeCloseTo(expected[2]!, 12);
    // Trades before `since` are left out.
    const later = await call(
      'GET',
      `/v1/equity?version=${version}&since=${new Date(start + 2 * hour).toISOString()}`,
      {
        key: READ,
      },
    );
    expect((later.body.curves as { tradeCount: number }[])[0]!.tradeCount).toBe(2);

    expect((await call('GET', '/v1/equity?version=9.9.9', { key: READ })).status).toBe(404);
    expect((await call('GET', '/v1/equity?since=notatime', { key: READ })).status).toBe(400);
    expect((await call('GET', '/v1/equity?points=1', { key: READ })).status).toBe(400);
    expect((await call('GET', '/v1/equity', { key: null })).status).toBe(401);
  });

  it('publishes Prometheus metrics and the OpenAPI document of every route', async () => {
    const metrics = await fetch(`${base}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/retraining_predictions_total\{version="[\d.]+",arm="(none|A|B)"\} \d+/);
    expect(metrics).toMatch(/retraining_prediction_seconds_bucket\{le="\+Inf"\} [1-9]\d*/);
    expect(metrics).toMatch(/retraining_prediction_seconds_count [1-9]\d*/);
    expect(metrics).toMatch(
      /retraining_http_requests_total\{method="POST",route="\/v1\/predict",status="200"\} [1-9]\d*/,
    );
    expect(metrics).toMatch(
      /retraining_http_requests_total\{method="GET",route="\/v1\/status",status="401"\} \d+/,
    );
    expect(metrics).toMatch(/retraining_active_alerts\{severity="low"\} 1/);
    const document = (await fetch(`${base}/docs/json`).then((r) => r.json())) as {
      paths: Record<string, unknown>;
    };
    // A valid OpenAPI 3 document (structure and references), checked by swagger-parser.
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeTruthy();
    for (const path of [
      '/v1/predict',
      '/v1/trades',
      '/v1/bars',
      '/v1/status',
      '/v1/jobs/{id}',
      '/v1/versions/compare',
      '/v1/deploy',
      '/v1/rollback',
      '/v1/ab-tests/{id}/stop',
      '/v1/alerts/{id}/resolve',
      '/v1/metrics/history',
      '/v1/equity',
      '/v1/drift',
      '/v1/schedule',
      '/v1/events',
    ]) {
      expect(document.paths, path).toHaveProperty([path]);
    }
    expect((await fetch(`${base}/docs`)).status).toBe(200);
  });
});

describe(`HTTP API limits and refusals (${BACKEND})`, () => {
  let local: TestDatabase;
  let localSystem: RetrainingSystem;
  beforeAll(async () => {
    local = await createTestDatabase();
    await migrate(local.db);
    localSystem = await RetrainingSystem.create(
      {},
      { db: local.db, jobs: false, logger: new Logger({ logToConsole: false }), env: {} },
    );
  });
  afterAll(async () => {
    await localSystem.stop(0);
    await local.close().catch(() => undefined);
  });

  it('refuses to listen beyond loopback without keys', async () => {
    await expect(buildApiServer({ system: localSystem, keys: null, host: '0.0.0.0' })).rejects.toThrow(
      /refusing to listen on 0\.0\.0\.0 without API keys/,
    );
  });

  it('rate-limits per key with a 429 naming the limit', async () => {
    const limited = await buildApiServer({
      system: localSystem,
      keys: { admin: ADMIN, source: 'environment' },
      rateLimitPerMinute: 3,
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const answer = await limited.app.inject({
          method: 'GET',
          url: '/v1/versions',
          headers: { authorization: `Bearer ${ADMIN}` },
        });
        statuses.push(answer.statusCode);
        if (i === 3) expect(answer.json()).toMatchObject({ error: { code: 'rate_limited' } });
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
    } finally {
      await limited.app.close();
    }
  });

  it('answers 503 when the database is down, and recovers nothing it should not', async () => {
    const down = await buildApiServer({ system: localSystem, keys: { admin: ADMIN, source: 'environment' } });
    try {
      // The predictor's LISTEN connection would hold the pool open; a closed database is the outage.
      await down.context.predictor.stop();
      await local.db.close();
      const answer = await down.app.inject({
        method: 'GET',
        url: '/v1/versions',
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      expect(answer.statusCode).toBe(503);
      expect(answer.json()).toMatchObject({ error: { code: 'database_unavailable' } });
    } finally {
      await down.app.close().catch(() => undefined);
    }
  });
});
