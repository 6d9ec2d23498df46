import { ValidationError } from '../../errors.js';
import type { MarketBar } from '../../store/market-bars.js';
import { parseInterval, type BarInterval } from '../interval.js';
import { BAR_ISSUES, type BarIssueCode } from './bar-issues.js';
import {
  checkSeries,
  CLOSE_OK,
  PRICES_OK,
  QUIET,
  VOLUME_TRADED,
  VOLUME_ZERO,
  type BarTable,
} from './bar-series.js';
import { dayKey, majorityCalendar, type Cadence } from './calendar.js';
import { buildReport, checkThreshold, IssueLog, type QualityReport } from './report.js';
import { groupBySeries, timeOrder, timestampsOf, type SeriesGroup } from './series.js';
import { field, isoOf, nonEmptyString } from './values.js';

export interface BarQualityOptions {
  /** dataQualityThreshold: the report is valid when its score is at least this, e.g. 0.7. */
  threshold: number;
  /** Bar interval for the gap checks (e.g. `1m`); default: each series' own `interval`. */
  interval?: string;
  /** Identical quiet bars in a row that make a stale run; default 10 intraday, 5 otherwise. */
  staleRun?: number;
  /** Robust σ a log return may stray from its series' median; default 12. */
  outlierMads?: number;
  /** Relative slack for open and close against [low, high] (float rounding); default 1e-6. */
  rangeTolerance?: number;
  /** Weekdays without a session still read as holidays; default 2. */
  maxHolidayWeekdays?: number;
  /** Exchange local time minus UTC, so that a session falls on one local date; default 0. */
  utcOffsetMinutes?: number;
  /** Fewest returns for the outlier check; default 20. */
  minReturns?: number;
}

/**
 * Validates bars before retraining. Never throws on the rows, whatever they hold: a row that is not
 * an object, a field of the wrong type or a `ts` that is not a valid Date is reported, not thrown.
 * Throws ValidationError only for invalid options. Row numbers in the report are input indices.
 */
export function validateBars(bars: readonly MarketBar[], options: BarQualityOptions): QualityReport {
  const settings = resolveOptions(options);
  const rows: readonly unknown[] = bars;
  const log = new IssueLog(BAR_ISSUES);

  const table = checkRows(rows, settings.rangeTolerance, log);
  const groups = groupBySeries(rows);
  const intervals = groups.map((group) => settings.interval ?? intervalOf(group, log));
  const orders = groups.map((group) => {
    const { order, descents } = timeOrder(group.rows, table.ts);
    for (const row of descents) log.add('out_of_order', row, () => ({ ts: isoOf(table.ts[row]!) }));
    return order;
  });

  const { utcOffsetMs, maxHolidayWeekdays } = settings;
  const isDaily = (interval: BarInterval | null) => interval?.unit === 'd' && interval.count === 1;
  const tradingDays = majorityCalendar(
    orders.filter((_, g) => isDaily(intervals[g]!)).map((order) => uniqueDays(order, table.ts, utcOffsetMs)),
  );

  groups.forEach((_, g) => {
    const interval = intervals[g]!;
    const cadence: Cadence | null = interval && {
      interval,
      utcOffsetMs,
      maxHolidayWeekdays,
      tradingDays: isDaily(interval) && tradingDays.size > 0 ? tradingDays : null,
    };
    const checks = {
      staleRun: settings.staleRun ?? (interval?.intraday === false ? 5 : 10),
      outlierMads: settings.outlierMads,
      minReturns: settings.minReturns,
    };
    checkSeries(orders[g]!, table, cadence, checks, log);
  });

  return buildReport(rows.length, settings.threshold, log.issues(), 'bar');
}

/** Every option checked before any work, each error naming the option. */
function resolveOptions(options: BarQualityOptions) {
  return {
    threshold: checkThreshold(options.threshold),
    interval: options.interval === undefined ? undefined : parseInterval(options.interval),
    staleRun: options.staleRun === undefined ? undefined : positive(options.staleRun, 0, 'staleRun'),
    outlierMads: positive(options.outlierMads, 12, 'outlierMads'),
    rangeTolerance: nonNegative(options.rangeTolerance, 1e-6, 'rangeTolerance'),
    maxHolidayWeekdays: nonNegative(options.maxHolidayWeekdays, 2, 'maxHolidayWeekdays'),
    utcOffsetMs: finite(options.utcOffsetMinutes, 0, 'utcOffsetMinutes') * 60_000,
    minReturns: nonNegative(options.minReturns, 20, 'minReturns'),
  };
}

interface RowProblems {
  missing: string[] | null;
  nonFinite: string[] | null;
  nonPositive: boolean;
}

/** Whether a price is usable; notes why not. */
function checkPrice(value: unknown, name: string, problems: RowProblems): boolean {
  if (typeof value !== 'number') (problems.missing ??= []).push(name);
  else if (!Number.isFinite(value)) (problems.nonFinite ??= []).push(name);
  else if (value <= 0) problems.nonPositive = true;
  else return true;
  return false;
}

