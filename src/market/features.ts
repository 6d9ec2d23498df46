import { ValidationError } from '../errors.js';
import type { MarketBar } from '../store/market-bars.js';
import {
  barRange,
  bollingerPosition,
  logReturns,
  macdHistogram,
  realisedVolatility,
  volumeZScore,
  wilderRsi,
} from './indicators.js';

/** Bars as columns, one typed array per field, so every indicator is a tight loop over numbers. */
export interface BarColumns {
  /** Bar timestamps, epoch milliseconds. */
  ts: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
}

/**
 * Observations, one row per bar, row-major. Row t uses bars 0..t only: it is what the agent can
 * see at the close of bar t. Rows 0..warmup − 1 lack the history of the longest lookback and are
 * all 0; they are kept so that row t stays bar t, and callers drop them.
 */
export interface FeatureMatrix {
  names: readonly string[];
  rows: number;
  cols: number;
  /** rows × cols, row t at values[t·cols .. t·cols + cols − 1]. */
  values: Float32Array;
  /** Index of the first complete row. */
  warmup: number;
}

export interface FeatureOptions {
  returnHorizons: readonly number[];
  volatilityWindow: number;
  rsiPeriod: number;
  macdFast: number;
  macdSlow: number;
  macdSignal: number;
  bollingerWindow: number;
  bollingerWidth: number;
  volumeWindow: number;
}

export const DEFAULT_FEATURE_OPTIONS: Readonly<FeatureOptions> = Object.freeze({
  /** Log-return horizons in bars: short, medium and long momentum. */
  returnHorizons: Object.freeze([1, 5, 20]),
  /** Bars of 1-bar log returns whose σ is the realised volatility. */
  volatilityWindow: 20,
  /** Wilder's period for RSI smoothing (Wilder 1978 uses 14). */
  rsiPeriod: 14,
  /** Fast EMA period of the MACD line (Appel's 12). */
  macdFast: 12,
  /** Slow EMA period of the MACD line (Appel's 26). */
  macdSlow: 26,
  /** EMA period of the MACD signal line (Appel's 9). */
  macdSignal: 9,
  /** Closes in the Bollinger moving average and σ (Bollinger's 20). */
  bollingerWindow: 20,
  /** Band half-width in σ, so position ±1 is on a band (Bollinger's 2). */
  bollingerWidth: 2,
  /** Bars in the volume mean and σ of the volume z-score. */
  volumeWindow: 20,
});

/** Column names for the default options; names carry their parameters so a mismatch is visible. */
export const FEATURE_NAMES = [
  'log_return_1',
  'log_return_5',
  'log_return_20',
  'volatility_20',
  'rsi_14',
  'macd_12_26_9',
  'bollinger_20_2',
  'volume_z_20',
  'range',
] as const;

export const POSITION_COLUMN = 'position';

export function featureNames(options?: Partial<FeatureOptions>): string[] {
  const o = resolveFeatureOptions(options);
  return [
    ...o.returnHorizons.map((horizon) => `log_return_${horizon}`),
    `volatility_${o.volatilityWindow}`,
    `rsi_${o.rsiPeriod}`,
    `macd_${o.macdFast}_${o.macdSlow}_${o.macdSignal}`,
    `bollinger_${o.bollingerWindow}_${o.bollingerWidth}`,
    `volume_z_${o.volumeWindow}`,
    'range',
  ];
}

/**
 * Bars of history before a bar that its feature row needs: the index of the first complete row.
 * RSI and MACD are exponential and keep a fading memory of where the series started, so a row
 * computed from only this much history differs from the same bar's row in a long training series
 * (RSI by up to ~0.04 by default); see featureSettlingBars for serving.
 */
export function featureWindowWarmup(options?: Partial<FeatureOptions>): number {
  const o = resolveFeatureOptions(options);
  return Math.max(
    ...o.returnHorizons,
    o.volatilityWindow, // σ of `window` returns, the first of which is at bar 1
    o.rsiPeriod, // the first smoothed average uses changes 1..period
    o.macdSlow + o.macdSignal - 2, // the signal EMA is seeded from `signal` MACD values
    o.bollingerWindow - 1,
    o.volumeWindow - 1,
  );
}

