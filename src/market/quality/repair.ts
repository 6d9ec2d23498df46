import type { MarketBar } from '../../store/market-bars.js';
import { parseInterval, type BarInterval } from '../interval.js';
import { classifyStep, dayKey, type Cadence } from './calendar.js';
import { MAX_EXAMPLES } from './report.js';
import { groupBySeries, timeOrder, timestampsOf } from './series.js';
import { isoOf } from './values.js';

export interface RepairOptions {
  /** Drop every bar whose symbol, interval and ts repeat an earlier bar's (the first one is kept). */
  dropDuplicates?: boolean;
  /** Fill a gap inside a session when it misses at most this many bars (intraday only); default 0. */
  forwardFillGaps?: number;
  /** Bar interval for the gaps; default: each series' own `interval`. */
  interval?: string;
  /** Exchange local time minus UTC, as for validateBars; default 0. */
  utcOffsetMinutes?: number;
}

export interface RepairChange {
  /** The input row: the dropped duplicate, or the bar after which bars were filled. */
  index: number;
  action: 'dropped' | 'filled';
  ts: string;
  /** Bars filled after this row. */
  bars?: number;
}

export interface RepairResult {
  bars: MarketBar[];
  changes: { dropped: number; filled: number; examples: RepairChange[] };
}

/**
 * Returns a repaired copy; the input array and its bars are not modified (kept bars are shared,
 * not cloned). Input order is kept and filled bars follow the bar before the gap. A filled bar
 * repeats the previous close as open, high, low and close, with volume 0, so it adds no move and no
 * trading that did not happen. Gaps between sessions and rows with an invalid ts are left alone.
 */
export function repairBars(bars: readonly MarketBar[], options: RepairOptions = {}): RepairResult {
  const maxFill = Math.max(0, Math.floor(options.forwardFillGaps ?? 0));
  const fixedInterval = options.interval === undefined ? undefined : parseInterval(options.interval);
  const utcOffsetMs = (options.utcOffsetMinutes ?? 0) * 60_000;
  const rows: readonly unknown[] = bars;
  const ts = timestampsOf(rows);
  const dropped = new Uint8Array(bars.length);
  const fills = new Map<number, MarketBar[]>();
  const examples: RepairChange[] = [];
  const note = (change: RepairChange) => {
    if (examples.length < MAX_EXAMPLES) examples.push(change);
  };
  let droppedCount = 0;
  let filledCount = 0;

  for (const group of groupBySeries(rows)) {
    const interval = fixedInterval ?? tryParseInterval(group.interval);
    const cadence: Cadence | null =
      interval && interval.intraday
        ? { interval, utcOffsetMs, maxHolidayWeekdays: Infinity, tradingDays: null }
        : null;
    let previous = -1;
    for (const row of timeOrder(group.rows, ts).order) {
      const t = ts[row]!;
      if (previous >= 0 && t === ts[previous]) {
        if (options.dropDuplicates) {
          dropped[row] = 1;
          droppedCount += 1;
          note({ index: row, action: 'dropped', ts: isoOf(t) });
        }
        continue;
      }
      if (previous >= 0 && cadence && maxFill > 0) {
        const before = ts[previous]!;
        const missing = classifyStep(before, t, cadence);
        const sameSession = dayKey(before, utcOffsetMs) === dayKey(t, utcOffsetMs);
        const filled =
          sameSession && missing > 0 && missing <= maxFill
            ? fillAfter(bars[previous]!, cadence, missing)
            : [];
        if (filled.length > 0) {
          fills.set(previous, filled);
          filledCount += filled.length;
          note({ index: previous, action: 'filled', ts: isoOf(before), bars: filled.length });
        }
      }
      previous = row;
    }
  }

  const repaired: MarketBar[] = [];
  for (let i = 0; i < bars.length; i++) {
    if (dropped[i] === 0) repaired.push(bars[i]!);
    const filled = fills.get(i);
    if (filled) for (const bar of filled) repaired.push(bar);
  }
  return { bars: repaired, changes: { dropped: droppedCount, filled: filledCount, examples } };
}

/** Bars repeating `previous`'s close; none when that close is not a usable price. */
function fillAfter(previous: MarketBar, cadence: Cadence, missing: number): MarketBar[] {
  const close = previous.close;
  if (typeof close !== 'number' || !Number.isFinite(close) || close <= 0) return [];
  const start = previous.ts.getTime();
  const filled: MarketBar[] = [];
  for (let k = 1; k <= missing; k++) {
    filled.push({
      symbol: previous.symbol,
      interval: previous.interval,
      ts: new Date(start + k * cadence.interval.ms),
      open: close,
      high: close,
      low: close,
      close,
      volume: 0,
    });
  }
  return filled;
}

function tryParseInterval(text: string): BarInterval | null {
  try {
    return parseInterval(text);
  } catch {
    return null;
  }
}
