/**
 * The HTTP API over a RetrainingSystem (Fastify): trading bots predict and send trades and bars,
 * operators read and act, the dashboard listens to an event stream. Every `/v1` route needs a key
 * (writes the admin key); `/health`, `/metrics` and `/docs` are open. See docs/api.md.
 */
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, { type FastifyInstance } from 'fastify';
import { createServer } from 'node:http';
import { ConfigError } from '../errors.js';
import { Predictor } from '../deployment/predictor.js';
import { initTensorFlow } from '../rl/backend.js';
import type { Logger } from '../logging/logger.js';
import type { RetrainingSystem } from '../orchestration/system.js';
import { errorBody, errorHandler, HttpError } from './errors.js';
import { limiterKey, PredictLane } from './predict-lane.js';
import { PREDICT_BODY } from './schemas.js';
import { EventHub } from './events.js';
import { isLoopback, keyChecker, refusal, roleFromHeader, type ApiKeys, type KeyRole } from './keys.js';
import { ApiMetrics } from './metrics.js';
import { registerMonitoringRoutes } from './routes/monitoring.js';
import { registerOperatorRoutes } from './routes/operators.js';
import { registerTradingRoutes } from './routes/trading.js';

export interface ApiServerOptions {
  system: RetrainingSystem;
  keys: ApiKeys | null;
  /** Where the server will listen; a non-loopback host needs keys. Default 127.0.0.1. */
  host?: string;
  logger?: Logger;
  /** Static dashboard files served at `/`; absent, a page that points to the API. */
  dashboardDir?: string | null;
  /** Requests per minute per key (or address without one). Default 600; predictions have their own. */
  rateLimitPerMinute?: number;
  /** Predictions per minute per key. Default 120,000. */
  predictRateLimitPerMinute?: number;
  /** Largest request body in bytes. Default 1 MiB; `/v1/bars` and `/v1/trades` take `ingestBodyLimit`. */
  bodyLimit?: number;
  /** Default 32 MiB. */
  ingestBodyLimit?: number;
  /** Origins allowed by CORS (comma-separated in RETRAINING_CORS_ORIGINS); default none (off). */
  corsOrigins?: string[];
  /** Event stream poll period. Default 1000 ms. */
  eventPollMs?: number;
}

export interface ApiContext {
  system: RetrainingSystem;
  predictor: Predictor;
  metrics: ApiMetrics;
  events: EventHub;
  options: ApiServerOptions;
  /** `POST /v1/predict`'s own lane, and the prediction and limiter its Fastify route shares. */
  lane: PredictLane;
  /** Open event streams, ended when the server closes. */
  streams: Set<import('node:http').ServerResponse>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route: `read` (either key) or `admin`. Default: GET read, others admin. */
    access?: KeyRole | 'open';
  }
  interface FastifyRequest {
    /** The role of the bearer token: null when it is no key, undefined when none was sent. */
    role?: KeyRole | null;
  }
}

/** Fastify's defaults for the server it would make itself; requests get 120 s. */
const KEEP_ALIVE_TIMEOUT_MS = 72_000;
const REQUEST_TIMEOUT_MS = 120_000;

/** Ajv without type coercion for bodies (a string is not a number); params and queries are coerced. */
function validatorCompiler() {
  const strict = addFormats.default(
    new Ajv({
      allErrors: false,
      coerceTypes: false,
      useDefaults: true,
      removeAdditional: false,
      strict: false,
    }),
  );
  const coercing = addFormats.default(
    new Ajv({
      allErrors: false,
      coerceTypes: 'array',
      useDefaults: true,
      removeAdditional: false,
      strict: false,
    }),
  );
  return ({ schema, httpPart }: { schema: object; httpPart?: string }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema);
}

