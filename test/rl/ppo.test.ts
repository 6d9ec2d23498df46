import { beforeAll, expect, it } from 'vitest';
import { initTensorFlow, tf } from '../../src/rl/backend.js';
import { FastMlp, tanh } from '../../src/rl/networks.js';
import {
  collectRollout,
  computeGae,
  createOptimizer,
  DEFAULT_PPO_CONFIG,
  PpoAgent,
  ppoHead,
  ppoLoss,
  ppoUpdate,
  minibatchGradients,
  type Minibatch,
  type PpoConfig,
} from '../../src/rl/ppo.js';
import { Random } from '../../src/rl/random.js';
import type { StepResult, VectorEnvironment } from '../../src/rl/types.js';
import { describeDatabaseIndependent } from '../helpers/database-independent.js';

beforeAll(async () => {
  await initTensorFlow();
});

/**
 * A contextual bandit as a vector environment: the observation's first element is ±1, the best
 * action is "long" (2) when it is +1 and "short" (0) when it is −1; flat (1) earns 0.
 */
function banditEnvironment(numEnvs: number, seed: number): VectorEnvironment {
  const random = new Random(seed);
  const observations = new Float32Array(numEnvs * 2);
  const draw = () => {
    for (let e = 0; e < numEnvs; e++) observations[e * 2] = random.next() < 0.5 ? -1 : 1;
    return observations;
  };
  return {
    numEnvs,
    observationSize: 2,
    actionCount: 3,
    positions: [-1, 0, 1],
    reset: () => Float32Array.from(draw()),
    step(actions: Int32Array): StepResult {
      const rewards = new Float32Array(numEnvs);
      for (let e = 0; e < numEnvs; e++) rewards[e] = (actions[e]! - 1) * observations[e * 2]!;
      return { observations: Float32Array.from(draw()), rewards, dones: new Uint8Array(numEnvs).fill(1) };
    },
  };
}

describeDatabaseIndependent('GAE', () => {
  it('matches a hand-computed example with an episode boundary', () => {
    // One environment, 3 steps, γ = 0.9, λ = 0.8; the second transition ends its episode.
    const rollout = {
      numSteps: 3,
      numEnvs: 1,
      rewards: Float32Array.from([1, 2, 3]),
      values: Float32Array.from([0.5, 1, 1.5]),
      dones: Uint8Array.from([0, 1, 0]),
      nextValues: Float32Array.from([2]),
    };
    const { advantages, returns } = computeGae(rollout, 0.9, 0.8);
    // t=2: δ = 3 + 0.9·2 − 1.5 = 3.3; A = 3.3
    // t=1: δ = 2 + 0 − 1 = 1; A = 1 (done: no bootstrap, no carry)
    // t=0: δ = 1 + 0.9·1 − 0.5 = 1.4; A = 1.4 + 0.72·1 = 2.12
    expect(Array.from(advantages)).toEqual([2.12, 1, 3.3].map((v) => Math.fround(v)));
    expect(returns[0]).toBeCloseTo(2.62, 5);
    expect(returns[2]).toBeCloseTo(4.8, 5);
  });
});

