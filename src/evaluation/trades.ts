import type { CostModel } from '../rl/types.js';

/**
 * Replays a path of positions over per-period simple returns: what each period earns before and
 * after costs, and the trades. Every change of position pays — entry, exit, resize and reversal —
 * so a round trip pays twice (a bug elsewhere once charged only one side).
 *
 * Per period t, with Δ_t = position[t] − position[t − 1] (position[−1] = the initial position):
 *   cost_t  = (commissionBps + slippageBps) / 1e4 · |Δ_t| + fixedFee · [Δ_t ≠ 0]
 *   gross_t = position[t] · return[t]
 *   net_t   = gross_t − cost_t
 * Costs are charged in the period the new position is taken, on the notional of one unit, which
 * is the same per-unit accounting the environment's reward uses. A position still open after the
 * last period is marked to market, not closed: it pays no exit cost (as buy-and-hold pays only its
 * entry).
 */

export interface Trade {
  side: 'long' | 'short';
  /** First period the position is held. */
  start: number;
  /** Period at whose start the position was closed; the number of periods when still open. */
  end: number;
  periods: number;
  /** Compounded over the held periods, net of the entry, resize and exit costs attributed to it. */
  return: number;
  /** Compounded over the held periods, before costs. */
  grossReturn: number;
  /** Costs attributed to this trade, per unit of notional. */
  cost: number;
  /** Still held after the last period (no exit cost charged). */
  open: boolean;
  /** Already held before the first period (its entry cost was paid outside the window). */
  carriedIn: boolean;
}

export interface PositionReplay {
  gross: Float64Array;
  net: Float64Array;
  costs: Float64Array;
  trades: Trade[];
  /** Σ |Δ position| over the periods, the change from the initial position included. */
  turnover: number;
}

/** Cost per unit of position traded, as a fraction of notional. */
export function unitCost(costs: CostModel): number {
  return (costs.commissionBps + costs.slippageBps) / 1e4;
}

/**
 * A trade is a maximal run of periods with a non-zero position of one sign; resizing within the
 * run stays in the trade. At a reversal (+1 → −1) the proportional cost is split by the amount
 * closed and opened (|Δ| = 2 pays 1 unit for each trade) and the one fixed fee is split in halves.
 * The exit cost multiplies the trade's equity by (1 − exit cost) after its last period.
 */
export function replayPositions(
  positions: ArrayLike<number>,
  returns: ArrayLike<number>,
  costs: CostModel,
  initialPosition = 0,
): PositionReplay {
  const n = positions.length;
  const perUnit = unitCost(costs);
  const gross = new Float64Array(n);
  const net = new Float64Array(n);
  const periodCosts = new Float64Array(n);
  const trades: Trade[] = [];
  let turnover = 0;
  let current: OpenTrade | null = initialPosition === 0 ? null : openTrade(initialPosition, 0, 0, true);

  for (let t = 0; t < n; t++) {
    const previous = t === 0 ? initialPosition : positions[t - 1]!;
    const position = positions[t]!;
    const change = position - previous;
    const cost = change === 0 ? 0 : perUnit * Math.abs(change) + costs.fixedFee;
    gross[t] = position * returns[t]!;
    periodCosts[t] = cost;
    net[t] = gross[t]! - cost;
    turnover += Math.abs(change);

    const reverses = previous !== 0 && position !== 0 && Math.sign(previous) !== Math.sign(position);
    const closes = previous !== 0 && (position === 0 || reverses);
    const opens = position !== 0 && (previous === 0 || reverses);
    const feeShare = reverses ? costs.fixedFee / 2 : costs.fixedFee;
    let tradeCost = 0;
    if (closes && current) {
      trades.push(closeTrade(current, t, perUnit * Math.abs(previous) + feeShare));
      current = null;
    }
    if (opens) {
      tradeCost = perUnit * Math.abs(position) + feeShare;
      current = openTrade(position, t, tradeCost, false);
    } else if (current) {
      tradeCost = cost; // a resize within the trade, or nothing
      current.cost += cost;
    }
    if (current) {
      current.growth *= 1 + gross[t]! - tradeCost;
      current.grossGrowth *= 1 + gross[t]!;
    }
  }
  if (current) trades.push(toTrade(current, n, true));
  return { gross, net, costs: periodCosts, trades, turnover };
}

interface OpenTrade {
  side: Trade['side'];
  start: number;
  growth: number;
  grossGrowth: number;
  cost: number;
  carriedIn: boolean;
}

function openTrade(position: number, start: number, entryCost: number, carriedIn: boolean): OpenTrade {
  const side = position > 0 ? 'long' : 'short';
  return { side, start, growth: 1, grossGrowth: 1, cost: entryCost, carriedIn };
}

function closeTrade(trade: OpenTrade, end: number, exitCost: number): Trade {
  trade.growth *= 1 - exitCost;
  trade.cost += exitCost;
  return toTrade(trade, end, false);
}

function toTrade(trade: OpenTrade, end: number, open: boolean): Trade {
  return {
    side: trade.side,
    start: trade.start,
    end,
    periods: end - trade.start,
    return: trade.growth - 1,
    grossReturn: trade.grossGrowth - 1,
    cost: trade.cost,
    open,
    carriedIn: trade.carriedIn,
  };
}
