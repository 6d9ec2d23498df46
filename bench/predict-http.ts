/**
 * `predict_http`: `POST /v1/predict` over loopback with an HTTP load generator at a fixed concurrency (the
 * whole API: auth, rate limiting, schema validation, A/B routing, the fast-path actor, metrics,
 * observation sampling to the database), next to a bare Fastify hello-world on the same machine
 * in the same run as the ceiling. The load generator (wrk in a child process, or autocannon in a
 * worker thread) is the same for all; the servers run on the main thread.
 */
import autocannon from 'autocannon';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
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
const DURATION_S = 4;
const ROUNDS = 5;
const ADMIN = 'bench-admin-key-0123456789abcdef';
const WRK = '/usr/bin/wrk';
const execFileAsync = promisify(execFile);

interface Load {
  requestsPerS: number;
  p50: number;
  p99: number;
  errors: number;
}

type LoadOptions = {
  method: 'GET' | 'POST';
  body?: string;
  headers?: Record<string, string>;
  duration: number;
};

/**
 * wrk (C, one thread, `apt-get install wrk`) when installed, else autocannon in a worker thread.
 * On a 2-core machine the generator shares the cores with the server: autocannon spends about as
 * much CPU per request as the server's hello-world, and more for a request with a body, so it
 * caps the ceiling it measures; wrk spends a fraction of that. `PREDICT_HTTP_GENERATOR=autocannon`
 * forces autocannon.
 */
export const LOAD_GENERATOR =
  process.env.PREDICT_HTTP_GENERATOR === 'autocannon' || !existsSync(WRK) ? 'autocannon' : 'wrk';

async function load(url: string, options: LoadOptions): Promise<Load> {
  return LOAD_GENERATOR === 'wrk' ? loadWithWrk(url, options) : loadWithAutocannon(url, options);
}

/** wrk's duration: `1.23ms`, `850.00us`, `1.02s`, in milliseconds. */
function wrkMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!match) throw new Error(`wrk printed a latency "${text}" this benchmark cannot read`);
  const value = Number(match[1]);
  return match[2] === 'us'
    ? value / 1000
    : match[2] === 'ms'
      ? value
      : match[2] === 's'
        ? value * 1000
        : value * 60_000;
}

async function loadWithWrk(url: string, options: LoadOptions): Promise<Load> {
  const lua = [`wrk.method = ${JSON.stringify(options.method)}`];
  if (options.body !== undefined) lua.push(`wrk.body = ${JSON.stringify(options.body)}`);
  for (const [name, value] of Object.entries(options.headers ?? {}))
    lua.push(`wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`);
  const dir = mkdtempSync(join(tmpdir(), 'predict-http-'));
  const script = join(dir, 'request.lua');
  writeFileSync(script, `${lua.join('\n')}\n`);
  try {
    const { stdout } = await execFileAsync(WRK, [
      '-t1',
      `-c${CONNECTIONS}`,
      `-d${options.duration}s`,
      '--latency',
      '-s',
      script,
      url,
    ]);
    const rate = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
    const p50 = /^\s+50%\s+(\S+)/m.exec(stdout);
    const p99 = /^\s+99%\s+(\S+)/m.exec(stdout);
    if (!rate || !p50 || !p99) throw new Error(`wrk's report could not be read:\n${stdout}`);
    const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout);
    const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
    const errors =
      Number(non2xx?.[1] ?? 0) + (socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0);
    return { requestsPerS: Number(rate[1]), p50: wrkMs(p50[1]!), p99: wrkMs(p99[1]!), errors };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function loadWithAutocannon(url: string, options: LoadOptions): Promise<Load> {
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
export async function helloWorld(method: 'GET' | 'POST'): Promise<Target> {
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
  process.stderr.write(`load generator: ${LOAD_GENERATOR}, ${CONNECTIONS} connections\n`);
  // Predict right after hello-world GET in each round: the ratio's two figures are taken seconds apart.
  const targets = [await helloWorld('GET'), await predictApi(), await helloWorld('POST')];
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