describeDatabaseIndependent('PPO loss', () => {
  const config: PpoConfig = { ...DEFAULT_PPO_CONFIG, clipCoef: 0.2, entCoef: 0.01 };

  /** `spread`: how far the old log-probabilities and values sit from the networks' (clipping). */
  function batch(random: Random, size: number, observationSize: number, spread = 0.05): Minibatch {
    const obs = Float32Array.from({ length: size * observationSize }, () => random.normal());
    return {
      observations: tf.tensor2d(obs, [size, observationSize]),
      actions: Int32Array.from({ length: size }, () => random.int(3)),
      logProbs: Float32Array.from({ length: size }, () => Math.log(1 / 3) + random.normal() * spread),
      values: Float32Array.from({ length: size }, () => random.normal() * spread),
      advantages: Float32Array.from({ length: size }, () => random.normal()),
      returns: Float32Array.from({ length: size }, () => random.normal()),
    };
  }

  /** The same loss as TF.js operations (CleanRL's formulation), differentiated by TF.js. */
  function referenceLoss(logits: tf.Tensor2D, values: tf.Tensor, data: Minibatch, c: PpoConfig): tf.Scalar {
    const advantages = tf.tensor1d(data.advantages);
    const logProbsAll = tf.logSoftmax(logits);
    const mask = tf.oneHot(tf.tensor1d(data.actions, 'int32'), logits.shape[1]);
    const newLogProbs = tf.sum(tf.mul(logProbsAll, mask), 1);
    const entropy = tf.mean(tf.neg(tf.sum(tf.mul(tf.exp(logProbsAll), logProbsAll), 1)));
    const ratio = tf.exp(tf.sub(newLogProbs, tf.tensor1d(data.logProbs)));
    const unclipped = tf.mul(tf.neg(advantages), ratio);
    const clipped = tf.mul(tf.neg(advantages), tf.clipByValue(ratio, 1 - c.clipCoef, 1 + c.clipCoef));
    const policyLoss = tf.mean(tf.maximum(unclipped, clipped));
    const newValues = tf.reshape(values, [-1]);
    const returns = tf.tensor1d(data.returns);
    const old = tf.tensor1d(data.values);
    let valueError = tf.square(tf.sub(newValues, returns));
    if (c.clipValueLoss) {
      const delta = tf.clipByValue(tf.sub(newValues, old), -c.clipCoef, c.clipCoef);
      valueError = tf.maximum(valueError, tf.square(tf.sub(tf.add(old, delta), returns)));
    }
    const valueLoss = tf.mul(0.5, tf.mean(valueError));
    return tf.add(tf.sub(policyLoss, tf.mul(c.entCoef, entropy)), tf.mul(c.vfCoef, valueLoss)) as tf.Scalar;
  }

  for (const clipValueLoss of [true, false]) {
    it(`has the loss and gradient of TF.js's own differentiation of the same loss as operations (value clipping ${clipValueLoss ? 'on' : 'off'})`, () => {
      const random = new Random(`head-${clipValueLoss}`);
      const c = { ...config, clipValueLoss, entCoef: 0.05, vfCoef: 0.7 };
      // Old log-probabilities and values far from the current ones: both clips are active on many rows.
      const data = batch(random, 256, 4, 0.6);
      const logits = tf.tensor2d(
        Float32Array.from({ length: 256 * 3 }, () => random.normal()),
        [256, 3],
      );
      const values = tf.tensor2d(
        Float32Array.from({ length: 256 }, () => random.normal() * 0.6),
        [256, 1],
      );
      const fused = tf.grads((z: tf.Tensor, v: tf.Tensor) => ppoHead(z, v, data, c).loss);
      const reference = tf.grads((z: tf.Tensor, v: tf.Tensor) => referenceLoss(z as tf.Tensor2D, v, data, c));
      const [fz, fv] = fused([logits, values]);
      const [rz, rv] = reference([logits, values]);
      const close = (a: tf.Tensor, b: tf.Tensor) => {
        const x = a.dataSync();
        const y = b.dataSync();
        expect(x.length).toBe(y.length);
        for (let i = 0; i < x.length; i++)
          expect(Math.abs(x[i]! - y[i]!)).toBeLessThan(1e-6 + 1e-4 * Math.abs(y[i]!));
      };
      close(fz!, rz!);
      close(fv!, rv!);
      const terms = ppoHead(logits, values, data, c);
      expect(terms.loss.dataSync()[0]!).toBeCloseTo(referenceLoss(logits, values, data, c).dataSync()[0]!, 5);
      // Clipping was exercised: some rows left the ratio's range.
      expect(terms.clipFraction).toBeGreaterThan(0.2);
      expect(terms.clipFraction).toBeLessThan(0.9);
    });
  }

  it('has gradients equal to finite differences', () => {
    const random = new Random('grad-check');
    const agent = PpoAgent.create(5, 3, [8, 8], random);
    const data = batch(random, 32, 5);
    const variables = agent.variables();
    // The training step's gradients (written-out backward passes, no autograd tape).
    const grads = minibatchGradients(agent, data, config).grads.map((g) => g.dataSync().slice());
    const lossAt = () => tf.tidy(() => ppoLoss(agent, data, config).loss.dataSync()[0]!);
    let checked = 0;
    variables.forEach((variable, v) => {
      const analytic = grads[v]!;
      const values = variable.dataSync().slice();
      for (const i of [0, Math.floor(values.length / 2), values.length - 1]) {
        const h = 1e-2;
        const plus = values.slice();
        plus[i] = values[i]! + h;
        variable.assign(tf.tensor(plus, variable.shape));
        const up = lossAt();
        const minus = values.slice();
        minus[i] = values[i]! - h;
        variable.assign(tf.tensor(minus, variable.shape));
        const down = lossAt();
        variable.assign(tf.tensor(values, variable.shape));
        const numeric = (up - down) / (2 * h);
        expect(Math.abs(numeric - analytic[i]!)).toBeLessThan(2e-3 + 0.02 * Math.abs(numeric));
        checked++;
      }
    });
    expect(checked).toBe(variables.length * 3);
    agent.dispose();
  });

  it('has training-step gradients equal to TF.js’s automatic differentiation of the loss, with or without the transposed input', () => {
    const random = new Random('tape-free');
    const agent = PpoAgent.create(10, 3, [32, 16], random);
    // Non-trivial policy weights (its head starts near zero by design) and a clipped batch.
    agent.actor.assign(
      agent.actor.readWeights().map((w) => ({ ...w, kernel: w.kernel.map(() => random.normal() * 0.3) })),
    );
    const data = batch(random, 64, 10, 0.6);
    const variables = agent.variables();
    const { grads: reference, value } = tf.variableGrads(() => ppoLoss(agent, data, config).loss, variables);
    const observationsT = tf.transpose(data.observations);
    for (const minibatch of [data, { ...data, observationsT }]) {
      const { grads, terms } = minibatchGradients(agent, minibatch, config);
      expect(terms.loss).toBeCloseTo(value.dataSync()[0]!, 6);
      expect(grads.map((g) => g.shape)).toEqual(variables.map((v) => v.shape));
      variables.forEach((variable, v) => {
        const expected = reference[variable.name]!.dataSync();
        const actual = grads[v]!.dataSync();
        for (let i = 0; i < expected.length; i++)
          expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(
            1e-7 + 1e-5 * Math.abs(expected[i]!),
          );
      });
    }
    agent.dispose();
  });

  it('evaluates tanh on the fast path within 5e-8 of Math.tanh, odd, saturating, and exact at 0', () => {
    let worst = 0;
    for (let x = -12; x <= 12; x += 1e-4) worst = Math.max(worst, Math.abs(tanh(x) - Math.tanh(x)));
    expect(worst).toBeLessThan(5e-8);
    for (const x of [1e-9, 0.3, 2, 7.9, 8, 30]) expect(tanh(-x)).toBe(-tanh(x));
    expect(tanh(0)).toBe(0);
    for (let x = 1e-12; x < 1; x *= 1.01) expect(Math.abs(tanh(x) / Math.tanh(x) - 1)).toBeLessThan(2e-7);
    expect(tanh(50)).toBe(1);
    expect(tanh(-Infinity)).toBe(-1);
    expect(tanh(Number.NaN)).toBeNaN();
  });

  it('computes the same forward pass with the fast Float32Array path as with TF.js', () => {
    const random = new Random('fast-path');
    const agent = PpoAgent.create(10, 3, [32, 32], random);
    // Non-trivial weights: the policy head starts near zero by design.
    agent.actor.assign(
      agent.actor.readWeights().map((w) => ({ ...w, kernel: w.kernel.map(() => random.normal() * 0.3) })),
    );
    const input = Float32Array.from({ length: 40 }, () => random.normal());
    const expected = agent.actor.apply(tf.tensor2d(input, [4, 10])).dataSync();
    const fast = new FastMlp(agent.actor.readWeights());
    const out = new Float32Array(3);
    for (let row = 0; row < 4; row++) {
      fast.forward(input, row * 10, out);
      for (let j = 0; j < 3; j++) expect(Math.abs(out[j]! - expected[row * 3 + j]!)).toBeLessThan(1e-5);
    }
    agent.dispose();
  });
});

