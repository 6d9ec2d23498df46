/**
 * `POST /v1/predict` on a lane of its own. Trading bots call it thousands of times a second, and
 * Fastify's path for a request with a body (hooks, the content-type parser's stream handling,
 * reply serialisation) cost more than the whole prediction: measured on the 2-core machine, a
 * Fastify hello-world taking the prediction's body used 45 µs of CPU a request, a bare Node.js
 * server reading the same body 26 µs, the predictor 6 µs (docs/benchmarks.md, predict_http).
 *
 * The lane answers the common request (`Content-Type: application/json`, a `Content-Length`
 * within the body limit, no CORS preflight concerns) straight from the HTTP server, with the same
 * parts as the Fastify route: the key check (`refusal`), one rate limiter, the route's Ajv
 * validator, the prediction (`PredictLane.predict`), the error answers (`errorAnswer`) and the
 * request metrics. Every other request to the route (chunked, another content type, a query
 * string, an `Origin` when CORS is on, an oversized body) goes to the Fastify route, which serves
 * the OpenAPI document's description of it and calls the same parts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ValidateFunction } from 'ajv';
import { ValidationError } from '../errors.js';
import type { Predictor, Prediction } from '../deployment/predictor.js';
import type { Logger } from '../logging/logger.js';
import type { MarketBar } from '../store/market-bars.js';
import { errorAnswer, HttpError } from './errors.js';
import { refusal, roleFromHeader, type KeyRole } from './keys.js';
import type { ApiMetrics } from './metrics.js';

export const PREDICT_PATH = '/v1/predict';
const ROUTE = `POST ${PREDICT_PATH}`;

export interface PredictBody {
  key: string;
  observation?: number[];
  symbol?: string;
  bars?: (Omit<MarketBar, 'ts' | 'interval' | 'symbol'> & { ts: string | number; symbol?: string })[];
  position: number;
}

/** A refusal by the rate limiter: the error and the headers that go with it. */
export interface LimitRefusal {
  error: HttpError;
  headers: Record<string, string>;
}

/**
 * Fixed windows per key, as @fastify/rate-limit's local store counts: a key's window opens with
 * its first request and lasts `windowMs`; past `max` requests in it are refused until it ends. At
 * most `capacity` keys are remembered (the oldest forgotten first).
 */
export class FixedWindowLimiter {
  readonly #windows = new Map<string, { count: number; startedMs: number }>();

