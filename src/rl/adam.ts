import { tf } from './backend.js';

/**
 * Adam (Kingma & Ba 2015, Algorithm 1) over all variables as one flat vector, with global-norm
 * gradient clipping folded in. TF.js's optimizer runs about ten small ops per variable; with twelve
 * weight tensors that per-op overhead, not arithmetic, dominated a PPO minibatch step on wasm.
 * One concatenated vector needs a dozen ops in all, plus one slice and assign per variable.
 */
export class FlatAdam {
  private readonly m: tf.Variable;
  private readonly v: tf.Variable;
  private readonly sizes: number[];
  private step = 0;
  learningRate: number;

  constructor(
    private readonly variables: readonly tf.Variable[],
    options: { learningRate: number; beta1?: number; beta2?: number; epsilon?: number },
    private readonly beta1 = options.beta1 ?? 0.9,
    private readonly beta2 = options.beta2 ?? 0.999,
    private readonly epsilon = options.epsilon ?? 1e-8,
  ) {
    this.learningRate = options.learningRate;
    this.sizes = variables.map((variable) => variable.size);
    const total = this.sizes.reduce((sum, size) => sum + size, 0);
    this.m = tf.variable(tf.zeros([total]), false);
    this.v = tf.variable(tf.zeros([total]), false);
  }

  /** Clips the gradients to a global L2 norm of `maxNorm`, then takes one Adam step. */
  apply(grads: tf.NamedTensorMap, maxNorm: number): void {
    this.step++;
    const t = this.step;
    tf.tidy(() => {
      const flat = tf.concat(this.variables.map((variable) => tf.reshape(grads[variable.name]!, [-1])));
      const norm = tf.sqrt(tf.sum(tf.square(flat)));
      const g = tf.mul(flat, tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6))));
      const m = tf.add(tf.mul(this.m, this.beta1), tf.mul(g, 1 - this.beta1));
      const v = tf.add(tf.mul(this.v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
      this.m.assign(m);
      this.v.assign(v);
      const mHat = tf.div(m, 1 - this.beta1 ** t);
      const vHat = tf.div(v, 1 - this.beta2 ** t);
      const update = tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), this.epsilon)), this.learningRate);
      const parts = tf.split(update, this.sizes);
      this.variables.forEach((variable, i) => {
        variable.assign(tf.sub(variable, tf.reshape(parts[i]!, variable.shape)));
      });
    });
  }

  dispose(): void {
    this.m.dispose();
    this.v.dispose();
  }
}
