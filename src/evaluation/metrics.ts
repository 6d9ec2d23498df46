import { finiteOrNull, requireAbove, requireFiniteSeries, requireSameLength } from './validate.js';

/**
 * Trading metrics of a series of per-period simple returns, following the conventions of
 * empyrical (quantopian/empyrical, `empyrical/stats.py`): simple (not log) returns, sample
 * standard deviation (ddof = 1), annualisation by √P where P is the number of periods per year.
 *
 * Where we differ from empyrical, on purpose:
 * - `maxDrawdown` is a positive fraction in [0, 1] (empyrical's is ≤ 0), measured on the equity
 *   curve including its starting value 1, so a loss in the first period counts (empyrical's
 *   `cum_returns` starts after the first return and misses it).
 * - Equity is absorbed at 0: a period return below −1 (a leveraged or short loss larger than the
 *   capital) ruins the account, which then stays at 0, so drawdown never exceeds 1.
 * - Values empyrical leaves as NaN or ±inf (Sharpe of a constant series, Sortino without losses,
 *   Calmar without drawdown) are `null`, so the metrics are JSON-safe.
 * - Sortino uses the same P for its downside risk as for its mean (empyrical's `sortino_ratio`
 *   calls `downside_risk` without passing the period, so it always uses 252 there).
 */

/** Profit factor reported when there are gains and no losses; `profitFactorCapped` says so. */
export const PROFIT_FACTOR_CAP = 999;
/** Number of equal sub-periods the consistency score splits a series into. */
export const CONSISTENCY_CHUNKS = 10;

export interface TradingMetricsInput {
  /** Per-period simple returns of the strategy, net of costs. */
  returns: ArrayLike<number>;
  /** Per-trade simple returns (net), when the strategy's trades are known. */
  trades?: ArrayLike<number>;
  periodsPerYear: number;
  /** Annual risk-free rate as a simple return, default 0. */
  riskFreeRate?: number;
  /** Position held in each period, to report `exposure`. */
  positions?: ArrayLike<number>;
}

export interface TradingMetrics {
  periods: number;
  /** prod(1 + r) − 1 (empyrical `cum_returns_final`). */
  totalReturn: number;
  /** (1 + totalReturn)^(P / n) − 1 (empyrical `annual_return`); null without periods. */
  annualReturn: number | null;
  /** std(r, ddof=1)·√P (empyrical `annual_volatility`); null below 2 periods. */
  annualVolatility: number | null;
  sharpeRatio: number | null;
  sortinoRatio: number | null;
  /** Largest peak-to-trough fall of the equity curve, a fraction in [0, 1]. */
  maxDrawdown: number;
  /** annualReturn / maxDrawdown (empyrical `calmar_ratio`); null without drawdown. */
  calmarRatio: number | null;
  /** Share of trades (or non-zero periods, see `winRateBasis`) with a return > 0. */
  winRate: number | null;
  /** Sum of gains / |sum of losses| on the same basis as `winRate`, capped at PROFIT_FACTOR_CAP. */
  profitFactor: number | null;
  profitFactorCapped: boolean;
  /** `trades` when per-trade returns were given; otherwise the periods with a non-zero return. */
  winRateBasis: 'trades' | 'periods';
  /** Number of trades given; null when only periods are known. */
  tradeCount: number | null;
  consistencyScore: number | null;
  /** Share of periods with a non-zero position, when positions were given. */
  exposure?: number;
}

