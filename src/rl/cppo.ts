/**
 * CPPO: PPO with a CVaR constraint on episode returns, the small delta on top of ppo.ts.
 *
 * Problem. Maximise E[R] subject to CVaR_α(R) ≥ β, where R is an episode's return in the
 * environment's scaled reward units (rewardScale × the sum of net simple returns, so β = −2 reads
 * "the worst α share of episodes lose at most 2 % on average"). Rockafellar & Uryasev (2000):
 * CVaR_α(R) = max_ν ν − E[(ν − R)⁺] / α, the maximiser ν being the VaR (the α-quantile). As in
 * Chow et al. (2017, "Risk-Constrained Reinforcement Learning with Percentile Risk Criteria") and
 * FinRL's CPPO, the constraint becomes the Lagrangian
 *   L(θ, ν, λ) = E[R] + λ·(ν − E[(ν − R)⁺] / α − β),   max over θ and ν, min over λ ≥ 0,
 * and each variable takes its own stochastic step once per rollout:
 * - θ (the policy): PPO on rewards that carry the penalty −(λ/α)·(ν − R) of every episode whose
 *   return fell below ν (the episode's term in ∂L/∂θ); split over its transitions as below;
 * - ν (the VaR variable), learned rather than set to the empirical quantile: ∂L/∂ν = λ·(1 − P(R < ν)/α),
 *   so ν ← ν + η_ν·σ_R·(1 − F̂(ν)/α), with F̂ the share of this rollout's finished episodes below ν
 *   and σ_R the spread of recent episode returns (η_ν is then unit-free). The factor λ is left out
 *   (a per-coordinate step size; same fixed point, ν = VaR) so that ν keeps tracking the VaR while
 *   λ is 0 and the dual step below sees a tight estimate. ν starts at the empirical α-quantile of
 *   the first episodes;
 * - λ (dual descent on ∂L/∂λ): λ ← clip(λ + η_λ·(β − ĈVaR), 0, λ_max), ĈVaR = ν − mean((ν − R)⁺)/α
 *   over this rollout's finished episodes (the Rockafellar–Uryasev estimate at ν: a lower bound of
 *   CVaR, tight at ν = VaR). λ starts at 0 (plain PPO), rises while the tail is worse than β and
 *   decays once the bound is met.
 *
 * Credit assignment of the penalty. The penalty is a function of the whole episode, and it sums
 * over transitions: (ν − R) = Σ_t (ν/T − r_t). Where it lands matters under PPO, whose
 * per-minibatch advantage normalisation, ratio clipping and gradient-norm clipping bound the
 * influence of a rare large sample. Measured on a market with rare crashes (test/rl/cppo-tail):
 * all on the last transition (the previous formulation) or evenly over the episode, the policy
 * stayed always long like PPO (or, with λ driven to its cap, traded on noise with a tail barely
 * better); split pathwise (ν/T − r_t, the crash bar taking the loss), it stayed near uniform and
 * traded on noise. Here transition t of a penalised episode gets
 *   −(λ/α)·(ν/T − r̄_{a_t}),   r̄_a = mean reward of the episode's transitions that took action a,
 * the shares summing to the episode's penalty exactly. r̄_{a_t} is the expectation of r_t given the
 * episode's per-action totals when the bars an action was held over are exchangeable (the policy
 * cannot tell ex ante on which bar the crash comes): it keeps which action carried the tail loss
 * and averages out on which bar it fell, so every long transition of a crash episode is charged a
 * share of the loss and a flat one only the budget ν/T. Transitions of an episode that were
 * collected in an earlier rollout (episodes longer than a rollout) were already used for an update
 * and keep their share.
 *
 * Scale. λ is unit-free (return per unit of CVaR); a penalised transition moves by (λ/α) times a
 * per-bar reward. On markets where the mean per-episode return is small against the tail, the
 * multiplier that trades mean for tail is well below 1, hence λ_init 0, η_λ 0.01 and λ_max 2.
 */
import type { Rollout } from './ppo.js';

export interface CppoConfig {
  /** Tail probability α of the CVaR (0.1 = the worst 10 % of episodes). */
  alpha: number;
  /** Lower bound β on CVaR_α of episode return, in scaled reward units (rewardScale × return). */
  cvarBound: number;
  /** Starting Lagrange multiplier λ (0: start as plain PPO). */
  lambdaInit: number;
  /** Dual step size η_λ, per unit of constraint violation per rollout. */
  lambdaLr: number;
  /** Cap on λ, so one bad rollout cannot swamp the return signal. */
  lambdaMax: number;
  /** Step size η_ν of the VaR variable ν, in units of the recent episode-return spread. */
  nuLr: number;
  /** Completed episodes kept for ν's first value, its step scale and the reported VaR / CVaR. */
  window: number;
}

export const DEFAULT_CPPO_CONFIG: Readonly<CppoConfig> = Object.freeze({
  alpha: 0.1,
  cvarBound: -2,
  lambdaInit: 0,
  lambdaLr: 0.01,
  lambdaMax: 2,
  nuLr: 0.1,
  window: 128,
});

