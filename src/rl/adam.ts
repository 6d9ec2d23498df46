import { tf } from './backend.js';

/**
 * Adam (Kingma & Ba 2015, Algorithm 1) over all variables as one flat vector, with global-norm
 * gradient clipping folded in, computed in JavaScript. TF.js's optimizer runs about ten small ops
 * per variable, and even one concatenated vector took ~70 (reshapes, concat, the update, a split,
 * a subtraction and an assign per variable); on wasm each op costs far more than its arithmetic
 * on ~13,000 numbers. Here the gradients and weights are read once, the step is one loop, and each
 * variable gets its new values in one upload. The moments are kept in float64.
 */
export class FlatAdam {
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private readonly gradients: Float32Array;
  private readonly weights: Float32Array;
  private readonly offsets: number[];
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
    this.offsets = [0];
    for (const variable of variables) this.offsets.push(this.offsets.at(-1)! + variable.size);
    const total = this.offsets.at(-1)!;
    this.m = new Float64Array(total);
    this.v = new Float64Array(total);
    this.gradients = new Float32Array(total);
    this.weights = new Float32Array(total);
  }

  /** Clips the gradients to a global L2 norm of `maxNorm`, then takes one Adam step. */
  apply(grads: tf.NamedTensorMap, maxNorm: number): void {
    this.applyGradients(
      this.variables.map((variable) => {
        const gradient = grads[variable.name];
        if (!gradient) throw new Error(`no gradient for variable ${variable.name}`);
        return gradient;
      }),
      maxNorm,
    );
  }

  /** `apply` with the gradients in the order of the variables given to the constructor. */
  applyGradients(grads: readonly tf.Tensor[], maxNorm: number): void {
    if (grads.length !== this.variables.length)
      throw new Error(`expected ${this.variables.length} gradients, got ${grads.length}`);
    this.step++;
    const { m, v, gradients, weights, offsets, beta1, beta2, epsilon } = this;
    // The variables are read every step, not cached: a warm start or a restore may assign them.
    this.variables.forEach((variable, i) => {
      const gradient = grads[i]!;
      if (gradient.size !== variable.size)
        throw new Error(
          `gradient ${i} has ${gradient.size} values for variable ${variable.name} of ${variable.size}`,
        );
      gradients.set(gradient.dataSync() as Float32Array, offsets[i]);
      weights.set(variable.dataSync() as Float32Array, offsets[i]);
    });
    let squares = 0;
    for (let i = 0; i < gradients.length; i++) squares += gradients[i]! * gradients[i]!;
    const scale = Math.min(1, maxNorm / (Math.sqrt(squares) + 1e-6));
    const mCorrection = 1 - beta1 ** this.step;
    const vCorrection = 1 - beta2 ** this.step;
    for (let i = 0; i < gradients.length; i++) {
      const g = gradients[i]! * scale;
      m[i] = beta1 * m[i]! + (1 - beta1) * g;
      v[i] = beta2 * v[i]! + (1 - beta2) * g * g;
      weights[i] =
        weights[i]! -
        (this.learningRate * (m[i]! / mCorrection)) / (Math.sqrt(v[i]! / vCorrection) + epsilon);
    }
    this.variables.forEach((variable, i) => {
      // A copy: the CPU backend keeps the array it is given, and `weights` is reused next step.
      const values = tf.tensor(weights.slice(offsets[i], offsets[i + 1]), variable.shape);
      variable.assign(values);
      values.dispose();
    });
  }
}
