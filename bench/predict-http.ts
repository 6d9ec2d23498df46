/**
 * `predict_http`: `POST /v1/predict` over loopback with autocannon at a fixed concurrency (the
 * whole API: auth, rate limiting, schema validation, A/B routing, the fast-path actor, metrics,
 * observation sampling to the database), next to a bare Fastify hello-world on the same machine
 * in the same run as the ceiling. The load generator runs in a worker thread, the server on the
 * main thread, for both.
 */
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { buildApiServer } from '../src/api/server.js';
import { openEmbeddedDatabase } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrate.js';
import { Logger } from '../src/logging/logger.js';
import { FEATURE_NAMES } from '../src/market/features.js';
import { RetrainingSystem } from '../src/orchestration/system.js';
import { registerRandomModel } from '../test/helpers/models.js';
import { initTensorFlow } from '../src/rl/backend.js';

const CONNECTIONS = 32;
const DURATION_S = 10;
const ADMIN = 'bench-admin-key-0123456789abcdef';

interface Load {
  requestsPerS: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(
  url: string,
  options: { method: 'GET' | 'POST'; body?: string; headers?: Record<string, string> },
): Promise<Load> {
  const run = async (duration: number) =>
    autocannon({
      url,
      connections: CONNECTIONS,
      duration,
      workers: 1,
      method: options.method,
      ...(options.body ? { body: options.body } : {}),
      headers: options.headers ?? {},
    });
  await run(2); // warm-up: V8 optimises the handlers, the connections are open
  const result = await run(DURATION_S);
  return {
    requestsPerS: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx + result.timeouts,
  };
}

const OBSERVATION_BODY = JSON.stringify({
  key: 'bench-bot',
  observation: FEATURE_NAMES.map((_, k) => Math.sin(k)),
  position: 0,
});

/** The ceiling: Fastify's hello-world (GET), and the same taking the prediction's JSON body (POST). */
export async function helloWorld(method: 'GET' | 'POST'): Promise<Load> {
  const app = Fastify({ logger: false });
  app.get('/', async () => ({ hello: 'world' }));
  app.post('/', async () => ({ hello: 'world' }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  try {
    return await load(
      `http://127.0.0.1:${port}/`,
      method === 'GET'
        ? { method }
        : { method, body: OBSERVATION_BODY, headers: { 'content-type': 'application/json' } },
    );
  } finally {
    await app.close();
  }
}

export async function predictApi(): Promise<Load> {
  await initTensorFlow();
  const db = await openEmbeddedDatabase({ dataDir: 'memory://' });
  await migrate(db);
  const version = await registerRandomModel(db, 'bench', { hidden: [64, 64], initialWeights: true });
  const system = await RetrainingSystem.create(
    {},
    { db, jobs: false, logger: new Logger({ logToConsole: false }), env: {} },
  );
  await system.services.deploymentManager.deploy(version);
  const { app } = await buildApiServer({
    system,
    keys: { admin: ADMIN, source: 'environment' },
    // The limiter runs on every request as in production; its ceiling is above this load.
    predictRateLimitPerMinute: 1e9,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  try {
    return await load(`http://127.0.0.1:${port}/v1/predict`, {
      method: 'POST',
      body: OBSERVATION_BODY,
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    });
  } finally {
    await app.close();
    await system.stop(0);
    await db.close();
  }
}

export async function benchPredictHttp(): Promise<Record<string, number>> {
  const hello = await helloWorld('GET');
  const helloPost = await helloWorld('POST');
  const predict = await predictApi();
  if (predict.errors > 0 || hello.errors > 0 || helloPost.errors > 0) {
    throw new Error(`failed requests under load: predict ${predict.errors}, hello-world ${hello.errors}`);
  }
  return {
    requests_per_s: Math.round(predict.requestsPerS),
    p50_ms: predict.p50,
    p99_ms: predict.p99,
    hello_world_requests_per_s: Math.round(hello.requestsPerS),
    hello_world_p99_ms: hello.p99,
    hello_world_post_requests_per_s: Math.round(helloPost.requestsPerS),
    ratio: Number((predict.requestsPerS / hello.requestsPerS).toFixed(3)),
    connections: CONNECTIONS,
  };
}