export function tradingMetrics(input: TradingMetricsInput): TradingMetrics {
  const { returns, trades, periodsPerYear, riskFreeRate = 0, positions } = input;
  requireFiniteSeries(returns, 'returns');
  requireRates(periodsPerYear, riskFreeRate);
  if (trades) requireFiniteSeries(trades, 'trades');
  if (positions) {
    requireSameLength(positions, 'positions', returns.length);
    requireFiniteSeries(positions, 'positions');
  }

  const n = returns.length;
  const totalReturn = totalReturnOf(returns);
  const annual = annualReturn(returns, periodsPerYear);
  const drawdown = maxDrawdown(returns);
  const outcomes = trades ?? Array.from(returns).filter((r) => r !== 0);
  const { winRate, profitFactor, capped } = tradeOutcomes(outcomes);

  const metrics: TradingMetrics = {
    periods: n,
    totalReturn: finiteOrNull(totalReturn) ?? 0,
    annualReturn: annual,
    annualVolatility: n < 2 ? null : finiteOrNull(sampleStd(returns) * Math.sqrt(periodsPerYear)),
    sharpeRatio: sharpeRatio(returns, periodsPerYear, riskFreeRate),
    sortinoRatio: sortinoRatio(returns, periodsPerYear, riskFreeRate),
    maxDrawdown: drawdown,
    calmarRatio: annual === null || drawdown === 0 ? null : finiteOrNull(annual / drawdown),
    winRate,
    profitFactor,
    profitFactorCapped: capped,
    winRateBasis: trades ? 'trades' : 'periods',
    tradeCount: trades ? trades.length : null,
    consistencyScore: consistencyScore(returns),
  };
  if (positions) metrics.exposure = n === 0 ? 0 : countWhere(positions, (p) => p !== 0) / n;
  return metrics;
}

/** Equity of one unit invested, length n + 1, starting at 1; absorbed at 0 (ruin). */
export function equityCurve(returns: ArrayLike<number>): Float64Array {
  requireFiniteSeries(returns, 'returns');
  const equity = new Float64Array(returns.length + 1);
  equity[0] = 1;
  for (let t = 0; t < returns.length; t++) {
    equity[t + 1] = Math.max(0, equity[t]! * (1 + returns[t]!));
  }
  return equity;
}

/** Drawdown after each period, (peak − equity) / peak, length n + 1, each in [0, 1]. */
export function drawdownSeries(returns: ArrayLike<number>): Float64Array {
  const equity = equityCurve(returns);
  const drawdown = new Float64Array(equity.length);
  let peak = 1;
  for (let t = 0; t < equity.length; t++) {
    peak = Math.max(peak, equity[t]!);
    drawdown[t] = Math.min(1, Math.max(0, (peak - equity[t]!) / peak));
  }
  return drawdown;
}

export function maxDrawdown(returns: ArrayLike<number>): number {
  let worst = 0;
  for (const value of drawdownSeries(returns)) worst = Math.max(worst, value);
  return worst;
}

/** Per-period rate equivalent to an annual simple rate: (1 + rf)^(1/P) − 1. */
export function perPeriodRate(annualRate: number, periodsPerYear: number): number {
  return Math.pow(1 + annualRate, 1 / periodsPerYear) - 1;
}

/**
 * Sharpe ratio, empyrical `sharpe_ratio`: mean(r − rf)/std(r − rf, ddof=1)·√P, with rf the
 * per-period equivalent of the annual `riskFreeRate`. Null below 2 periods or without variance.
 */
export function sharpeRatio(
  returns: ArrayLike<number>,
  periodsPerYear: number,
  riskFreeRate = 0,
): number | null {
  requireRates(periodsPerYear, riskFreeRate);
  requireFiniteSeries(returns, 'returns');
  if (returns.length < 2) return null;
  const excess = shifted(returns, perPeriodRate(riskFreeRate, periodsPerYear));
  const std = sampleStd(excess);
  if (isNegligible(std, excess)) return null;
  return finiteOrNull((mean(excess) / std) * Math.sqrt(periodsPerYear));
}

/**
 * Sortino ratio, empyrical `sortino_ratio` and `downside_risk` with required return = per-period
 * rf: downsideRisk = √(mean(min(r − rf, 0)²))·√P, sortino = mean(r − rf)·P / downsideRisk.
 * Null below 2 periods or when no period falls below the required return.
 */
export function sortinoRatio(
  returns: ArrayLike<number>,
  periodsPerYear: number,
  riskFreeRate = 0,
): number | null {
  requireRates(periodsPerYear, riskFreeRate);
  requireFiniteSeries(returns, 'returns');
  if (returns.length < 2) return null;
  const excess = shifted(returns, perPeriodRate(riskFreeRate, periodsPerYear));
  let squares = 0;
  for (let i = 0; i < excess.length; i++) squares += Math.min(excess[i]!, 0) ** 2;
  const downsideRisk = Math.sqrt(squares / excess.length) * Math.sqrt(periodsPerYear);
  if (downsideRisk === 0) return null;
  return finiteOrNull((mean(excess) * periodsPerYear) / downsideRisk);
}

