import { ValidationError } from '../errors.js';
import type { CostModel } from '../rl/types.js';
import { equityCurve, type TradingMetrics, tradingMetrics } from './metrics.js';
import { replayPositions, type Trade } from './trades.js';
import {
  finiteOrNull,
  requireAbove,
  requireFinite,
  requireFiniteSeries,
  requireNonNegative,
  requireSameLength,
} from './validate.js';

/**
 * The backtest report of a policy: the positions it chose on a range of bars, replayed with the
 * model's cost model (see `replayPositions` for the accounting), judged with `tradingMetrics`
 * against buy-and-hold on the same bars, with flags that expose a policy that never trades or only
 * holds, whatever its Sharpe.
 */

/** One action (or position) taking more than this share of the periods sets `alwaysSameAction`. */
export const ALWAYS_SAME_ACTION_SHARE = 0.95;

export interface BacktestInput {
  /** Position held from bar t to t + 1, decided at the close of t (e.g. −1, 0, 1). */
  positions: ArrayLike<number>;
  /** Simple return of bar t to t + 1, the same length as positions. */
  returns: ArrayLike<number>;
  costs: CostModel;
  periodsPerYear: number;
  /** Action index chosen at each bar, the same length as positions. */
  actions?: ArrayLike<number>;
  /** Number of discrete actions, so unused actions are reported with share 0. */
  actionCount?: number;
  /** Position held before the first bar; default 0 (flat). */
  initialPosition?: number;
  /** Annual risk-free rate for Sharpe and Sortino; default 0. */
  riskFreeRate?: number;
}

export interface BacktestFlags {
  /** The position never changes (from the initial position on): nothing was traded. */
  neverTrades: boolean;
  /** One action (or position when actions are not given) takes more than 95% of the periods. */
  alwaysSameAction: boolean;
  /** Every position is 1: the policy is buy-and-hold. */
  holdsOnly: boolean;
}

/** Plain numbers only: safe to store as JSON and to compare after a round trip. */
export interface BacktestSummary {
  periods: number;
  /** Net of costs. */
  metrics: TradingMetrics;
  grossMetrics: TradingMetrics;
  /** Position 1 throughout on the same bars, paying the entry cost once. */
  buyAndHold: TradingMetrics;
  /** Net metrics minus buy-and-hold; a positive maxDrawdown means a deeper drawdown. */
  excess: { sharpeRatio: number | null; totalReturn: number; maxDrawdown: number };
  /** Σ |Δ position|, per period, and per period × periods per year. */
  turnover: { total: number; perPeriod: number | null; annualised: number | null };
  /** Σ cost_t, per unit of notional. */
  totalCost: number;
  /**
   * Per-unit cost in bps at which the net PnL would be 0: Σ gross_t / Σ |Δ position| × 1e4.
   * Additive approximation: it ignores compounding and the fixed fee, so at this cost the net
   * total return is only ≈ 0. Null without position changes; ≤ 0 when the policy loses before costs.
   */
  breakEvenCostBps: number | null;
  /** Share of periods with a non-zero position. */
  exposure: number | null;
  /** Share of periods per action index (or per distinct position, see the basis). */
  actionFrequencies: Record<string, number>;
  actionFrequencyBasis: 'actions' | 'positions';
  flags: BacktestFlags;
}

export interface BacktestReport {
  summary: BacktestSummary;
  trades: Trade[];
  /** Per-period series (length n) and equity curves (length n + 1, starting at 1). */
  series: {
    gross: Float64Array;
    net: Float64Array;
    costs: Float64Array;
    equity: Float64Array;
    grossEquity: Float64Array;
    buyAndHoldEquity: Float64Array;
  };
}