  constructor(
    readonly max: number,
    readonly windowMs: number,
    private readonly capacity = 5000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts a request of `key`; its refusal when it is over the limit, else undefined. */
  admit(key: string): LimitRefusal | undefined {
    const now = this.now();
    let window = this.#windows.get(key);
    if (!window) {
      if (this.#windows.size >= this.capacity) this.#windows.delete(this.#windows.keys().next().value!);
      window = { count: 0, startedMs: now };
      this.#windows.set(key, window);
    } else if (window.startedMs + this.windowMs <= now) {
      window.count = 0;
      window.startedMs = now;
    }
    window.count++;
    if (window.count <= this.max) return undefined;
    const seconds = Math.ceil((this.windowMs - (now - window.startedMs)) / 1000);
    return {
      error: new HttpError(
        429,
        'rate_limited',
        `too many requests: at most ${this.max} per minute; retry in ${seconds} s`,
      ),
      headers: {
        'x-ratelimit-limit': String(this.max),
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(seconds),
        'retry-after': String(seconds),
      },
    };
  }
}

/** The limiter's key: the key's role (never the key itself), else the address. */
export const limiterKey = (role: KeyRole | null | undefined, address: string | undefined): string =>
  role ? `key:${role}` : `ip:${address ?? 'unknown'}`;

export interface PredictLaneOptions {
  predictor: Predictor;
  metrics: ApiMetrics;
  logger: Logger;
  /** The role of a bearer token; null when it is no key. */
  roleOf: (token: string) => KeyRole | null;
  hasKeys: boolean;
  /** The route's body validator (Ajv, with the route's schema and options). */
  validate: ValidateFunction;
  bodyLimit: number;
  limitPerMinute: number;
  /** CORS is on: requests with an `Origin` go through Fastify, which answers CORS. */
  cors: boolean;
}

const JSON_TYPES = new Set(['application/json', 'application/json; charset=utf-8']);

export class PredictLane {
  readonly limiter: FixedWindowLimiter;

  constructor(private readonly options: PredictLaneOptions) {
    this.limiter = new FixedWindowLimiter(options.limitPerMinute, 60_000);
  }

  /** The prediction for a validated body. Shared by the lane and the Fastify route. */
  predict(body: PredictBody): Prediction {
    const { predictor, metrics } = this.options;
    const started = performance.now();
    if ((body.observation === undefined) === (body.bars === undefined)) {
      throw new ValidationError(
        'send either `observation` or `symbol` with `bars`, not both or neither',
        'observation',
      );
    }
    if (!predictor.ready) throw new HttpError(503, 'no_production_model', predictor.unavailableReason);
    let prediction: Prediction;
    if (body.observation) {
      prediction = predictor.predict({
        key: body.key,
        features: body.observation,
        position: body.position,
        ...(body.symbol ? { symbol: body.symbol } : {}),
      });
    } else {
      const bars = body.bars!.map((bar, index) => {
        const ts = new Date(bar.ts);
        if (Number.isNaN(ts.getTime()))
          throw new ValidationError(`bars[${index}].ts is not a date`, `bars[${index}].ts`);
        const symbol = bar.symbol ?? body.symbol;
        if (!symbol) throw new ValidationError("name the bars' `symbol`", 'symbol');
        return { ...bar, symbol, interval: '', ts };
      });
      prediction = predictor.predictFromBars({ key: body.key, bars, position: body.position });
    }
    metrics.predicted(prediction.version, prediction.arm ?? 'none');
    metrics.predictionSeconds.observe((performance.now() - started) / 1000);
    return prediction;
  }

  /**
   * Serves the request when it is one the lane answers, decided from its request line and headers
   * alone (nothing is read before), and returns true; false leaves it to Fastify.
   */
  take(request: IncomingMessage, response: ServerResponse): boolean {
    if (request.method !== 'POST' || request.url !== PREDICT_PATH) return false;
    const headers = request.headers;
    const type = headers['content-type'];
    const length = headers['content-length'];
    if (type === undefined || !JSON_TYPES.has(type.toLowerCase()) || length === undefined) return false;
    if (headers['transfer-encoding'] !== undefined || headers.expect !== undefined) return false;
    if (this.options.cors && headers.origin !== undefined) return false;
    const bytes = Number(length);
    if (!Number.isSafeInteger(bytes) || bytes > this.options.bodyLimit) return false;
    this.#serve(request, response);
    return true;
  }

  #serve(request: IncomingMessage, response: ServerResponse): void {
    const { roleOf, hasKeys } = this.options;
    const role = roleFromHeader(request.headers.authorization, roleOf);
    // Refused before the body is read; Node.js discards the unread body of an answered request.
    const refused = refusal('read', role, hasKeys);
    if (refused) return this.#fail(response, refused);
    const limited = this.limiter.admit(limiterKey(role, request.socket.remoteAddress));
    if (limited) return this.#fail(response, limited.error, limited.headers);
    // Node.js frames the body by its Content-Length: 'end' comes after exactly that many bytes.
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
      this.#answer(text, response);
    });
    // A client that goes away mid-body gets no answer; the socket is already closed.
    request.on('error', () => undefined);
  }

  #answer(text: string, response: ServerResponse): void {
    if (text.length === 0) {
      return this.#fail(
        response,
        Object.assign(new Error('empty body'), { statusCode: 400, code: 'FST_ERR_CTP_EMPTY_JSON_BODY' }),
      );
    }
    let body: unknown;
    try {
      // Plain JSON.parse, as the route's own parser: the schema is closed, so a `__proto__` or
      // `constructor` key is refused as an unknown field and nothing is merged anywhere.
      body = JSON.parse(text);
    } catch (error) {
      return this.#fail(response, Object.assign(error as Error, { statusCode: 400 }));
    }
    const { validate } = this.options;
    if (!validate(body)) {
      return this.#fail(
        response,
        Object.assign(new Error('invalid body'), {
          statusCode: 400,
          validation: validate.errors ?? [],
          validationContext: 'body',
        }),
      );
    }
    let prediction: Prediction;
    try {
      prediction = this.predict(body as PredictBody);
    } catch (error) {
      return this.#fail(response, error as Error);
    }
    // The route's response schema's fields, in its order.
    this.#send(
      response,
      200,
      JSON.stringify({
        action: prediction.action,
        position: prediction.position,
        probabilities: prediction.probabilities,
        version: prediction.version,
        arm: prediction.arm,
      }),
    );
  }

  #fail(response: ServerResponse, error: Error, headers?: Record<string, string>): void {
    const { status, body } = errorAnswer(error, this.options.logger, ROUTE);
    this.#send(response, status, JSON.stringify(body), headers);
  }

  #send(response: ServerResponse, status: number, payload: string, headers?: Record<string, string>): void {
    const head = [
      'content-type',
      'application/json; charset=utf-8',
      'content-length',
      String(Buffer.byteLength(payload)),
    ];
    if (headers) for (const [name, value] of Object.entries(headers)) head.push(name, value);
    response.writeHead(status, head);
    response.end(payload);
    this.options.metrics.requestServed('POST', PREDICT_PATH, status);
  }
}
