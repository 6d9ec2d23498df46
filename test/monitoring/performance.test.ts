import { describe, expect, it } from 'vitest';
import { judgeDegradation, liveMetrics, type LiveMetrics } from '../../src/monitoring/performance.js';

const YEAR = { start: new Date('2025-01-01T00:00:00Z'), end: new Date('2026-01-01T06:00:00Z') }; // 365.25 days
const SETTINGS = { decayThreshold: 0.1, minTrades: 30, maxDrawdown: 0.2 };
const VALIDATED = { winRate: 0.56, profitFactor: 1.6, sharpeRatio: 2.5, maxDrawdown: 0.08 };

const series = (returns: number[]) => ({
  returns: Float64Array.from(returns),
  exitTimes: Float64Array.from(returns, (_, i) => YEAR.start.getTime() + i),
});

/** `n` trades of which `wins`, spread evenly, win +1 % and the rest lose `loss`. */
function live(n: number, wins: number, loss = 0.01): LiveMetrics {
  const wins_ = (i: number) => Math.floor(((i + 1) * wins) / n) > Math.floor((i * wins) / n);
  return liveMetrics(series(Array.from({ length: n }, (_, i) => (wins_(i) ? 0.01 : -loss))), YEAR);
}

describe('liveMetrics', () => {
  it('matches hand-computed figures, one trade per period annualised by trades per year', () => {
    // r = [1 %, −2 %, 3 %, 1 %] over one year: 4 trades a year.
    const m = liveMetrics(series([0.01, -0.02, 0.03, 0.01]), YEAR);
    expect(m.tradeCount).toBe(4);
    expect(m.tradesPerYear).toBeCloseTo(4, 12);
    expect(m.winRate).toBe(0.75);
    expect(m.profitFactor).toBeCloseTo(0.05 / 0.02, 12);
    // mean 0.0075, sample std √(1.275e-3 / 3), Sharpe = mean / std · √4.
    expect(m.meanTradeReturn).toBeCloseTo(0.0075, 15);
    expect(m.tradeReturnStd).toBeCloseTo(Math.sqrt(1.275e-3 / 3), 15);
    expect(m.sharpeRatio).toBeCloseTo((0.0075 / Math.sqrt(1.275e-3 / 3)) * 2, 12);
    // Equity 1.01 → 0.9898: a 2 % fall from the peak.
    expect(m.maxDrawdown).toBeCloseTo(0.02, 12);
    expect(m.totalReturn).toBeCloseTo(1.01 * 0.98 * 1.03 * 1.01 - 1, 12);
  });

  it('has no Sharpe without trades or without a window, and no win rate without trades', () => {
    expect(liveMetrics(series([]), YEAR)).toMatchObject({
      tradeCount: 0,
      winRate: null,
      sharpeRatio: null,
      meanTradeReturn: null,
    });
    const instant = { start: YEAR.start, end: YEAR.start };
    expect(liveMetrics(series([0.01, 0.02]), instant).sharpeRatio).toBeNull();
  });
});

describe('judgeDegradation', () => {
  it('says insufficient data below minTrades, with no checks', () => {
    expect(judgeDegradation(live(29, 0), VALIDATED, SETTINGS)).toEqual({
      verdict: 'insufficient_data',
      checks: [],
      reasons: ['29 closed trades; at least 30 are needed to judge'],
    });
  });

  it('fails the win rate only when it is significantly below the validated rate less the decay', () => {
    // p0 = 0.56 × 0.9 = 0.504. 35 wins of 100: z = (0.35 − 0.504) / √(0.504 · 0.496 / 100) = −3.08.
    const bad = judgeDegradation(live(100, 35, 0.005), VALIDATED, SETTINGS);
    const winRate = bad.checks.find((c) => c.name === 'winRate')!;
    expect(winRate).toMatchObject({ degraded: true, live: 0.35, baseline: 0.56 });
    expect(winRate.limit).toBeCloseTo(0.504, 12);
    expect(winRate.message).toMatch(/z -3\.08/);
    // 48 wins of 100 is below 0.504 but within noise (z = −0.48).
    const noisy = judgeDegradation(live(100, 48, 0.005), VALIDATED, SETTINGS);
    expect(noisy.checks.find((c) => c.name === 'winRate')!.degraded).toBe(false);
  });

  it('fails the profit factor only when the trades lose money with evidence', () => {
    const losing = judgeDegradation(live(200, 60), VALIDATED, SETTINGS);
    expect(losing.checks.find((c) => c.name === 'profitFactor')).toMatchObject({ degraded: true });
    expect(losing.verdict).toBe('degraded');
    // 49 % winners of equal size: profit factor below 1.44, but the mean is not significantly < 0.
    const flat = judgeDegradation(live(100, 49, 0.01), VALIDATED, SETTINGS);
    expect(flat.checks.find((c) => c.name === 'profitFactor')).toMatchObject({ degraded: false });
  });

  it('fails the drawdown against the absolute limit whatever validation said', () => {
    const crash = judgeDegradation(
      liveMetrics(series([...Array<number>(40).fill(0.01), ...Array<number>(30).fill(-0.01)]), YEAR),
      {},
      SETTINGS,
    );
    expect(crash.checks.map((c) => c.name)).toEqual(['maxDrawdown']);
    expect(crash).toMatchObject({
      verdict: 'degraded',
      reasons: ['live max drawdown 26.03 % exceeds the 20 % limit'],
    });
  });

  it('passes live figures as good as the validated ones', () => {
    const good = judgeDegradation(live(100, 60, 0.008), VALIDATED, SETTINGS);
    expect(good).toMatchObject({ verdict: 'healthy', reasons: [] });
    expect(good.checks.map((c) => c.name)).toEqual(['winRate', 'sharpeRatio', 'profitFactor', 'maxDrawdown']);
  });
});
