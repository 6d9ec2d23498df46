import { has, is, type IssueSpec } from './report.js';

/**
 * Every defect a bar can have, one code each. Severities: a value that is wrong (missing, NaN,
 * impossible OHLC, duplicated, out of order) is an error; what real markets also produce (a missing
 * minute when nothing traded, a flat stretch, a crash day, a halted day) is a warning; what is normal
 * (nights, weekends, an index without volume) is information and costs nothing.
 */
export const BAR_ISSUES = {
  missing_value: {
    severity: 'error',
    describe: (n) => `${has(n, 'bar')} a missing or non-numeric field (ts must be a valid Date)`,
  },
  non_finite: { severity: 'error', describe: (n) => `${has(n, 'bar')} a NaN or infinite value` },
  non_positive_price: { severity: 'error', describe: (n) => `${has(n, 'bar')} a price ≤ 0` },
  high_below_low: { severity: 'error', describe: (n) => `${has(n, 'bar')} high < low` },
  open_outside_range: { severity: 'error', describe: (n) => `${has(n, 'bar')} an open outside [low, high]` },
  close_outside_range: { severity: 'error', describe: (n) => `${has(n, 'bar')} a close outside [low, high]` },
  negative_volume: { severity: 'error', describe: (n) => `${has(n, 'bar')} a negative volume` },
  unknown_interval: {
    severity: 'error',
    describe: (n) => `${has(n, 'bar')} an interval that is not a count and a unit (e.g. 1m, 5m, 1h, 1d)`,
  },
  duplicate_timestamp: {
    severity: 'error',
    describe: (n) => `${has(n, 'bar')} the timestamp of an earlier bar of the same symbol and interval`,
  },
  out_of_order: {
    severity: 'error',
    describe: (n) => `${is(n, 'bar')} earlier than the bar before it (timestamps must increase per symbol)`,
  },
  gap: {
    severity: 'warning',
    describe: (n) => `${n} ${n === 1 ? 'step skips' : 'steps skip'} bars inside a session or whole sessions`,
  },
  session_gap: {
    severity: 'info',
    describe: (n) => `${is(n, 'bar')} the first of a session (after a night, weekend or holiday)`,
  },
  stale_price: {
    severity: 'warning',
    describe: (n) => `${is(n, 'bar')} in runs of identical flat or untraded bars (a stale feed?)`,
  },
  outlier_return: {
    severity: 'warning',
    describe: (n) =>
      `${has(n, 'bar')} a log return far outside the series' robust spread (a bad tick or a crash?)`,
  },
  zero_volume: {
    severity: 'info',
    describe: (n) => `${has(n, 'bar')} volume 0 in series without any volume (an index)`,
  },
  zero_volume_bars: {
    severity: 'warning',
    describe: (n) => `${has(n, 'bar')} volume 0 in series that otherwise trade`,
  },
} satisfies Record<string, IssueSpec>;

export type BarIssueCode = keyof typeof BAR_ISSUES;
