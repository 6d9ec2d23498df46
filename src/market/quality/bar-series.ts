import type { MarketBar } from '../../store/market-bars.js';
import type { BarIssueCode } from './bar-issues.js';
import { classifyStep, dayKey, STEP_SESSION, type Cadence } from './calendar.js';
import type { IssueLog } from './report.js';
import { robustScaleInPlace } from './robust.js';
import { isoOf, rounded } from './values.js';

/** The four prices are finite and positive. */
export const PRICES_OK = 1;
/** The close is finite and positive. */
export const CLOSE_OK = 2;
/** Prices are usable and the bar saw no trading: volume 0 or high = low. */
export const QUIET = 4;
export const VOLUME_ZERO = 8;
export const VOLUME_TRADED = 16;
/** Set by checkSeries on a bar repeating an earlier bar's timestamp. */
export const DUPLICATE = 32;

/**
 * The input with what the row checks learnt: each row's time (NaN when invalid) and flags above.
 * A bar's fields are read only where its flags vouch for them. Flags rather than columns of values
 * keep the memory per call small: typed arrays count as external memory, and every 64 MB of it
 * makes V8 run a full collection over the caller's heap (millions of bars).
 */
export interface BarTable {
  bars: readonly MarketBar[];
  ts: Float64Array;
  flags: Uint8Array;
}

export interface SeriesChecks {
  /** Identical quiet bars in a row that make a stale run. */
  staleRun: number;
  /** Robust σ (1.4826 × MAD) a log return may stray from the median before it is an outlier. */
  outlierMads: number;
  /** Fewer returns than this give no reliable spread: the outlier check is skipped. */
  minReturns: number;
}

/**
 * The checks that need a series in time order: duplicates, gaps and session breaks, stale runs,
 * outlier returns and volume. `order` holds the series' rows with valid timestamps, ascending.
 * Duplicates are left out of every later check, so a repeated bar is one error, not three.
 */
export function checkSeries(
  order: Int32Array,
  table: BarTable,
  cadence: Cadence | null,
  checks: SeriesChecks,
  log: IssueLog<BarIssueCode>,
): void {
  const { bars, ts, flags } = table;
  const intraday = cadence?.interval.intraday ?? false;
  const offset = cadence?.utcOffsetMs ?? 0;
  /** The log return ending at each position of `order`; NaN where there is none. */
  const returns = new Float64Array(order.length).fill(NaN);
  let returnCount = 0;
  let lastCloseRow = -1;
  let previousRow = -1;
  const run: number[] = [];
  let zeroVolume = 0;
  let traded = 0;

  const flushRun = () => {
    if (run.length >= checks.staleRun) {
      const first = run[0]!;
      const length = run.length;
      const price = bars[first]!.close;
      for (const row of run)
        log.add('stale_price', row, () => ({ runStart: first, runLength: length, price }));
    }
    run.length = 0;
  };

  for (let p = 0; p < order.length; p++) {
    const row = order[p]!;
    const t = ts[row]!;
    const flag = flags[row]!;
    if (previousRow >= 0) {
      const before = ts[previousRow]!;
      if (t === before) {
        const first = previousRow;
        flags[row] = flag | DUPLICATE;
        log.add('duplicate_timestamp', row, () => ({ ts: isoOf(t), firstRow: first }));
        continue;
      }
      if (cadence) {
        const step = classifyStep(before, t, cadence);
        if (step === STEP_SESSION) log.add('session_gap', row, () => ({ from: isoOf(before), to: isoOf(t) }));
        else if (step > 0) log.add('gap', row, () => ({ from: isoOf(before), to: isoOf(t), missing: step }));
      }
    }

    if (flag & CLOSE_OK) {
      // An intraday return across a night is not a bar-to-bar move: the opening jump is left out.
      const sameSession = !intraday || dayKey(ts[lastCloseRow]!, offset) === dayKey(t, offset);
      if (lastCloseRow >= 0 && sameSession) {
        returns[p] = Math.log(bars[row]!.close / bars[lastCloseRow]!.close);
        returnCount += 1;
      }
      lastCloseRow = row;
    }

    const quiet = (flag & QUIET) !== 0;
    if (run.length > 0 && !(quiet && sameBar(bars[row]!, bars[previousRow]!))) flushRun();
    if (quiet) run.push(row);

    if (flag & VOLUME_ZERO) zeroVolume += 1;
    else if (flag & VOLUME_TRADED) traded += 1;
    previousRow = row;
  }
  flushRun();

  if (returnCount >= checks.minReturns)
    flagOutliers(order, returns, returnCount, table, checks.outlierMads, log);

  if (zeroVolume === 0) return;
  const code: BarIssueCode = traded === 0 ? 'zero_volume' : 'zero_volume_bars';
  for (const row of order) {
    if ((flags[row]! & (VOLUME_ZERO | DUPLICATE)) === VOLUME_ZERO)
      log.add(code, row, () => ({ ts: isoOf(ts[row]!) }));
  }
}

/** Same open, high, low and close; called only on bars whose prices are numbers (QUIET). */
function sameBar(a: MarketBar, b: MarketBar): boolean {
  return a.open === b.open && a.high === b.high && a.low === b.low && a.close === b.close;
}

/** |r − median| > outlierMads × 1.4826 × MAD, with the median and MAD of the series' own returns. */
function flagOutliers(
  order: Int32Array,
  returns: Float64Array,
  count: number,
  table: BarTable,
  outlierMads: number,
  log: IssueLog<BarIssueCode>,
): void {
  const sample = new Float64Array(count);
  let k = 0;
  for (const r of returns) if (!Number.isNaN(r)) sample[k++] = r;
  const { median, sigma } = robustScaleInPlace(sample);
  if (!(sigma > 0)) return;
  const limit = outlierMads * sigma;
  for (let p = 0; p < order.length; p++) {
    const r = returns[p]!;
    if (!(Math.abs(r - median) > limit)) continue;
    const row = order[p]!;
    log.add('outlier_return', row, () => ({
      ts: isoOf(table.ts[row]!),
      logReturn: rounded(r),
      robustZ: rounded((r - median) / sigma, 3),
    }));
  }
}
