/**
 * Proximal Policy Optimization (Schulman et al. 2017, "Proximal Policy Optimization Algorithms"),
 * written after CleanRL's ppo.py: the knobs at the top, then the agent, the rollout, GAE and the
 * clipped update, in the order the paper states them. Discrete actions (target positions).
 */
import { FlatAdam } from './adam.js';
import { tf } from './backend.js';
import { FastMlp, Mlp, type DenseWeights } from './networks.js';
import type { Random } from './random.js';
import type { VectorEnvironment } from './types.js';

export interface PpoConfig {
  /** Adam step size; annealed linearly to 0 over the run when `annealLr`. */
  learningRate: number;
  annealLr: boolean;
  /** Steps each environment runs per rollout; a rollout is numSteps × numEnvs transitions. */
  numSteps: number;
  /**
   * Discount factor γ. 0.95, not CleanRL's 0.99: a position earns its next bar's return, and a credit
   * horizon 1/(1 − γ) of ~100 bars added noise and slowed learning where ~20 bars did not
   * (docs/benchmarks.md, "Learning quality").
   */
  gamma: number;
  /** GAE λ (Schulman et al. 2016, "High-Dimensional Continuous Control Using GAE"); 0.9 with γ 0.95. */
  gaeLambda: number;
  /** Passes over each rollout. */
  updateEpochs: number;
  /** Transitions per gradient step. */
  minibatchSize: number;
  /** Normalise advantages per minibatch to mean 0, std 1. */
  normAdvantages: boolean;
  /** Surrogate clipping ε (paper eq. 7). */
  clipCoef: number;
  /** Clip the value loss around the old values, as in OpenAI baselines' PPO2. */
  clipValueLoss: boolean;
  /** Entropy bonus coefficient c2 (paper eq. 9). */
  entCoef: number;
  /** Value loss coefficient c1 (paper eq. 9). */
  vfCoef: number;
  /** Global gradient-norm clipping. */
  maxGradNorm: number;
  /** Stop an update early once the approximate KL to the rollout policy exceeds this; null never. */
  targetKl: number | null;
  /** Hidden layer widths of the actor and of the critic. */
  hidden: readonly number[];
  /** Adam ε (CleanRL and the PPO implementation-details study use 1e-5, not Keras's 1e-7). */
  adamEpsilon: number;
}

export const DEFAULT_PPO_CONFIG: Readonly<PpoConfig> = Object.freeze({
  learningRate: 2.5e-4,
  annealLr: true,
  numSteps: 128,
  gamma: 0.95,
  gaeLambda: 0.9,
  updateEpochs: 4,
  minibatchSize: 256,
  normAdvantages: true,
  clipCoef: 0.2,
  clipValueLoss: true,
  entCoef: 0.01,
  vfCoef: 0.5,
  maxGradNorm: 0.5,
  targetKl: null,
  hidden: Object.freeze([64, 64]),
  adamEpsilon: 1e-5,
});

/** The actor (logits over actions) and the critic (state value), separate MLPs as in CleanRL. */
export class PpoAgent {
  private constructor(
    readonly actor: Mlp,
    readonly critic: Mlp,
  ) {}

  static create(
    observationSize: number,
    actionCount: number,
    hidden: readonly number[],
    random: Random,
  ): PpoAgent {
    return new PpoAgent(
      Mlp.create(
        { inputSize: observationSize, hidden, outputSize: actionCount, outputGain: 0.01 },
        random.fork('actor'),
      ),
      Mlp.create({ inputSize: observationSize, hidden, outputSize: 1, outputGain: 1 }, random.fork('critic')),
    );
  }

  static fromWeights(weights: AgentWeights): PpoAgent {
    const spec = (layers: readonly DenseWeights[], gain: number) => ({
      inputSize: layers[0]!.inSize,
      hidden: layers.slice(0, -1).map((layer) => layer.outSize),
      outputSize: layers.at(-1)!.outSize,
      outputGain: gain,
    });
    return new PpoAgent(
      Mlp.fromWeights(spec(weights.actor, 0.01), weights.actor),
      Mlp.fromWeights(spec(weights.critic, 1), weights.critic),
    );
  }