/** (1 + total)^(P / n) − 1, empyrical `annual_return`; null without periods or when not finite. */
export function annualReturn(returns: ArrayLike<number>, periodsPerYear: number): number | null {
  requireRates(periodsPerYear, 0);
  if (returns.length === 0) return null;
  const growth = 1 + totalReturnOf(returns);
  if (growth === 0) return -1;
  return finiteOrNull(Math.pow(growth, periodsPerYear / returns.length) - 1);
}

/**
 * Consistency score in [0, 1]: how evenly the profit was earned over time. The series is split
 * into k = min(10, n) contiguous sub-periods of near-equal length; g_i = ln(equity at its end /
 * equity at its start) is the log growth of sub-period i and G = Σ g_i the log growth of the whole
 * series (so G > 0 exactly when the total return is positive). If G ≤ 0 the score is 0; otherwise
 * each sub-period is credited with its growth up to an even share G/k:
 * score = Σ min(max(g_i, 0), G/k) / G.
 * It is 1 when every sub-period grows at least at the average rate, equals the share of winning
 * sub-periods when those earn their share, and shrinks when a few sub-periods carry the profit.
 * Null without periods. (Our definition; empyrical has no such metric.)
 */
export function consistencyScore(returns: ArrayLike<number>, chunks = CONSISTENCY_CHUNKS): number | null {
  const n = returns.length;
  if (n === 0) return null;
  const k = Math.min(chunks, n);
  const equity = equityCurve(returns);
  const growth: number[] = [];
  for (let i = 0; i < k; i++) {
    const start = equity[Math.floor((i * n) / k)]!;
    const end = equity[Math.floor(((i + 1) * n) / k)]!;
    growth.push(Math.log(end / start)); // −Infinity at ruin, NaN after it: both end in a score of 0
  }
  const total = growth.reduce((sum, g) => sum + g, 0);
  if (!(total > 0) || !Number.isFinite(total)) return 0;
  const share = total / k;
  const credited = growth.reduce((sum, g) => sum + Math.min(Math.max(g, 0), share), 0);
  return Math.min(1, Math.max(0, credited / total));
}

function requireRates(periodsPerYear: number, riskFreeRate: number): void {
  requireAbove(periodsPerYear, 0, 'periodsPerYear');
  requireAbove(riskFreeRate, -1, 'riskFreeRate');
}

function totalReturnOf(returns: ArrayLike<number>): number {
  const equity = equityCurve(returns);
  return equity[equity.length - 1]! - 1;
}

function tradeOutcomes(outcomes: ArrayLike<number>): {
  winRate: number | null;
  profitFactor: number | null;
  capped: boolean;
} {
  if (outcomes.length === 0) return { winRate: null, profitFactor: null, capped: false };
  let gains = 0;
  let losses = 0;
  for (let i = 0; i < outcomes.length; i++) {
    const r = outcomes[i]!;
    if (r > 0) gains += r;
    else losses -= r;
  }
  const winRate = countWhere(outcomes, (r) => r > 0) / outcomes.length;
  if (gains === 0 && losses === 0) return { winRate, profitFactor: null, capped: false };
  const ratio = losses === 0 ? Infinity : gains / losses;
  const capped = ratio > PROFIT_FACTOR_CAP;
  return { winRate, profitFactor: capped ? PROFIT_FACTOR_CAP : ratio, capped };
}

function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

/** Two-pass sample standard deviation (ddof = 1), as numpy `std(ddof=1)`. */
function sampleStd(values: ArrayLike<number>): number {
  const m = mean(values);
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += (values[i]! - m) ** 2;
  return Math.sqrt(squares / (values.length - 1));
}

/** A standard deviation at rounding-noise level of the values (a constant series) counts as 0. */
function isNegligible(std: number, values: ArrayLike<number>): boolean {
  let scale = 0;
  for (let i = 0; i < values.length; i++) scale = Math.max(scale, Math.abs(values[i]!));
  return std <= 1e-12 * scale;
}

function shifted(values: ArrayLike<number>, by: number): Float64Array {
  // A plain loop: Float64Array.from with a map function is ~20x slower on a million values.
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i]! - by;
  return out;
}

function countWhere(values: ArrayLike<number>, predicate: (value: number) => boolean): number {
  let count = 0;
  for (let i = 0; i < values.length; i++) if (predicate(values[i]!)) count++;
  return count;
}
