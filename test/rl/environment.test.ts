import fc from 'fast-check';
import { expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { barsToColumns, computeFeatures } from '../../src/market/features.js';
import { generateSyntheticMarket, symbolBars } from '../../src/market/synthetic.js';
import {
  checkNoLookAhead,
  createTradingEnvironment,
  evaluatePolicy,
  type TradingEnvironment,
} from '../../src/rl/environment.js';
import { buildMarketSeries } from '../../src/rl/market-series.js';
import { Random } from '../../src/rl/random.js';
import type { MarketSeries } from '../../src/rl/types.js';
import type { MarketBar } from '../../src/store/market-bars.js';
import { describeDatabaseIndependent } from '../helpers/database-independent.js';

const LONG = 2;
const FLAT = 1;
const SHORT = 0;
const COSTS = { commissionBps: 1, slippageBps: 0.5, fixedFee: 0.0001 };

/** A series from closes; feature row t is [t, 10·t] so an observation names its row. */
function seriesFromCloses(closes: number[], firstRow = 0, symbol = 'TEST'): MarketSeries {
  const rows = closes.length;
  return {
    symbol,
    features: Float32Array.from({ length: rows * 2 }, (_, i) => (i % 2 === 0 ? i / 2 : 5 * i - 5)),
    featureCount: 2,
    returns: Float64Array.from({ length: rows - 1 }, (_, t) => closes[t + 1]! / closes[t]! - 1),
    firstRow,
  };
}

function randomSeries(symbol: string, rows: number, seed: number, firstRow = 3): MarketSeries {
  const random = new Random(seed);
  return {
    symbol,
    features: Float32Array.from({ length: rows * 3 }, () => random.normal()),
    featureCount: 3,
    returns: Float64Array.from({ length: rows - 1 }, () => random.normal(0, 0.001)),
    firstRow,
  };
}

/** Steps with seeded random actions and records every stream, copied. */
function rollout(env: TradingEnvironment, steps: number, actionSeed = 7) {
  const random = new Random(actionSeed);
  const actions = new Int32Array(env.numEnvs);
  const observations = [Float32Array.from(env.reset())];
  const rewards: Float32Array[] = [];
  const dones: Uint8Array[] = [];
  const locations = [Array.from({ length: env.numEnvs }, (_, e) => env.location(e))];
  for (let k = 0; k < steps; k++) {
    for (let e = 0; e < env.numEnvs; e++) actions[e] = random.int(env.actionCount);
    const result = env.step(actions);
    observations.push(Float32Array.from(result.observations));
    rewards.push(Float32Array.from(result.rewards));
    dones.push(Uint8Array.from(result.dones));
    locations.push(Array.from({ length: env.numEnvs }, (_, e) => env.location(e)));
  }
  return { observations, rewards, dones, locations };
}

describeDatabaseIndependent('createTradingEnvironment', () => {
  // closes 100 → 101 → 99 → 102 → 100; long, hold, flip short (2 units), exit to flat.
  const handMade = seriesFromCloses([100, 101, 99, 102, 100]);
  const handActions = [LONG, LONG, SHORT, FLAT];
  const handRewards = [
    100 * (0.01 - (1 * 0.00015 + 0.0001)), // enter long: 1 unit × 1.5 bps + fixed fee
    100 * (99 / 101 - 1), // hold: no cost
    100 * -(102 / 99 - 1) - 100 * (2 * 0.00015 + 0.0001), // flip: 2 units + one fixed fee
    -100 * (0.00015 + 0.0001), // exit to flat pays too
  ];

  it('rewards a hand-made 5-bar series as computed by hand, costs on entry, flip and exit', () => {
    const env = createTradingEnvironment([handMade], {
      numEnvs: 1,
      costs: COSTS,
      rewardScale: 100,
      randomStart: false,
    });
    env.reset();
    const rewards = handActions.map((action) => env.step(Int32Array.of(action)).rewards[0]!);
    expect(rewards[0]).toBeCloseTo(0.975, 5);
    expect(rewards[3]).toBeCloseTo(-0.025, 5);
    rewards.forEach((reward, k) => expect(reward).toBeCloseTo(handRewards[k]!, 5));
  });

  it('takes ½ · riskAversion · net² off each net return, flat or not', () => {
    const env = createTradingEnvironment([handMade], {
      numEnvs: 1,
      costs: COSTS,
      rewardScale: 100,
      riskAversion: 20,
      randomStart: false,
    });
    env.reset();
    const rewards = handActions.map((action) => env.step(Int32Array.of(action)).rewards[0]!);
    // Enter long: net 0.01 − 0.00025 = 0.00975, penalty 10 · 0.00975² ≈ 0.00095.
    expect(rewards[0]).toBeCloseTo(100 * (0.00975 - 10 * 0.00975 ** 2), 5);
    rewards.forEach((reward, k) => {
      const net = handRewards[k]! / 100;
      expect(reward).toBeCloseTo(100 * (net - 10 * net * net), 5);
    });
    expect(() => createTradingEnvironment([handMade], { riskAversion: -1 })).toThrow(/riskAversion/);
  });

  it('shows the feature row then the position held going into it', () => {
    const env = createTradingEnvironment([handMade], { numEnvs: 1, randomStart: false });
    expect(Array.from(env.reset())).toEqual([0, 0, 0]);
    expect(Array.from(env.step(Int32Array.of(LONG)).observations)).toEqual([1, 10, 1]);
    expect(Array.from(env.step(Int32Array.of(SHORT)).observations)).toEqual([2, 20, -1]);
    expect(Array.from(env.step(Int32Array.of(FLAT)).observations)).toEqual([3, 30, 0]);
  });

  it('observes the current row and the previous action’s position for any actions', () => {
    const series = [randomSeries('A', 60, 1), randomSeries('B', 90, 2)];
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 200 }), (picks) => {
        const env = createTradingEnvironment(series, { numEnvs: 1, episodeLength: 20, seed: 5 });
        let observation = env.reset();
        for (const action of picks) {
          const { series: s, row } = env.location(0);
          const features = series[s]!.features.subarray(row * 3, row * 3 + 3);
          expect(Array.from(observation.subarray(0, 3))).toEqual(Array.from(features));
          const result = env.step(Int32Array.of(action));
          observation = result.observations;
          expect(observation[3]).toBe(result.dones[0] === 1 ? 0 : env.positions[action]);
        }
      }),
      { numRuns: 50 },
    );
  });

  it('ends an episode after episodeLength steps and continues flat from there when not random', () => {
    const env = createTradingEnvironment([seriesFromCloses(Array(20).fill(100), 2)], {
      numEnvs: 1,
      episodeLength: 3,
      randomStart: false,
    });
    env.reset();
    const seen = [1, 2, 3, 4, 5, 6].map(() => {
      const { dones, observations } = env.step(Int32Array.of(LONG));
      return { done: dones[0], row: observations[0], position: observations[2] };
    });
    expect(seen.map((s) => s.done)).toEqual([0, 0, 1, 0, 0, 1]);
    expect(seen.map((s) => s.row)).toEqual([3, 4, 5, 6, 7, 8]);
    expect(seen.map((s) => s.position)).toEqual([1, 1, 0, 1, 1, 0]);
  });

  it('ends an episode at the end of its series and restarts flat at firstRow', () => {
    const env = createTradingEnvironment([seriesFromCloses([1, 2, 3, 4, 5, 6], 1)], {
      numEnvs: 1,
      episodeLength: 100,
      randomStart: false,
    });
    env.reset();
    const dones = [1, 2, 3, 4, 5].map(() => env.step(Int32Array.of(SHORT)).dones[0]);
    expect(dones).toEqual([0, 0, 0, 1, 0]);
    const restarted = createTradingEnvironment([seriesFromCloses([1, 2, 3, 4, 5, 6], 1)], {
      numEnvs: 1,
      randomStart: false,
    });
    restarted.reset();
    for (let k = 0; k < 3; k++) restarted.step(Int32Array.of(SHORT));
    expect(Array.from(restarted.step(Int32Array.of(SHORT)).observations)).toEqual([1, 10, 0]);
  });

  it('starts random episodes inside [firstRow, rows − episodeLength − 1] and ends them on time', () => {
    const series = [randomSeries('A', 50, 1, 4), randomSeries('B', 300, 2, 10)];
    const env = createTradingEnvironment(series, { numEnvs: 4, episodeLength: 16, seed: 9 });
    const { dones, locations } = rollout(env, 400);
    const used = new Set<number>();
    const expectFreshStart = ({ series: s, row }: { series: number; row: number }) => {
      used.add(s);
      expect(row).toBeGreaterThanOrEqual(series[s]!.firstRow);
      expect(row).toBeLessThanOrEqual(Math.max(series[s]!.firstRow, series[s]!.returns.length - 16));
    };
    locations[0]!.forEach(expectFreshStart);
    const steps = [0, 0, 0, 0];
    dones.forEach((done, k) => {
      for (let e = 0; e < 4; e++) {
        const before = locations[k]![e]!;
        const after = locations[k + 1]![e]!;
        steps[e]! += 1;
        const lastBar = before.row + 1 === series[before.series]!.returns.length;
        expect(done[e]).toBe(steps[e] === 16 || lastBar ? 1 : 0);
        if (done[e] === 1) {
          steps[e] = 0;
          expectFreshStart(after);
        } else {
          expect(after).toEqual({ series: before.series, row: before.row + 1 });
        }
      }
    });
    expect(used).toEqual(new Set([0, 1]));
  });

  it('replays identical streams for the same seed and different ones for another seed', () => {
    const series = [randomSeries('A', 200, 1), randomSeries('B', 120, 2)];
    const config = { numEnvs: 6, episodeLength: 32 };
    const first = rollout(createTradingEnvironment(series, { ...config, seed: 42 }), 300);
    const again = rollout(createTradingEnvironment(series, { ...config, seed: 42 }), 300);
    const other = rollout(createTradingEnvironment(series, { ...config, seed: 43 }), 300);
    expect(again.observations).toEqual(first.observations);
    expect(again.rewards).toEqual(first.rewards);
    expect(again.dones).toEqual(first.dones);
    expect(other.observations).not.toEqual(first.observations);
  });

  it('never lets an observation or reward up to row T depend on data after T', () => {
    fc.assert(
      fc.property(fc.integer({ min: 20, max: 150 }), fc.nat(1000), fc.boolean(), (cut, seed, randomStart) => {
        const original = [randomSeries('A', 160, 1), randomSeries('B', 160, 2)];
        const noise = new Random(seed);
        const altered = original.map((s) => ({
          ...s,
          features: s.features.map((x, i) => (i >= (cut + 1) * 3 ? noise.normal() : x)),
          returns: s.returns.map((r, t) => (t >= cut ? noise.normal(0, 0.01) : r)),
        }));
        const config = { numEnvs: 8, episodeLength: 24, seed, randomStart };
        const a = rollout(createTradingEnvironment(original, config), 200, seed);
        const b = rollout(createTradingEnvironment(altered, config), 200, seed);
        let compared = 0;
        a.locations.forEach((at, k) =>
          at.forEach(({ row }, e) => {
            expect(b.locations[k]![e]!.row).toBe(row);
            if (row > cut) return;
            compared++;
            const slice = (o: Float32Array) => Array.from(o.subarray(e * 4, e * 4 + 4));
            // Observation k is seen before step k; its reward (returns[row]) is known only after it.
            expect(slice(b.observations[k]!)).toEqual(slice(a.observations[k]!));
            if (row < cut && k < a.rewards.length) expect(b.rewards[k]![e]).toBe(a.rewards[k]![e]);
          }),
        );
        expect(compared).toBeGreaterThan(0);
      }),
      { numRuns: 25 },
    );
  });

  it('rejects actions out of range, a step before reset and an invalid config', () => {
    const env = createTradingEnvironment([randomSeries('A', 40, 1)], { numEnvs: 2 });
    expect(() => env.step(Int32Array.of(0, 0))).toThrow(/before reset/);
    env.reset();
    expect(() => env.step(Int32Array.of(0, 3))).toThrow(/actions\[1\] is 3/);
    expect(() => env.step(Int32Array.of(0))).toThrow(/expected one per env \(2\)/);
    expect(() => createTradingEnvironment([randomSeries('A', 40, 1)], { episodeLength: 0 })).toThrow(
      ValidationError,
    );
    expect(() => createTradingEnvironment([{ ...randomSeries('A', 40, 1), firstRow: 39 }])).toThrow(
      /firstRow 39/,
    );
  });
});