/**
 * Bars of history before a bar after which the starting point's weight in the exponential
 * indicators is below `tolerance`, so a live window of this many bars reproduces the training row
 * of the same bar to about that precision. A seed's weight decays as (1 − α)^k with α = 1/period for
 * Wilder's RSI and 2/(period + 1) for an EMA; MACD adds the slowest EMA's decay after its signal's seed.
 */
export function featureSettlingBars(options?: Partial<FeatureOptions>, tolerance = 1e-4): number {
  const o = resolveFeatureOptions(options);
  if (!(tolerance > 0 && tolerance < 1)) {
    throw new ValidationError(`settling tolerance is ${tolerance}; expected a number in (0, 1)`, 'tolerance');
  }
  const barsToDecay = (keep: number): number =>
    keep > 0 ? Math.ceil(Math.log(tolerance) / Math.log(keep)) : 0;
  const slowestEma = Math.max(o.macdSlow, o.macdSignal);
  return Math.max(
    featureWindowWarmup(o),
    o.rsiPeriod + barsToDecay(1 - 1 / o.rsiPeriod),
    o.macdSlow + o.macdSignal - 2 + barsToDecay(1 - 2 / (slowestEma + 1)),
  );
}

export function barsToColumns(bars: readonly MarketBar[]): BarColumns {
  const n = bars.length;
  const columns: BarColumns = {
    ts: new Float64Array(n),
    open: new Float64Array(n),
    high: new Float64Array(n),
    low: new Float64Array(n),
    close: new Float64Array(n),
    volume: new Float64Array(n),
  };
  for (let t = 0; t < n; t++) {
    const bar = bars[t]!;
    columns.ts[t] = bar.ts.getTime();
    columns.open[t] = bar.open;
    columns.high[t] = bar.high;
    columns.low[t] = bar.low;
    columns.close[t] = bar.close;
    columns.volume[t] = bar.volume;
  }
  return columns;
}

/**
 * One O(n) pass per indicator over typed columns. Throws a ValidationError naming the bar and
 * column when a price is not positive and finite or a volume is negative or not finite.
 */
export function computeFeatures(columns: BarColumns, options?: Partial<FeatureOptions>): FeatureMatrix {
  const o = resolveFeatureOptions(options);
  validateColumns(columns);
  const { high, low, close, volume } = columns;
  const logClose = new Float64Array(close.length);
  for (let t = 0; t < close.length; t++) logClose[t] = Math.log(close[t]!);
  const features = [
    ...o.returnHorizons.map((horizon) => logReturns(logClose, horizon)),
    realisedVolatility(logClose, o.volatilityWindow),
    wilderRsi(close, o.rsiPeriod),
    macdHistogram(close, o.macdFast, o.macdSlow, o.macdSignal),
    bollingerPosition(close, o.bollingerWindow, o.bollingerWidth),
    volumeZScore(volume, o.volumeWindow),
    barRange(high, low, close),
  ];
  return packRows(featureNames(o), features, close.length, featureWindowWarmup(o));
}

/**
 * Adds the position held as the last column, for the environment and the live predictor alike so
 * training and serving build observations the same way. Append after normalising: the position is
 * already on the agent's scale. `positions` is one value per row, or one value for every row.
 */