  readWeights(): AgentWeights {
    return { actor: this.actor.readWeights(), critic: this.critic.readWeights() };
  }

  variables(): tf.Variable[] {
    return [...this.actor.variables(), ...this.critic.variables()];
  }

  dispose(): void {
    this.actor.dispose();
    this.critic.dispose();
  }
}

export interface AgentWeights {
  actor: DenseWeights[];
  critic: DenseWeights[];
}

/** One rollout's transitions, flat arrays indexed [step · numEnvs + env]. */
export interface Rollout {
  numSteps: number;
  numEnvs: number;
  observationSize: number;
  observations: Float32Array;
  actions: Int32Array;
  logProbs: Float32Array;
  values: Float32Array;
  rewards: Float32Array;
  /** 1 when the transition ended its episode. */
  dones: Uint8Array;
  /** V(s) of the observation after the last step, for bootstrapping. */
  nextValues: Float32Array;
}

/**
 * Runs every environment `numSteps` steps with the current policy, sampling actions from the
 * actor's softmax with the seeded `random` (so runs repeat exactly). The actor runs on the fast
 * Float32Array path on a snapshot of the weights (no tensors per step); the critic's values are
 * computed afterwards in one batched TF.js pass.
 */
export function collectRollout(
  env: VectorEnvironment,
  agent: PpoAgent,
  startObservations: Float32Array,
  numSteps: number,
  random: Random,
): { rollout: Rollout; nextObservations: Float32Array } {
  const { numEnvs, observationSize, actionCount } = env;
  const weights = agent.readWeights();
  const actor = new FastMlp(weights.actor);
  const size = numSteps * numEnvs;
  const rollout: Rollout = {
    numSteps,
    numEnvs,
    observationSize,
    observations: new Float32Array(size * observationSize),
    actions: new Int32Array(size),
    logProbs: new Float32Array(size),
    values: new Float32Array(size),
    rewards: new Float32Array(size),
    dones: new Uint8Array(size),
    nextValues: new Float32Array(numEnvs),
  };
  const logits = new Float32Array(actionCount);
  const actions = new Int32Array(numEnvs);
  let observations = startObservations;
  for (let step = 0; step < numSteps; step++) {
    const base = step * numEnvs;
    rollout.observations.set(observations, base * observationSize);
    for (let e = 0; e < numEnvs; e++) {
      actor.forward(observations, e * observationSize, logits);
      const logp = logSoftmaxInPlace(logits);
      const action = sampleCategorical(logp, random);
      actions[e] = action;
      rollout.actions[base + e] = action;
      rollout.logProbs[base + e] = logp[action]!;
    }
    const result = env.step(actions);
    rollout.rewards.set(result.rewards, base);
    rollout.dones.set(result.dones, base);
    observations = Float32Array.from(result.observations);
  }
  // The critic does not choose actions, so all its values are computed in one batched pass.
  tf.tidy(() => {
    const all = tf.concat([
      tf.tensor2d(rollout.observations, [size, observationSize]),
      tf.tensor2d(observations, [numEnvs, observationSize]),
    ]);
    const values = agent.critic.apply(all).dataSync();
    rollout.values.set(values.subarray(0, size));
    rollout.nextValues.set(values.subarray(size));
  });
  return { rollout, nextObservations: observations };
}

/**
 * Generalised advantage estimation (GAE paper, eq. 16), backwards in time:
 * δ_t = r_t + γ·V(s_{t+1})·(1 − done_t) − V(s_t); A_t = δ_t + γλ·(1 − done_t)·A_{t+1}.
 * An episode cut by its length is treated as terminal, as CleanRL does.
 */
