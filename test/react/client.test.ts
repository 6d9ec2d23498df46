// @vitest-environment jsdom
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiError,
  createApiClient,
  describeError,
  EventStreamParser,
  type ConnectionState,
  type ServerEvent,
} from '../../src/react/index.js';
import { startTestApi, type TestApi } from './api-process.js';

let api: TestApi;

/** Resolves when `predicate` holds, checking every 20 ms. */
async function until(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('EventStreamParser', () => {
  it('parses events split across chunks, CRLF line ends, comments and multi-line data', () => {
    const parser = new EventStreamParser();
    expect(parser.push(': connected\r\n\r\nid: 1\r\nevent: job\r\ndata: {"a"')).toEqual([]);
    expect(parser.push(':1}\r')).toEqual([]);
    expect(parser.push('\n\r\nevent: alert\ndata: first\ndata: second\n\n')).toEqual([
      { event: 'job', data: '{"a":1}', id: '1' },
      { event: 'alert', data: 'first\nsecond', id: '1' },
    ]);
    expect(parser.push('data:no space\n\n')).toEqual([{ event: 'message', data: 'no space', id: '1' }]);
  });
});

describe('API client against a real server', () => {
  beforeAll(async () => {
    api = await startTestApi({ models: ['a', 'b', 'c'], deploy: 2 });
  }, 120_000);
  afterAll(async () => {
    await api?.close();
  });

  it('reads every read route with the read key', async () => {
    const client = createApiClient({ baseUrl: api.base, key: api.read });
    const [a, b] = api.versions as [string, string];
    const status = await client.getStatus();
    expect(status.productionVersion?.version).toBe(b);
    expect(typeof status.nextRuns[0]).toBe('string');
    expect((await client.getHealth()).checks.length).toBeGreaterThan(0);
    expect((await client.listVersions({ limit: 10 })).map((v) => v.version).sort()).toEqual(
      [...api.versions].sort(),
    );
    expect((await client.getVersion(a)).events.map((e) => e.action)).toContain('deploy');
    expect((await client.compareVersions(a, b)).a.version).toBe(a);
    expect((await client.listDeployments()).length).toBeGreaterThanOrEqual(2);
    expect(await client.listJobs()).toEqual([]);
    expect(await client.listAbTests()).toEqual([]);
    expect(await client.listAlerts({ all: true })).toEqual([]);
    expect(await client.getMetricsHistory({ version: b })).toEqual([]);
    expect(await client.getDrift()).toEqual([]);
    expect((await client.getSchedule({ count: 2 })).nextRuns).toHaveLength(2);
  });

  it("turns the API's error body into an ApiError with status, code, message and field, and says it in words", async () => {
    const admin = createApiClient({ baseUrl: api.base, key: api.admin });
    const noReason = await admin.rollback({ reason: '' }).catch((error: unknown) => error);
    expect(noReason).toBeInstanceOf(ApiError);
    expect(noReason).toMatchObject({ status: 400, code: 'invalid_input', field: 'reason' });

    const read = createApiClient({ baseUrl: api.base, key: api.read });
    const forbidden = await read.startRetraining().catch((error: unknown) => error);
    expect(forbidden).toMatchObject({ status: 403, code: 'forbidden' });
    expect(describeError(forbidden)).toBe('This needs the admin key; the key in use can only read.');

    const wrong = createApiClient({ baseUrl: api.base, key: 'not-a-key-of-this-server' });
    const unauthorized = await wrong.getStatus().catch((error: unknown) => error);
    expect(unauthorized).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(describeError(unauthorized)).toMatch(/^This key is not valid/);

    const missing = await admin.getVersion('9.9.9').catch((error: unknown) => error);
    expect(missing).toMatchObject({ status: 404, code: 'not_found' });
    expect(describeError(missing)).toBe('Model version "9.9.9" does not exist.');

    const unreachable = createApiClient({ baseUrl: 'http://127.0.0.1:9', key: api.admin });
    const down = await unreachable.getStatus().catch((error: unknown) => error);
    expect(down).toMatchObject({ status: 0, code: 'network_error' });
    expect(describeError(down)).toMatch(/^The server cannot be reached/);
  });

  it('tells the admin key from the read key', async () => {
    expect(await createApiClient({ baseUrl: api.base, key: api.admin }).whoami()).toEqual({ role: 'admin' });
    expect(await createApiClient({ baseUrl: api.base, key: api.read }).whoami()).toEqual({ role: 'read' });
    await expect(createApiClient({ baseUrl: api.base, key: 'x'.repeat(20) }).whoami()).rejects.toMatchObject({
      code: 'unauthorized',
    });
  });

  it('shares one event stream between subscribers and opens it again after it ends', async () => {
    const client = createApiClient({
      baseUrl: api.base,
      key: api.read,
      eventStream: { minDelayMs: 50, maxDelayMs: 200 },
    });
    const first: ServerEvent[] = [];
    const second: ServerEvent[] = [];
    const states: ConnectionState[] = [];
    const stopFirst = client.subscribeEvents((event) => first.push(event), {
      onConnectionChange: (state) => states.push(state),
    });
    const stopSecond = client.subscribeEvents((event) => second.push(event));
    await until(() => states.some((s) => s.connected));
    expect(await api.command('streamCount')).toBe(1);

    await api.command('raiseAlert', { type: 'system', severity: 'high', message: 'first alert' });
    await until(() => first.length > 0 && second.length > 0);
    expect(first[0]).toMatchObject({ type: 'alert', data: { message: 'first alert', severity: 'high' } });

    // The server (or a proxy) ends the stream: the client connects again by itself.
    expect(await api.command('endStreams')).toBe(1);
    await until(() => states.filter((s) => s.connected).length === 2);
    expect(states.some((s) => !s.connected && s.retryInMs !== null)).toBe(true);
    await api.command('raiseAlert', { type: 'system', severity: 'low', message: 'second alert' });
    await until(() => first.some((e) => e.type === 'alert' && e.data.message === 'second alert'));

    stopFirst();
    stopSecond();
    await expect.poll(() => api.command('streamCount'), { timeout: 5_000 }).toBe(0);
  });

  it('stops reconnecting when the server refuses the key', async () => {
    const client = createApiClient({
      baseUrl: api.base,
      key: 'y'.repeat(24),
      eventStream: { minDelayMs: 20 },
    });
    const states: ConnectionState[] = [];
    const stop = client.subscribeEvents(() => undefined, {
      onConnectionChange: (state) => states.push(state),
    });
    await until(() => states.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(states).toHaveLength(1);
    expect(states[0]).toMatchObject({ connected: false, retryInMs: null, error: { code: 'unauthorized' } });
    stop();
  });
});
