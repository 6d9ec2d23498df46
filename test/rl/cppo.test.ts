import { expect, it } from 'vitest';
import {
  applyCvarPenalty,
  createCvarState,
  DEFAULT_CPPO_CONFIG,
  tailStatistics,
  type CppoConfig,
} from '../../src/rl/cppo.js';
import type { Rollout } from '../../src/rl/ppo.js';
import { describeDatabaseIndependent } from '../helpers/database-independent.js';

const SHORT = 0;
const FLAT = 1;
const LONG = 2;

/** A rollout from [step][env] rows of [action, reward, done]. */
function rolloutOf(steps: [action: number, reward: number, done: 0 | 1][][]): Rollout {
  const numSteps = steps.length;
  const numEnvs = steps[0]!.length;
  const cells = steps.flat();
  return {
    numSteps,
    numEnvs,
    observationSize: 1,
    observations: new Float32Array(numSteps * numEnvs),
    actions: Int32Array.from(cells.map(([action]) => action)),
    logProbs: new Float32Array(numSteps * numEnvs),
    values: new Float32Array(numSteps * numEnvs),
    rewards: Float32Array.from(cells.map(([, reward]) => reward)),
    dones: Uint8Array.from(cells.map(([, , done]) => done)),
    nextValues: new Float32Array(numEnvs),
  };
}

const config = (overrides: Partial<CppoConfig>): CppoConfig => ({
  ...DEFAULT_CPPO_CONFIG,
  alpha: 0.5,
  lambdaInit: 1,
  lambdaMax: 10,
  window: 100,
  ...overrides,
});