export function computeGae(
  rollout: Pick<Rollout, 'numSteps' | 'numEnvs' | 'rewards' | 'values' | 'dones' | 'nextValues'>,
  gamma: number,
  lambda: number,
): { advantages: Float32Array; returns: Float32Array } {
  const { numSteps, numEnvs, rewards, values, dones, nextValues } = rollout;
  const advantages = new Float32Array(numSteps * numEnvs);
  const returns = new Float32Array(numSteps * numEnvs);
  for (let e = 0; e < numEnvs; e++) {
    let lastAdvantage = 0;
    for (let t = numSteps - 1; t >= 0; t--) {
      const i = t * numEnvs + e;
      const nonTerminal = 1 - dones[i]!;
      const nextValue = t === numSteps - 1 ? nextValues[e]! : values[i + numEnvs]!;
      const delta = rewards[i]! + gamma * nextValue * nonTerminal - values[i]!;
      lastAdvantage = delta + gamma * lambda * nonTerminal * lastAdvantage;
      advantages[i] = lastAdvantage;
      returns[i] = lastAdvantage + values[i]!;
    }
  }
  return { advantages, returns };
}

export interface UpdateStats {
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  approxKl: number;
  clipFraction: number;
  gradientSteps: number;
}

/**
 * The clipped-surrogate update (paper eq. 7 and 9) over `updateEpochs` shuffled passes of
 * minibatches: L = −min(r·Â, clip(r, 1 ± ε)·Â) + c1·L_V − c2·H, with global gradient-norm
 * clipping and Adam.
 */
export function ppoUpdate(
  agent: PpoAgent,
  optimizer: FlatAdam,
  rollout: Rollout,
  gae: { advantages: Float32Array; returns: Float32Array },
  config: PpoConfig,
  random: Random,
): UpdateStats {
  const batch = rollout.numSteps * rollout.numEnvs;
  const minibatch = Math.min(config.minibatchSize, batch);
  const totals = { policyLoss: 0, valueLoss: 0, entropy: 0, approxKl: 0, clipFraction: 0, gradientSteps: 0 };
  const order = Int32Array.from({ length: batch }, (_, i) => i);
  const pick = new MinibatchBuffers(minibatch, rollout.observationSize, config.normAdvantages);
  for (let epoch = 0; epoch < config.updateEpochs; epoch++) {
    random.shuffle(order as unknown as number[]);
    let stop = false;
    for (let start = 0; start + minibatch <= batch; start += minibatch) {
      // Rows are copied into the minibatch in JavaScript: cheaper than six tf.gather calls.
      pick.fill(rollout, gae, order, start);
      const stats = tf.tidy(() => minibatchStep(agent, optimizer, pick.minibatch(), config));
      totals.policyLoss += stats.policyLoss;
      totals.valueLoss += stats.valueLoss;
      totals.entropy += stats.entropy;
      totals.approxKl += stats.approxKl;
      totals.clipFraction += stats.clipFraction;
      totals.gradientSteps++;
      if (config.targetKl !== null && stats.approxKl > config.targetKl) {
        stop = true;
        break;
      }
    }
    if (stop) break;
  }
  const steps = Math.max(1, totals.gradientSteps);
  return {
    policyLoss: totals.policyLoss / steps,
    valueLoss: totals.valueLoss / steps,
    entropy: totals.entropy / steps,
    approxKl: totals.approxKl / steps,
    clipFraction: totals.clipFraction / steps,
    gradientSteps: totals.gradientSteps,
  };
}

/** A minibatch: the observations as a tensor (the networks' input), the rest as the loss head reads them. */
export interface Minibatch {
  observations: tf.Tensor2D;
  /** The observations transposed (observation size × rows), for the first layers' kernel gradients. */
  observationsT?: tf.Tensor2D;
  /** The action taken in each row. */
  actions: Int32Array;
  /** Log-probabilities of those actions under the policy that collected them. */
  logProbs: Float32Array;
  /** The critic's values at collection. */
  values: Float32Array;
  advantages: Float32Array;
  returns: Float32Array;
}

/** Per-minibatch advantage normalisation to mean 0, std 1 (population std, + 1e-8). */
function normaliseInPlace(values: Float32Array): void {
  let mean = 0;
  for (const value of values) mean += value;
  mean /= values.length;
  let variance = 0;
  for (const value of values) variance += (value - mean) ** 2;
  const scale = 1 / (Math.sqrt(variance / values.length) + 1e-8);
  for (let i = 0; i < values.length; i++) values[i] = (values[i]! - mean) * scale;
}

