/**
 * `computeFeatures` on 1,000,000 bars of a seeded geometric random walk, against the obvious
 * implementation that slices each bar's window and recomputes every indicator from scratch.
 * Run alone with `npx tsx bench/features.ts`.
 */
import { uniformSource } from '../src/rl/random.js';
import { pathToFileURL } from 'node:url';
import {
  type BarColumns,
  computeFeatures,
  DEFAULT_FEATURE_OPTIONS as O,
  featureWindowWarmup,
} from '../src/market/features.js';
import { bestSeconds } from './timing.js';

const BARS = 1_000_000;
const BASELINE_BARS = 50_000;

/** Geometric random walk, 1% σ per bar (Box–Muller normals), with wicks and random volume. */
export function randomWalkBars(n: number, seed = 42): BarColumns {
  const random = uniformSource(seed);
  const columns: BarColumns = {
    ts: new Float64Array(n),
    open: new Float64Array(n),
    high: new Float64Array(n),
    low: new Float64Array(n),
    close: new Float64Array(n),
    volume: new Float64Array(n),
  };
  let price = 100;
  for (let t = 0; t < n; t++) {
    const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const open = price;
    price *= Math.exp(0.01 * normal);
    columns.ts[t] = 1_700_000_000_000 + t * 60_000;
    columns.open[t] = open;
    columns.close[t] = price;
    columns.high[t] = Math.max(open, price) * (1 + 0.005 * random());
    columns.low[t] = Math.min(open, price) * (1 - 0.005 * random());
    columns.volume[t] = Math.floor(1e5 + 1e6 * random());
  }
  return columns;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
function std(xs: number[]): number {
  const m = mean(xs);
  return Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
}
function ema(xs: number[], period: number): number[] {
  const out = [mean(xs.slice(0, period))];
  for (const x of xs.slice(period))
    out.push(out[out.length - 1]! + (2 / (period + 1)) * (x - out[out.length - 1]!));
  return out;
}

/** The obvious version: per bar, slice the history the longest indicator needs and recompute all. */
export function naiveFeatures(columns: BarColumns): number[][] {
  const close = Array.from(columns.close);
  const volume = Array.from(columns.volume);
  const warmup = featureWindowWarmup();
  const rows: number[][] = [];
  for (let t = 0; t < close.length; t++) {
    if (t < warmup) {
      rows.push(new Array<number>(9).fill(0));
      continue;
    }
    const history = close.slice(t - warmup, t + 1);
    const c = close[t]!;
    const returns = history.slice(1).map((x, i) => Math.log(x / history[i]!));
    const changes = history.slice(1).map((x, i) => x - history[i]!);
    let gain = mean(changes.slice(0, O.rsiPeriod).map((d) => Math.max(d, 0)));
    let loss = mean(changes.slice(0, O.rsiPeriod).map((d) => Math.max(-d, 0)));
    for (const d of changes.slice(O.rsiPeriod)) {
      gain = (gain * (O.rsiPeriod - 1) + Math.max(d, 0)) / O.rsiPeriod;
      loss = (loss * (O.rsiPeriod - 1) + Math.max(-d, 0)) / O.rsiPeriod;
    }
    const fast = ema(history, O.macdFast).slice(O.macdSlow - O.macdFast);
    const line = ema(history, O.macdSlow).map((s, i) => fast[i]! - s);
    const signal = ema(line, O.macdSignal);
    const window = close.slice(t - O.bollingerWindow + 1, t + 1);
    const volumes = volume.slice(t - O.volumeWindow + 1, t + 1);
    const sigma = std(window);
    const volumeSigma = std(volumes);
    rows.push([
      ...O.returnHorizons.map((h) => Math.log(c / close[t - h]!)),
      std(returns.slice(-O.volatilityWindow)),
      gain + loss > 0 ? (gain - loss) / (gain + loss) : 0,
      (line[line.length - 1]! - signal[signal.length - 1]!) / c,
      sigma > 0 ? (c - mean(window)) / (O.bollingerWidth * sigma) : 0,
      volumeSigma > 0 ? (volume[t]! - mean(volumes)) / volumeSigma : 0,
      (columns.high[t]! - columns.low[t]!) / c,
    ]);
  }
  return rows;
}

export async function benchFeatures(): Promise<Record<string, number>> {
  const bars = randomWalkBars(BARS);
  const seconds = bestSeconds(() => computeFeatures(bars), 3);
  const baselineBars = randomWalkBars(BASELINE_BARS);
  const baselineSeconds = bestSeconds(() => naiveFeatures(baselineBars), 1);
  return {
    bars_per_s: Math.round(BARS / seconds),
    baseline_bars_per_s: Math.round(BASELINE_BARS / baselineSeconds),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await benchFeatures();
  for (const [key, value] of Object.entries(figures)) process.stdout.write(`${key.padEnd(24)} ${value}\n`);
}
