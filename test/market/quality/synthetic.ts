import { uniformSource } from '../../../src/rl/random.js';
import type { LiveTrade } from '../../../src/store/live-trades.js';
import type { MarketBar } from '../../../src/store/market-bars.js';

/** Standard normal by Box–Muller. */
export function gaussian(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

const DAY = 86_400_000;

/** Weekdays from `start` (UTC midnight), `count` of them. */
export function weekdays(start: string, count: number): Date[] {
  const days: Date[] = [];
  for (let t = Date.parse(`${start}T00:00:00Z`); days.length < count; t += DAY) {
    const weekday = new Date(t).getUTCDay();
    if (weekday !== 0 && weekday !== 6) days.push(new Date(t));
  }
  return days;
}

/** A clean random walk: open is the previous close, high > max(open, close), low < min(open, close). */
export function walk(
  symbol: string,
  interval: string,
  times: readonly Date[],
  seed = 1,
  sigma = 0.001,
): MarketBar[] {
  const random = uniformSource(seed);
  const normal = gaussian(random);
  let close = 100;
  return times.map((ts) => {
    const open = close;
    close = open * Math.exp(sigma * normal());
    const high = Math.max(open, close) * (1 + 0.0002 + 0.0005 * random());
    const low = Math.min(open, close) * (1 - 0.0002 - 0.0005 * random());
    return { symbol, interval, ts, open, high, low, close, volume: 100 + Math.floor(1000 * random()) };
  });
}

/** 5-minute bars 09:00–16:55 UTC (96 a session) on `days` weekdays from Monday 2024-03-04. */
export function intradayBars(days = 5, seed = 1, symbol = 'SYN'): MarketBar[] {
  const times: Date[] = [];
  for (const day of weekdays('2024-03-04', days)) {
    for (let minute = 9 * 60; minute < 17 * 60; minute += 5)
      times.push(new Date(day.getTime() + minute * 60_000));
  }
  return walk(symbol, '5m', times, seed);
}

export const BARS_PER_SESSION = 96;

/** Daily bars on weekdays from Monday 2023-01-02. */
export function dailyBars(count = 300, seed = 2, symbol = 'DLY'): MarketBar[] {
  return walk(symbol, '1d', weekdays('2023-01-02', count), seed, 0.015);
}

/** Copies, with `change` applied to the bar at `index`. */
export function withBar(
  bars: readonly MarketBar[],
  index: number,
  change: Partial<Record<keyof MarketBar, unknown>>,
) {
  return bars.map((bar, i) => (i === index ? ({ ...bar, ...change } as MarketBar) : { ...bar }));
}

/** Closed trades with consistent pnl, then a few open ones. */
export function cleanTrades(count = 50, seed = 3): LiveTrade[] {
  const random = uniformSource(seed);
  return Array.from({ length: count }, (_, i) => {
    const side = i % 2 === 0 ? 'long' : 'short';
    const quantity = 1 + Math.floor(10 * random());
    const entryPrice = 100 + 10 * random();
    const entryTime = new Date(Date.UTC(2024, 2, 4, 9) + i * 3_600_000);
    const open = i >= count - 3;
    const exitPrice = open ? null : entryPrice * (1 + 0.02 * (random() - 0.5));
    const fees = 0.5;
    const pnl =
      exitPrice === null ? null : (side === 'long' ? 1 : -1) * quantity * (exitPrice - entryPrice) - fees;
    return {
      idempotencyKey: `trade-${i}`,
      symbol: i % 3 === 0 ? 'AAPL' : 'MSFT',
      side,
      quantity,
      entryTime,
      entryPrice,
      exitTime: open ? null : new Date(entryTime.getTime() + 1_800_000),
      exitPrice,
      fees,
      pnl,
      status: open ? 'open' : 'closed',
      modelVersion: 'v1.2.0',
      abTestId: null,
      arm: null,
      observation: null,
      account: null,
    } satisfies LiveTrade;
  });
}
