import { tradingMetrics } from '../evaluation/metrics.js';
import type { JsonObject } from '../store/json.js';
import type { TradeReturnSeries } from '../store/live-trades.js';

/**
 * Live performance of a version from its closed trades, and whether it has degraded against the
 * metrics it was validated with.
 *
 * Live metrics treat each closed trade as one period (its net return on notional, in exit order),
 * so Sharpe and Sortino are annualised by √(trades per year), trades per year being the trade
 * count over the window's length; drawdown compounds the trade returns in exit order.
 */

const MS_PER_YEAR = 365.25 * 86_400_000;
/** One-sided 95 % normal quantile: the evidence a performance check asks for before failing. */
const Z_ONE_SIDED_95 = 1.6448536269514722;

export interface LiveMetrics {
  tradeCount: number;
  winRate: number | null;
  profitFactor: number | null;
  sharpeRatio: number | null;
  sortinoRatio: number | null;
  maxDrawdown: number;
  consistencyScore: number | null;
  totalReturn: number;
  meanTradeReturn: number | null;
  /** Sample standard deviation of the trade returns (0 below two trades). */
  tradeReturnStd: number;
  tradesPerYear: number | null;
}

export function liveMetrics(series: TradeReturnSeries, window: { start: Date; end: Date }): LiveMetrics {
  const n = series.returns.length;
  const years = (window.end.getTime() - window.start.getTime()) / MS_PER_YEAR;
  const tradesPerYear = n > 0 && years > 0 ? n / years : null;
  // tradingMetrics's statistics are one pass each over the typed array; the trades argument
  // (win rate and profit factor per trade) is the same series.
  const metrics = tradingMetrics({
    returns: series.returns,
    trades: series.returns,
    periodsPerYear: tradesPerYear ?? 1,
  });
  let sum = 0;
  for (let i = 0; i < n; i++) sum += series.returns[i]!;
  const mean = n === 0 ? 0 : sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (series.returns[i]! - mean) ** 2;
  return {
    tradeCount: n,
    winRate: metrics.winRate,
    profitFactor: metrics.profitFactor,
    sharpeRatio: tradesPerYear === null ? null : metrics.sharpeRatio,
    sortinoRatio: tradesPerYear === null ? null : metrics.sortinoRatio,
    maxDrawdown: metrics.maxDrawdown,
    consistencyScore: metrics.consistencyScore,
    totalReturn: metrics.totalReturn,
    meanTradeReturn: n === 0 ? null : mean,
    tradeReturnStd: n > 1 ? Math.sqrt(squares / (n - 1)) : 0,
    tradesPerYear,
  };
}

export interface DegradationSettings {
  /** `evaluation.performanceDecayThreshold`: the relative fall from validation tolerated. */
  decayThreshold: number;
  /** `evaluation.minTradesForValidation`: fewer live trades give `insufficient_data`. */
  minTrades: number;
  /** `evaluation.maxDrawdownThreshold`: the live drawdown that fails whatever validation said. */
  maxDrawdown: number;
}

export interface DegradationCheck {
  name: 'winRate' | 'sharpeRatio' | 'profitFactor' | 'maxDrawdown';
  degraded: boolean;
  live: number | null;
  baseline: number | null;
  /** The value the live figure had to cross to fail. */
  limit: number | null;
  message: string;
}

export type DegradationVerdict = 'healthy' | 'degraded' | 'insufficient_data';

export interface DegradationReport {
  verdict: DegradationVerdict;
  checks: DegradationCheck[];
  /** One sentence per failed check, or why there is not enough data. */
  reasons: string[];
}

/**
 * One-sided rules, each failing only when the live figure is worse than the validated one by
 * more than the decay threshold AND by more than its sampling noise:
 * - win rate: binomial z-test of the live wins against p₀ = validated win rate × (1 − decay), z < −1.645;
 * - Sharpe: live < validated × (1 − decay) − 1.645 · SE, SE = √((1 + s²/2)/n) · √(trades per
 *   year) with s the per-trade Sharpe (Lo 2002);
 * - profit factor: below validated × (1 − decay) while the mean trade return is significantly
 *   negative (one-sided t < −1.645): the trades lose money;
 * - max drawdown: above `maxDrawdownThreshold`, an absolute limit.
 * A missing validated figure skips its rule. Fewer than `minTrades` trades: `insufficient_data`,
 * never a pass or a fail.
 */
