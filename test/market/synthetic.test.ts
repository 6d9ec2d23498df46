import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { parseInterval, periodsPerYear } from '../../src/market/interval.js';
import {
  DEFAULT_SYNTHETIC_OPTIONS,
  generateSyntheticMarket,
  policyReturns,
  REGIMES,
  sharpe,
  simulateLiveTrades,
  symbolBars,
  type SyntheticMarket,
} from '../../src/market/synthetic.js';
import { Random } from '../../src/rl/random.js';
import type { LiveTrade } from '../../src/store/live-trades.js';
import type { MarketBar } from '../../src/store/market-bars.js';

const FIVE_MINUTE_YEAR = periodsPerYear(parseInterval('5m')); // 252 × 78 = 19,656 bars
const [TRENDING, MEAN_REVERTING, VOLATILE] = [0, 1, 2];

function logReturns(bars: readonly MarketBar[]): number[] {
  return bars.map((bar, t) => (t === 0 ? 0 : Math.log(bar.close / (bars[t - 1] as MarketBar).close)));
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

function correlation(xs: readonly number[], ys: readonly number[]): number {
  const mx = mean(xs);
  const my = mean(ys);
  let cov = 0;
  let vx = 0;
  let vy = 0;
  for (let i = 0; i < xs.length; i++) {
    const dx = (xs[i] as number) - mx;
    const dy = (ys[i] as number) - my;
    cov += dx * dy;
    vx += dx * dx;
    vy += dy * dy;
  }
  return cov / Math.sqrt(vx * vy);
}

/** Returns of every symbol concatenated, for Sharpe ratios over the whole market. */
function pooledReturns(
  market: SyntheticMarket,
  positionsOf: (symbol: string, n: number) => ArrayLike<number>,
) {
  const pooled: number[] = [];
  for (const symbol of market.options.symbols) {
    const bars = symbolBars(market, symbol);
    pooled.push(...policyReturns(bars, positionsOf(symbol, bars.length), 1));
  }
  return pooled;
}

/** A seeded random policy that holds each random position for about 20 bars. */
function randomPositions(seed: string, n: number): Int8Array {
  const random = new Random(seed);
  const positions = new Int8Array(n);
  let position = 0;
  for (let t = 0; t < n; t++) {
    if (t === 0 || random.next() < 1 / 20) position = random.int(3) - 1;
    positions[t] = position;
  }
  return positions;
}

const market60 = generateSyntheticMarket({ seed: 7, sessions: 60 });
const market120 = generateSyntheticMarket({ seed: 11, sessions: 120 });

describe('generateSyntheticMarket', () => {
  it('gives deep-equal bars and truth for the same seed and different ones for another seed', () => {
    const again = generateSyntheticMarket({ seed: 7, sessions: 60 });
    expect(again).toEqual(market60);
    const other = generateSyntheticMarket({ seed: 8, sessions: 60 });
    expect(other.bars.map((bar) => bar.close)).not.toEqual(market60.bars.map((bar) => bar.close));
    expect(other.truth.SYNA?.regime).not.toEqual(market60.truth.SYNA?.regime);
  });

  it('leaves a symbol unchanged when another symbol is added or removed', () => {
    const one = generateSyntheticMarket({ seed: 'x', symbols: ['SYNB'], sessions: 3 });
    const three = generateSyntheticMarket({ seed: 'x', symbols: ['SYNC', 'SYNB', 'SYNA'], sessions: 3 });
    expect(symbolBars(three, 'SYNB')).toEqual(one.bars);
    expect(three.truth.SYNB).toEqual(one.truth.SYNB);
  });

  it('uses the documented defaults and sorts bars by symbol then time', () => {
    const market = generateSyntheticMarket({ sessions: 2 });
    expect(market.options).toEqual({ ...DEFAULT_SYNTHETIC_OPTIONS, sessions: 2 });
    expect(market.bars).toHaveLength(3 * 2 * 78);
    expect(Object.keys(market.truth)).toEqual(['SYNA', 'SYNB', 'SYNC']);
    const keys = market.bars.map((bar) => `${bar.symbol}|${bar.ts.toISOString()}`);
    expect(keys).toEqual([...keys].sort());
    expect(market.bars[0]).toMatchObject({ symbol: 'SYNA', interval: '5m', open: 100 });
    expect(market.bars[0]?.ts.toISOString()).toBe('2026-01-05T09:30:00.000Z');
  });

  it('builds consistent, positive and finite OHLC bars with positive volume, crashes included', () => {
    const stressed = generateSyntheticMarket({ seed: 3, sessions: 20, crashProbability: 0.01 });
    for (const { bars } of [market60, stressed]) {
      const broken = bars.filter(
        (bar) =>
          ![bar.open, bar.high, bar.low, bar.close, bar.volume].every((v) => Number.isFinite(v) && v > 0) ||
          bar.high < Math.max(bar.open, bar.close) ||
          bar.low > Math.min(bar.open, bar.close) ||
          !Number.isInteger(bar.volume),
      );
      expect(broken).toEqual([]);
      expect(bars.some((bar) => bar.high > Math.max(bar.open, bar.close))).toBe(true);
      expect(bars.some((bar) => bar.low < Math.min(bar.open, bar.close))).toBe(true);
    }
  });

  it('opens each bar at the previous close within a session and with a small gap at the session open', () => {
    const bars = symbolBars(market60, 'SYNA');
    const gaps: number[] = [];
    for (let t = 1; t < bars.length; t++) {
      const [previous, bar] = [bars[t - 1] as MarketBar, bars[t] as MarketBar];
      if (bar.ts.getUTCDate() === previous.ts.getUTCDate()) expect(bar.open).toBe(previous.close);
      else gaps.push(Math.log(bar.open / previous.close));
    }
    expect(gaps).toHaveLength(59);
    expect(gaps.some((gap) => gap !== 0)).toBe(true);
    expect(Math.max(...gaps.map(Math.abs))).toBeLessThan(0.01);
  });

  it('skips weekends and gives every session the bars of its 09:30–16:00 window', () => {
    const bars = symbolBars(market60, 'SYNC');
    const days = new Map<string, Date[]>();
    for (const bar of bars) {
      const day = bar.ts.toISOString().slice(0, 10);
      days.set(day, [...(days.get(day) ?? []), bar.ts]);
    }
    expect(days.size).toBe(60);
    for (const stamps of days.values()) {
      expect(stamps).toHaveLength(78);
      expect([0, 6]).not.toContain(stamps[0]?.getUTCDay());
      expect(stamps[0]?.toISOString().slice(11, 16)).toBe('09:30');
      expect(stamps[77]?.toISOString().slice(11, 16)).toBe('15:55');
    }
    // 60 weekdays from Monday 5 January 2026 end on Friday 27 March 2026.
    expect([...days.keys()].at(-1)).toBe('2026-03-27');
  });

  it('supports hourly and daily intervals, a bar count instead of sessions, and a start inside a session', () => {
    const hourly = generateSyntheticMarket({ interval: '1h', sessions: 2, symbols: ['H'] });
    expect(hourly.bars.map((bar) => bar.ts.toISOString().slice(8, 16))).toEqual([
      ...['05T09:30', '05T10:30', '05T11:30', '05T12:30', '05T13:30', '05T14:30'],
      ...['06T09:30', '06T10:30', '06T11:30', '06T12:30', '06T13:30', '06T14:30'],
    ]);
    const daily = generateSyntheticMarket({
      interval: '1d',
      bars: 7,
      symbols: ['D'],
      start: new Date('2026-01-08'),
    });
    expect(daily.bars.map((bar) => bar.ts.toISOString().slice(0, 10))).toEqual([
      ...['2026-01-08', '2026-01-09', '2026-01-12', '2026-01-13', '2026-01-14', '2026-01-15', '2026-01-16'],
    ]);
    const counted = generateSyntheticMarket({ bars: 100, symbols: ['C'] });
    expect(counted.bars).toHaveLength(100);
    expect(counted.truth.C?.expectedReturn).toHaveLength(100);
    const late = generateSyntheticMarket({
      sessions: 2,
      symbols: ['L'],
      start: new Date('2026-01-05T15:00:00Z'),
    });
    expect(late.bars).toHaveLength(12 + 78);
    expect(late.bars[0]?.ts.toISOString()).toBe('2026-01-05T15:00:00.000Z');
  });

  it('rejects invalid options naming the field', () => {
    const cases: [Parameters<typeof generateSyntheticMarket>[0], string][] = [
      [{ symbols: [] }, 'symbols'],
      [{ symbols: ['A', 'A'] }, 'symbols'],
      [{ interval: '1w' }, 'interval'],
      [{ interval: '7h' }, 'interval'],
      [{ interval: 'soon' }, 'interval'],
      [{ sessions: 0 }, 'sessions'],
      [
        {
          transition: [
            [1, 0, 0],
            [0, 1, 0],
            [0, 0.5, 0.4],
          ],
        },
        'transition',
      ],
      [{ trendStrength: 1 }, 'trendStrength'],
      [{ crashSize: 0.1 }, 'crashSize'],
      [{ start: new Date('nope') }, 'start'],
    ];
    for (const [options, field] of cases) {
      expect(() => generateSyntheticMarket(options)).toThrow(ValidationError);
      expect(() => generateSyntheticMarket(options)).toThrow(field);
    }
  });

  it('switches regimes, visits each one, and keeps each for about the designed 250 bars', () => {
    let switches = 0;
    let bars = 0;
    for (const symbol of market120.options.symbols) {
      const regime = market120.truth[symbol]?.regime ?? new Uint8Array();
      bars += regime.length;
      for (let t = 1; t < regime.length; t++) if (regime[t] !== regime[t - 1]) switches++;
      for (let k = 0; k < REGIMES.length; k++) {
        expect(regime.filter((r) => r === k).length / regime.length).toBeGreaterThan(0.1);
      }
    }
    const meanLength = bars / (switches + market120.options.symbols.length);
    expect(meanLength).toBeGreaterThan(150);
    expect(meanLength).toBeLessThan(400);
  });

  it('gives returns the designed lag-1 autocorrelation in each regime', () => {
    const pairs: [number[], number[]][] = REGIMES.map(() => [[], []]);
    for (const symbol of market120.options.symbols) {
      const returns = logReturns(symbolBars(market120, symbol));
      const regime = market120.truth[symbol]?.regime ?? new Uint8Array();
      for (let t = 2; t < returns.length; t++) {
        if (regime[t] !== regime[t - 1]) continue;
        pairs[regime[t] as number]?.[0].push(returns[t - 1] as number);
        pairs[regime[t] as number]?.[1].push(returns[t] as number);
      }
    }
    const autocorrelation = pairs.map(([previous, next]) => correlation(previous, next));
    // Measured 0.072, −0.043 and 0.010 with 7,000–11,000 pairs each (standard error ≈ 0.011).
    expect(autocorrelation[TRENDING]).toBeGreaterThan(0.04);
    expect(autocorrelation[MEAN_REVERTING]).toBeLessThan(-0.03);
    expect(Math.abs(autocorrelation[VOLATILE] ?? 1)).toBeLessThan(0.03);
  });

  it('gives an expectedReturn that predicts the next return one for one', () => {
    const predicted: number[] = [];
    const realised: number[] = [];
    for (const symbol of market120.options.symbols) {
      const returns = logReturns(symbolBars(market120, symbol));
      const expected = market120.truth[symbol]?.expectedReturn ?? new Float64Array();
      for (let t = 0; t + 1 < returns.length; t++) {
        predicted.push(expected[t] as number);
        realised.push(returns[t + 1] as number);
      }
    }
    const mp = mean(predicted);
    const mr = mean(realised);
    let cov = 0;
    let variance = 0;
    for (let i = 0; i < predicted.length; i++) {
      cov += ((predicted[i] as number) - mp) * ((realised[i] as number) - mr);
      variance += ((predicted[i] as number) - mp) ** 2;
    }
    const slope = cov / variance;
    expect(slope).toBeGreaterThan(0.85);
    expect(slope).toBeLessThan(1.15);
  });

  it('sets the oracle position to the sign of expectedReturn beyond the cost threshold', () => {
    const market = generateSyntheticMarket({ seed: 2, sessions: 20, oracleCostBps: 2 });
    for (const truth of Object.values(market.truth)) {
      truth.expectedReturn.forEach((expected, t) => {
        expect(truth.oraclePosition[t]).toBe(Math.abs(expected) > 2e-4 ? Math.sign(expected) : 0);
      });
      expect(new Set(truth.oraclePosition)).toEqual(new Set([-1, 0, 1]));
    }
  });

  it('gives the oracle a large Sharpe net of 1 bp costs and a random policy one near 0', () => {
    const oracle = sharpe(
      pooledReturns(market120, (symbol) => market120.truth[symbol]?.oraclePosition ?? []),
      FIVE_MINUTE_YEAR,
    );
    const random = sharpe(
      pooledReturns(market120, (symbol, n) => randomPositions(`random-${symbol}`, n)),
      FIVE_MINUTE_YEAR,
    );
    // Measured: oracle 12.0 annualised (9.5 net of 2 bp), random −0.7 (standard error ≈ 0.8, 28,000 bars).
    expect(oracle).toBeGreaterThan(8);
    expect(Math.abs(random)).toBeLessThan(2.5);
  });

  it('lets a rule that sees only past prices recover most of the oracle Sharpe', () => {
    const { options } = market120;
    const volatility = options.volatility;
    const quietBelow = Math.sqrt(volatility.mean_reverting * volatility.trending);
    const calmBelow = Math.sqrt(volatility.trending * volatility.volatile);
    const observableRule = (symbol: string): Int8Array => {
      const bars = symbolBars(market120, symbol);
      const returns = logReturns(bars);
      const positions = new Int8Array(bars.length);
      let momentum = 0;
      let level = Math.log(bars[0]?.close ?? 1);
      let squares = 0;
      for (let t = 0; t < bars.length; t++) {
        const logPrice = Math.log((bars[t] as MarketBar).close);
        momentum += (2 / (options.momentumSpan + 1)) * ((returns[t] as number) - momentum);
        level += (2 / (options.levelSpan + 1)) * (logPrice - level);
        squares += (returns[t] as number) ** 2 - (t >= 30 ? (returns[t - 30] as number) ** 2 : 0);
        const realisedVolatility = Math.sqrt(squares / Math.min(t + 1, 30));
        const drift =
          realisedVolatility < quietBelow
            ? -options.reversionSpeed * (logPrice - level)
            : realisedVolatility < calmBelow
              ? options.trendStrength * momentum
              : 0;
        positions[t] = Math.abs(drift) > 1e-4 ? Math.sign(drift) : 0;
      }
      return positions;
    };
    const oracle = sharpe(
      pooledReturns(market120, (symbol) => market120.truth[symbol]?.oraclePosition ?? []),
      FIVE_MINUTE_YEAR,
    );
    const rule = sharpe(pooledReturns(market120, observableRule), FIVE_MINUTE_YEAR);
    // Measured 9.4 against the oracle's 12.0 (0.78): the PPO target of 0.7 is reachable from observations.
    expect(rule / oracle).toBeGreaterThan(0.65);
  });

  it('crashes at about the configured rate, followed by the volatile regime', () => {
    const market = generateSyntheticMarket({ seed: 5, sessions: 100, crashProbability: 0.002 });
    let crashes = 0;
    for (const symbol of market.options.symbols) {
      const bars = symbolBars(market, symbol);
      const truth = market.truth[symbol];
      truth?.crash.forEach((crashed, t) => {
        if (!crashed) return;
        crashes++;
        const bar = bars[t] as MarketBar;
        expect(bar.low / bar.open).toBeLessThan(0.95);
        if (t + 1 < bars.length) expect(truth.regime[t + 1]).toBe(VOLATILE);
      });
    }
    // 23,400 bars × 0.002 = 46.8 expected, standard deviation ≈ 6.8.
    expect(crashes).toBeGreaterThan(25);
    expect(crashes).toBeLessThan(70);
    expect(Object.values(market60.truth).every((truth) => truth.crash.every((c) => c === 0))).toBe(true);
  });

  it('correlates symbols through the common factor', () => {
    const correlated = generateSyntheticMarket({ seed: 4, sessions: 20, correlation: 0.8 });
    const independent = generateSyntheticMarket({ seed: 4, sessions: 20, correlation: 0 });
    const crossCorrelation = (market: SyntheticMarket) =>
      correlation(logReturns(symbolBars(market, 'SYNA')), logReturns(symbolBars(market, 'SYNB')));
    expect(crossCorrelation(correlated)).toBeGreaterThan(0.5);
    expect(Math.abs(crossCorrelation(independent))).toBeLessThan(0.05);
  });

  it('trades more volume in the volatile regime and at the session open and close than at midday', () => {
    const bars = symbolBars(market120, 'SYNA');
    const regime = market120.truth.SYNA?.regime ?? new Uint8Array();
    const volumeWhere = (keep: (bar: MarketBar, t: number) => boolean) =>
      mean(bars.filter(keep).map((bar) => bar.volume));
    const minute = (bar: MarketBar) => bar.ts.getUTCHours() * 60 + bar.ts.getUTCMinutes();
    expect(volumeWhere((_, t) => regime[t] === VOLATILE)).toBeGreaterThan(
      1.5 * volumeWhere((_, t) => regime[t] === MEAN_REVERTING),
    );
    const midday = volumeWhere((bar) => minute(bar) >= 12 * 60 && minute(bar) < 13 * 60);
    expect(volumeWhere((bar) => minute(bar) < 10 * 60)).toBeGreaterThan(1.5 * midday);
    expect(volumeWhere((bar) => minute(bar) >= 15 * 60 + 30)).toBeGreaterThan(1.5 * midday);
  });

  it('generates a 3-symbol, 60-session 5-minute market in well under a second', () => {
    const started = performance.now();
    const market = generateSyntheticMarket({ seed: 99, sessions: 60 });
    const elapsed = performance.now() - started;
    expect(market.bars).toHaveLength(3 * 60 * 78);
    expect(elapsed).toBeLessThan(500);
  });
});

describe('policyReturns and sharpe', () => {
  it('charges the cost on every change of position and holds each position close to close', () => {
    const bars = [{ close: 100 }, { close: 110 }, { close: 99 }];
    const returns = policyReturns(bars, [1, -1, 0], 10);
    expect(returns).toHaveLength(2);
    expect(returns[0]).toBeCloseTo(0.1 - 0.001, 12);
    expect(returns[1]).toBeCloseTo(0.1 - 0.002, 12);
    expect(() => policyReturns(bars, [1, 0], 1)).toThrow(ValidationError);
  });

  it('annualises mean over sample standard deviation', () => {
    expect(sharpe([0.01, 0.03], 4)).toBeCloseTo((0.02 / Math.SQRT2 / 0.01) * 2, 12);
    fc.assert(
      fc.property(fc.double({ min: -1, max: 1, noNaN: true }), fc.integer({ min: 2, max: 100 }), (r, n) => {
        expect(sharpe(new Array<number>(n).fill(r), 252)).toBe(0);
      }),
    );
    expect(sharpe([0.5], 252)).toBe(0);
    // Scaling by a power of two is exact in floating point, so the ratio must not move at all.
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 2, maxLength: 50 }),
        fc.integer({ min: -10, max: 10 }),
        (basisPoints, exponent) => {
          const returns = basisPoints.map((bp) => bp / 10_000);
          const base = sharpe(returns, 252);
          expect(
            sharpe(
              returns.map((value) => value * 2 ** exponent),
              252,
            ),
          ).toBe(base);
          expect(
            sharpe(
              returns.map((value) => -value),
              252,
            ),
          ).toBe(base === 0 ? 0 : -base);
        },
      ),
    );
  });
});

