import { ValidationError } from '../../errors.js';
import type { LiveTrade } from '../../store/live-trades.js';
import { buildReport, checkThreshold, has, IssueLog, type IssueSpec, type QualityReport } from './report.js';
import { field, isoOf, nonEmptyString, numberState, timeOf } from './values.js';

export interface TradeQualityOptions {
  /** dataQualityThreshold: the report is valid when its score is at least this, e.g. 0.7. */
  threshold: number;
  /** When given, a trade in another symbol is reported (it cannot be replayed against market data). */
  knownSymbols?: ReadonlySet<string>;
  /** When given, a trade attributed to another model version is reported; null (manual) is fine. */
  knownVersions?: ReadonlySet<string>;
  /** Relative slack for pnl against side × quantity × (exit − entry) − fees; default 1e-3. */
  pnlTolerance?: number;
  /** Absolute slack for pnl, for amounts rounded to cents; default 0.01. */
  pnlAbsTolerance?: number;
}

/** Wrong values are errors; trades the training set cannot attribute, or rebates, are warnings. */
export const TRADE_ISSUES = {
  missing_value: { severity: 'error', describe: (n) => `${has(n, 'trade')} a missing or invalid field` },
  non_finite: { severity: 'error', describe: (n) => `${has(n, 'trade')} a NaN or infinite value` },
  non_positive_price: { severity: 'error', describe: (n) => `${has(n, 'trade')} an entry or exit price ≤ 0` },
  non_positive_quantity: { severity: 'error', describe: (n) => `${has(n, 'trade')} a quantity ≤ 0` },
  exit_before_entry: {
    severity: 'error',
    describe: (n) => `${has(n, 'trade')} an exit time before the entry time`,
  },
  closed_without_exit: {
    severity: 'error',
    describe: (n) => `${n} closed ${n === 1 ? 'trade lacks' : 'trades lack'} an exit time or price`,
  },
  duplicate_trade: {
    severity: 'error',
    describe: (n) => `${has(n, 'trade')} the idempotency key of an earlier trade`,
  },
  pnl_mismatch: {
    severity: 'error',
    describe: (n) => `${has(n, 'trade')} a pnl other than side × quantity × (exit − entry) − fees`,
  },
  unknown_symbol: {
    severity: 'warning',
    describe: (n) => `${has(n, 'trade')} a symbol outside the known universe`,
  },
  unknown_version: {
    severity: 'warning',
    describe: (n) => `${has(n, 'trade')} a model version that is not known`,
  },
  negative_fees: { severity: 'warning', describe: (n) => `${has(n, 'trade')} negative fees (a rebate?)` },
} satisfies Record<string, IssueSpec>;

export type TradeIssueCode = keyof typeof TRADE_ISSUES;

const SIGN: Readonly<Record<string, number>> = { long: 1, short: -1 };

/**
 * Validates live trades before they feed retraining (`DataCollector.validateDataQuality`). Never
 * throws on the rows, whatever they hold; throws ValidationError only for invalid options.
 */
