/**
 * CPPO: PPO with a CVaR constraint on episode returns, the small delta on top of ppo.ts.
 *
 * Constraint (Rockafellar & Uryasev 2000; Chow et al. 2017, "Risk-Constrained RL with
 * Percentile Risk Criteria"): CVaR_α(R) = max_ν ν − E[(ν − R)⁺] / α ≥ β. The Lagrangian
 * E[R] + λ·(CVaR_α(R) − β) is maximised over the policy and minimised over λ ≥ 0:
 * - ν is the α-quantile (VaR) of recent episode returns, the maximiser of the inner problem;
 * - an episode in the worst α tail (R < ν) gets −(λ/α)·(ν − R) added to the reward of its last
 *   transition, so GAE spreads the penalty over the decisions that led there (the Lagrangian's
 *   policy gradient, as FinRL's CPPO penalises tail trajectories);
 * - λ follows dual descent: λ ← clip(λ + η_λ·(β − CVaR), 0, λ_max), rising while the tail is
 *   worse than the bound and decaying once it is met.
 * Returns are in the environment's (scaled) reward units.
 */
import type { Rollout } from './ppo.js';

export interface CppoConfig {
  /** Tail probability α of the CVaR (0.05 = the worst 5 % of episodes). */
  alpha: number;
  /** Lower bound β on CVaR_α of episode return, in scaled reward units. */
  cvarBound: number;
  /** Starting Lagrange multiplier λ. */
  lambdaInit: number;
  /** Dual step size η_λ. */
  lambdaLr: number;
  /** Cap on λ, so one bad rollout cannot swamp the return signal. */
  lambdaMax: number;
  /** Completed episodes kept for the VaR / CVaR estimates. */
  window: number;
}

export const DEFAULT_CPPO_CONFIG: Readonly<CppoConfig> = Object.freeze({
  alpha: 0.05,
  cvarBound: -2,
  lambdaInit: 0.5,
  lambdaLr: 0.05,
  lambdaMax: 10,
  window: 512,
});

export interface CvarState {
  lambda: number;
  /** Running return of each environment's current episode. */
  episodeReturns: Float64Array;
  /** Recent completed episode returns (ring, oldest overwritten). */
  recent: number[];
  var: number;
  cvar: number;
}

export function createCvarState(numEnvs: number, config: CppoConfig): CvarState {
  return {
    lambda: config.lambdaInit,
    episodeReturns: new Float64Array(numEnvs),
    recent: [],
    var: 0,
    cvar: 0,
  };
}

/**
 * Adds the CVaR penalty to the rollout's rewards in place (before GAE) and takes one dual step.
 * Returns the penalised episodes' count.
 */
export function applyCvarPenalty(rollout: Rollout, state: CvarState, config: CppoConfig): number {
  const { numSteps, numEnvs, rewards, dones } = rollout;
  const finished: { index: number; total: number }[] = [];
  for (let t = 0; t < numSteps; t++) {
    for (let e = 0; e < numEnvs; e++) {
      const i = t * numEnvs + e;
      state.episodeReturns[e] = state.episodeReturns[e]! + rewards[i]!;
      if (dones[i]) {
        finished.push({ index: i, total: state.episodeReturns[e]! });
        state.episodeReturns[e] = 0;
      }
    }
  }
  for (const episode of finished) {
    state.recent.push(episode.total);
    if (state.recent.length > config.window) state.recent.shift();
  }
  if (state.recent.length < Math.ceil(1 / config.alpha)) return 0;
  const { valueAtRisk, conditionalValueAtRisk } = tailStatistics(state.recent, config.alpha);
  state.var = valueAtRisk;
  state.cvar = conditionalValueAtRisk;
  let penalised = 0;
  for (const episode of finished) {
    if (episode.total < valueAtRisk) {
      rewards[episode.index] =
        rewards[episode.index]! - (state.lambda / config.alpha) * (valueAtRisk - episode.total);
      penalised++;
    }
  }
  state.lambda = Math.min(
    config.lambdaMax,
    Math.max(0, state.lambda + config.lambdaLr * (config.cvarBound - conditionalValueAtRisk)),
  );
  return penalised;
}

/** Empirical VaR (the α-quantile) and CVaR (the mean of returns at or below it). */
export function tailStatistics(
  returns: readonly number[],
  alpha: number,
): { valueAtRisk: number; conditionalValueAtRisk: number } {
  const sorted = [...returns].sort((a, b) => a - b);
  const count = Math.max(1, Math.floor(alpha * sorted.length));
  const tail = sorted.slice(0, count);
  return {
    valueAtRisk: sorted[count - 1]!,
    conditionalValueAtRisk: tail.reduce((sum, value) => sum + value, 0) / count,
  };
}
