/**
 * `featureDrift` over 1,000,000 live rows × 12 features against a 100,000-row reference, beside the
 * obvious implementation (Array.prototype.filter per PSI bin, a KS statistic recomputing both ECDFs
 * at every point), and `liveMetrics` over 1,000,000 closed trades beside the obvious version over row
 * objects (sort by Date, map/filter/reduce per figure).
 * The baseline's KS is quadratic, so it runs on a 5,000 × 2,000 subsample of 2 features and is
 * extrapolated to the full size (× (n·m)/(5000·2000) × 6 feature pairs); the figure says so by name.
 * Run alone with `npx tsx bench/drift.ts`.
 */
import { pathToFileURL } from 'node:url';
import { featureDrift } from '../src/monitoring/drift.js';
import { liveMetrics } from '../src/monitoring/performance.js';
import { Random } from '../src/rl/random.js';
import { bestSeconds } from './timing.js';

const FEATURES = 12;
const LIVE_ROWS = 1_000_000;
const REFERENCE_ROWS = 100_000;
const SUB_REFERENCE = 5_000;
const SUB_LIVE = 2_000;
const SUB_FEATURES = 2;

function normalRows(random: Random, rows: number, shift: number): Float32Array {
  const out = new Float32Array(rows * FEATURES);
  for (let i = 0; i < out.length; i++) out[i] = random.normal(i % FEATURES === 0 ? shift : 0, 1);
  return out;
}

function column(rows: Float32Array, f: number, n: number): number[] {
  return Array.from({ length: n }, (_, r) => rows[r * FEATURES + f]!);
}

/** The obvious version: sort-based quantile edges, filter per bin, ECDFs recomputed per point. */
function naiveFeature(reference: number[], live: number[]): number {
  const sorted = [...reference].sort((a, b) => a - b);
  const edges = Array.from({ length: 9 }, (_, k) => sorted[Math.floor(((k + 1) * sorted.length) / 10)]!);
  let psi = 0;
  for (let b = 0; b <= edges.length; b++) {
    const lo = b === 0 ? -Infinity : edges[b - 1]!;
    const hi = b === edges.length ? Infinity : edges[b]!;
    const e = Math.max(reference.filter((x) => x >= lo && x < hi).length / reference.length, 1e-4);
    const a = Math.max(live.filter((x) => x >= lo && x < hi).length / live.length, 1e-4);
    psi += (a - e) * Math.log(a / e);
  }
  let d = 0;
  for (const x of [...reference, ...live]) {
    const fa = reference.filter((y) => y <= x).length / reference.length;
    const fb = live.filter((y) => y <= x).length / live.length;
    d = Math.max(d, Math.abs(fa - fb));
  }
  return psi + d;
}

const TRADES = 1_000_000;

interface TradeRow {
  entryPrice: number;
  quantity: number;
  pnl: number;
  exitTime: Date;
}

/** The obvious version over row objects: sort by Date, map, filter and reduce per figure. */
function naiveLiveMetrics(rows: TradeRow[]): Record<string, number> {
  const sorted = [...rows].sort((a, b) => a.exitTime.getTime() - b.exitTime.getTime());
  const returns = sorted.map((t) => t.pnl / (t.entryPrice * t.quantity));
  const wins = returns.filter((r) => r > 0);
  const losses = returns.filter((r) => r <= 0);
  const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
  const std = Math.sqrt(
    returns.map((r) => (r - mean) ** 2).reduce((a, b) => a + b, 0) / (returns.length - 1),
  );
  const downside = Math.sqrt(
    returns.map((r) => Math.min(r, 0) ** 2).reduce((a, b) => a + b, 0) / returns.length,
  );
  const equity = [1];
  for (const r of returns) equity.push(equity.at(-1)! * (1 + r));
  const peaks = equity.map((_, i, curve) => (i === 0 ? curve[0]! : 0));
  for (let i = 1; i < equity.length; i++) peaks[i] = Math.max(peaks[i - 1]!, equity[i]!);
  const drawdown = equity.map((value, i) => 1 - value / peaks[i]!).reduce((a, b) => Math.max(a, b), 0);
  const years = (sorted.at(-1)!.exitTime.getTime() - sorted[0]!.exitTime.getTime()) / (365.25 * 86_400_000);
  const perYear = returns.length / years;
  return {
    winRate: wins.length / returns.length,
    profitFactor: wins.reduce((a, b) => a + b, 0) / -losses.reduce((a, b) => a + b, 0),
    sharpe: (mean / std) * Math.sqrt(perYear),
    sortino: (mean / downside) * Math.sqrt(perYear),
    maxDrawdown: drawdown,
    total: equity.at(-1)! - 1,
  };
}

export async function benchDrift(): Promise<Record<string, number>> {
  const random = new Random('bench-drift');
  const reference = normalRows(random, REFERENCE_ROWS, 0);
  const live = normalRows(random, LIVE_ROWS, 0.1);
  const names = Array.from({ length: FEATURES }, (_, f) => `feature_${f}`);
  const options = { sensitivity: 0.1, minSamples: 200 };
  const seconds = bestSeconds(() => featureDrift(reference, live, names, options), 3);

  const subSeconds = bestSeconds(() => {
    for (let f = 0; f < SUB_FEATURES; f++)
      naiveFeature(column(reference, f, SUB_REFERENCE), column(live, f, SUB_LIVE));
  }, 1);
  const scale =
    ((REFERENCE_ROWS + LIVE_ROWS) * (REFERENCE_ROWS + LIVE_ROWS)) /
    ((SUB_REFERENCE + SUB_LIVE) * (SUB_REFERENCE + SUB_LIVE));
  const baselineSeconds = subSeconds * scale * (FEATURES / SUB_FEATURES);

  // One million closed trades over a year, as the store hands them over (columns in exit order)
  // and as a driver hands over rows (objects with Dates, in no particular order).
  const start = Date.UTC(2026, 0, 1);
  const series = {
    returns: Float64Array.from({ length: TRADES }, () => random.normal(0.0005, 0.01)),
    exitTimes: Float64Array.from({ length: TRADES }, (_, i) => start + i * 31_000),
  };
  const window = { start: new Date(start), end: new Date(start + TRADES * 31_000) };
  const metricsSeconds = bestSeconds(() => liveMetrics(series, window), 3);
  const rows = Array.from(series.returns, (r, i) => ({
    entryPrice: 100,
    quantity: 2,
    pnl: 200 * r,
    exitTime: new Date(series.exitTimes[i]!),
  })).reverse();
  const baselineMetricsSeconds = bestSeconds(() => naiveLiveMetrics(rows), 1);
  return {
    seconds_1m_obs: seconds,
    baseline_seconds_1m_obs: baselineSeconds,
    live_metrics_seconds_1m_trades: metricsSeconds,
    baseline_live_metrics_seconds_1m_trades: baselineMetricsSeconds,
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await benchDrift();
  for (const [key, value] of Object.entries(figures)) process.stdout.write(`${key.padEnd(32)} ${value}\n`);
}