describe('simulateLiveTrades', () => {
  const market = market60;
  const oracleTrades = simulateLiveTrades(market, { seed: 1, policy: 'oracle', modelVersion: '1.0.0' });

  function pnlOf(trades: readonly LiveTrade[]): number {
    return trades.reduce((sum, trade) => sum + (trade.pnl ?? 0), 0);
  }

  it('gives identical trades for identical options', () => {
    for (const policy of ['oracle', 'random'] as const) {
      const options = { seed: 3, policy, modelVersion: null, noise: 0.05 };
      expect(simulateLiveTrades(market, options)).toEqual(simulateLiveTrades(market, options));
    }
    const random = simulateLiveTrades(market, { seed: 3, policy: 'random', modelVersion: null });
    expect(simulateLiveTrades(market, { seed: 4, policy: 'random', modelVersion: null })).not.toEqual(random);
  });

  it('records pnl = side × quantity × (exit − entry) − fees and fees on both sides for every closed trade', () => {
    const trades = simulateLiveTrades(market, {
      seed: 2,
      policy: 'random',
      modelVersion: 'v2',
      quantity: 30,
      feeBps: 2,
      slippageBps: 1,
    });
    expect(trades.length).toBeGreaterThan(100);
    for (const trade of trades.filter((t) => t.status === 'closed')) {
      const side = trade.side === 'long' ? 1 : -1;
      const exitPrice = trade.exitPrice as number;
      expect(trade.pnl).toBe(side * trade.quantity * (exitPrice - trade.entryPrice) - trade.fees);
      expect(trade.fees).toBeCloseTo(2e-4 * trade.quantity * (trade.entryPrice + exitPrice), 10);
      expect(trade.exitTime?.getTime()).toBeGreaterThan(trade.entryTime.getTime());
      expect(trade).toMatchObject({
        modelVersion: 'v2',
        observation: null,
        abTestId: null,
        arm: null,
        account: null,
      });
    }
  });

  it('enters at the open of the bar after the decision, never on the bar that triggered it', () => {
    const slippage = 0.5e-4;
    for (const symbol of market.options.symbols) {
      const bars = symbolBars(market, symbol);
      const index = new Map(bars.map((bar, t) => [bar.ts.getTime(), t]));
      const oracle = market.truth[symbol]?.oraclePosition ?? new Int8Array();
      for (const trade of oracleTrades.filter((t) => t.symbol === symbol)) {
        const t = index.get(trade.entryTime.getTime()) as number;
        const side = trade.side === 'long' ? 1 : -1;
        expect(t).toBeGreaterThan(0);
        expect(oracle[t - 1]).toBe(side);
        expect(t < 2 || oracle[t - 2] !== side).toBe(true);
        expect(trade.entryPrice).toBe((bars[t] as MarketBar).open * (1 + side * slippage));
      }
    }
    const decisions = new Map<string, number[]>();
    let sawTheFuture = 0;
    const momentum = simulateLiveTrades(market.bars, {
      seed: 1,
      modelVersion: null,
      slippageBps: 0,
      policy: (symbol, t, barsSoFar) => {
        if (barsSoFar.length !== t + 1) sawTheFuture++;
        const last = barsSoFar[t] as MarketBar;
        const decision = last.close > last.open ? 1 : -1;
        if (t === 0) decisions.set(symbol, []);
        decisions.get(symbol)?.push(decision);
        return decision;
      },
    });
    expect(momentum.length).toBeGreaterThan(1000);
    const late: LiveTrade[] = [];
    for (const symbol of market.options.symbols) {
      const bars = symbolBars(market, symbol);
      const index = new Map(bars.map((bar, t) => [bar.ts.getTime(), t]));
      const made = decisions.get(symbol) ?? [];
      for (const trade of momentum.filter((candidate) => candidate.symbol === symbol)) {
        const t = index.get(trade.entryTime.getTime()) ?? -1;
        const side = trade.side === 'long' ? 1 : -1;
        const decidedOnPreviousBar = made[t - 1] === side && (t === 1 || made[t - 2] === -side);
        const filledAtThisOpen = trade.entryPrice === bars[t]?.open;
        const afterDecisionBar = trade.entryTime.getTime() > (bars[t - 1]?.ts.getTime() ?? Infinity);
        if (!(decidedOnPreviousBar && filledAtThisOpen && afterDecisionBar)) late.push(trade);
      }
    }
    expect(late).toEqual([]);
    expect(sawTheFuture).toBe(0);
  });

  it('leaves at most one open trade per symbol, the last one, and gives unique idempotency keys', () => {
    for (const symbol of market.options.symbols) {
      const trades = oracleTrades.filter((trade) => trade.symbol === symbol);
      const open = trades.filter((trade) => trade.status === 'open');
      expect(open.length).toBeLessThanOrEqual(1);
      if (open[0]) expect(open[0]).toBe(trades.at(-1));
      for (const trade of open) expect(trade).toMatchObject({ exitTime: null, exitPrice: null, pnl: null });
    }
    const keys = oracleTrades.map((trade) => trade.idempotencyKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys[0]).toMatch(/^sim-1-SYNA-\d+$/);
  });

  it('makes money with the oracle and about nothing with a random policy', () => {
    // Over 120 sessions; the random policy trades without costs so that only its (absent) edge counts.
    const oraclePnl = pnlOf(simulateLiveTrades(market120, { seed: 5, policy: 'oracle', modelVersion: null }));
    const random = simulateLiveTrades(market120, {
      seed: 5,
      policy: 'random',
      modelVersion: null,
      feeBps: 0,
      slippageBps: 0,
    });
    const randomPnl = pnlOf(random);
    expect(oraclePnl).toBeGreaterThan(50);
    expect(Math.abs(randomPnl)).toBeLessThan(oraclePnl / 3);
    const noisy = simulateLiveTrades(market, { seed: 5, policy: 'oracle', modelVersion: null, noise: 0.02 });
    expect(noisy.length).toBeGreaterThan(oracleTrades.length);
    expect(pnlOf(noisy)).toBeGreaterThan(0);
    expect(pnlOf(noisy)).toBeLessThan(oraclePnl);
  });

  it('trades only bars between from and to', () => {
    const from = new Date('2026-02-02T00:00:00Z');
    const to = new Date('2026-02-06T23:59:59Z');
    const trades = simulateLiveTrades(market, { seed: 1, policy: 'oracle', modelVersion: null, from, to });
    expect(trades.length).toBeGreaterThan(0);
    for (const trade of trades) {
      expect(trade.entryTime.getTime()).toBeGreaterThan(from.getTime());
      expect((trade.exitTime ?? trade.entryTime).getTime()).toBeLessThanOrEqual(to.getTime());
    }
    const inWindow = oracleTrades.filter(
      (trade) => trade.entryTime >= from && trade.exitTime !== null && trade.exitTime <= to,
    );
    expect(
      trades.some((trade) => inWindow.some((full) => full.idempotencyKey === trade.idempotencyKey)),
    ).toBe(true);
  });

  it('refuses the oracle policy on bare bars and invalid amounts', () => {
    expect(() => simulateLiveTrades(market.bars, { seed: 1, policy: 'oracle', modelVersion: null })).toThrow(
      'needs a SyntheticMarket',
    );
    expect(() =>
      simulateLiveTrades(market, { seed: 1, policy: 'random', modelVersion: null, noise: 2 }),
    ).toThrow(ValidationError);
    expect(() =>
      simulateLiveTrades(market, { seed: 1, policy: 'random', modelVersion: null, quantity: 0 }),
    ).toThrow(ValidationError);
  });
});
