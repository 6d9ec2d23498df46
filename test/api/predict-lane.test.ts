/**
 * `POST /v1/predict` has two paths: the prediction lane straight from the HTTP server, and the
 * Fastify route for the requests the lane leaves (here: a query string, a chunked body, an
 * oversized body, another content type). Both must answer alike and share one rate limit.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApiServer, type ApiServer } from '../../src/api/server.js';
import { migrate } from '../../src/db/migrate.js';
import { FEATURE_NAMES } from '../../src/market/features.js';
import { Logger } from '../../src/logging/logger.js';
import { RetrainingSystem } from '../../src/orchestration/system.js';
import { initTensorFlow } from '../../src/rl/backend.js';
import { BACKEND, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { registerRandomModel } from '../helpers/models.js';

const ADMIN = 'admin-key-for-lane-tests-0123456789';
const READ = 'read-key-for-lane-tests-0123456789a';

let test: TestDatabase;
let system: RetrainingSystem;
let version: string;

interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

async function post(
  base: string,
  path: string,
  options: { key?: string | null; raw: string | ReadableStream<Uint8Array>; contentType?: string },
): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': options.contentType ?? 'application/json' };
  const key = options.key === undefined ? READ : options.key;
  if (key) headers.authorization = `Bearer ${key}`;
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers,
    body: options.raw,
    ...(typeof options.raw === 'string' ? {} : { duplex: 'half' }),
  } as RequestInit);
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = { text };
  }
  return { status: response.status, headers: response.headers, body };
}

async function serve(options: { predictRateLimitPerMinute?: number; bodyLimit?: number } = {}) {
  const server = await buildApiServer({
    system,
    keys: { admin: ADMIN, read: READ, source: 'environment' },
    ...options,
  });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = server.app.server.address() as { port: number };
  return { server, base: `http://127.0.0.1:${port}` };
}

/** Which path answered each request: true for the lane, false for Fastify. */
function watchLane(server: ApiServer) {
  const take = vi.spyOn(server.context.lane, 'take');
  return () => take.mock.results.map((result) => result.value as boolean);
}

const observation = FEATURE_NAMES.map((_, k) => Math.cos(k));
const body = (fields: Record<string, unknown>) => JSON.stringify(fields);

/** Requests whose answers must not depend on the path: successes and every kind of refusal. */
const CASES: { name: string; raw: string; key?: string | null }[] = [
  { name: 'an observation', raw: body({ key: 'bot-1', observation }) },
  { name: 'a position held', raw: body({ key: 'bot-2', observation, position: 1 }) },
  { name: 'the admin key', raw: body({ key: 'bot-3', observation }), key: ADMIN },
  { name: 'malformed JSON', raw: '{"key": ' },
  { name: 'an empty body', raw: '' },
  { name: 'a JSON array', raw: '[1, 2]' },
  { name: 'an unknown field', raw: body({ key: 'k', observation, positon: 1 }) },
  { name: 'a prototype key', raw: '{"key": "k", "observation": [1], "__proto__": {"admin": true}}' },
  { name: 'a string for a number', raw: body({ key: 'k', observation: ['1', '2'] }) },
  { name: 'no key field', raw: body({ observation }) },
  { name: 'observation and bars', raw: body({ key: 'k', observation, symbol: 'DEMO', bars: [] }) },
  { name: 'neither observation nor bars', raw: body({ key: 'k' }) },
  { name: 'a short observation', raw: body({ key: 'k', observation: [1, 2] }) },
  { name: 'no API key', raw: body({ key: 'k', observation }), key: null },
  { name: 'a wrong API key', raw: body({ key: 'k', observation }), key: 'not-a-key-at-all-0000000' },
];

