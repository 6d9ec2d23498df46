/**
 * Environment inputs from bars: per symbol, the normalised feature rows and the simple return of
 * each bar to the next, plus the chronological train/validation split that keeps them honest.
 *
 * The normaliser is fitted on training rows only (pooled over symbols, one normaliser per model) and
 * then applied unchanged to validation, backtest and live rows, so no statistic of a later bar leaks
 * into an earlier observation.
 */
import { ValidationError } from '../errors.js';
import {
  barsToColumns,
  computeFeatures,
  type FeatureMatrix,
  type FeatureOptions,
  featureSettlingBars,
} from '../market/features.js';
import {
  applyNormaliser,
  fitNormaliser,
  type Normaliser,
  type NormaliserOptions,
} from '../market/normaliser.js';
import type { MarketBar } from '../store/market-bars.js';
import type { MarketSeries } from './types.js';

export type BarsBySymbol =
  ReadonlyMap<string, readonly MarketBar[]> | Readonly<Record<string, readonly MarketBar[]>>;

export interface MarketSeriesOptions {
  /** Scale with this normaliser (the model's own, for validation, backtest, serving); fitted when absent. */
  normaliser?: Normaliser;
  /** Rows of each symbol a fitted normaliser sees, half-open, `to` capped at rows; default [warmup, rows). */
  fitRange?: { from?: number; to?: number };
  /** Indicator parameters, as computeFeatures takes them. */
  featureOptions?: Partial<FeatureOptions>;
  /** Clip of a fitted normaliser. */
  normaliserOptions?: Partial<NormaliserOptions>;
  /** First scored row, for all symbols or per symbol (splitChronologically's validationFirstRow); ≥ warmup. */
  firstRow?: number | Readonly<Record<string, number>>;
}

/**
 * One MarketSeries per symbol, sorted by symbol: features normalised, returns[t] = close[t+1]/close[t] − 1
 * from the raw closes, firstRow = max(feature warmup, options.firstRow). Without a normaliser, one
 * is fitted on the rows [warmup, rows) of every symbol pooled, so pass training bars only.
 */
export function buildMarketSeries(
  barsBySymbol: BarsBySymbol,
  options: MarketSeriesOptions = {},
): { series: MarketSeries[]; normaliser: Normaliser } {
  const entries = symbolEntries(barsBySymbol);
  if (entries.length === 0) {
    throw new ValidationError(
      'no symbols to build market series from; expected at least one',
      'barsBySymbol',
    );
  }
  const built = entries.map(([symbol, bars]) => {
    requireTimeOrder(symbol, bars);
    const columns = barsToColumns(bars);
    const matrix = computeFeatures(columns, options.featureOptions);
    const firstRow = Math.max(matrix.warmup, requestedFirstRow(options.firstRow, symbol));
    if (bars.length < firstRow + 2) {
      throw new ValidationError(
        `symbol ${symbol} has ${bars.length} bars; expected at least ${firstRow + 2} ` +
          `(first scored row ${firstRow} and one bar after it)`,
        'barsBySymbol',
      );
    }
    return { symbol, columns, matrix, firstRow };
  });
  const normaliser =
    options.normaliser ??
    fitPooledNormaliser(
      built.map(({ symbol, matrix }) => ({ symbol, matrix })),
      options,
    );
  const series = built.map(({ symbol, columns, matrix, firstRow }) => ({
    symbol,
    features: applyNormaliser(normaliser, matrix).values,
    featureCount: matrix.cols,
    returns: simpleReturns(columns.close),
    firstRow,
    ts: columns.ts,
  }));
  return { series, normaliser };
}

/**
 * Splits one symbol's bars by time: the last round(n × validationSplit) bars are validation. The
 * validation array also starts with up to `warmupBars` training bars, so that its first validation
 * bar has complete (and, with featureSettlingBars, settled) features; `validationFirstRow` is that
 * bar's index in `validation`. Pass it as buildMarketSeries' `firstRow` so only validation bars are
 * scored. The return from the last training bar to the first validation bar is scored by neither.
 * Use featureSettlingBars(featureOptions) as `warmupBars` when the features are not the defaults.
 */
