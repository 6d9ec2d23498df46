/**
 * Bars validated per second: validateBars on 1,000,000 clean 1-minute bars (best of 3 after a
 * warm-up), against a naive baseline that checks each bar on its own and finds duplicates by
 * re-scanning the array (findIndex), on 20,000 bars because it is quadratic.
 * `npx tsx bench/validate.ts` prints the figures.
 */
import { uniformSource } from '../src/rl/random.js';
import { pathToFileURL } from 'node:url';
import { validateBars } from '../src/market/quality/index.js';
import type { MarketBar } from '../src/store/market-bars.js';
import { bestSeconds } from './timing.js';

const BARS = 1_000_000;
const BASELINE_BARS = 20_000;
const RUNS = 3;

/** 1-minute bars 09:00–16:59 UTC on weekdays, a random walk with consistent OHLC. */
export function cleanMinuteBars(count: number, seed = 42): MarketBar[] {
  const random = uniformSource(seed);
  const bars: MarketBar[] = [];
  let day = Date.UTC(2020, 0, 6); // a Monday
  let close = 100;
  while (bars.length < count) {
    const weekday = new Date(day).getUTCDay();
    for (
      let minute = 9 * 60;
      weekday !== 0 && weekday !== 6 && minute < 17 * 60 && bars.length < count;
      minute++
    ) {
      const open = close;
      close = open * Math.exp(0.0005 * (random() + random() + random() - 1.5));
      const high = Math.max(open, close) * (1 + 0.0003 * random());
      const low = Math.min(open, close) * (1 - 0.0003 * random());
      const ts = new Date(day + minute * 60_000);
      bars.push({
        symbol: 'BENCH',
        interval: '1m',
        ts,
        open,
        high,
        low,
        close,
        volume: 1 + Math.floor(500 * random()),
      });
    }
    day += 86_400_000;
  }
  return bars;
}

/** The obvious way: every check per bar, duplicates by searching the whole array for the bar's twin. */
function naiveValidate(bars: readonly MarketBar[]): number {
  let bad = 0;
  bars.forEach((bar, i) => {
    const values = [bar.open, bar.high, bar.low, bar.close, bar.volume];
    const broken =
      values.some((value) => typeof value !== 'number' || !Number.isFinite(value)) ||
      [bar.open, bar.high, bar.low, bar.close].some((price) => price <= 0) ||
      bar.high < bar.low ||
      bar.open < bar.low ||
      bar.open > bar.high ||
      bar.close < bar.low ||
      bar.close > bar.high ||
      bar.volume < 0 ||
      bars.findIndex((other) => other.symbol === bar.symbol && other.ts.getTime() === bar.ts.getTime()) !==
        i ||
      (i > 0 && bars[i - 1]!.ts.getTime() >= bar.ts.getTime());
    if (broken) bad += 1;
  });
  return 1 - bad / bars.length;
}

export async function benchValidate(): Promise<Record<string, number>> {
  const bars = cleanMinuteBars(BARS);
  const sample = bars.slice(0, BASELINE_BARS);
  let score = NaN;
  const seconds = bestSeconds(() => {
    score = validateBars(bars, { threshold: 0.7 }).score;
  }, RUNS);
  if (score !== 1) throw new Error(`benchmark bars are not clean: score ${score}`);
  const baselineSeconds = bestSeconds(() => {
    score = naiveValidate(sample);
  }, RUNS);
  if (score !== 1) throw new Error(`baseline disagrees on clean bars: score ${score}`);
  return {
    bars_per_s: Math.round(BARS / seconds),
    baseline_bars_per_s: Math.round(BASELINE_BARS / baselineSeconds),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await benchValidate();
  for (const [key, value] of Object.entries(figures)) process.stdout.write(`${key.padEnd(32)} ${value}\n`);
}