describeDatabaseIndependent('evaluatePolicy', () => {
  const market = generateSyntheticMarket({ sessions: 60 });
  const bars = symbolBars(market, 'SYNA');
  const { series } = buildMarketSeries({ SYNA: bars });
  const syna = series[0]!;

  it('matches the environment’s hand-computed rewards, unscaled, with costs apart', () => {
    const actions = [LONG, LONG, SHORT, FLAT];
    const evaluation = evaluatePolicy(seriesFromCloses([100, 101, 99, 102, 100]), (_, row) => actions[row]!, {
      costs: COSTS,
    });
    expect(Array.from(evaluation.positions)).toEqual([1, 1, -1, 0]);
    expect(Array.from(evaluation.costs)).toEqual(
      [0.00025, 0, 0.0004, 0.00025].map((c) => expect.closeTo(c, 12)),
    );
    expect(evaluation.returns[2]).toBeCloseTo(-(102 / 99 - 1) - 0.0004, 12);
  });

  it('earns a clearly positive mean net return with the synthetic market’s oracle', () => {
    const oracle = market.truth.SYNA!.oraclePosition;
    const evaluation = evaluatePolicy(syna, (_, row) => oracle[row]! + 1);
    const { returns } = evaluation;
    const mean = returns.reduce((sum, r) => sum + r, 0) / returns.length;
    const std = Math.sqrt(returns.reduce((sum, r) => sum + (r - mean) ** 2, 0) / (returns.length - 1));
    expect(mean).toBeGreaterThan(0);
    expect(mean / (std / Math.sqrt(returns.length))).toBeGreaterThan(3);
    expect(evaluation.costs.some((c) => c > 0)).toBe(true);
  });

  it('gives zero return and zero cost to a policy that stays flat', () => {
    const evaluation = evaluatePolicy(syna, () => FLAT);
    expect(evaluation.returns.length).toBe(bars.length - 1 - syna.firstRow);
    expect(evaluation.returns.every((r) => r === 0)).toBe(true);
    expect(evaluation.costs.every((c) => c === 0)).toBe(true);
  });

  it('passes the row and an observation ending in the position held', () => {
    const held: number[] = [];
    evaluatePolicy(seriesFromCloses([1, 2, 3, 4, 5]), (observation, row) => {
      held.push(observation[2]!);
      return row % 2 === 0 ? LONG : SHORT;
    });
    expect(held).toEqual([0, 1, -1, 1]);
  });
});

describeDatabaseIndependent('checkNoLookAhead', () => {
  const bars = symbolBars(generateSyntheticMarket({ sessions: 8 }), 'SYNB');
  const features = (prefix: readonly MarketBar[]) => computeFeatures(barsToColumns(prefix)).values;

  it('passes computeFeatures on synthetic bars', () => {
    expect(checkNoLookAhead(bars, features, 9, 60, 1)).toEqual({ ok: true, violations: [] });
  });

  it('fails a feature that reads the next bar’s return', () => {
    const leaky = (prefix: readonly MarketBar[]) => {
      const base = features(prefix);
      const out = new Float32Array(prefix.length * 10);
      for (let t = 0; t < prefix.length; t++) {
        out.set(base.subarray(t * 9, t * 9 + 9), t * 10);
        const next = prefix[t + 1];
        out[t * 10 + 9] = next ? next.close / prefix[t]!.close - 1 : 0;
      }
      return out;
    };
    const result = checkNoLookAhead(bars, leaky, 10, 30, 1);
    expect(result.ok).toBe(false);
    expect(result.violations.length).toBeGreaterThan(25);
    expect(result.violations.every((v) => v.col === 9)).toBe(true);
  });
});