export function validateTrades(trades: readonly LiveTrade[], options: TradeQualityOptions): QualityReport {
  const threshold = checkThreshold(options.threshold);
  const relative = tolerance(options.pnlTolerance, 1e-3, 'pnlTolerance');
  const absolute = tolerance(options.pnlAbsTolerance, 0.01, 'pnlAbsTolerance');
  const rows: readonly unknown[] = trades;
  const log = new IssueLog(TRADE_ISSUES);
  const firstByKey = new Map<string, number>();

  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const missing: string[] = [];
    const nonFinite: string[] = [];
    /** A required number: NaN when missing or not finite (and noted). */
    const number = (name: string, nullable: boolean): number => {
      const value = field(row, name);
      if (nullable && (value === null || value === undefined)) return NaN;
      const state = numberState(value);
      if (state === 'missing') missing.push(name);
      else if (state === 'non_finite') nonFinite.push(name);
      return state === 'ok' ? (value as number) : NaN;
    };
    const time = (name: string, nullable: boolean): number => {
      const value = field(row, name);
      if (nullable && (value === null || value === undefined)) return NaN;
      const ms = timeOf(value);
      if (Number.isNaN(ms)) missing.push(name);
      return ms;
    };

    const key = field(row, 'idempotencyKey');
    const symbol = field(row, 'symbol');
    const side = field(row, 'side');
    const status = field(row, 'status');
    const version = field(row, 'modelVersion');
    if (!nonEmptyString(key)) missing.push('idempotencyKey');
    if (!nonEmptyString(symbol)) missing.push('symbol');
    const sign = typeof side === 'string' && Object.hasOwn(SIGN, side) ? SIGN[side]! : NaN;
    if (Number.isNaN(sign)) missing.push('side');
    if (status !== 'open' && status !== 'closed') missing.push('status');
    if (version !== null && version !== undefined && typeof version !== 'string')
      missing.push('modelVersion');
    const quantity = number('quantity', false);
    const entryPrice = number('entryPrice', false);
    const fees = number('fees', false);
    const entryTime = time('entryTime', false);
    const closed = status === 'closed';
    const exitTime = time('exitTime', true);
    const exitPrice = number('exitPrice', true);
    const pnl = number('pnl', !closed);

    if (missing.length > 0) log.add('missing_value', i, () => ({ fields: missing }));
    if (nonFinite.length > 0) log.add('non_finite', i, () => ({ fields: nonFinite }));
    const badPrice = entryPrice <= 0 || exitPrice <= 0;
    if (badPrice) log.add('non_positive_price', i, () => ({ entryPrice, exitPrice }));
    if (quantity <= 0) log.add('non_positive_quantity', i, () => ({ quantity }));
    if (exitTime < entryTime) {
      log.add('exit_before_entry', i, () => ({ entryTime: isoOf(entryTime), exitTime: isoOf(exitTime) }));
    }
    const exitMissing = (name: string) => {
      const value = field(row, name);
      return value === null || value === undefined;
    };
    if (closed && (exitMissing('exitTime') || exitMissing('exitPrice'))) {
      log.add('closed_without_exit', i, () => ({
        exitTime: exitMissing('exitTime'),
        exitPrice: exitMissing('exitPrice'),
      }));
    }
    if (nonEmptyString(key)) {
      const first = firstByKey.get(key);
      if (first === undefined) firstByKey.set(key, i);
      else log.add('duplicate_trade', i, () => ({ idempotencyKey: key, firstRow: first }));
    }
    if (fees < 0) log.add('negative_fees', i, () => ({ fees }));
    if (options.knownSymbols && nonEmptyString(symbol) && !options.knownSymbols.has(symbol)) {
      log.add('unknown_symbol', i, () => ({ symbol }));
    }
    if (options.knownVersions && typeof version === 'string' && !options.knownVersions.has(version)) {
      log.add('unknown_version', i, () => ({ modelVersion: version }));
    }

    if (!closed || badPrice || !(quantity > 0)) continue;
    // NaN anywhere (a missing field, already reported) makes `expected` NaN and skips the check.
    const expected = sign * quantity * (exitPrice - entryPrice) - fees;
    const difference = Math.abs(pnl - expected);
    if (difference > Math.max(absolute, relative * Math.max(Math.abs(expected), Math.abs(pnl)))) {
      log.add('pnl_mismatch', i, () => ({ pnl, expected: Number(expected.toFixed(8)) }));
    }
  }

  return buildReport(rows.length, threshold, log.issues(), 'trade');
}

function tolerance(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!(Number.isFinite(value) && value >= 0)) {
    throw new ValidationError(
      `trade quality option ${name} = ${String(value)} must be a finite number ≥ 0`,
      name,
    );
  }
  return value;
}