/** Builds the server (not listening); `listen` with the same host the options named. */
export async function buildApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { system } = options;
  const logger = options.logger ?? system.logger.child({ component: 'api' });
  const host = options.host ?? '127.0.0.1';
  if (!options.keys && !isLoopback(host)) {
    throw new ConfigError([
      {
        field: 'HOST',
        value: host,
        message: `refusing to listen on ${host} without API keys; set RETRAINING_ADMIN_KEY (and RETRAINING_READ_KEY) or bind to 127.0.0.1`,
      },
    ]);
  }
  const keys = options.keys;
  const bodyLimit = options.bodyLimit ?? 1024 * 1024;
  // The HTTP server is ours so that predictions take their own lane (predict-lane.ts); it is set
  // up as Fastify sets up its own (its default keep-alive and request timeouts).
  const route: { lane?: PredictLane } = {};
  const app = Fastify({
    logger: false,
    serverFactory: (handler) => {
      const server = createServer((request, response) => {
        if (route.lane?.take(request, response) !== true) handler(request, response);
      });
      server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
      server.requestTimeout = REQUEST_TIMEOUT_MS;
      return server;
    },
    bodyLimit,
    // Deep JSON is refused by the body limit and by Ajv's schemas; prototype keys are dropped.
    onProtoPoisoning: 'remove',
    onConstructorPoisoning: 'remove',
    requestTimeout: REQUEST_TIMEOUT_MS,
    ajv: { customOptions: { coerceTypes: 'array' } },
  });
  const compileValidator = validatorCompiler();
  app.setValidatorCompiler(compileValidator);
  app.setErrorHandler(errorHandler(logger));
  app.setNotFoundHandler((request, reply) => {
    void reply
      .status(404)
      .send(
        errorBody('route_not_found', `no route ${request.method} ${request.url.split('?')[0]}; see /docs`),
      );
  });

  const metrics = new ApiMetrics(system.db);
  const predictor = new Predictor(system.db, {
    logger: logger.child({ component: 'predictor' }),
    alerts: system.services.alerter,
  });
  await initTensorFlow(); // the predictor runs the models on TF.js's backend, chosen once per process
  await predictor.start();
  const events = new EventHub(system.db, {
    logger,
    pollMs: options.eventPollMs ?? 1000,
    onJobFinished: (status, seconds) => metrics.jobFinished(status, seconds),
  });
  events.start();
  // The token's role is found once per request, before the rate limiter keys on it.
  const roleOf = keys ? keyChecker(keys) : () => null;
  const lane = new PredictLane({
    predictor,
    metrics,
    logger,
    roleOf,
    hasKeys: keys !== null,
    validate: compileValidator({ schema: PREDICT_BODY, httpPart: 'body' }),
    bodyLimit,
    limitPerMinute: options.predictRateLimitPerMinute ?? 120_000,
    cors: (options.corsOrigins?.length ?? 0) > 0,
  });
  route.lane = lane;
  const context: ApiContext = { system, predictor, metrics, events, options, lane, streams: new Set() };
  app.addHook('preClose', async () => {
    for (const stream of context.streams) stream.end();
    context.streams.clear();
  });
  app.addHook('onClose', async () => {
    await events.stop();
    await predictor.stop();
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'ai-trading-retraining API',
        version: '1',
        description:
          'Predictions, ingestion and operations of the continuous retraining system. Send `Authorization: Bearer KEY`: the read key for GET routes, the admin key for everything.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  if (options.corsOrigins && options.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: options.corsOrigins,
      allowedHeaders: ['Authorization', 'Content-Type'],
    });
  }
  // Callback style, as the other per-request hooks: no promise per request on the hot path.
  app.addHook('onRequest', (request, _reply, done) => {
    request.role = roleFromHeader(request.headers.authorization, roleOf);
    done();
  });
  await app.register(rateLimit, {
    global: true,
    max: options.rateLimitPerMinute ?? 600,
    timeWindow: 60_000,
    // The limit headers only on a refusal (429 with retry-after): bots predicting thousands of
    // times a second do not read them, and they cost a third of a prediction's time.
    addHeadersOnExceeding: {
      'x-ratelimit-limit': false,
      'x-ratelimit-remaining': false,
      'x-ratelimit-reset': false,
    },
    // Per key (by its role, never the key itself), else per address: an invalid key is limited
    // with the address it comes from.
    keyGenerator: (request) => limiterKey(request.role, request.ip),
    errorResponseBuilder: (_request, context) => {
      const error = new HttpError(
        429,
        'rate_limited',
        `too many requests: at most ${context.max} per minute; retry in ${Math.ceil(context.ttl / 1000)} s`,
      );
      return Object.assign(error, { statusCode: 429 });
    },
  });

  // Callback style: no promise per request on the hot path.
  app.addHook('onResponse', (request, reply, done) => {
    metrics.requestServed(request.method, request.routeOptions.url ?? 'unknown', reply.statusCode);
    done();
  });

  // Open routes.
  app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/metrics', { schema: { hide: true }, config: { rateLimit: false } }, async (_request, reply) => {
    void reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  await app.register(
    async (v1) => {
      v1.addHook('onRequest', (request, _reply, done) => {
        const access = request.routeOptions.config.access ?? (request.method === 'GET' ? 'read' : 'admin');
        done(refusal(access, request.role, keys !== null));
      });
      registerTradingRoutes(v1, context);
      registerOperatorRoutes(v1, context);
      registerMonitoringRoutes(v1, context);
    },
    { prefix: '/v1' },
  );

  if (options.dashboardDir) {
    // With `wildcard: false` the plugin routes each file, `/` to index.html included.
    await app.register(fastifyStatic, { root: options.dashboardDir, prefix: '/', wildcard: false });
  } else {
    app.get('/', { schema: { hide: true } }, async (_request, reply) => {
      void reply.type('text/html; charset=utf-8');
      return PLACEHOLDER_PAGE;
    });
  }
  return { app, context };
}

