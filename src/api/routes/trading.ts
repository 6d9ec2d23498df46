/** What trading bots call: predictions, and ingestion of their trades and the market's bars. */
import type { FastifyInstance } from 'fastify';
import { importBars } from '../../market/import/bars.js';
import { importTrades } from '../../market/import/trades.js';
import { limiterKey, type PredictBody } from '../predict-lane.js';
import { BARS_BODY, ERROR, PREDICT_BODY, PREDICTION, TRADES_BODY } from '../schemas.js';
import type { ApiContext } from '../server.js';

const errors = { 400: ERROR, 401: ERROR, 403: ERROR, 413: ERROR, 429: ERROR, 503: ERROR };

export function registerTradingRoutes(app: FastifyInstance, context: ApiContext): void {
  const { lane, system, options } = context;
  const ingestLimit = options.ingestBodyLimit ?? 32 * 1024 * 1024;

  // Most predictions never reach this route: the HTTP server hands them to the prediction lane
  // (predict-lane.ts). This route serves the rest (chunked bodies, a charset other than UTF-8,
  // query strings, CORS) and describes the route in the OpenAPI document; both share the lane's
  // rate limiter, validation and prediction.
  // In a scope of its own, to parse its bodies with plain JSON.parse as the lane does: the default
  // parser also scans every body for prototype keys. Safe because the body's schema is closed: a
  // `__proto__` or `constructor` key is refused as an unknown field, nothing is merged anywhere.
  void app.register(async (scope) => {
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
      const text = body as string;
      if (text.length === 0) {
        done(
          Object.assign(new Error('empty body'), { statusCode: 400, code: 'FST_ERR_CTP_EMPTY_JSON_BODY' }),
        );
        return;
      }
      try {
        done(null, JSON.parse(text));
      } catch (error) {
        done(Object.assign(error as Error, { statusCode: 400 }));
      }
    });
    scope.post<{ Body: PredictBody }>(
      '/predict',
      {
        // The lane's limiter, so a key has one budget whichever path serves it.
        config: { access: 'read', rateLimit: false },
        onRequest: (request, reply, done) => {
          const limited = lane.limiter.admit(limiterKey(request.role, request.ip));
          if (limited) void reply.headers(limited.headers);
          done(limited?.error);
        },
        schema: {
          summary: 'The action for one observation (or recent bars), from production or the A/B arm of `key`',
          tags: ['trading'],
          body: PREDICT_BODY,
          response: { 200: PREDICTION, ...errors },
        },
      },
      async (request) => lane.predict(request.body),
    );
  });

  app.post<{ Body: { trades: Record<string, unknown>[] } }>(
    '/trades',
    {
      bodyLimit: ingestLimit,
      schema: {
        summary:
          'Store live trades, idempotent on `key`: a replayed batch changes nothing; an open trade can be closed',
        tags: ['trading'],
        body: TRADES_BODY,
        response: errors,
      },
    },
    async (request) => {
      const trades = request.body.trades.map(({ key, ...rest }) => ({ idempotencyKey: key, ...rest }));
      const report = await importTrades(system.db, trades, { strict: true });
      return { rowsRead: report.rowsRead, stored: report.stored, duplicates: report.duplicates };
    },
  );

  app.post<{ Body: { bars: Record<string, unknown>[]; symbol?: string; interval?: string } }>(
    '/bars',
    {
      bodyLimit: ingestLimit,
      schema: {
        summary:
          'Store market bars, idempotent on (symbol, interval, time): a re-sent bar updates or changes nothing',
        tags: ['trading'],
        body: BARS_BODY,
        response: errors,
      },
    },
    async (request) => {
      const { bars, symbol, interval } = request.body;
      const report = await importBars(system.db, bars, {
        strict: true,
        ...(symbol ? { symbol } : {}),
        ...(interval ? { interval } : {}),
      });
      return {
        rowsRead: report.rowsRead,
        stored: report.stored,
        duplicates: report.duplicates,
        series: report.series,
      };
    },
  );
}