export function judgeDegradation(
  live: LiveMetrics,
  validated: JsonObject,
  settings: DegradationSettings,
): DegradationReport {
  if (live.tradeCount < settings.minTrades) {
    return {
      verdict: 'insufficient_data',
      checks: [],
      reasons: [`${live.tradeCount} closed trades; at least ${settings.minTrades} are needed to judge`],
    };
  }
  const keep = 1 - settings.decayThreshold;
  const n = live.tradeCount;
  const checks: DegradationCheck[] = [];

  const baseWin = numberOf(validated.winRate);
  if (baseWin !== null && live.winRate !== null) {
    const p0 = Math.min(Math.max(baseWin * keep, 1e-9), 1 - 1e-9);
    const z = (live.winRate - p0) / Math.sqrt((p0 * (1 - p0)) / n);
    checks.push({
      name: 'winRate',
      degraded: z < -Z_ONE_SIDED_95,
      live: live.winRate,
      baseline: baseWin,
      limit: p0,
      message: `live win rate ${fmt(live.winRate)} over ${n} trades is significantly below ${fmt(p0)} (validated ${fmt(baseWin)} less ${pct(settings.decayThreshold)}; z ${fmt(z)})`,
    });
  }

  const baseSharpe = numberOf(validated.sharpeRatio);
  if (baseSharpe !== null && live.sharpeRatio !== null && live.tradesPerYear !== null) {
    const perTrade = live.sharpeRatio / Math.sqrt(live.tradesPerYear);
    const se = Math.sqrt((1 + (perTrade * perTrade) / 2) / n) * Math.sqrt(live.tradesPerYear);
    const target = baseSharpe > 0 ? baseSharpe * keep : baseSharpe;
    const limit = target - Z_ONE_SIDED_95 * se;
    checks.push({
      name: 'sharpeRatio',
      degraded: live.sharpeRatio < limit,
      live: live.sharpeRatio,
      baseline: baseSharpe,
      limit,
      message: `live Sharpe ${fmt(live.sharpeRatio)} is below ${fmt(limit)} (validated ${fmt(baseSharpe)} less ${pct(settings.decayThreshold)}, less 1.645 standard errors of ${fmt(se)})`,
    });
  }

  const basePf = numberOf(validated.profitFactor);
  if (basePf !== null && live.profitFactor !== null && live.meanTradeReturn !== null) {
    const limit = basePf * keep;
    const t = live.meanTradeReturn / (live.tradeReturnStd / Math.sqrt(n));
    checks.push({
      name: 'profitFactor',
      degraded: live.profitFactor < limit && t < -Z_ONE_SIDED_95,
      live: live.profitFactor,
      baseline: basePf,
      limit,
      message: `live profit factor ${fmt(live.profitFactor)} is below ${fmt(limit)} (validated ${fmt(basePf)} less ${pct(settings.decayThreshold)}) and the trades lose money: mean return ${fmt(live.meanTradeReturn)}, t ${fmt(t)}`,
    });
  }

  checks.push({
    name: 'maxDrawdown',
    degraded: live.maxDrawdown > settings.maxDrawdown,
    live: live.maxDrawdown,
    baseline: numberOf(validated.maxDrawdown),
    limit: settings.maxDrawdown,
    message: `live max drawdown ${pct(live.maxDrawdown)} exceeds the ${pct(settings.maxDrawdown)} limit`,
  });

  const reasons = checks.filter((c) => c.degraded).map((c) => c.message);
  return { verdict: reasons.length > 0 ? 'degraded' : 'healthy', checks, reasons };
}

function numberOf(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function fmt(value: number | null): string {
  return value === null ? 'n/a' : Number(value.toFixed(4)).toString();
}

function pct(value: number): string {
  return `${Number((value * 100).toFixed(2))} %`;
}
