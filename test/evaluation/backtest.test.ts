import fc from 'fast-check';
import { expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { backtestPositions } from '../../src/evaluation/backtest.js';
import { tradingMetrics } from '../../src/evaluation/metrics.js';
import { type CostModel, DEFAULT_COST_MODEL } from '../../src/rl/types.js';
import { describeDatabaseIndependent } from '../helpers/database-independent.js';

const NO_COSTS: CostModel = { commissionBps: 0, slippageBps: 0, fixedFee: 0 };
/** 10 bps commission + 5 bps slippage = 0.0015 per unit traded, plus 0.0005 per change. */
const COSTS: CostModel = { commissionBps: 10, slippageBps: 5, fixedFee: 0.0005 };

function sum(values: ArrayLike<number>): number {
  return Array.from(values).reduce((total, v) => total + v, 0);
}

describeDatabaseIndependent('costs are charged on both sides of a trade', () => {
  // Default costs: (1 + 0.5) / 1e4 = 0.00015 per unit traded, no fixed fee.
  const c = 0.00015;

  it('a round trip long for 3 bars pays exactly 2 × cost', () => {
    const report = backtestPositions({
      positions: [0, 1, 1, 1, 0],
      returns: [0.01, 0.02, -0.01, 0.005, 0.03],
      costs: DEFAULT_COST_MODEL,
      periodsPerYear: 252,
    });
    expect(Array.from(report.series.costs)).toEqual([0, c, 0, 0, c]);
    expect(report.summary.totalCost).toBeCloseTo(2 * c, 15);
    expect(sum(report.series.gross) - sum(report.series.net)).toBeCloseTo(2 * c, 15);
    expect(report.trades).toHaveLength(1);
    const [trade] = report.trades;
    expect(trade).toMatchObject({ side: 'long', start: 1, end: 4, periods: 3, open: false });
    expect(trade!.cost).toBeCloseTo(2 * c, 15);
    // Entry cost in its first period, exit cost as a factor (1 − c) after its last.
    expect(trade!.return).toBeCloseTo((1 + 0.02 - c) * (1 - 0.01) * (1 + 0.005) * (1 - c) - 1, 15);
    expect(trade!.grossReturn).toBeCloseTo(1.02 * 0.99 * 1.005 - 1, 15);
  });

  it('a flip from +1 to −1 pays cost on |Δ| = 2 and one fixed fee', () => {
    const report = backtestPositions({
      positions: [1, -1],
      returns: [0, 0],
      costs: COSTS,
      periodsPerYear: 252,
    });
    expect(report.series.costs[0]).toBeCloseTo(0.0015 + 0.0005, 15);
    expect(report.series.costs[1]).toBeCloseTo(2 * 0.0015 + 0.0005, 15);
    expect(report.summary.turnover.total).toBe(3);
  });
});

describeDatabaseIndependent('the trade list of a hand-made position path', () => {
  // c = 0.0015 per unit, fee = 0.0005 per change; a reversal splits its fee in halves.
  const report = backtestPositions({
    positions: [0, 1, 1, 0, -1, -1, 1, 1],
    returns: [0.01, 0.02, -0.01, 0.03, -0.02, 0.01, 0.04, -0.01],
    costs: COSTS,
    periodsPerYear: 252,
  });

  it('charges each period position × return − cost of the change', () => {
    const expected = [0, 0.02 - 0.002, -0.01, -0.002, 0.02 - 0.002, -0.01, 0.04 - 0.0035, -0.01];
    expected.forEach((value, t) => expect(report.series.net[t]).toBeCloseTo(value, 15));
  });

  it('splits the path into a long, a short and an open long trade', () => {
    const [long, short, open] = report.trades;
    expect(report.trades).toHaveLength(3);
    expect(long).toMatchObject({ side: 'long', start: 1, end: 3, periods: 2, open: false });
    expect(long!.return).toBeCloseTo((1 + 0.02 - 0.002) * 0.99 * (1 - 0.002) - 1, 15);
    expect(long!.cost).toBeCloseTo(0.004, 15);
    // The reversal at t = 6 closes 1 unit (0.0015 + half the fee) and opens 1 unit (the same).
    expect(short).toMatchObject({ side: 'short', start: 4, end: 6, periods: 2, open: false });
    expect(short!.return).toBeCloseTo((1 + 0.02 - 0.002) * 0.99 * (1 - 0.00175) - 1, 15);
    expect(short!.grossReturn).toBeCloseTo(1.02 * 0.99 - 1, 15);
    expect(open).toMatchObject({ side: 'long', start: 6, end: 8, periods: 2, open: true, carriedIn: false });
    expect(open!.return).toBeCloseTo((1 + 0.04 - 0.00175) * 0.99 - 1, 15);
    expect(sum(report.trades.map((t) => t.cost))).toBeCloseTo(report.summary.totalCost, 15);
  });

  it('reports exposure, turnover and per-position frequencies', () => {
    expect(report.summary.exposure).toBe(6 / 8);
    // |Δ| = 1 (enter long) + 1 (exit) + 1 (enter short) + 2 (reverse) = 5.
    expect(report.summary.turnover).toEqual({ total: 5, perPeriod: 5 / 8, annualised: (5 / 8) * 252 });
    expect(report.summary.actionFrequencyBasis).toBe('positions');
    expect(report.summary.actionFrequencies).toEqual({ '-1': 2 / 8, '0': 2 / 8, '1': 4 / 8 });
    expect(report.summary.metrics.tradeCount).toBe(3);
    expect(report.summary.metrics.winRate).toBe(1); // all three trades end above their start
  });
});

describeDatabaseIndependent('a position held before the first bar', () => {
  it('is a carried-in trade that pays only its exit inside the window', () => {
    const report = backtestPositions({
      positions: [1, 0],
      returns: [0.02, 0.01],
      costs: COSTS,
      periodsPerYear: 252,
      initialPosition: 1,
    });
    expect(report.trades).toHaveLength(1);
    expect(report.trades[0]).toMatchObject({ side: 'long', start: 0, end: 1, periods: 1, carriedIn: true });
    expect(report.trades[0]!.return).toBeCloseTo(1.02 * (1 - 0.002) - 1, 15);
    expect(Array.from(report.series.costs)).toEqual([0, 0.002]);
  });
});

describeDatabaseIndependent('buy-and-hold on the same bars', () => {
  it('holds 1 throughout and pays the entry cost once', () => {
    const returns = [0.01, -0.02, 0.03];
    const report = backtestPositions({ positions: [0, 0, 1], returns, costs: COSTS, periodsPerYear: 252 });
    const { buyAndHold } = report.summary;
    expect(buyAndHold.totalReturn).toBeCloseTo((1 + 0.01 - 0.002) * 0.98 * 1.03 - 1, 15);
    expect(buyAndHold.exposure).toBe(1);
    expect(buyAndHold.tradeCount).toBe(1);
    expect(report.series.buyAndHoldEquity[3]).toBeCloseTo(1 + buyAndHold.totalReturn, 15);
    expect(report.summary.excess.totalReturn).toBeCloseTo(
      report.summary.metrics.totalReturn - buyAndHold.totalReturn,
      15,
    );
  });

  it('flags a policy that only holds, and it has no excess over buy-and-hold', () => {
    const report = backtestPositions({
      positions: [1, 1, 1, 1],
      returns: [0.01, -0.02, 0.03, 0.01],
      costs: COSTS,
      periodsPerYear: 252,
    });
    expect(report.summary.flags).toEqual({ neverTrades: false, alwaysSameAction: true, holdsOnly: true });
    expect(report.summary.excess).toEqual({ sharpeRatio: 0, totalReturn: 0, maxDrawdown: 0 });
  });
});

describeDatabaseIndependent('break-even cost', () => {
  // Gross PnL 0.01 + 0.004 + 0 + 0.006 + 0.002 + 0 + 0.003 = 0.025 over Σ|Δ| = 5 → 50 bps.
  const positions = [1, 1, 0, -1, -1, 0, 1];
  const returns = [0.01, 0.004, -0.003, -0.006, -0.002, 0.005, 0.003];

  it('is gross PnL per unit traded, in bps', () => {
    const report = backtestPositions({ positions, returns, costs: NO_COSTS, periodsPerYear: 252 });
    expect(report.summary.breakEvenCostBps).toBeCloseTo(50, 10);
  });

  it('makes net PnL ≈ 0 when used as the cost', () => {
    const breakEven = backtestPositions({ positions, returns, costs: NO_COSTS, periodsPerYear: 252 }).summary
      .breakEvenCostBps!;
    const report = backtestPositions({
      positions,
      returns,
      costs: { commissionBps: breakEven, slippageBps: 0, fixedFee: 0 },
      periodsPerYear: 252,
    });
    expect(sum(report.series.net)).toBeCloseTo(0, 14);
    expect(Math.abs(report.summary.metrics.totalReturn)).toBeLessThan(1e-3); // compounding only
  });
});

describeDatabaseIndependent('flags of a policy that does nothing', () => {
  it('sees a policy that never trades', () => {
    const report = backtestPositions({
      positions: [0, 0, 0, 0],
      returns: [0.01, -0.02, 0.03, 0.01],
      costs: COSTS,
      periodsPerYear: 252,
      actions: [1, 1, 1, 1],
      actionCount: 3,
    });
    expect(report.summary.flags).toEqual({ neverTrades: true, alwaysSameAction: true, holdsOnly: false });
    expect(report.summary.actionFrequencies).toEqual({ '0': 0, '1': 1, '2': 0 });
    expect(report.summary.breakEvenCostBps).toBeNull();
    expect(report.summary.metrics).toMatchObject({ totalReturn: 0, tradeCount: 0, sharpeRatio: null });
    expect(report.trades).toEqual([]);
  });

  it('flags one action above 95% of the periods, not at 95%', () => {
    const run = (same: number): boolean => {
      const actions = Array.from({ length: 100 }, (_, t) => (t < same ? 2 : 0));
      const positions = actions.map((a) => a - 1);
      const returns = new Array<number>(100).fill(0.001);
      return backtestPositions({ positions, returns, costs: COSTS, periodsPerYear: 252, actions }).summary
        .flags.alwaysSameAction;
    };
    expect(run(96)).toBe(true);
    expect(run(95)).toBe(false);
  });
});

describeDatabaseIndependent('backtest summary', () => {
  it('is JSON-safe and consistent for any position path', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(-1, 0, 1), fc.integer({ min: -300, max: 300 })), { maxLength: 80 }),
        fc.constantFrom(-1, 0, 1),
        (bars, initialPosition) => {
          const positions = bars.map(([p]) => p);
          const returns = bars.map(([, r]) => r / 1e4);
          const report = backtestPositions({
            positions,
            returns,
            costs: COSTS,
            periodsPerYear: 252,
            initialPosition,
          });
          expect(JSON.parse(JSON.stringify(report.summary))).toEqual(report.summary);
          const net = tradingMetrics({ returns: report.series.net, periodsPerYear: 252 });
          expect(report.summary.metrics.totalReturn).toBe(net.totalReturn);
          const tradeCosts = report.trades.reduce((total, trade) => total + trade.cost, 0);
          expect(tradeCosts).toBeCloseTo(report.summary.totalCost, 12);
          bars.forEach((_, t) =>
            expect(report.series.net[t]).toBeCloseTo(report.series.gross[t]! - report.series.costs[t]!, 15),
          );
        },
      ),
    );
  });

  it('rejects series of different lengths and out-of-range actions', () => {
    const base = { positions: [0, 1], returns: [0.01, 0.02], costs: COSTS, periodsPerYear: 252 };
    expect(() => backtestPositions({ ...base, returns: [0.01] })).toThrow(ValidationError);
    expect(() => backtestPositions({ ...base, returns: [0.01, Number.NaN] })).toThrow(/returns\[1\] is NaN/);
    expect(() => backtestPositions({ ...base, actions: [0, 3], actionCount: 3 })).toThrow(
      /actions\[1\] is 3; expected an integer in \[0, 3\)/,
    );
    expect(() => backtestPositions({ ...base, costs: { ...COSTS, slippageBps: -1 } })).toThrow(
      /costs.slippageBps is -1/,
    );
  });
});
