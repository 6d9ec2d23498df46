import { ValidationError } from '../../errors.js';
import { Random } from '../../rl/random.js';
import type { LiveTrade } from '../../store/live-trades.js';
import type { MarketBar } from '../../store/market-bars.js';
import type { SyntheticMarket } from './generate.js';

export type TradeDirection = -1 | 0 | 1;

/** Decides the position to hold after seeing bars[0..t] of one symbol (the last one is bar t). */
export type TradingPolicyFunction = (
  symbol: string,
  t: number,
  barsSoFar: readonly MarketBar[],
) => TradeDirection;

export interface LiveTradeSimulationOptions {
  /** Seed of the random policy and of the noise. */
  seed: number | string;
  /** `oracle` follows `truth.oraclePosition` (needs a SyntheticMarket); `random` holds random positions. */
  policy: 'oracle' | 'random' | TradingPolicyFunction;
  modelVersion: string | null;
  /** Only bars with from ≤ ts ≤ to are traded. */
  from?: Date;
  to?: Date;
  /** Units per trade; default 1. */
  quantity?: number;
  /** Fee per side as basis points of notional; default 1. */
  feeBps?: number;
  /** Fills are this many basis points worse than the open; default 0.5. */
  slippageBps?: number;
  /** Probability per bar of taking a uniformly random position instead of the policy's; default 0. */
  noise?: number;
  /** Mean holding period in bars of the `random` policy; default 20. */
  randomHoldBars?: number;
  /** Start of every idempotency key; default `sim-<seed>`. */
  idPrefix?: string;
}

function requireRange(field: string, value: number, min: number, max: number, expected: string): void {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ValidationError(
      `live trade simulation ${field} ${value} is not valid; expected ${expected}`,
      field,
    );
  }
}

function barsBySymbol(bars: readonly MarketBar[]): Map<string, MarketBar[]> {
  const grouped = new Map<string, MarketBar[]>();
  for (const bar of bars) {
    const list = grouped.get(bar.symbol);
    if (list) list.push(bar);
    else grouped.set(bar.symbol, [bar]);
  }
  for (const list of grouped.values()) list.sort((a, b) => a.ts.getTime() - b.ts.getTime());
  return new Map([...grouped.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Trades a policy over bars the way a live system would: the decision taken at the close of bar t
 * is filled at the open of bar t+1 (never at a price the policy could not have seen), a position
 * change closes the open trade and opens the new one, and a position still held after the last
 * bar stays `open`. Fees are `feeBps` of each side's notional, and
 * pnl = side × quantity × (exitPrice − entryPrice) − fees, side being +1 long and −1 short.
 */
export function simulateLiveTrades(
  market: SyntheticMarket | readonly MarketBar[],
  options: LiveTradeSimulationOptions,
): LiveTrade[] {
  const quantity = options.quantity ?? 1;
  const fee = (options.feeBps ?? 1) / 10_000;
  const slippage = (options.slippageBps ?? 0.5) / 10_000;
  const noise = options.noise ?? 0;
  const holdBars = options.randomHoldBars ?? 20;
  const idPrefix = options.idPrefix ?? `sim-${options.seed}`;
  requireRange('quantity', quantity, Number.MIN_VALUE, Number.MAX_VALUE, 'a positive quantity');
  requireRange('feeBps', fee * 10_000, 0, 10_000, 'basis points ≥ 0');
  requireRange('slippageBps', slippage * 10_000, 0, 10_000, 'basis points ≥ 0');
  requireRange('noise', noise, 0, 1, 'a probability in [0, 1]');
  requireRange('randomHoldBars', holdBars, 1, Number.MAX_VALUE, 'a number of bars ≥ 1');
  const truth = 'truth' in market ? market.truth : undefined;
  if (options.policy === 'oracle' && !truth) {
    throw new ValidationError(
      'live trade simulation policy "oracle" needs a SyntheticMarket (with truth), not bare bars',
      'policy',
    );
  }
  const allBars = 'truth' in market ? market.bars : market;
  const fromMs = options.from?.getTime() ?? Number.NEGATIVE_INFINITY;
  const toMs = options.to?.getTime() ?? Number.POSITIVE_INFINITY;
  const root = new Random(options.seed);
  const trades: LiveTrade[] = [];

  for (const [symbol, symbolBars] of barsBySymbol(allBars)) {
    const stream = root.fork(`trades:${symbol}`);
    const policyStream = stream.fork('policy');
    const noiseStream = stream.fork('noise');
    const oracle = truth?.[symbol]?.oraclePosition;
    const firstIndex = symbolBars.findIndex((bar) => bar.ts.getTime() >= fromMs);
    const bars = symbolBars.filter((bar) => bar.ts.getTime() >= fromMs && bar.ts.getTime() <= toMs);
    const seen: MarketBar[] = [];
    let randomPosition: TradeDirection = 0;
    let position: TradeDirection = 0;
    let open: LiveTrade | null = null;

    const decide = (t: number): TradeDirection => {
      if (options.policy === 'oracle') return (oracle?.[firstIndex + t] ?? 0) as TradeDirection;
      if (options.policy === 'random') {
        if (t === 0 || policyStream.next() < 1 / holdBars)
          randomPosition = (policyStream.int(3) - 1) as TradeDirection;
        return randomPosition;
      }
      return options.policy(symbol, t, seen);
    };

    for (let t = 0; t + 1 < bars.length; t++) {
      seen.push(bars[t] as MarketBar);
      let target = decide(t);
      if (noiseStream.next() < noise) target = (noiseStream.int(3) - 1) as TradeDirection;
      if (target === position) continue;
      const fill = bars[t + 1] as MarketBar;
      if (open) {
        const side = open.side === 'long' ? 1 : -1;
        const exitPrice = fill.open * (1 - side * slippage);
        const fees = open.fees + fee * exitPrice * quantity;
        open.exitTime = fill.ts;
        open.exitPrice = exitPrice;
        open.fees = fees;
        open.pnl = side * quantity * (exitPrice - open.entryPrice) - fees;
        open.status = 'closed';
        open = null;
      }
      if (target !== 0) {
        const entryPrice = fill.open * (1 + target * slippage);
        open = {
          idempotencyKey: `${idPrefix}-${symbol}-${fill.ts.getTime()}`,
          symbol,
          side: target === 1 ? 'long' : 'short',
          quantity,
          entryTime: fill.ts,
          entryPrice,
          exitTime: null,
          exitPrice: null,
          fees: fee * entryPrice * quantity,
          pnl: null,
          status: 'open',
          modelVersion: options.modelVersion,
          abTestId: null,
          arm: null,
          observation: null,
          account: null,
        };
        trades.push(open);
      }
      position = target;
    }
  }
  return trades;
}
