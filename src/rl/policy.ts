import { FastMlp, type DenseWeights, type FastMlpEngine } from './networks.js';
import { argmax, logSoftmaxInPlace, sampleCategorical } from './ppo.js';
import type { Random } from './random.js';

/**
 * How a trained actor turns logits into an action. Part of the model: evaluation and serving use
 * the same mode, so a backtest judges the policy that will trade.
 */
export type InferenceMode = 'greedy' | 'sampled';

/** The actor on the fast Float32Array path: one observation in, an action and its probabilities out. */
export class TradingPolicy {
  private readonly actor: FastMlp;
  private readonly logits: Float32Array;
  private readonly logProbs: Float32Array;

  constructor(
    actorWeights: readonly DenseWeights[],
    readonly mode: InferenceMode,
    private readonly random?: Random,
    options: { engine?: FastMlpEngine } = {},
  ) {
    if (mode === 'sampled' && !random) throw new Error('a sampled policy needs a seeded Random');
    this.actor = new FastMlp(actorWeights, options);
    this.logits = new Float32Array(this.actor.outputSize);
    this.logProbs = new Float32Array(this.actor.outputSize);
  }

  /** Which implementation runs the actor's forward pass. */
  get engine(): FastMlpEngine {
    return this.actor.engine;
  }

  /** The action for an observation at `offset` (features then position). */
  act(observation: ArrayLike<number>, offset = 0): number {
    this.actor.forward(observation, offset, this.logits);
    if (this.mode === 'greedy') return argmax(this.logits);
    return sampleCategorical(logSoftmaxInPlace(this.logits), this.random!);
  }

  /** The action and the probability of each action. */
  decide(observation: ArrayLike<number>, offset = 0): { action: number; probabilities: number[] } {
    const logProbs = this.logProbs;
    this.actor.forward(observation, offset, logProbs);
    logSoftmaxInPlace(logProbs);
    const action = this.mode === 'greedy' ? argmax(logProbs) : sampleCategorical(logProbs, this.random!);
    const probabilities = new Array<number>(logProbs.length);
    for (let i = 0; i < logProbs.length; i++) probabilities[i] = Math.exp(logProbs[i]!);
    return { action, probabilities };
  }
}