describeDatabaseIndependent('CPPO', () => {
  it('computes VaR and CVaR of the worst α tail', () => {
    const returns = [5, -10, 3, -2, 0, 1, 2, -8, 4, 6];
    expect(tailStatistics(returns, 0.2)).toEqual({ valueAtRisk: -8, conditionalValueAtRisk: -9 });
    expect(tailStatistics(returns, 0.1)).toEqual({ valueAtRisk: -10, conditionalValueAtRisk: -10 });
  });

  it('splits a tail episode’s penalty over its transitions by the mean reward of each action', () => {
    const cppo = config({ cvarBound: 0, lambdaLr: 0.1, nuLr: 0.5 });
    const state = createCvarState(2, cppo);
    // Two environments, episodes of three steps.
    // env 0: A = long +1, flat 0, long −5 (R = −4); B = flat, flat, long +1 (R = 1)
    // env 1: C = long +1 ×3 (R = 3);                 D = short −0.5, long −2, flat 0 (R = −2.5)
    const rollout = rolloutOf([
      [
        [LONG, 1, 0],
        [LONG, 1, 0],
      ],
      [
        [FLAT, 0, 0],
        [LONG, 1, 0],
      ],
      [
        [LONG, -5, 1],
        [LONG, 1, 1],
      ],
      [
        [FLAT, 0, 0],
        [SHORT, -0.5, 0],
      ],
      [
        [FLAT, 0, 0],
        [LONG, -2, 0],
      ],
      [
        [LONG, 1, 1],
        [FLAT, 0, 1],
      ],
    ]);
    const before = Float32Array.from(rollout.rewards);
    expect(applyCvarPenalty(rollout, state, cppo)).toBe(1);
    // Returns −4, 3, 1, −2.5: the worst half is −4 and −2.5, so ν starts at VaR −2.5 and only A is below it.
    expect(state.var).toBe(-2.5);
    expect(state.cvar).toBe(-3.25);
    // A's penalty (λ/α)(ν − R) = 2 · 1.5 = 3, split as (λ/α)(ν/T − r̄_a): both long steps carry the
    // long mean −2 whichever of them lost; the flat step is credited for beating the budget ν/T.
    const at = (t: number, e: number) => rollout.rewards[t * 2 + e]! - before[t * 2 + e]!;
    expect(at(0, 0)).toBeCloseTo(-2 * (-2.5 / 3 + 2), 5);
    expect(at(2, 0)).toBeCloseTo(-2 * (-2.5 / 3 + 2), 5);
    expect(at(1, 0)).toBeCloseTo(-2 * (-2.5 / 3 - 0), 5);
    expect(at(0, 0) + at(1, 0) + at(2, 0)).toBeCloseTo(-3, 5);
    // Every other transition is unchanged.
    for (const [t, e] of [
      [3, 0],
      [4, 0],
      [5, 0],
      [0, 1],
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 1],
      [5, 1],
    ] as const) {
      expect(at(t, e)).toBe(0);
    }
    // Dual step on the Rockafellar–Uryasev estimate ν − mean((ν − R)⁺)/α = −2.5 − (1.5 / 4) / 0.5.
    expect(state.cvarEstimate).toBeCloseTo(-3.25, 12);
    expect(state.lambda).toBeCloseTo(1 + 0.1 * 3.25, 12);
    // ν ← ν + η_ν·σ·(1 − F̂/α): a quarter of the episodes are below ν, fewer than α = ½, so ν rises.
    const recent = [-4, 3, 1, -2.5];
    const mean = recent.reduce((a, b) => a + b) / 4;
    const sigma = Math.sqrt(recent.reduce((a, b) => a + (b - mean) ** 2, 0) / 4);
    expect(state.nu).toBeCloseTo(-2.5 + 0.5 * sigma * (1 - 0.25 / 0.5), 12);
  });

  it('waits for enough episodes, and with λ = 0 leaves the rewards as PPO sees them while λ and ν step', () => {
    const cppo = config({ lambdaInit: 0, cvarBound: 0, lambdaLr: 0.1, nuLr: 0.1 });
    const state = createCvarState(1, cppo);
    const first = rolloutOf([[[LONG, -3, 1]]]);
    expect(applyCvarPenalty(first, state, cppo)).toBe(0);
    expect(Array.from(first.rewards)).toEqual([-3]);
    expect(state.lambda).toBe(0);
    state.nu = 0;
    const second = rolloutOf([[[LONG, 2, 1]], [[LONG, -4, 1]], [[FLAT, 1, 1]]]);
    expect(applyCvarPenalty(second, state, cppo)).toBe(0);
    expect(Array.from(second.rewards)).toEqual([2, -4, 1]);
    // −4 is below ν = 0: ĈVaR = 0 − (4/3)/0.5 violates β = 0, so λ rises; F̂ = ⅓ < α, so ν rises.
    expect(state.lambda).toBeCloseTo(0.1 * (4 / 3 / 0.5), 12);
    expect(state.nu).toBeGreaterThan(0);
  });

  it('carries an unfinished episode across rollouts and penalises only the transitions of this rollout', () => {
    const cppo = config({ cvarBound: -100, lambdaLr: 0.001, nuLr: 0 });
    const state = createCvarState(1, cppo);
    state.nu = -1;
    applyCvarPenalty(rolloutOf([[[LONG, 1, 0]], [[FLAT, 2, 0]]]), state, cppo);
    expect(state.episodeReturns[0]).toBe(3);
    expect(state.episodeLengths[0]).toBe(2);
    const rollout = rolloutOf([[[LONG, -6, 1]], [[FLAT, 0, 1]], [[LONG, 1, 1]]]);
    expect(applyCvarPenalty(rollout, state, cppo)).toBe(1);
    expect(state.recent).toEqual([-3, 0, 1]);
    // The first episode (R = −3 < ν = −1) spans both rollouts: long mean (1 − 6)/2, budget ν/3; its
    // two earlier transitions were already used for an update and keep their share.
    expect(rollout.rewards[0]).toBeCloseTo(-6 - 2 * (-1 / 3 + 2.5), 5);
    expect(rollout.rewards[1]).toBe(0);
    expect(rollout.rewards[2]).toBe(1);
    // The bound is met by far, so λ decays: ĈVaR = −1 − (2/3)/0.5.
    expect(state.cvarEstimate).toBeCloseTo(-1 - 2 / 3 / 0.5, 12);
    expect(state.lambda).toBeCloseTo(1 + 0.001 * (-100 + 1 + 2 / 3 / 0.5), 12);
    expect(state.nu).toBe(-1);
  });
});