/** Preallocated minibatch arrays, refilled from the shuffled rollout for every gradient step. */
class MinibatchBuffers {
  private readonly observations: Float32Array;
  private readonly observationsT: Float32Array;
  private readonly actions: Int32Array;
  private readonly logProbs: Float32Array;
  private readonly values: Float32Array;
  private readonly advantages: Float32Array;
  private readonly returns: Float32Array;

  constructor(
    private readonly size: number,
    private readonly observationSize: number,
    private readonly normaliseAdvantages: boolean,
  ) {
    this.observations = new Float32Array(size * observationSize);
    this.observationsT = new Float32Array(size * observationSize);
    this.actions = new Int32Array(size);
    this.logProbs = new Float32Array(size);
    this.values = new Float32Array(size);
    this.advantages = new Float32Array(size);
    this.returns = new Float32Array(size);
  }

  fill(
    rollout: Rollout,
    gae: { advantages: Float32Array; returns: Float32Array },
    order: Int32Array,
    start: number,
  ): void {
    const width = this.observationSize;
    const rows = this.size;
    for (let k = 0; k < rows; k++) {
      const i = order[start + k]!;
      this.observations.set(rollout.observations.subarray(i * width, (i + 1) * width), k * width);
      for (let f = 0; f < width; f++) this.observationsT[f * rows + k] = rollout.observations[i * width + f]!;
      this.actions[k] = rollout.actions[i]!;
      this.logProbs[k] = rollout.logProbs[i]!;
      this.values[k] = rollout.values[i]!;
      this.advantages[k] = gae.advantages[i]!;
      this.returns[k] = gae.returns[i]!;
    }
    if (this.normaliseAdvantages) normaliseInPlace(this.advantages);
  }

  /** The current contents; the observations' tensor is made here, so call inside tf.tidy. */
  minibatch(): Minibatch {
    return {
      observations: tf.tensor2d(this.observations, [this.size, this.observationSize]),
      observationsT: tf.tensor2d(this.observationsT, [this.observationSize, this.size]),
      actions: this.actions,
      logProbs: this.logProbs,
      values: this.values,
      advantages: this.advantages,
      returns: this.returns,
    };
  }
}

/**
 * One gradient step: `minibatchGradients`, then Adam with global-norm clipping. Call inside
 * `tf.tidy`.
 */
function minibatchStep(
  agent: PpoAgent,
  optimizer: FlatAdam,
  minibatch: Minibatch,
  config: PpoConfig,
): Omit<UpdateStats, 'gradientSteps'> {
  const { grads, terms } = minibatchGradients(agent, minibatch, config);
  optimizer.applyGradients(grads, config.maxGradNorm);
  const { loss: _loss, ...stats } = terms;
  return stats;
}

/**
 * The gradients of `ppoLoss` for `agent.variables()` (in that order) and the loss terms: the
 * networks' forward passes, the loss head's gradient in JavaScript (`ppoHeadGradients`), and the
 * networks' backward passes written out (`Mlp.trainingPass`). Without TF.js's autograd tape a
 * step runs about a third fewer backend operations; test/rl/ppo.test.ts checks these gradients
 * against TF.js's automatic differentiation of `ppoLoss` and against finite differences.
 */
export function minibatchGradients(
  agent: PpoAgent,
  minibatch: Minibatch,
  config: PpoConfig,
): { grads: tf.Tensor[]; terms: Omit<LossTerms, 'loss'> & { loss: number } } {
  const { observations } = minibatch;
  const observationsT = minibatch.observationsT ?? tf.transpose(observations);
  const actor = agent.actor.trainingPass(observations, observationsT);
  const critic = agent.critic.trainingPass(observations, observationsT);
  const actionCount = actor.output.shape[1];
  const head = ppoHeadGradients(
    actor.output.dataSync(),
    critic.output.dataSync(),
    actionCount,
    minibatch,
    config,
  );
  const rows = observations.shape[0];
  const grads = [
    ...actor.backward(tf.tensor2d(head.gradZ, [rows, actionCount])),
    ...critic.backward(tf.tensor2d(head.gradV, [rows, 1])),
  ];
  return { grads, terms: head.terms };
}