const PLACEHOLDER_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>ai-trading-retraining</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}code{background:#eee;padding:0 .2em}</style>
</head><body>
<h1>ai-trading-retraining</h1>
<p>The system is running. The dashboard is not built into this installation yet; the API is:</p>
<ul>
<li><a href="/docs">API documentation</a> (OpenAPI at <code>/docs/json</code>)</li>
<li><code>curl -H "Authorization: Bearer KEY" http://HOST/v1/status</code></li>
<li><a href="/metrics">Prometheus metrics</a></li>
</ul>
</body></html>
`;

export interface ApiServer {
  app: FastifyInstance;
  context: ApiContext;
}

const LIMIT_VARIABLES = {
  rateLimitPerMinute: 'RETRAINING_API_RATE_LIMIT',
  predictRateLimitPerMinute: 'RETRAINING_API_PREDICT_RATE_LIMIT',
  bodyLimit: 'RETRAINING_API_BODY_LIMIT',
  ingestBodyLimit: 'RETRAINING_API_INGEST_BODY_LIMIT',
} as const;

/** Limits and CORS from the environment (docs/api.md); each variable a positive integer. */
export function apiSettingsFromEnvironment(
  env: NodeJS.ProcessEnv,
): Pick<ApiServerOptions, keyof typeof LIMIT_VARIABLES | 'corsOrigins'> {
  const settings: Pick<ApiServerOptions, keyof typeof LIMIT_VARIABLES | 'corsOrigins'> = {};
  for (const [option, variable] of Object.entries(LIMIT_VARIABLES) as [
    keyof typeof LIMIT_VARIABLES,
    string,
  ][]) {
    const text = env[variable]?.trim();
    if (!text) continue;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new ConfigError([
        {
          field: variable,
          value: text,
          message: `${variable} "${text}" is invalid; expected a positive integer`,
        },
      ]);
    }
    settings[option] = value;
  }
  const origins = (env.RETRAINING_CORS_ORIGINS ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  if (origins.length > 0) settings.corsOrigins = origins;
  return settings;
}
