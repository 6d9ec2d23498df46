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
const DURATION_S = 5;
const ROUNDS = 3;
const ADMIN = 'bench-admin-key-0123456789abcdef';

interface Load {
  requestsPerS: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(
  url: string,
  options: { method: 'GET' | 'POST'; body?: string; headers?: Record<string, string>; duration: number },
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
  const result = await run(options.duration);
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

interface Target {
  name: string;
  run: (duration: number) => Promise<Load>;
  close: () => Promise<void>;
}

/** The ceiling: Fastify's hello-world (GET), and the same taking the prediction's JSON body (POST). */
async function helloWorld(method: 'GET' | 'POST'): Promise<Target> {
  const app = Fastify({ logger: false });
  app.get('/', async () => ({ hello: 'world' }));
  app.post('/', async () => ({ hello: 'world' }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  const request =
    method === 'GET'
      ? { method }
      : { method, body: OBSERVATION_BODY, headers: { 'content-type': 'application/json' } };
  return {
    name: `hello-world ${method}`,
    run: (duration) => load(`http://127.0.0.1:${port}/`, { ...request, duration }),
    close: () => app.close(),
  };
}

/** The system's API on a free loopback port, with `admin` as its admin key. */
export async function serveApi(
  system: RetrainingSystem,
  admin: string,
): Promise<{ app: Awaited<ReturnType<typeof buildApiServer>>['app']; port: number }> {
  const { app } = await buildApiServer({
    system,
    keys: { admin, source: 'environment' },
    // The limiter runs on every request as in production; its ceiling is above the benchmarks' load.
    predictRateLimitPerMinute: 1e9,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, port: (app.server.address() as { port: number }).port };
}

export async function predictApi(): Promise<Target> {
  await initTensorFlow();
  const db = await openEmbeddedDatabase({ dataDir: 'memory://' });
  await migrate(db);
  const version = await registerRandomModel(db, 'bench', { hidden: [64, 64], initialWeights: true });
  const system = await RetrainingSystem.create(
    {},
    { db, jobs: false, logger: new Logger({ logToConsole: false }), env: {} },
  );
  await system.services.deploymentManager.deploy(version);
  const { app, port } = await serveApi(system, ADMIN);
  return {
    name: 'predict',
    run: (duration) =>
      load(`http://127.0.0.1:${port}/v1/predict`, {
        method: 'POST',
        body: OBSERVATION_BODY,
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        duration,
      }),
    close: async () => {
      await app.close();
      await system.stop(0);
      await db.close();
    },
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * The three servers run side by side and are loaded in turn, ROUNDS times, after a warm-up of
 * each: this machine's speed drifts by a factor of two within minutes (shared host), so figures
 * taken minutes apart are not comparable; medians of interleaved rounds are.
 */
export async function benchPredictHttp(): Promise<Record<string, number>> {
  const targets = [await helloWorld('GET'), await helloWorld('POST'), await predictApi()];
  const results = new Map<string, Load[]>(targets.map((t) => [t.name, []]));
  try {
    for (const target of targets) await target.run(2); // warm-up: V8 optimises, connections open
    for (let round = 0; round < ROUNDS; round++) {
      for (const target of targets) results.get(target.name)!.push(await target.run(DURATION_S));
    }
  } finally {
    for (const target of targets) await target.close();
  }
  const failed = [...results].filter(([, loads]) => loads.some((l) => l.errors > 0));
  if (failed.length > 0)
    throw new Error(`failed requests under load: ${failed.map(([name]) => name).join(', ')}`);
  const rps = (name: string) => median(results.get(name)!.map((l) => l.requestsPerS));
  const predict = results.get('predict')!;
  const ratios = predict.map((l, i) => l.requestsPerS / results.get('hello-world GET')![i]!.requestsPerS);
  return {
    requests_per_s: Math.round(rps('predict')),
    p50_ms: median(predict.map((l) => l.p50)),
    p99_ms: median(predict.map((l) => l.p99)),
    hello_world_requests_per_s: Math.round(rps('hello-world GET')),
    hello_world_post_requests_per_s: Math.round(rps('hello-world POST')),
    ratio: Number(median(ratios).toFixed(3)),
    ratio_to_post: Number((rps('predict') / rps('hello-world POST')).toFixed(3)),
    connections: CONNECTIONS,
    rounds: ROUNDS,
  };
}