export interface LossTerms {
  loss: tf.Scalar;
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  /** k3 estimator of KL(old ‖ new) (Schulman, "Approximating KL Divergence", 2020). */
  approxKl: number;
  /** Share of rows whose ratio left [1 − ε, 1 + ε]. */
  clipFraction: number;
}

/**
 * The PPO loss of a minibatch (paper eq. 9, as a loss to minimise):
 * L = −mean(min(r·Â, clip(r, 1 − ε, 1 + ε)·Â)) + c1·L_V − c2·H, r = π(a|s) / π_old(a|s),
 * L_V = ½·mean(max((V − R)², (V_old + clip(V − V_old, ±ε) − R)²)) (the second term when
 * `clipValueLoss`). The networks run as TF.js ops; the loss on their outputs is `ppoHead`.
 */
export function ppoLoss(agent: PpoAgent, batch: Minibatch, config: PpoConfig): LossTerms {
  // Advantages arrive normalised (MinibatchBuffers does it in JavaScript when normAdvantages).
  return ppoHead(
    agent.actor.apply(batch.observations),
    agent.critic.apply(batch.observations),
    batch,
    config,
  );
}

/**
 * The loss from the networks' outputs (logits, minibatch × actions; values, minibatch × 1) to the
 * scalar, forward and gradient written out in JavaScript over the minibatch's rows: as TF.js ops
 * it was ~80 small operations per step (log-softmax, ratio, clipping, maxima, means and their
 * gradients), each paying the backend's per-operation cost on a few hundred numbers. The gradient,
 * per row i and action j, with p = softmax(z), a the action taken, g_i the surrogate's slope in r
 * (−Â where the unclipped term is the larger, else −Â inside the clip range and 0 outside, as
 * TF.js's maximum and clipByValue give it):
 *   ∂L/∂z_ij = [g_i·r_i·(1[j = a] − p_j) + c2·p_j·(log p_j + H_i)] / B,
 *   ∂L/∂V_i = c1·(V_i − R_i or, clipped, V_clip,i − R_i inside the clip range, else 0) / B.
 * Checked against TF.js's automatic gradient of the same loss as ops (test/rl/ppo.test.ts).
 */
export function ppoHead(
  logits: tf.Tensor,
  values: tf.Tensor,
  batch: Omit<Minibatch, 'observations'>,
  config: PpoConfig,
): LossTerms {
  let terms: Omit<LossTerms, 'loss'> | undefined;
  const head = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [z, v] = args as [tf.Tensor, tf.Tensor];
    const computed = ppoHeadGradients(z.dataSync(), v.dataSync(), z.shape[1]!, batch, config);
    terms = computed.terms;
    return {
      value: tf.scalar(computed.terms.loss),
      gradFunc: (dy: tf.Tensor) => [
        tf.mul(dy, tf.tensor(computed.gradZ, z.shape)),
        tf.mul(dy, tf.tensor(computed.gradV, v.shape)),
      ],
    };
  });
  const loss = head(logits, values) as tf.Scalar;
  return { ...terms!, loss };
}

