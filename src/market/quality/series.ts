import { timeOf } from './values.js';

/** The rows of one symbol and interval, as indices into the input array, in input order. */
export interface SeriesGroup {
  symbol: string;
  interval: string;
  rows: Int32Array;
}

/**
 * Groups rows by symbol and interval in O(n) (a counting sort on group ids). A row whose symbol or
 * interval is not a string joins the group of the empty string, so it is still checked.
 */
export function groupBySeries(bars: readonly unknown[]): SeriesGroup[] {
  const groupOf = new Int32Array(bars.length);
  const ids = new Map<string, number>();
  const keys: Array<{ symbol: string; interval: string }> = [];
  let sizes = new Int32Array(4);
  let lastSymbol: unknown = undefined;
  let lastInterval: unknown = undefined;
  let lastGroup = -1;
  for (let i = 0; i < bars.length; i++) {
    const row = bars[i];
    const isObject = typeof row === 'object' && row !== null;
    const symbolValue: unknown = isObject ? (row as { symbol?: unknown }).symbol : undefined;
    const intervalValue: unknown = isObject ? (row as { interval?: unknown }).interval : undefined;
    // Bars of one series usually come together: skip the map lookup while the key repeats.
    if (lastGroup < 0 || symbolValue !== lastSymbol || intervalValue !== lastInterval) {
      const symbol = typeof symbolValue === 'string' ? symbolValue : '';
      const interval = typeof intervalValue === 'string' ? intervalValue : '';
      const key = `${symbol}\u0000${interval}`;
      let id = ids.get(key);
      if (id === undefined) {
        id = keys.length;
        ids.set(key, id);
        keys.push({ symbol, interval });
        if (id === sizes.length) {
          const grown = new Int32Array(2 * sizes.length);
          grown.set(sizes);
          sizes = grown;
        }
      }
      lastSymbol = symbolValue;
      lastInterval = intervalValue;
      lastGroup = id;
    }
    groupOf[i] = lastGroup;
    sizes[lastGroup] = sizes[lastGroup]! + 1;
  }
  const groups = keys.map(({ symbol, interval }, id) => ({
    symbol,
    interval,
    rows: new Int32Array(sizes[id]!),
  }));
  const filled = new Int32Array(groups.length);
  for (let i = 0; i < bars.length; i++) {
    const id = groupOf[i]!;
    groups[id]!.rows[filled[id]!++] = i;
  }
  return groups;
}

/** Epoch milliseconds of every row's `ts`, NaN where it is not a valid Date. */
export function timestampsOf(bars: readonly unknown[]): Float64Array {
  const ts = new Float64Array(bars.length);
  for (let i = 0; i < bars.length; i++) {
    const row = bars[i];
    ts[i] = typeof row === 'object' && row !== null ? timeOf((row as { ts?: unknown }).ts) : NaN;
  }
  return ts;
}

export interface TimeOrder {
  /** Rows with a valid timestamp, ascending by time; rows of equal time keep their input order. */
  order: Int32Array;
  /** Rows whose time is earlier than the row before them (in input order, among valid times). */
  descents: number[];
}

/** Sorts only when the rows are not already in time order, and copies only when it must. */
export function timeOrder(rows: Int32Array, ts: Float64Array): TimeOrder {
  const descents: number[] = [];
  let invalid = 0;
  let previous = -Infinity;
  for (const row of rows) {
    const t = ts[row]!;
    if (Number.isNaN(t)) {
      invalid += 1;
      continue;
    }
    if (t < previous) descents.push(row);
    previous = t;
  }
  if (invalid === 0 && descents.length === 0) return { order: rows, descents };
  const order = new Int32Array(rows.length - invalid);
  let length = 0;
  for (const row of rows) if (!Number.isNaN(ts[row]!)) order[length++] = row;
  if (descents.length > 0) order.sort((a, b) => ts[a]! - ts[b]! || a - b);
  return { order, descents };
}
