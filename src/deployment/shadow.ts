import type { MarketBar } from '../store/market-bars.js';

/**
 * Scores recorded decisions against the returns that followed: a decision at time ts holds its
 * position over the next bar after the last bar at or before ts (close to close), as the
 * environment does. Each decision is scored on its own, without costs, so the two arms of a
 * shadow test are compared on their calls alone. Decisions whose next bar is not stored yet are
 * left out.
 */
export function scoreDecisions(
  decisions: readonly { symbol: string | null; ts: Date; position: number }[],
  barsBySymbol: ReadonlyMap<string, readonly MarketBar[]>,
): number[] {
  const returns: number[] = [];
  for (const decision of decisions) {
    if (decision.symbol === null) continue;
    const bars = barsBySymbol.get(decision.symbol);
    if (!bars) continue;
    const i = lastAtOrBefore(bars, decision.ts.getTime());
    if (i < 0 || i + 1 >= bars.length) continue;
    returns.push(decision.position * (bars[i + 1]!.close / bars[i]!.close - 1));
  }
  return returns;
}

function lastAtOrBefore(bars: readonly MarketBar[], instant: number): number {
  let lo = 0;
  let hi = bars.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (bars[mid]!.ts.getTime() <= instant) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
