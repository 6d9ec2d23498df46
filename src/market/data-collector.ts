import type { RetrainingConfig } from '../config/schema.js';
import { ValidationError } from '../errors.js';
import type { Database } from '../db/types.js';
import type { Logger } from '../logging/logger.js';
import { listTrades, type LiveTradeRow } from '../store/live-trades.js';
import { listBarsWithWarmup, listIntervals, type MarketBar } from '../store/market-bars.js';
import { existingVersions } from '../store/versions.js';
import { barsToColumns, computeFeatures, featureSettlingBars, type FeatureOptions } from './features.js';
import { parseInterval } from './interval.js';
import { validateBars, validateTrades, type QualityReport } from './quality/index.js';

/** A live trade as the collector returns it (the product README's `TradeData`). */
export type TradeData = LiveTradeRow;

/** One trade seen through the features of the bar it was decided on. */
export interface TrainingSample {
  tradeKey: string;
  symbol: string;
  /** Close of the bar whose features the decision saw (the last bar at or before entry). */
  ts: Date;
  featureNames: readonly string[];
  features: number[];
  /** +1 long, −1 short. */
  position: number;
  /** The trade's return on its notional, net of fees. */
  reward: number;
  modelVersion: string | null;
}

export interface CollectedData {
  window: { start: Date; end: Date };
  trades: TradeData[];
  /** Bars per traded symbol over the window, with the warm-up features need before it. */
  bars: Map<string, MarketBar[]>;
  /** Bars before the window included for the features' warm-up, per symbol. */
  warmupBars: number;
}

export interface DataCollectorOptions {
  logger?: Logger;
  featureOptions?: Partial<FeatureOptions>;
  /** Interval of the bars to use; default the finest stored for each symbol. */
  barInterval?: string;
}

/** Collects and checks the data a retraining runs on (the product README's DataCollector). */
export class DataCollector {
  private readonly warmup: number;

  constructor(
    private readonly db: Database,
    private readonly config: RetrainingConfig['dataCollection'],
    private readonly options: DataCollectorOptions = {},
  ) {
    // RSI and MACD carry a fading memory of their start: give them enough history to settle, so a
    // window's features match those of the full series.
    this.warmup = featureSettlingBars(options.featureOptions);
  }

  /**
   * Trades in the window, most recent first, at most `maxTradesPerBatch`: closed trades whose
   * exit falls in it, and with `includeIncompleteTrades` open trades entered in it.
   */
  async collectTradeData(startDate: string | Date, endDate: string | Date): Promise<TradeData[]> {
    const { start, end } = windowOf(startDate, endDate);
    return listTrades(this.db, {
      from: start,
      to: end,
      includeOpen: this.config.includeIncompleteTrades,
      limit: this.config.maxTradesPerBatch,
    });
  }

  /** The trades of the window and the bars of their symbols over it, warm-up included. */
  async collect(
    startDate: string | Date,
    endDate: string | Date,
    symbols?: readonly string[],
  ): Promise<CollectedData> {
    const { start, end } = windowOf(startDate, endDate);
    const trades = await this.collectTradeData(start, end);
    const wanted = symbols ?? [...new Set(trades.map((trade) => trade.symbol))];
    const bars = new Map<string, MarketBar[]>();
    for (const [symbol, interval] of await this.intervals(wanted)) {
      bars.set(
        symbol,
        await listBarsWithWarmup(this.db, { symbol, interval, from: start, to: end, warmup: this.warmup }),
      );
    }
    this.options.logger?.info('collected market data', {
      trades: trades.length,
      symbols: [...bars.keys()],
      bars: [...bars.values()].reduce((sum, list) => sum + list.length, 0),
    });
    return { window: { start, end }, trades, bars, warmupBars: this.warmup };
  }

