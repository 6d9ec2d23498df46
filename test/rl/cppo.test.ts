import { describe, expect, it } from 'vitest';
import { applyCvarPenalty, createCvarState, DEFAULT_CPPO_CONFIG, tailStatistics } from '../../src/rl/cppo.js';
import type { Rollout } from '../../src/rl/ppo.js';

function rolloutOf(rewards: number[][], dones: number[][]): Rollout {
  const numSteps = rewards.length;
  const numEnvs = rewards[0]!.length;
  return {
    numSteps,
    numEnvs,
    observationSize: 1,
    observations: new Float32Array(numSteps * numEnvs),
    actions: new Int32Array(numSteps * numEnvs),
    logProbs: new Float32Array(numSteps * numEnvs),
    values: new Float32Array(numSteps * numEnvs),
    rewards: Float32Array.from(rewards.flat()),
    dones: Uint8Array.from(dones.flat()),
    nextValues: new Float32Array(numEnvs),
  };
}

describe('CPPO', () => {
  it('computes VaR and CVaR of the worst α tail', () => {
    const returns = [5, -10, 3, -2, 0, 1, 2, -8, 4, 6];
    expect(tailStatistics(returns, 0.2)).toEqual({ valueAtRisk: -8, conditionalValueAtRisk: -9 });
    expect(tailStatistics(returns, 0.1)).toEqual({ valueAtRisk: -10, conditionalValueAtRisk: -10 });
  });

  it('penalises only episodes below VaR, on their last transition, and raises λ while CVaR is below the bound', () => {
    const config = {
      ...DEFAULT_CPPO_CONFIG,
      alpha: 0.25,
      cvarBound: 0,
      lambdaInit: 1,
      lambdaLr: 0.1,
      window: 100,
    };
    const state = createCvarState(4, config);
    // One step per episode: 4 environments, 2 steps, every transition ends its episode.
    const rollout = rolloutOf(
      [
        [1, -4, 2, 3],
        [0.5, 1, -1, 2],
      ],
      [
        [1, 1, 1, 1],
        [1, 1, 1, 1],
      ],
    );
    const penalised = applyCvarPenalty(rollout, state, config);
    // Episode returns: 1, −4, 2, 3, 0.5, 1, −1, 2 → worst 25 % (2 of 8): −4 and −1; VaR = −1.
    expect(state.var).toBe(-1);
    expect(state.cvar).toBe(-2.5);
    // Only −4 lies strictly below VaR: penalty (λ/α)(ν − R) = (1 / 0.25)(−1 + 4) = 12.
    expect(penalised).toBe(1);
    expect(rollout.rewards[1]).toBeCloseTo(-16, 6);
    expect(rollout.rewards[6]).toBeCloseTo(-1, 6);
    // λ ← λ + η(β − CVaR) = 1 + 0.1 · 2.5.
    expect(state.lambda).toBeCloseTo(1.25, 12);
  });

  it('carries an unfinished episode across rollouts and lets λ decay once the bound is met', () => {
    const config = {
      ...DEFAULT_CPPO_CONFIG,
      alpha: 0.5,
      cvarBound: -100,
      lambdaInit: 1,
      lambdaLr: 0.1,
      window: 100,
    };
    const state = createCvarState(1, config);
    applyCvarPenalty(rolloutOf([[1], [2]], [[0], [0]]), state, config);
    expect(state.episodeReturns[0]).toBe(3);
    applyCvarPenalty(rolloutOf([[4], [5]], [[1], [1]]), state, config);
    expect(state.recent).toEqual([7, 5]);
    expect(state.lambda).toBeLessThan(1);
    expect(state.lambda).toBeGreaterThanOrEqual(0);
  });
});
