import fc from 'fast-check';
import { expect, it } from 'vitest';
import { maxDrawdown, PROFIT_FACTOR_CAP, sharpeRatio, tradingMetrics } from '../../src/evaluation/metrics.js';
import { describeDatabaseIndependent } from '../helpers/database-independent.js';

/** Returns on a 1e-4 grid in [−0.5, 0.5]: realistic and free of subnormal noise. */
const gridReturn = fc.integer({ min: -5000, max: 5000 }).map((i) => i / 1e4);
/** Any finite double a policy could produce, extreme and negative-beyond-ruin values included. */
const anyReturn = fc.double({ min: -3, max: 50, noNaN: true });

function allNumbersFinite(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (value && typeof value === 'object') return Object.values(value).every(allNumbersFinite);
  return true;
}

describeDatabaseIndependent('metric properties', () => {
  it('keeps max drawdown in [0, 1] for any returns', () => {
    fc.assert(
      fc.property(fc.array(anyReturn, { maxLength: 200 }), (returns) => {
        const drawdown = maxDrawdown(returns);
        return drawdown >= 0 && drawdown <= 1;
      }),
    );
  });

  it('leaves Sharpe unchanged when every return is multiplied by c > 0 (rf = 0)', () => {
    fc.assert(
      fc.property(
        fc.array(gridReturn, { minLength: 2, maxLength: 100 }),
        fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
        (returns, scale) => {
          const original = sharpeRatio(returns, 252);
          const scaled = sharpeRatio(
            returns.map((r) => r * scale),
            252,
          );
          if (original === null || scaled === null) return original === scaled;
          return Math.abs(original - scaled) <= 1e-9 * Math.max(1, Math.abs(original));
        },
      ),
    );
  });

  it('reports the capped profit factor, flagged, when every trade wins', () => {
    fc.assert(
      fc.property(
        fc.array(gridReturn, { maxLength: 50 }),
        fc.array(fc.double({ min: 1e-6, max: 10, noNaN: true }), { minLength: 1, maxLength: 50 }),
        (returns, trades) => {
          const metrics = tradingMetrics({ returns, trades, periodsPerYear: 252 });
          return (
            metrics.profitFactor === PROFIT_FACTOR_CAP && metrics.profitFactorCapped && metrics.winRate === 1
          );
        },
      ),
    );
  });

  it('never contains NaN or Infinity: a JSON round trip gives back an equal object', () => {
    fc.assert(
      fc.property(
        fc.array(anyReturn, { maxLength: 120 }),
        fc.option(fc.array(anyReturn, { maxLength: 30 }), { nil: undefined }),
        fc.constantFrom(1, 12, 52, 252, 98_280),
        fc.double({ min: 0, max: 0.2, noNaN: true }),
        (returns, trades, periodsPerYear, riskFreeRate) => {
          const metrics = tradingMetrics({ returns, trades, periodsPerYear, riskFreeRate });
          expect(allNumbersFinite(metrics)).toBe(true);
          expect(JSON.parse(JSON.stringify(metrics))).toEqual(metrics);
        },
      ),
    );
  });

  it('keeps the consistency score in [0, 1]', () => {
    fc.assert(
      fc.property(fc.array(anyReturn, { maxLength: 120 }), (returns) => {
        const score = tradingMetrics({ returns, periodsPerYear: 252 }).consistencyScore;
        return returns.length === 0 ? score === null : score !== null && score >= 0 && score <= 1;
      }),
    );
  });
});