export function appendPosition(matrix: FeatureMatrix, positions: Float32Array | number): FeatureMatrix {
  const { rows, cols } = matrix;
  if (matrix.names.includes(POSITION_COLUMN)) {
    throw new ValidationError(`feature matrix already has a "${POSITION_COLUMN}" column`, 'positions');
  }
  if (typeof positions !== 'number' && positions.length !== rows) {
    throw new ValidationError(
      `positions has ${positions.length} values; expected one per feature row (${rows})`,
      'positions',
    );
  }
  const values = new Float32Array(rows * (cols + 1));
  for (let t = 0; t < rows; t++) {
    values.set(matrix.values.subarray(t * cols, t * cols + cols), t * (cols + 1));
    const position = typeof positions === 'number' ? positions : positions[t]!;
    if (!Number.isFinite(position)) {
      throw new ValidationError(`positions[${t}] is ${position}; expected a finite number`, 'positions');
    }
    values[t * (cols + 1) + cols] = position;
  }
  return { names: [...matrix.names, POSITION_COLUMN], rows, cols: cols + 1, values, warmup: matrix.warmup };
}

function packRows(names: string[], features: Float64Array[], rows: number, warmup: number): FeatureMatrix {
  const cols = names.length;
  const values = new Float32Array(rows * cols);
  for (let c = 0; c < cols; c++) {
    const feature = features[c]!;
    for (let t = warmup; t < rows; t++) values[t * cols + c] = feature[t]!;
  }
  return { names, rows, cols, values, warmup };
}

const PRICE_COLUMNS = ['open', 'high', 'low', 'close'] as const;

/** One scan: prices positive and finite, volumes finite and ≥ 0, all columns the same length. */
function validateColumns(columns: BarColumns): void {
  const n = columns.close.length;
  for (const name of ['ts', ...PRICE_COLUMNS, 'volume'] as const) {
    if (columns[name].length !== n) {
      throw new ValidationError(`bar column ${name} has ${columns[name].length} rows; close has ${n}`, name);
    }
  }
  const { open, high, low, close, volume } = columns;
  for (let t = 0; t < n; t++) {
    const pricesValid = isPrice(open[t]!) && isPrice(high[t]!) && isPrice(low[t]!) && isPrice(close[t]!);
    if (!pricesValid || !isVolume(volume[t]!)) throw badBar(columns, t);
  }
}

// Written as `x > 0` rather than `x <= 0` so that NaN fails too.
const isPrice = (x: number): boolean => x > 0 && x < Infinity;
const isVolume = (x: number): boolean => x >= 0 && x < Infinity;

function badBar(columns: BarColumns, t: number): ValidationError {
  for (const name of PRICE_COLUMNS) {
    const value = columns[name][t]!;
    if (!isPrice(value)) {
      return new ValidationError(`bar ${t}: ${name} is ${value}; expected a positive finite price`, name);
    }
  }
  const value = columns.volume[t]!;
  return new ValidationError(`bar ${t}: volume is ${value}; expected a finite number ≥ 0`, 'volume');
}

function resolveFeatureOptions(options: Partial<FeatureOptions> = {}): FeatureOptions {
  const o: FeatureOptions = { ...DEFAULT_FEATURE_OPTIONS, ...options };
  if (o.returnHorizons.length === 0) {
    throw new ValidationError(
      'feature option returnHorizons is empty; expected at least one horizon',
      'returnHorizons',
    );
  }
  o.returnHorizons.forEach((horizon, i) => requireInteger(`returnHorizons[${i}]`, horizon, 1));
  requireInteger('volatilityWindow', o.volatilityWindow, 2);
  requireInteger('rsiPeriod', o.rsiPeriod, 1);
  requireInteger('macdFast', o.macdFast, 1);
  requireInteger('macdSlow', o.macdSlow, o.macdFast + 1);
  requireInteger('macdSignal', o.macdSignal, 1);
  requireInteger('bollingerWindow', o.bollingerWindow, 2);
  requireInteger('volumeWindow', o.volumeWindow, 2);
  if (!(o.bollingerWidth > 0 && o.bollingerWidth < Infinity)) {
    throw new ValidationError(
      `feature option bollingerWidth is ${o.bollingerWidth}; expected a positive number of σ`,
      'bollingerWidth',
    );
  }
  return o;
}

function requireInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new ValidationError(`feature option ${name} is ${value}; expected an integer ≥ ${min}`, name);
  }
}