  /** The product README's `{ valid, score, issues }`, with the details behind each issue. */
  async validateDataQuality(trades: readonly TradeData[]): Promise<QualityReport> {
    const versions = [...new Set(trades.map((t) => t.modelVersion).filter((v): v is string => v !== null))];
    const symbols = new Set(
      (await listIntervals(this.db, [...new Set(trades.map((t) => t.symbol))])).map((r) => r.symbol),
    );
    return validateTrades(trades, {
      threshold: this.config.dataQualityThreshold,
      knownSymbols: symbols,
      knownVersions: await existingVersions(this.db, versions),
    });
  }

  async validateBarQuality(bars: readonly MarketBar[]): Promise<QualityReport> {
    return validateBars(bars, { threshold: this.config.dataQualityThreshold });
  }

  /**
   * Each trade as the observation of the bar it was decided on (the last bar at or before its
   * entry) with its position and net return; trades without enough bar history are left out.
   */
  async generateFeatureVectors(trades: readonly TradeData[]): Promise<TrainingSample[]> {
    const bySymbol = new Map<string, TradeData[]>();
    for (const trade of trades) bySymbol.set(trade.symbol, [...(bySymbol.get(trade.symbol) ?? []), trade]);
    const samples: TrainingSample[] = [];
    const intervals = await this.intervals([...bySymbol.keys()]);
    for (const [symbol, symbolTrades] of bySymbol) {
      const interval = intervals.get(symbol);
      if (!interval) continue;
      const entries = symbolTrades.map((trade) => trade.entryTime.getTime());
      const bars = await listBarsWithWarmup(this.db, {
        symbol,
        interval,
        from: new Date(Math.min(...entries)),
        to: new Date(Math.max(...entries)),
        warmup: this.warmup,
      });
      const columns = barsToColumns(bars);
      const matrix = computeFeatures(columns, this.options.featureOptions);
      for (const trade of symbolTrades) {
        const row = lastAtOrBefore(columns.ts, trade.entryTime.getTime());
        if (row < matrix.warmup) continue;
        const features = Array.from(matrix.values.subarray(row * matrix.cols, (row + 1) * matrix.cols));
        samples.push({
          tradeKey: trade.idempotencyKey,
          symbol,
          ts: new Date(columns.ts[row]!),
          featureNames: matrix.names,
          features,
          position: trade.side === 'long' ? 1 : -1,
          reward: tradeReturn(trade),
          modelVersion: trade.modelVersion,
        });
      }
    }
    return samples;
  }

  /** The bar interval to use per symbol: the configured one, else the finest stored. */
  private async intervals(symbols: readonly string[]): Promise<Map<string, string>> {
    const chosen = new Map<string, string>();
    for (const { symbol, interval } of await listIntervals(this.db, symbols)) {
      if (this.options.barInterval !== undefined) {
        if (interval === this.options.barInterval) chosen.set(symbol, interval);
        continue;
      }
      const current = chosen.get(symbol);
      if (!current || parseInterval(interval).ms < parseInterval(current).ms) chosen.set(symbol, interval);
    }
    return chosen;
  }
}

function windowOf(startDate: string | Date, endDate: string | Date): { start: Date; end: Date } {
  const start = new Date(startDate);
  const end = new Date(endDate);
  if (Number.isNaN(start.getTime()))
    throw new ValidationError(`start date "${String(startDate)}" is not a date`, 'startDate');
  if (Number.isNaN(end.getTime()))
    throw new ValidationError(`end date "${String(endDate)}" is not a date`, 'endDate');
  if (end < start) {
    throw new ValidationError(
      `the window ends (${end.toISOString()}) before it starts (${start.toISOString()})`,
      'endDate',
    );
  }
  return { start, end };
}

function lastAtOrBefore(ts: Float64Array, instant: number): number {
  let lo = 0;
  let hi = ts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ts[mid]! <= instant) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Net return on the entry notional; an open trade (no pnl yet) counts 0. */
function tradeReturn(trade: TradeData): number {
  const notional = trade.entryPrice * trade.quantity;
  if (trade.pnl === null || notional <= 0) return 0;
  return trade.pnl / notional;
}
