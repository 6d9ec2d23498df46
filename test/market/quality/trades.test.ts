import { describe, expect, it } from 'vitest';
import { validateTrades, type QualityReport } from '../../../src/market/quality/index.js';
import type { LiveTrade } from '../../../src/store/live-trades.js';
import { cleanTrades } from './synthetic.js';

const OPTIONS = {
  threshold: 0.7,
  knownSymbols: new Set(['AAPL', 'MSFT']),
  knownVersions: new Set(['v1.2.0']),
};

function withTrade(
  trades: readonly LiveTrade[],
  index: number,
  change: Partial<Record<keyof LiveTrade, unknown>>,
) {
  return trades.map((trade, i) => (i === index ? ({ ...trade, ...change } as LiveTrade) : trade));
}

function expectOnly(trades: readonly LiveTrade[], code: string, count: number, index: number): QualityReport {
  const report = validateTrades(trades, OPTIONS);
  expect(report.details.map((detail) => detail.code)).toEqual([code]);
  expect(report.details[0]!.count).toBe(count);
  expect(report.details[0]!.examples[0]!.index).toBe(index);
  expect(report.score).toBeLessThan(1);
  return report;
}

describe('validateTrades', () => {
  const clean = cleanTrades();
  const k = 10;
  const trade = clean[k]!;

  it('scores clean trades 1 with no issues', () => {
    expect(validateTrades(clean, OPTIONS)).toEqual({
      valid: true,
      score: 1,
      rows: 50,
      issues: [],
      details: [],
    });
  });

  it('scores no trades 0', () => {
    expect(validateTrades([], OPTIONS)).toMatchObject({
      valid: false,
      score: 0,
      issues: ['no trades to validate: the input is empty'],
    });
  });

  it('missing_value: absent, mistyped and invalid fields', () => {
    const report = expectOnly(
      withTrade(clean, k, { symbol: undefined, side: 'sideways', entryTime: 'yesterday' }),
      'missing_value',
      1,
      k,
    );
    expect(report.details[0]!.examples[0]!.fields).toEqual(['symbol', 'side', 'entryTime']);
    expectOnly(withTrade(clean, k, { pnl: null }), 'missing_value', 1, k);
  });

  it('non_finite', () => {
    expectOnly(withTrade(clean, k, { fees: NaN }), 'non_finite', 1, k);
  });

  it('non_positive_price and non_positive_quantity', () => {
    expectOnly(withTrade(clean, k, { entryPrice: 0 }), 'non_positive_price', 1, k);
    expectOnly(withTrade(clean, k, { quantity: -2 }), 'non_positive_quantity', 1, k);
  });

  it('exit_before_entry', () => {
    const exitTime = new Date(trade.entryTime.getTime() - 60_000);
    expectOnly(withTrade(clean, k, { exitTime }), 'exit_before_entry', 1, k);
  });

  it('closed_without_exit', () => {
    const report = expectOnly(withTrade(clean, k, { exitPrice: null, pnl: 0 }), 'closed_without_exit', 1, k);
    expect(report.details[0]!.examples[0]).toMatchObject({ exitTime: false, exitPrice: true });
  });

  it('duplicate_trade: the repeat of an idempotency key', () => {
    const report = expectOnly([...clean, { ...trade }], 'duplicate_trade', 1, 50);
    expect(report.details[0]!.examples[0]).toMatchObject({ idempotencyKey: 'trade-10', firstRow: k });
  });

  it('pnl_mismatch: beyond the tolerance, not within it', () => {
    const pnl = trade.pnl!;
    const report = expectOnly(withTrade(clean, k, { pnl: pnl + 5 }), 'pnl_mismatch', 1, k);
    expect(report.details[0]!.examples[0]!.expected).toBeCloseTo(pnl, 6);
    expect(validateTrades(withTrade(clean, k, { pnl: pnl + 0.004 }), OPTIONS).score).toBe(1);
    // A short trade's pnl with the long sign is wrong.
    const short = clean[1]!;
    const longPnl = short.quantity * (short.exitPrice! - short.entryPrice) - short.fees;
    expectOnly(withTrade(clean, 1, { pnl: longPnl }), 'pnl_mismatch', 1, 1);
  });

  it('unknown_symbol and unknown_version, only when the known sets are given', () => {
    expectOnly(withTrade(clean, k, { symbol: 'TSLA' }), 'unknown_symbol', 1, k);
    expectOnly(withTrade(clean, k, { modelVersion: 'v0.9.0' }), 'unknown_version', 1, k);
    expect(validateTrades(withTrade(clean, k, { modelVersion: null }), OPTIONS).score).toBe(1);
    expect(validateTrades(withTrade(clean, k, { symbol: 'TSLA' }), { threshold: 0.7 }).score).toBe(1);
  });

  it('negative_fees, with the pnl that matches them', () => {
    const fees = -0.2;
    const pnl = trade.pnl! + trade.fees - fees;
    expectOnly(withTrade(clean, k, { fees, pnl }), 'negative_fees', 1, k);
  });

  it('weighs warnings a quarter and errors one', () => {
    const trades = withTrade(withTrade(clean, 1, { symbol: 'TSLA' }), 2, { quantity: 0 });
    expect(validateTrades(trades, OPTIONS).score).toBeCloseTo(1 - 1.25 / 50, 12);
  });

  it('reports rows that are not objects instead of throwing', () => {
    const garbage = [null, 42, 'trade', [], { idempotencyKey: 7 }] as unknown as LiveTrade[];
    const report = validateTrades(garbage, OPTIONS);
    expect(report.details[0]).toMatchObject({ code: 'missing_value', count: 5 });
    expect(report.score).toBe(0);
  });
});