export function backtestPositions(input: BacktestInput): BacktestReport {
  const { positions, returns, costs, periodsPerYear, actions, initialPosition = 0, riskFreeRate = 0 } = input;
  validate(input);
  const n = positions.length;

  const replay = replayPositions(positions, returns, costs, initialPosition);
  const hold = replayPositions(new Float64Array(n).fill(1), returns, costs, 0);
  const judge = (periodReturns: Float64Array, trades: number[], held: ArrayLike<number>): TradingMetrics =>
    tradingMetrics({ returns: periodReturns, trades, periodsPerYear, riskFreeRate, positions: held });

  const metrics = judge(
    replay.net,
    replay.trades.map((trade) => trade.return),
    positions,
  );
  const grossMetrics = judge(
    replay.gross,
    replay.trades.map((trade) => trade.grossReturn),
    positions,
  );
  const buyAndHold = judge(
    hold.net,
    hold.trades.map((trade) => trade.return),
    new Float64Array(n).fill(1),
  );

  const grossPnl = replay.gross.reduce((sum, r) => sum + r, 0);
  const totalCost = replay.costs.reduce((sum, c) => sum + c, 0);
  const frequencies = actions ? actionShares(actions, input.actionCount) : positionShares(positions);
  const largestShare = Math.max(0, ...Object.values(frequencies));

  const summary: BacktestSummary = {
    periods: n,
    metrics,
    grossMetrics,
    buyAndHold,
    excess: {
      sharpeRatio:
        metrics.sharpeRatio === null || buyAndHold.sharpeRatio === null
          ? null
          : metrics.sharpeRatio - buyAndHold.sharpeRatio,
      totalReturn: metrics.totalReturn - buyAndHold.totalReturn,
      maxDrawdown: metrics.maxDrawdown - buyAndHold.maxDrawdown,
    },
    turnover: {
      total: replay.turnover,
      perPeriod: n === 0 ? null : replay.turnover / n,
      annualised: n === 0 ? null : finiteOrNull((replay.turnover / n) * periodsPerYear),
    },
    totalCost,
    breakEvenCostBps: replay.turnover === 0 ? null : finiteOrNull((grossPnl / replay.turnover) * 1e4),
    exposure: metrics.exposure ?? null,
    actionFrequencies: frequencies,
    actionFrequencyBasis: actions ? 'actions' : 'positions',
    flags: {
      neverTrades: replay.turnover === 0,
      alwaysSameAction: largestShare > ALWAYS_SAME_ACTION_SHARE,
      holdsOnly: n > 0 && Array.from(positions).every((p) => p === 1),
    },
  };
  return {
    summary,
    trades: replay.trades,
    series: {
      gross: replay.gross,
      net: replay.net,
      costs: replay.costs,
      equity: equityCurve(replay.net),
      grossEquity: equityCurve(replay.gross),
      buyAndHoldEquity: equityCurve(hold.net),
    },
  };
}

function validate(input: BacktestInput): void {
  const { positions, returns, costs, periodsPerYear, actions, actionCount, initialPosition = 0 } = input;
  requireFiniteSeries(positions, 'positions');
  requireSameLength(returns, 'returns', positions.length);
  requireFiniteSeries(returns, 'returns');
  requireAbove(periodsPerYear, 0, 'periodsPerYear');
  requireFinite(initialPosition, 'initialPosition');
  for (const key of ['commissionBps', 'slippageBps', 'fixedFee'] as const) {
    requireNonNegative(costs[key], `costs.${key}`);
  }
  if (actionCount !== undefined && (!Number.isInteger(actionCount) || actionCount < 1)) {
    throw new ValidationError(`actionCount is ${actionCount}; expected an integer ≥ 1`, 'actionCount');
  }
  if (!actions) return;
  requireSameLength(actions, 'actions', positions.length);
  for (let t = 0; t < actions.length; t++) {
    const action = actions[t]!;
    if (!Number.isInteger(action) || action < 0 || (actionCount !== undefined && action >= actionCount)) {
      const range = actionCount === undefined ? 'an integer ≥ 0' : `an integer in [0, ${actionCount})`;
      throw new ValidationError(`actions[${t}] is ${action}; expected ${range}`, `actions[${t}]`);
    }
  }
}

/** Share of each action index 0 … actionCount − 1 (or up to the largest action seen). */
function actionShares(actions: ArrayLike<number>, actionCount?: number): Record<string, number> {
  let count = actionCount ?? 0;
  for (let t = 0; t < actions.length; t++) count = Math.max(count, actions[t]! + 1);
  const counts = new Array<number>(count).fill(0);
  for (let t = 0; t < actions.length; t++) counts[actions[t]!]! += 1;
  return Object.fromEntries(counts.map((c, a) => [String(a), actions.length === 0 ? 0 : c / actions.length]));
}

/** Share of each distinct position, in increasing order of position. */
function positionShares(positions: ArrayLike<number>): Record<string, number> {
  const counts = new Map<number, number>();
  for (let t = 0; t < positions.length; t++) {
    const p = positions[t]! === 0 ? 0 : positions[t]!;
    counts.set(p, (counts.get(p) ?? 0) + 1);
  }
  const sorted = [...counts.entries()].sort(([a], [b]) => a - b);
  return Object.fromEntries(sorted.map(([p, c]) => [String(p), c / positions.length]));
}
