import { ValidationError } from '../../errors.js';

/** The regimes of the synthetic market; `truth.regime` holds indexes into this list. */
export const REGIMES = ['trending', 'mean_reverting', 'volatile'] as const;
export type Regime = (typeof REGIMES)[number];
export const TRENDING = 0;
export const MEAN_REVERTING = 1;
export const VOLATILE = 2;

export interface SyntheticMarketOptions {
  /** Seed of every draw: the same options give the same market on every machine. */
  seed: number | string;
  /** Symbols to generate; each gets an independent stream, so adding one leaves the others unchanged. */
  symbols: string[];
  /** Bar interval as stored in `market_bars.interval`: intraday (`1m`, `5m`, `1h`…) or `1d`. */
  interval: string;
  /** First instant; bars start on the first weekday session at or after it. */
  start: Date;
  /** Trading days (weekdays) to generate, used when `bars` is null. */
  sessions: number;
  /** Bars per symbol instead of whole sessions (the last session may be cut short); null uses `sessions`. */
  bars: number | null;
  /** Session open, hour and minute taken as UTC (09:30 with a 390-minute session mimics US hours). */
  sessionOpen: { hour: number; minute: number };
  /** Session length in minutes; intraday bars per session = floor(sessionMinutes / interval). */
  sessionMinutes: number;
  /** Price of every symbol at the start. */
  startPrice: number;
  /** Regime transition matrix in REGIMES order, rows summing to 1 (stay 0.996 ≈ 250-bar regimes). */
  transition: number[][];
  /** Standard deviation of the one-bar log return in each regime, per bar (not annualised). */
  volatility: Record<Regime, number>;
  /** Span in bars of the EMA of past returns that the trending drift follows (α = 2 / (span + 1)). */
  momentumSpan: number;
  /** Trending drift = trendStrength × EMA of past returns; in [0, 1) for stationarity. */
  trendStrength: number;
  /** Span in bars of the EMA of log price that the mean-reverting regime is pulled back to. */
  levelSpan: number;
  /** Mean-reverting drift = −reversionSpeed × (log price − level), the Ornstein–Uhlenbeck pull per bar. */
  reversionSpeed: number;
  /** Standard deviation of the log gap between a session's open and the previous close. */
  gapVolatility: number;
  /** Probability per bar of a crash (0 disables them); a crash is followed by the volatile regime. */
  crashProbability: number;
  /** Simple return of a crash, e.g. −0.08 for −8% within the bar. */
  crashSize: number;
  /** Share of return variance from a factor common to all symbols, in [0, 1). */
  correlation: number;
  /** Typical volume of a mid-session bar in the mean-reverting regime. */
  baseVolume: number;
  /** The oracle holds a position only when |expected return| exceeds this cost, in basis points. */
  oracleCostBps: number;
}

export const DEFAULT_SYNTHETIC_OPTIONS: SyntheticMarketOptions = {
  seed: 1,
  symbols: ['SYNA', 'SYNB', 'SYNC'],
  interval: '5m',
  start: new Date('2026-01-05T00:00:00Z'),
  sessions: 20,
  bars: null,
  sessionOpen: { hour: 9, minute: 30 },
  sessionMinutes: 390,
  startPrice: 100,
  transition: [
    [0.996, 0.002, 0.002],
    [0.002, 0.996, 0.002],
    [0.002, 0.002, 0.996],
  ],
  volatility: { trending: 0.0012, mean_reverting: 0.0005, volatile: 0.003 },
  momentumSpan: 19,
  trendStrength: 0.5,
  levelSpan: 20,
  reversionSpeed: 0.1,
  gapVolatility: 0.001,
  crashProbability: 0,
  crashSize: -0.08,
  correlation: 0.3,
  baseVolume: 10_000,
  oracleCostBps: 1,
};

function invalid(field: string, value: unknown, expected: string): ValidationError {
  const shown = value instanceof Date ? value.toISOString() : JSON.stringify(value);
  return new ValidationError(`synthetic market ${field} ${shown} is not valid; expected ${expected}`, field);
}

