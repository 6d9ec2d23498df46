/**
 * The trading bots of the simulation. Each symbol is traded by `BOTS_PER_SYMBOL` bots, each with
 * its own key, asking the real `Predictor` for a decision at every bar's close (filled at the next
 * open, flat before the session's close). Outside an A/B test every bot gets the production
 * model's decision, so a symbol's bots act as one order of their combined quantity; during a test
 * the router splits them by key into the two arms, each arm one order stream. A trade carries the
 * version that decided it, as a bot reports it to `POST /v1/trades`.
 */
import type { Predictor } from '../deployment/predictor.js';
import type { Arm } from '../deployment/router.js';
import { barsToColumns, computeFeatures, type FeatureMatrix } from '../market/features.js';
import { simulateLiveTrades, type TradeDirection } from '../market/synthetic.js';
import { Random } from '../rl/random.js';
import type { LiveTrade } from '../store/live-trades.js';
import type { MarketBar } from '../store/market-bars.js';

/**
 * The router hashes each bot's key with the A/B test's id (a random UUID), so which bots land in
 * which arm changes from run to run. An arm's per-trade returns do not depend on its size (fees
 * are a share of the notional), so the year's decisions do not either, as long as both arms of
 * every symbol have a bot: with 20 bots and a 50 % split an arm is empty with probability 2⁻¹⁹
 * per symbol and test (with 10 it was 1 in 512, about one year in seven). The arms' sizes, and so
 * the P&L in money, still vary between runs.
 */
export const BOTS_PER_SYMBOL = 20;

/**
 * The bars of `list` (in time order) with `from` ≤ ts < `to`, found by binary search: a year of
 * 5-minute bars is long, and filtering all of it for every session was most of a session's time.
 */
export function barsBetween<T extends { ts: Date }>(list: readonly T[], from: Date, to: Date): T[] {
  return list.slice(lowerBound(list, from), lowerBound(list, to));
}

/** Index of the first bar at or after `at`. */
function lowerBound(list: readonly { ts: Date }[], at: Date): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.ts < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A trade as fed, with the arm the router gave the bots that made it (null outside a test). */
export interface FedTrade {
  trade: LiveTrade;
  arm: Arm | null;
}

export class TradingDesk {
  readonly #features = new Map<string, FeatureMatrix>();

  /** Features of every bar, once: row t uses bars up to t only, as the predictor's own would. */
  constructor(readonly bars: ReadonlyMap<string, readonly MarketBar[]>) {
    for (const [symbol, list] of bars) this.#features.set(symbol, computeFeatures(barsToColumns(list)));
  }

  /**
   * One session of every symbol by the served models. `from`..`to` bound the session's bars;
   * returns the trades to report, all closed by the session's end.
   */
  tradeSession(predictor: Predictor, from: Date, to: Date): FedTrade[] {
    const fed: FedTrade[] = [];
    for (const [symbol, all] of this.bars) {
      const first = lowerBound(all, from);
      const session = barsBetween(all, from, to);
      if (session.length < 3) continue;
      const matrix = this.#features.get(symbol)!;
      const row = (t: number) =>
        matrix.values.subarray((first + t) * matrix.cols, (first + t + 1) * matrix.cols);
      const groups = new Map<Arm | null, string[]>();
      for (let bot = 0; bot < BOTS_PER_SYMBOL; bot++) {
        const key = `bot-${symbol}-${bot}`;
        const { arm } = predictor.predict({ key, features: row(0), position: 0, symbol });
        groups.set(arm, [...(groups.get(arm) ?? []), key]);
      }
      for (const [arm, keys] of groups) {
        let version: string | null = null;
        let held: TradeDirection = 0;
        const trades = simulateLiveTrades(session, {
          seed: `${symbol}:${from.toISOString()}`,
          modelVersion: null,
          quantity: keys.length,
          idPrefix: `desk-${arm ?? 'P'}`,
          policy: (_symbol, t) => {
            // The last decision that can be filled in the session goes flat: no position overnight.
            if (t >= session.length - 2) return (held = 0);
            const prediction = predictor.predict({ key: keys[0]!, features: row(t), position: held, symbol });
            if (prediction.arm !== arm || (version !== null && prediction.version !== version)) {
              throw new Error(
                `bot ${keys[0]} was served ${prediction.version} (arm ${prediction.arm}) mid-session, after ${version} (arm ${arm})`,
              );
            }
            version = prediction.version;
            return (held = prediction.position as TradeDirection);
          },
        });
        for (const trade of trades)
          fed.push({ trade: { ...trade, modelVersion: version, account: keys[0]! }, arm });
      }
    }
    return fed;
  }
}

/**
 * Before any model is in production, a person trades by hand: random positions held for about
 * 20 bars, flat at the session's close. Their trades (no model version) are what a first
 * retraining needs to start.
 */
export function manualSession(
  bars: ReadonlyMap<string, readonly MarketBar[]>,
  from: Date,
  to: Date,
  seed: number,
): FedTrade[] {
  const fed: FedTrade[] = [];
  for (const [symbol, all] of bars) {
    const session = barsBetween(all, from, to);
    const random = new Random(`${seed}:manual:${symbol}:${from.toISOString()}`);
    let held: TradeDirection = 0;
    const trades = simulateLiveTrades(session, {
      seed,
      modelVersion: null,
      idPrefix: 'manual',
      policy: (_symbol, t) => {
        if (t >= session.length - 2) return (held = 0);
        if (random.next() < 1 / 20) held = (random.int(3) - 1) as TradeDirection;
        return held;
      },
    });
    for (const trade of trades) fed.push({ trade: { ...trade, account: 'manual' }, arm: null });
  }
  return fed;
}
