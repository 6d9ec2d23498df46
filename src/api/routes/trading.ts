/** What trading bots call: predictions, and ingestion of their trades and the market's bars. */
import type { FastifyInstance } from 'fastify';
import { ValidationError } from '../../errors.js';
import { importBars } from '../../market/import/bars.js';
import { importTrades } from '../../market/import/trades.js';
import type { MarketBar } from '../../store/market-bars.js';
import { HttpError } from '../errors.js';
import { BARS_BODY, ERROR, PREDICT_BODY, PREDICTION, TRADES_BODY } from '../schemas.js';
import type { ApiContext } from '../server.js';

interface PredictBody {
  key: string;
  observation?: number[];
  symbol?: string;
  bars?: (Omit<MarketBar, 'ts' | 'interval' | 'symbol'> & { ts: string | number; symbol?: string })[];
  position: number;
}

const errors = { 400: ERROR, 401: ERROR, 403: ERROR, 413: ERROR, 429: ERROR, 503: ERROR };

export function registerTradingRoutes(app: FastifyInstance, context: ApiContext): void {
  const { predictor, metrics, system, options } = context;
  const predictLimit = options.predictRateLimitPerMinute ?? 120_000;
  const ingestLimit = options.ingestBodyLimit ?? 32 * 1024 * 1024;

  // Predictions in a scope of their own, to parse their bodies with plain JSON.parse: the
  // default parser also scans every body for prototype keys, a tenth of a prediction's time.
  // Safe here because the body's schema is closed: a `__proto__` or `constructor` key is refused
  // as an unknown field, and nothing is merged into another object.
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
        config: { access: 'read', rateLimit: { max: predictLimit, timeWindow: 60_000 } },
        schema: {
          summary: 'The action for one observation (or recent bars), from production or the A/B arm of `key`',
          tags: ['trading'],
          body: PREDICT_BODY,
          response: { 200: PREDICTION, ...errors },
        },
      },
      async (request) => {
        const started = performance.now();
        const body = request.body;
        if ((body.observation === undefined) === (body.bars === undefined)) {
          throw new ValidationError(
            'send either `observation` or `symbol` with `bars`, not both or neither',
            'observation',
          );
        }
        if (!predictor.ready) {
          throw new HttpError(503, 'no_production_model', predictor.unavailableReason);
        }
        let prediction;
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
      },
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