const ALL_FIELDS = ['symbol', 'interval', 'ts', 'open', 'high', 'low', 'close', 'volume'];

/** The per-row checks, in one pass; returns the timestamps and flags the series checks read. */
function checkRows(rows: readonly unknown[], tolerance: number, log: IssueLog<BarIssueCode>): BarTable {
  const ts = timestampsOf(rows);
  const flags = new Uint8Array(rows.length);
  const problems: RowProblems = { missing: null, nonFinite: null, nonPositive: false };
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (typeof row !== 'object' || row === null) {
      log.add('missing_value', i, () => ({ fields: ALL_FIELDS }));
      continue;
    }
    const bar = row as Partial<Record<keyof MarketBar, unknown>>;
    problems.missing = null;
    problems.nonFinite = null;
    problems.nonPositive = false;
    const openOk = checkPrice(bar.open, 'open', problems);
    const highOk = checkPrice(bar.high, 'high', problems);
    const lowOk = checkPrice(bar.low, 'low', problems);
    const closeOk = checkPrice(bar.close, 'close', problems);
    const volume = bar.volume;
    if (typeof volume !== 'number') (problems.missing ??= []).push('volume');
    else if (!Number.isFinite(volume)) (problems.nonFinite ??= []).push('volume');
    if (Number.isNaN(ts[i]!)) (problems.missing ??= []).push('ts');
    if (!nonEmptyString(bar.symbol)) (problems.missing ??= []).push('symbol');
    if (!nonEmptyString(bar.interval)) (problems.missing ??= []).push('interval');

    const { missing, nonFinite } = problems;
    if (missing) log.add('missing_value', i, () => ({ fields: missing }));
    if (nonFinite) log.add('non_finite', i, () => ({ fields: nonFinite }));
    if (problems.nonPositive) log.add('non_positive_price', i, () => pricesOf(row));
    if (typeof volume === 'number' && volume < 0) log.add('negative_volume', i, () => ({ volume }));

    const pricesOk = openOk && highOk && lowOk && closeOk;
    let flag = closeOk ? CLOSE_OK : 0;
    if (volume === 0) flag |= VOLUME_ZERO;
    else if (typeof volume === 'number' && volume > 0 && volume !== Infinity) flag |= VOLUME_TRADED;
    if (!pricesOk) {
      flags[i] = flag;
      continue;
    }
    const high = bar.high as number;
    const low = bar.low as number;
    flags[i] = flag | PRICES_OK | (volume === 0 || high === low ? QUIET : 0);
    if (high < low - tolerance * low) {
      log.add('high_below_low', i, () => pricesOf(row));
      continue; // open and close cannot be inside an empty range: one defect, one code
    }
    const floor = low - tolerance * low;
    const ceiling = high + tolerance * high;
    const open = bar.open as number;
    const close = bar.close as number;
    if (open < floor || open > ceiling) log.add('open_outside_range', i, () => pricesOf(row));
    if (close < floor || close > ceiling) log.add('close_outside_range', i, () => pricesOf(row));
  }
  return { bars: rows as readonly MarketBar[], ts, flags };
}

function pricesOf(row: unknown): { open: number; high: number; low: number; close: number } {
  const price = (name: string) => {
    const value = field(row, name);
    return typeof value === 'number' ? value : NaN;
  };
  return { open: price('open'), high: price('high'), low: price('low'), close: price('close') };
}

/** A series' own interval; an unparseable one is reported and disables the calendar checks. */
function intervalOf(group: SeriesGroup, log: IssueLog<BarIssueCode>): BarInterval | null {
  if (group.interval === '') return null; // a missing interval is already a missing_value
  try {
    return parseInterval(group.interval);
  } catch {
    const interval = group.interval;
    for (const row of group.rows) log.add('unknown_interval', row, () => ({ interval }));
    return null;
  }
}

function uniqueDays(order: Int32Array, ts: Float64Array, utcOffsetMs: number): number[] {
  const days: number[] = [];
  for (const row of order) {
    const day = dayKey(ts[row]!, utcOffsetMs);
    if (days.length === 0 || days[days.length - 1]! !== day) days.push(day);
  }
  return days;
}

function finite(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value)) {
    throw new ValidationError(`bar quality option ${name} = ${String(value)} is not a finite number`, name);
  }
  return value;
}

function nonNegative(value: number | undefined, fallback: number, name: string): number {
  const result = finite(value, fallback, name);
  if (result < 0) throw new ValidationError(`bar quality option ${name} = ${result} must be ≥ 0`, name);
  return result;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  const result = finite(value, fallback, name);
  if (result <= 0) throw new ValidationError(`bar quality option ${name} = ${result} must be > 0`, name);
  return result;
}