describeDatabaseIndependent('PPO learning', () => {
  function train(seed: number, iterations: number) {
    const env = banditEnvironment(16, seed);
    const random = new Random(seed);
    const config: PpoConfig = {
      ...DEFAULT_PPO_CONFIG,
      numSteps: 16,
      minibatchSize: 64,
      learningRate: 3e-3,
      hidden: [16],
    };
    const agent = PpoAgent.create(env.observationSize, env.actionCount, config.hidden, random.fork('init'));
    const optimizer = createOptimizer(agent, config);
    let observations = env.reset();
    const rolloutRandom = random.fork('rollout');
    const updateRandom = random.fork('update');
    let meanReward = 0;
    for (let i = 0; i < iterations; i++) {
      const { rollout, nextObservations } = collectRollout(
        env,
        agent,
        observations,
        config.numSteps,
        rolloutRandom,
      );
      observations = nextObservations;
      meanReward = rollout.rewards.reduce((a, b) => a + b, 0) / rollout.rewards.length;
      ppoUpdate(
        agent,
        optimizer,
        rollout,
        computeGae(rollout, config.gamma, config.gaeLambda),
        config,
        updateRandom,
      );
    }
    const weights = agent.readWeights();
    agent.dispose();
    return { meanReward, weights };
  }

  it('learns the best action of a contextual bandit', () => {
    const { meanReward } = train(7, 40);
    // Random play earns 0 on average; the best policy earns 1 per step.
    expect(meanReward).toBeGreaterThan(0.8);
  });

  it('gives the same weights byte for byte from the same seed', () => {
    const a = train(3, 5);
    const b = train(3, 5);
    const bytes = (w: typeof a.weights) =>
      Buffer.concat(
        [...w.actor, ...w.critic].flatMap((l) => [Buffer.from(l.kernel.buffer), Buffer.from(l.bias.buffer)]),
      );
    expect(bytes(a.weights).equals(bytes(b.weights))).toBe(true);
    const c = train(4, 5);
    expect(bytes(a.weights).equals(bytes(c.weights))).toBe(false);
  });
});