export function splitChronologically(
  bars: readonly MarketBar[],
  validationSplit: number,
  warmupBars: number = featureSettlingBars(),
): { train: MarketBar[]; validation: MarketBar[]; validationFirstRow: number } {
  if (!(validationSplit > 0 && validationSplit < 1)) {
    throw new ValidationError(
      `validationSplit is ${validationSplit}; expected a fraction in (0, 1)`,
      'validationSplit',
    );
  }
  if (!Number.isInteger(warmupBars) || warmupBars < 0) {
    throw new ValidationError(`warmupBars is ${warmupBars}; expected an integer ≥ 0`, 'warmupBars');
  }
  requireTimeOrder(bars[0]?.symbol ?? '(none)', bars);
  const validationCount = Math.round(bars.length * validationSplit);
  const trainCount = bars.length - validationCount;
  if (validationCount === 0 || trainCount === 0) {
    throw new ValidationError(
      `validationSplit ${validationSplit} of ${bars.length} bars leaves ${trainCount} training and ` +
        `${validationCount} validation bars; expected at least one of each`,
      'validationSplit',
    );
  }
  const validationStart = Math.max(0, trainCount - warmupBars);
  return {
    train: bars.slice(0, trainCount),
    validation: bars.slice(validationStart),
    validationFirstRow: trainCount - validationStart,
  };
}

function symbolEntries(barsBySymbol: BarsBySymbol): [string, readonly MarketBar[]][] {
  const entries: [string, readonly MarketBar[]][] =
    barsBySymbol instanceof Map
      ? [...(barsBySymbol as ReadonlyMap<string, readonly MarketBar[]>)]
      : Object.entries(barsBySymbol as Readonly<Record<string, readonly MarketBar[]>>);
  // Sorted so the order of the series (and the environment's draws over them) is the same for any input order.
  return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function requestedFirstRow(firstRow: MarketSeriesOptions['firstRow'], symbol: string): number {
  const value = typeof firstRow === 'number' ? firstRow : (firstRow?.[symbol] ?? 0);
  if (!Number.isInteger(value) || value < 0) {
    throw new ValidationError(
      `firstRow for symbol ${symbol} is ${value}; expected an integer ≥ 0`,
      'firstRow',
    );
  }
  return value;
}

/** Returns would be scrambled by unordered bars, and features by duplicated ones. */
function requireTimeOrder(symbol: string, bars: readonly MarketBar[]): void {
  for (let t = 1; t < bars.length; t++) {
    if (!(bars[t]!.ts.getTime() > bars[t - 1]!.ts.getTime())) {
      throw new ValidationError(
        `symbol ${symbol}: bar ${t} at ${bars[t]!.ts.toISOString()} is not after bar ${t - 1} at ` +
          `${bars[t - 1]!.ts.toISOString()}; expected bars in strictly increasing time`,
        'bars',
      );
    }
  }
}

/** z-score statistics over the training rows of all symbols together, so every symbol shares one scale. */
function fitPooledNormaliser(
  matrices: { symbol: string; matrix: FeatureMatrix }[],
  options: MarketSeriesOptions,
): Normaliser {
  const ranges = matrices.map(({ symbol, matrix }) => {
    const from = options.fitRange?.from ?? matrix.warmup;
    const to = Math.min(options.fitRange?.to ?? matrix.rows, matrix.rows);
    if (!Number.isInteger(from) || !Number.isInteger(to) || from < matrix.warmup || to <= from) {
      throw new ValidationError(
        `fitRange [${from}, ${to}) for symbol ${symbol} is not valid; expected integers with ` +
          `warmup ${matrix.warmup} ≤ from < to ≤ rows ${matrix.rows}`,
        'fitRange',
      );
    }
    return { from, to };
  });
  const first = matrices[0]!.matrix;
  const rows = ranges.reduce((sum, { from, to }) => sum + to - from, 0);
  const values = new Float32Array(rows * first.cols);
  let offset = 0;
  matrices.forEach(({ matrix }, i) => {
    const { from, to } = ranges[i]!;
    values.set(matrix.values.subarray(from * matrix.cols, to * matrix.cols), offset);
    offset += (to - from) * matrix.cols;
  });
  const pooled: FeatureMatrix = { names: first.names, rows, cols: first.cols, values, warmup: 0 };
  return fitNormaliser(pooled, { from: 0, to: rows }, options.normaliserOptions);
}

function simpleReturns(close: Float64Array): Float64Array {
  const returns = new Float64Array(Math.max(0, close.length - 1));
  for (let t = 0; t < returns.length; t++) returns[t] = close[t + 1]! / close[t]! - 1;
  return returns;
}
