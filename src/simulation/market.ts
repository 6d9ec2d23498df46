/**
 * A year of synthetic market with eras: the generator's Markov regimes switch every few days, so on
 * their own they never make a model trained last week wrong for a month. Each era is generated with
 * its own regime mix (mostly trending, mostly mean-reverting, or volatile) and scaled to continue
 * the previous era's last close, so a momentum model learnt in a trending era loses money when the
 * market turns mean-reverting, and the system has to notice, roll back and retrain.
 */
import { generateSyntheticMarket, type SyntheticMarketOptions } from '../market/synthetic.js';
import type { MarketBar } from '../store/market-bars.js';

const WEEK_MS = 7 * 86_400_000;
export const SESSIONS_PER_WEEK = 5;

export type EraKind = 'trending' | 'mean_reverting' | 'volatile';

export interface MarketEra {
  kind: EraKind;
  /** First week of the era (week 0 is the first simulated week; history weeks are negative). */
  fromWeek: number;
}

/** Regime transition rows (trending, mean-reverting, volatile) that make one regime dominate. */
const DOMINANT: Record<EraKind, number[][]> = {
  trending: [
    [0.999, 0.0005, 0.0005],
    [0.05, 0.95, 0],
    [0.05, 0, 0.95],
  ],
  mean_reverting: [
    [0.95, 0.05, 0],
    [0.0005, 0.999, 0.0005],
    [0, 0.05, 0.95],
  ],
  volatile: [
    [0.95, 0, 0.05],
    [0, 0.95, 0.05],
    [0.0005, 0.0005, 0.999],
  ],
};

const ERA_OPTIONS: Record<EraKind, Partial<SyntheticMarketOptions>> = {
  trending: { trendStrength: 0.9 },
  mean_reverting: { reversionSpeed: 0.3 },
  volatile: {},
};

/**
 * The year the simulation runs by default: trending while the first model learns, then a
 * mean-reverting spell, trends again, a volatile spell, and a last turn. Weeks are the simulation's.
 */
export const DEFAULT_ERAS: readonly MarketEra[] = [
  { kind: 'trending', fromWeek: -4 },
  { kind: 'mean_reverting', fromWeek: 10 },
  { kind: 'trending', fromWeek: 18 },
  { kind: 'volatile', fromWeek: 30 },
  { kind: 'trending', fromWeek: 36 },
  { kind: 'mean_reverting', fromWeek: 44 },
];

export interface YearMarketOptions {
  seed: number;
  /** Monday 00:00 UTC of week 0. */
  start: Date;
  /** Weeks of history before week 0 (the first model's training data). */
  historyWeeks: number;
  weeks: number;
  symbols: string[];
  interval: string;
  eras: readonly MarketEra[];
}

export interface YearMarket {
  options: YearMarketOptions;
  /** Each symbol's bars in time order, from the first history week to the last week. */
  bars: Map<string, MarketBar[]>;
  weekStart(week: number): Date;
  eraOf(week: number): MarketEra;
}

export function generateYearMarket(options: YearMarketOptions): YearMarket {
  const weekStart = (week: number) => new Date(options.start.getTime() + week * WEEK_MS);
  const eras = [...options.eras].sort((a, b) => a.fromWeek - b.fromWeek);
  if (eras.length === 0 || eras[0]!.fromWeek > -options.historyWeeks) {
    throw new RangeError(`the first market era must start by week ${-options.historyWeeks}`);
  }
  const bars = new Map<string, MarketBar[]>(options.symbols.map((s) => [s, []]));
  eras.forEach((era, index) => {
    const from = Math.max(era.fromWeek, -options.historyWeeks);
    const to = Math.min(eras[index + 1]?.fromWeek ?? options.weeks, options.weeks);
    if (to <= from) return;
    const generated = generateSyntheticMarket({
      ...ERA_OPTIONS[era.kind],
      seed: `${options.seed}:era${index}`,
      symbols: options.symbols,
      interval: options.interval,
      start: weekStart(from),
      sessions: (to - from) * SESSIONS_PER_WEEK,
      transition: DOMINANT[era.kind],
    });
    for (const symbol of options.symbols) {
      const list = bars.get(symbol)!;
      const eraBars = generated.bars.filter((bar) => bar.symbol === symbol);
      // Prices continue where the last era closed: returns are unchanged by a constant scale.
      const scale = (list.at(-1)?.close ?? eraBars[0]!.open) / eraBars[0]!.open;
      for (const bar of eraBars) {
        list.push({
          ...bar,
          open: bar.open * scale,
          high: bar.high * scale,
          low: bar.low * scale,
          close: bar.close * scale,
        });
      }
    }
  });
  const eraOf = (week: number) => eras.filter((era) => era.fromWeek <= week).at(-1) ?? eras[0]!;
  return { options, bars, weekStart, eraOf };
}
