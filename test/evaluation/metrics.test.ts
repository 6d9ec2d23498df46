import { expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import {
  consistencyScore,
  drawdownSeries,
  equityCurve,
  maxDrawdown,
  PROFIT_FACTOR_CAP,
  sharpeRatio,
  sortinoRatio,
  tradingMetrics,
} from '../../src/evaluation/metrics.js';
import { describeDatabaseIndependent } from '../helpers/database-independent.js';

/**
 * Reference series r = [0.01, −0.02, 0.03, 0, −0.01], P = 252, worked by hand with the formulas of
 * empyrical's stats.py (and cross-checked with the same formulas in plain Python):
 *   mean = 0.01 / 5 = 0.002
 *   deviations 0.008, −0.022, 0.028, −0.002, −0.012; squares sum to 0.00148
 *   sample variance = 0.00148 / 4 = 0.00037, std = √0.00037 = 0.0192353840616713
 *   sharpe = 0.002 / 0.0192353840616713 · √252 = 1.6505527329729037
 *   downside: min(r, 0)² = 0, 0.0004, 0, 0, 0.0001 → mean 0.0001 → √ = 0.01
 *   downside risk = 0.01 · √252 = 0.15874507866387544
 *   sortino = 0.002 · 252 / 0.15874507866387544 = 0.2 · √252 = 3.1749015732775074
 *   equity 1, 1.01, 0.9898, 1.019494, 1.019494, 1.00929906
 *   total = 0.00929906, annual = 1.00929906^(252/5) − 1 = 0.5944150547747202
 *   max drawdown = (1.01 − 0.9898) / 1.01 = 0.02, calmar = 0.5944150547747202 / 0.02 = 29.72075…
 *   annual volatility = 0.0192353840616713 · √252 = 0.30535225559998735
 */
const REFERENCE = [0.01, -0.02, 0.03, 0.0, -0.01];

describeDatabaseIndependent('tradingMetrics on a hand-computed series (empyrical conventions)', () => {
  const metrics = tradingMetrics({ returns: REFERENCE, periodsPerYear: 252 });

  it('computes Sharpe from the sample standard deviation annualised by √P', () => {
    expect(metrics.sharpeRatio).toBeCloseTo(1.6505527329729037, 12);
    expect(metrics.annualVolatility).toBeCloseTo(0.30535225559998735, 12);
  });

  it('computes Sortino as mean·P over the root-mean-square downside·√P', () => {
    expect(metrics.sortinoRatio).toBeCloseTo(3.1749015732775074, 12);
  });

  it('compounds total and annual return', () => {
    expect(metrics.totalReturn).toBeCloseTo(0.00929906, 14);
    expect(metrics.annualReturn).toBeCloseTo(0.5944150547747202, 10);
    expect(metrics.periods).toBe(5);
  });

  it('reports max drawdown as a positive fraction and Calmar as annual return over it', () => {
    expect(metrics.maxDrawdown).toBeCloseTo(0.02, 14);
    expect(metrics.calmarRatio).toBeCloseTo(29.720752738736017, 8);
  });

  it('converts an annual risk-free rate to a per-period one, (1 + rf)^(1/P) − 1', () => {
    // rf = 5%: per period 1.05^(1/252) − 1 = 0.000193628…; values from the same Python formulas.
    const withRate = tradingMetrics({ returns: REFERENCE, periodsPerYear: 252, riskFreeRate: 0.05 });
    expect(withRate.sharpeRatio).toBeCloseTo(1.4907540520913622, 10);
    expect(withRate.sortinoRatio).toBeCloseTo(2.8344662659509656, 10);
    expect(sharpeRatio(REFERENCE, 252, 0.05)).toBe(withRate.sharpeRatio);
  });

  it('counts winning periods and the profit factor over non-zero periods when no trades are given', () => {
    // Non-zero periods 0.01, −0.02, 0.03, −0.01: 2 of 4 win; gains 0.04 / losses 0.03.
    expect(metrics.winRateBasis).toBe('periods');
    expect(metrics.winRate).toBe(0.5);
    expect(metrics.profitFactor).toBeCloseTo(4 / 3, 12);
    expect(metrics.tradeCount).toBeNull();
  });
});

describeDatabaseIndependent('trade statistics', () => {
  it('computes win rate and profit factor of a trade list', () => {
    // Wins 0.05 and 0.03 of 5 trades (a flat trade is not a win); gains 0.08, losses 0.03.
    const metrics = tradingMetrics({
      returns: REFERENCE,
      trades: [0.05, -0.02, 0.03, -0.01, 0],
      periodsPerYear: 252,
    });
    expect(metrics.winRateBasis).toBe('trades');
    expect(metrics.tradeCount).toBe(5);
    expect(metrics.winRate).toBe(0.4);
    expect(metrics.profitFactor).toBeCloseTo(0.08 / 0.03, 12);
    expect(metrics.profitFactorCapped).toBe(false);
  });

  it('caps the profit factor of only winning trades and flags it', () => {
    const metrics = tradingMetrics({ returns: REFERENCE, trades: [0.01, 0.02], periodsPerYear: 252 });
    expect(metrics.profitFactor).toBe(PROFIT_FACTOR_CAP);
    expect(metrics.profitFactorCapped).toBe(true);
  });

  it('has no win rate or profit factor without trades', () => {
    const metrics = tradingMetrics({ returns: REFERENCE, trades: [], periodsPerYear: 252 });
    expect(metrics).toMatchObject({ tradeCount: 0, winRate: null, profitFactor: null });
  });
});

describeDatabaseIndependent('equity and drawdown', () => {
  it('builds the equity curve from 1 and the drawdown from its running peak', () => {
    // Equity 1 → 1.1 → 0.55 → 0.66 → 1.32; peak 1.1 until the end.
    const returns = [0.1, -0.5, 0.2, 1.0];
    const equity = Array.from(equityCurve(returns));
    [1, 1.1, 0.55, 0.66, 1.32].forEach((value, t) => expect(equity[t]).toBeCloseTo(value, 14));
    const drawdown = Array.from(drawdownSeries(returns));
    [0, 0, 0.5, 0.4, 0].forEach((value, t) => expect(drawdown[t]).toBeCloseTo(value, 14));
    expect(maxDrawdown(returns)).toBeCloseTo(0.5, 14);
  });

  it('counts a loss in the first period (empyrical does not)', () => {
    expect(maxDrawdown([-0.1, 0.05])).toBeCloseTo(0.1, 14);
  });

  it('stops at ruin: a loss beyond the capital leaves equity at 0 and drawdown at 1', () => {
    const metrics = tradingMetrics({ returns: [0.5, -1.5, 0.3], periodsPerYear: 252 });
    expect(Array.from(equityCurve([0.5, -1.5, 0.3]))).toEqual([1, 1.5, 0, 0]);
    expect(metrics.maxDrawdown).toBe(1);
    expect(metrics.totalReturn).toBe(-1);
    expect(metrics.annualReturn).toBe(-1);
    expect(metrics.consistencyScore).toBe(0);
  });
});

describeDatabaseIndependent('undefined values are null, never NaN or Infinity', () => {
  it('has no Sharpe for a constant series or fewer than 2 periods', () => {
    expect(sharpeRatio([0.01, 0.01, 0.01], 252)).toBeNull();
    expect(sharpeRatio([0.01], 252)).toBeNull();
    expect(tradingMetrics({ returns: [0.01], periodsPerYear: 252 }).annualVolatility).toBeNull();
  });

  it('has no Sortino without a period below the required return, and no Calmar without drawdown', () => {
    expect(sortinoRatio([0.01, 0.02], 252)).toBeNull();
    const metrics = tradingMetrics({ returns: [0.01, 0.02], periodsPerYear: 252 });
    expect(metrics.maxDrawdown).toBe(0);
    expect(metrics.calmarRatio).toBeNull();
  });

  it('describes an empty series without failing', () => {
    const metrics = tradingMetrics({ returns: [], periodsPerYear: 252 });
    expect(metrics).toMatchObject({ periods: 0, totalReturn: 0, annualReturn: null, maxDrawdown: 0 });
    expect(metrics.consistencyScore).toBeNull();
  });
});

describeDatabaseIndependent('consistencyScore', () => {
  it('is 1 when every sub-period earns the same', () => {
    expect(consistencyScore(new Array<number>(10).fill(0.01))).toBeCloseTo(1, 12);
  });

  it('is the share of winning sub-periods when each earns at least an even share', () => {
    // 7 of 10 sub-periods (one period each) win, each at least G/10 in log growth.
    const returns = [0.02, 0.01, -0.01, 0.02, 0.0, 0.01, 0.03, -0.02, 0.01, 0.01];
    expect(consistencyScore(returns)).toBeCloseTo(0.7, 12);
    expect(consistencyScore([0.1, 0, 0, 0, 0, 0, 0, 0, 0, 0])).toBeCloseTo(0.1, 12);
  });

  it('penalises a profit carried by one sub-period', () => {
    // g = ln 1.3 once, ln 1.01 nine times; G = 0.35191724…; (9·ln 1.01 + G/10) / G = 0.354471…
    expect(consistencyScore([0.3, ...new Array<number>(9).fill(0.01)])).toBeCloseTo(0.3544716966193972, 12);
  });

  it('is 0 when the series loses overall, and splits longer series into 10 sub-periods', () => {
    expect(consistencyScore([0.01, -0.02, 0.005])).toBe(0);
    // 20 periods of +1%, −0.5%: every pair (sub-period) grows by the same 1.01 · 0.995.
    const alternating = Array.from({ length: 20 }, (_, t) => (t % 2 === 0 ? 0.01 : -0.005));
    expect(consistencyScore(alternating)).toBeCloseTo(1, 10);
  });
});

describeDatabaseIndependent('input validation', () => {
  it('names the index of a non-finite return', () => {
    const call = (): unknown => tradingMetrics({ returns: [0.01, Number.NaN], periodsPerYear: 252 });
    expect(call).toThrow(ValidationError);
    expect(call).toThrow(/returns\[1\] is NaN/);
  });

  it('rejects a non-positive number of periods per year and a risk-free rate ≤ −1', () => {
    expect(() => tradingMetrics({ returns: REFERENCE, periodsPerYear: 0 })).toThrow(/periodsPerYear is 0/);
    expect(() => tradingMetrics({ returns: REFERENCE, periodsPerYear: 252, riskFreeRate: -1 })).toThrow(
      /riskFreeRate/,
    );
  });

  it('rejects a non-finite trade return and positions of the wrong length', () => {
    expect(() =>
      tradingMetrics({ returns: REFERENCE, trades: [0.01, Infinity], periodsPerYear: 252 }),
    ).toThrow(/trades\[1\] is Infinity/);
    expect(() => tradingMetrics({ returns: REFERENCE, positions: [1], periodsPerYear: 252 })).toThrow(
      /positions has 1 values; expected 5/,
    );
  });
});