function requireNumber(field: string, value: number, min: number, max: number, expected: string): void {
  if (!Number.isFinite(value) || value < min || value > max) throw invalid(field, value, expected);
}

function requireInteger(field: string, value: number, min: number, expected: string): void {
  if (!Number.isInteger(value) || value < min) throw invalid(field, value, expected);
}

/** Defaults filled in and every field checked, so the generator can trust its input. */
export function resolveSyntheticOptions(options: Partial<SyntheticMarketOptions>): SyntheticMarketOptions {
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  const resolved: SyntheticMarketOptions = { ...DEFAULT_SYNTHETIC_OPTIONS, ...given };
  const { symbols, transition, volatility } = resolved;
  if (symbols.length === 0 || new Set(symbols).size !== symbols.length || symbols.some((s) => s === '')) {
    throw invalid('symbols', symbols, 'at least one symbol, all distinct and non-empty');
  }
  if (Number.isNaN(resolved.start.getTime())) throw invalid('start', String(resolved.start), 'a valid Date');
  requireInteger('sessions', resolved.sessions, 1, 'an integer ≥ 1');
  if (resolved.bars !== null) requireInteger('bars', resolved.bars, 1, 'an integer ≥ 1 or null');
  requireInteger('sessionOpen.hour', resolved.sessionOpen.hour, 0, 'an integer in [0, 23]');
  requireNumber('sessionOpen.hour', resolved.sessionOpen.hour, 0, 23, 'an integer in [0, 23]');
  requireInteger('sessionOpen.minute', resolved.sessionOpen.minute, 0, 'an integer in [0, 59]');
  requireNumber('sessionOpen.minute', resolved.sessionOpen.minute, 0, 59, 'an integer in [0, 59]');
  requireNumber('sessionMinutes', resolved.sessionMinutes, 1, 1440, 'minutes in [1, 1440]');
  requireNumber('startPrice', resolved.startPrice, Number.MIN_VALUE, Number.MAX_VALUE, 'a positive price');
  const rowsValid =
    transition.length === REGIMES.length &&
    transition.every(
      (row) =>
        row.length === REGIMES.length &&
        row.every((p) => Number.isFinite(p) && p >= 0) &&
        Math.abs(row.reduce((sum, p) => sum + p, 0) - 1) < 1e-9,
    );
  if (!rowsValid)
    throw invalid('transition', transition, 'a 3×3 matrix of probabilities, each row summing to 1');
  for (const regime of REGIMES) {
    requireNumber(
      `volatility.${regime}`,
      volatility[regime],
      Number.MIN_VALUE,
      0.5,
      'a per-bar std in (0, 0.5]',
    );
  }
  requireNumber('momentumSpan', resolved.momentumSpan, 1, Number.MAX_VALUE, 'a span ≥ 1 bar');
  requireNumber('trendStrength', resolved.trendStrength, 0, 0.99, 'a number in [0, 0.99]');
  requireNumber('levelSpan', resolved.levelSpan, 1, Number.MAX_VALUE, 'a span ≥ 1 bar');
  requireNumber('reversionSpeed', resolved.reversionSpeed, 0, 1, 'a number in [0, 1]');
  requireNumber('gapVolatility', resolved.gapVolatility, 0, 0.5, 'a std in [0, 0.5]');
  requireNumber('crashProbability', resolved.crashProbability, 0, 1, 'a probability in [0, 1]');
  requireNumber('crashSize', resolved.crashSize, -0.99, 0, 'a simple return in [−0.99, 0]');
  requireNumber('correlation', resolved.correlation, 0, 0.99, 'a variance share in [0, 0.99]');
  requireNumber('baseVolume', resolved.baseVolume, Number.MIN_VALUE, Number.MAX_VALUE, 'a positive volume');
  requireNumber('oracleCostBps', resolved.oracleCostBps, 0, 10_000, 'basis points ≥ 0');
  return resolved;
}