describe(`POST /v1/predict, lane and route (${BACKEND})`, () => {
  beforeAll(async () => {
    await initTensorFlow();
    test = await createTestDatabase();
    await migrate(test.db);
    version = await registerRandomModel(test.db, 'lane', { hidden: [16, 16] });
    system = await RetrainingSystem.create(
      {},
      { db: test.db, jobs: false, logger: new Logger({ logToConsole: false }), env: {} },
    );
  }, 120_000);

  afterAll(async () => {
    await system?.stop(0);
    await test?.close();
  });

  it('answers every request alike on both paths, before and after a model is deployed', async () => {
    const { server, base } = await serve();
    try {
      const paths = watchLane(server);
      // Nothing in production yet: both say so.
      const lane = await post(base, '/v1/predict', { raw: CASES[0]!.raw });
      const route = await post(base, '/v1/predict?via=route', { raw: CASES[0]!.raw });
      expect(lane.status).toBe(503);
      expect(lane.body).toMatchObject({ error: { code: 'no_production_model' } });
      expect(route).toMatchObject({ status: lane.status, body: lane.body });

      await system.services.deploymentManager.deploy(version);
      await vi.waitFor(() => expect(server.context.predictor.ready).toBe(true), { timeout: 10_000 });
      for (const request of CASES) {
        const viaLane = await post(base, '/v1/predict', request);
        const viaRoute = await post(base, '/v1/predict?via=route', request);
        expect({ case: request.name, status: viaLane.status, body: viaLane.body }).toEqual({
          case: request.name,
          status: viaRoute.status,
          body: viaRoute.body,
        });
        expect(viaLane.headers.get('content-type')).toBe(viaRoute.headers.get('content-type'));
      }
      // The answers themselves, once (both paths gave the same).
      const answers = new Map<string, Answer>();
      for (const request of CASES) answers.set(request.name, await post(base, '/v1/predict', request));
      const status = (name: string) => answers.get(name)!.status;
      const error = (name: string) =>
        (answers.get(name)!.body as { error: { code: string; message: string; field?: string } }).error;
      for (const name of ['an observation', 'a position held', 'the admin key'])
        expect(status(name)).toBe(200);
      expect(answers.get('an observation')!.body).toMatchObject({ version, arm: null });
      expect(error('malformed JSON').message).toMatch(/^request body is not valid JSON/);
      expect(error('an empty body').message).toBe('request body is empty; expected a JSON object');
      expect(error('a JSON array').message).toMatch(/must be object/);
      expect(error('an unknown field')).toMatchObject({ code: 'invalid_input', field: 'positon' });
      expect(error('a prototype key').field).toBe('__proto__');
      expect(error('a string for a number').field).toBe('observation[0]');
      expect(error('no key field').field).toBe('key');
      expect(error('observation and bars').field).toBe('bars');
      expect(error('neither observation nor bars').field).toBe('observation');
      expect(error('a short observation').message).toMatch(/expects 9/);
      for (const name of CASES.slice(3, -2).map((c) => c.name)) expect(status(name)).toBe(400);
      expect(error('no API key').message).toMatch(/Authorization: Bearer KEY/);
      expect(error('a wrong API key').message).toMatch(/not valid/);
      for (const name of ['no API key', 'a wrong API key']) expect(status(name)).toBe(401);
      // Both paths were taken: every plain request by the lane, every `?via=route` by Fastify.
      const taken = paths();
      expect(taken.filter(Boolean).length).toBeGreaterThanOrEqual(CASES.length * 2 + 1);
      expect(taken.filter((t) => !t).length).toBe(CASES.length + 1);
      // The lane keeps Fastify's keep-alive timeout.
      expect(answers.get('an observation')!.headers.get('keep-alive')).toBe('timeout=72');
    } finally {
      await server.app.close();
    }
  });

  it('counts one rate-limit budget per key across both paths', async () => {
    const { server, base } = await serve({ predictRateLimitPerMinute: 3 });
    try {
      const paths = [
        '/v1/predict',
        '/v1/predict?via=route',
        '/v1/predict',
        '/v1/predict?via=route',
        '/v1/predict',
      ];
      const answers: Answer[] = [];
      for (const path of paths) answers.push(await post(base, path, { raw: CASES[0]!.raw }));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429, 429]);
      for (const refused of answers.slice(3)) {
        expect(refused.body).toMatchObject({
          error: {
            code: 'rate_limited',
            message: expect.stringMatching(/at most 3 per minute; retry in \d+ s/),
          },
        });
        expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(refused.headers.get('x-ratelimit-limit')).toBe('3');
      }
      // The admin key has a budget of its own.
      expect((await post(base, '/v1/predict', { raw: CASES[0]!.raw, key: ADMIN })).status).toBe(200);
      // Requests the lane served are in the request metrics like the others.
      const metrics = await fetch(`${base}/metrics`).then((r) => r.text());
      expect(metrics).toMatch(
        /retraining_http_requests_total\{method="POST",route="\/v1\/predict",status="429"\} 2/,
      );
      expect(metrics).toMatch(
        /retraining_http_requests_total\{method="POST",route="\/v1\/predict",status="200"\} 4/,
      );
    } finally {
      await server.app.close();
    }
  });

  it('leaves oversized, chunked and non-JSON bodies to Fastify, which answers them', async () => {
    const { server, base } = await serve({ bodyLimit: 4096 });
    try {
      const paths = watchLane(server);
      const oversized = await post(base, '/v1/predict', {
        raw: body({ key: 'x'.repeat(5000), observation }),
      });
      expect(oversized.status).toBe(413);
      expect(oversized.body).toMatchObject({ error: { code: 'body_too_large' } });
      const bytes = new TextEncoder().encode(CASES[0]!.raw);
      const chunked = await post(base, '/v1/predict', {
        raw: new ReadableStream({
          start(controller) {
            controller.enqueue(bytes.slice(0, 10));
            controller.enqueue(bytes.slice(10));
            controller.close();
          },
        }),
      });
      expect(chunked.status).toBe(200);
      expect(chunked.body).toMatchObject({ version });
      const form = await post(base, '/v1/predict', {
        raw: 'key=k',
        contentType: 'application/x-www-form-urlencoded',
      });
      expect(form.status).toBe(415);
      expect(form.body).toMatchObject({ error: { code: 'unsupported_media_type' } });
      expect(paths()).toEqual([false, false, false]);
    } finally {
      await server.app.close();
    }
  });
});