export interface CvarState {
  lambda: number;
  /** The VaR variable ν of the Lagrangian; null until the first α-quantile is known. */
  nu: number | null;
  /** Running return of each environment's current episode. */
  episodeReturns: Float64Array;
  /** Transitions of each environment's current episode so far. */
  episodeLengths: Int32Array;
  /** Per environment, per action: [reward sum, transitions] of the current episode. */
  actionTotals: Map<number, [number, number]>[];
  /** Recent completed episode returns (oldest dropped first). */
  recent: number[];
  /** Empirical VaR and CVaR of `recent`, for reports. */
  var: number;
  cvar: number;
  /** Rockafellar–Uryasev CVaR estimate at ν of the last rollout's episodes (the dual step's input). */
  cvarEstimate: number;
}

export function createCvarState(numEnvs: number, config: CppoConfig): CvarState {
  return {
    lambda: config.lambdaInit,
    nu: null,
    episodeReturns: new Float64Array(numEnvs),
    episodeLengths: new Int32Array(numEnvs),
    actionTotals: Array.from({ length: numEnvs }, () => new Map<number, [number, number]>()),
    recent: [],
    var: 0,
    cvar: 0,
    cvarEstimate: 0,
  };
}

interface FinishedEpisode {
  env: number;
  /** Steps of this rollout the episode covers (it may have started in an earlier rollout). */
  firstStep: number;
  lastStep: number;
  /** Transitions in the whole episode. */
  length: number;
  total: number;
  /** Mean reward of each action over the whole episode. */
  actionMeans: Map<number, number>;
}

/**
 * Adds the CVaR penalty to the rollout's rewards in place (before GAE), then takes one step of ν
 * and one dual step of λ. Returns the penalised episodes' count.
 */
export function applyCvarPenalty(rollout: Rollout, state: CvarState, config: CppoConfig): number {
  const finished = collectEpisodes(rollout, state);
  for (const episode of finished) {
    state.recent.push(episode.total);
    if (state.recent.length > config.window) state.recent.shift();
  }
  if (state.recent.length < Math.ceil(1 / config.alpha)) return 0;
  const { valueAtRisk, conditionalValueAtRisk } = tailStatistics(state.recent, config.alpha);
  state.var = valueAtRisk;
  state.cvar = conditionalValueAtRisk;
  state.nu ??= valueAtRisk;
  if (finished.length === 0) return 0;

  const nu = state.nu;
  const scale = state.lambda / config.alpha;
  const { rewards, actions, numEnvs } = rollout;
  let penalised = 0;
  let below = 0;
  let shortfall = 0;
  for (const episode of finished) {
    if (!(episode.total < nu)) continue;
    below++;
    shortfall += nu - episode.total;
    if (scale === 0) continue;
    penalised++;
    const budget = nu / episode.length;
    for (let t = episode.firstStep; t <= episode.lastStep; t++) {
      const i = t * numEnvs + episode.env;
      rewards[i] = rewards[i]! - scale * (budget - episode.actionMeans.get(actions[i]!)!);
    }
  }

  state.cvarEstimate = nu - shortfall / finished.length / config.alpha;
  state.nu = nu + config.nuLr * spread(state.recent) * (1 - below / finished.length / config.alpha);
  state.lambda = Math.min(
    config.lambdaMax,
    Math.max(0, state.lambda + config.lambdaLr * (config.cvarBound - state.cvarEstimate)),
  );
  return penalised;
}

/** Tracks every environment's episode through the rollout; returns the episodes that ended in it. */
function collectEpisodes(rollout: Rollout, state: CvarState): FinishedEpisode[] {
  const { numSteps, numEnvs, rewards, actions, dones } = rollout;
  const finished: FinishedEpisode[] = [];
  const firstStep = new Int32Array(numEnvs);
  for (let t = 0; t < numSteps; t++) {
    for (let e = 0; e < numEnvs; e++) {
      const i = t * numEnvs + e;
      const totals = state.actionTotals[e]!;
      const entry = totals.get(actions[i]!);
      if (entry) {
        entry[0] += rewards[i]!;
        entry[1] += 1;
      } else {
        totals.set(actions[i]!, [rewards[i]!, 1]);
      }
      state.episodeReturns[e] = state.episodeReturns[e]! + rewards[i]!;
      state.episodeLengths[e] = state.episodeLengths[e]! + 1;
      if (dones[i]) {
        finished.push({
          env: e,
          firstStep: firstStep[e]!,
          lastStep: t,
          length: state.episodeLengths[e]!,
          total: state.episodeReturns[e]!,
          actionMeans: new Map([...totals].map(([action, [sum, count]]) => [action, sum / count])),
        });
        totals.clear();
        state.episodeReturns[e] = 0;
        state.episodeLengths[e] = 0;
        firstStep[e] = t + 1;
      }
    }
  }
  return finished;
}

/** Population standard deviation, or 1 when the returns do not vary (ν still moves). */
function spread(returns: readonly number[]): number {
  const mean = returns.reduce((sum, value) => sum + value, 0) / returns.length;
  const variance = returns.reduce((sum, value) => sum + (value - mean) ** 2, 0) / returns.length;
  return variance > 0 ? Math.sqrt(variance) : 1;
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