/** `ppoHead`'s loss terms and gradients for the logits and values, on plain arrays. */
export function ppoHeadGradients(
  zs: ArrayLike<number>,
  vs: ArrayLike<number>,
  actionCount: number,
  batch: Omit<Minibatch, 'observations'>,
  config: PpoConfig,
): { terms: Omit<LossTerms, 'loss'> & { loss: number }; gradZ: Float32Array; gradV: Float32Array } {
  const size = batch.actions.length;
  const epsilon = config.clipCoef;
  const gradZ = new Float32Array(size * actionCount);
  const gradV = new Float32Array(size);
  const logP = new Float64Array(actionCount);
  let policy = 0;
  let value = 0;
  let entropy = 0;
  let kl = 0;
  let clipped = 0;
  for (let i = 0; i < size; i++) {
    const row = i * actionCount;
    let max = -Infinity;
    for (let j = 0; j < actionCount; j++) max = Math.max(max, zs[row + j]!);
    let sum = 0;
    for (let j = 0; j < actionCount; j++) sum += Math.exp(zs[row + j]! - max);
    const logSum = max + Math.log(sum);
    let h = 0;
    for (let j = 0; j < actionCount; j++) {
      logP[j] = zs[row + j]! - logSum;
      h -= Math.exp(logP[j]!) * logP[j]!;
    }
    const action = batch.actions[i]!;
    const logRatio = logP[action]! - batch.logProbs[i]!;
    const ratio = Math.exp(logRatio);
    const advantage = batch.advantages[i]!;
    const clippedRatio = Math.min(Math.max(ratio, 1 - epsilon), 1 + epsilon);
    const unclippedTerm = -advantage * ratio;
    const clippedTerm = -advantage * clippedRatio;
    let slope: number;
    if (unclippedTerm >= clippedTerm) {
      policy += unclippedTerm;
      slope = -advantage;
    } else {
      policy += clippedTerm;
      slope = ratio >= 1 - epsilon && ratio <= 1 + epsilon ? -advantage : 0;
    }
    entropy += h;
    kl += ratio - 1 - logRatio;
    if (Math.abs(ratio - 1) > epsilon) clipped++;
    for (let j = 0; j < actionCount; j++) {
      const p = Math.exp(logP[j]!);
      gradZ[row + j] =
        (slope * ratio * ((j === action ? 1 : 0) - p) + config.entCoef * p * (logP[j]! + h)) / size;
    }

    const current = vs[i]!;
    const target = batch.returns[i]!;
    let error = (current - target) ** 2;
    let slopeV = current - target;
    if (config.clipValueLoss) {
      const old = batch.values[i]!;
      const delta = current - old;
      const near = old + Math.min(Math.max(delta, -epsilon), epsilon);
      const errorClipped = (near - target) ** 2;
      if (errorClipped > error) {
        error = errorClipped;
        slopeV = delta >= -epsilon && delta <= epsilon ? near - target : 0;
      }
    }
    value += error;
    // ½·c1·mean(error): d/dV = c1·(V − R)/B.
    gradV[i] = (config.vfCoef * slopeV) / size;
  }
  const policyLoss = policy / size;
  const valueLoss = (0.5 * value) / size;
  const meanEntropy = entropy / size;
  return {
    terms: {
      loss: policyLoss - config.entCoef * meanEntropy + config.vfCoef * valueLoss,
      policyLoss,
      valueLoss,
      entropy: meanEntropy,
      approxKl: kl / size,
      clipFraction: clipped / size,
    },
    gradZ,
    gradV,
  };
}

/** Replaces logits by log-probabilities (log-softmax, max-shifted for stability). */
export function logSoftmaxInPlace(logits: Float32Array): Float32Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - max);
  const logSum = max + Math.log(sum);
  for (let i = 0; i < logits.length; i++) logits[i] = logits[i]! - logSum;
  return logits;
}

export function sampleCategorical(logProbs: Float32Array, random: Random): number {
  const u = random.next();
  let cumulative = 0;
  for (let i = 0; i < logProbs.length; i++) {
    cumulative += Math.exp(logProbs[i]!);
    if (u < cumulative) return i;
  }
  return logProbs.length - 1;
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

export function createOptimizer(
  agent: PpoAgent,
  config: Pick<PpoConfig, 'learningRate' | 'adamEpsilon'>,
): FlatAdam {
  return new FlatAdam(agent.variables(), { learningRate: config.learningRate, epsilon: config.adamEpsilon });
}

/** Linear annealing of the step size (CleanRL: frac = 1 − (iteration − 1) / iterations). */
export function setLearningRate(optimizer: FlatAdam, learningRate: number): void {
  (optimizer as unknown as { learningRate: number }).learningRate = learningRate;
}
