/**
 * FlatAdam is Adam with global-norm clipping computed in JavaScript: its steps must be TF.js's own
 * Adam's on the gradients clipped the usual way (g · min(1, maxNorm / ‖g‖)).
 */
import { beforeAll, expect, it } from 'vitest';
import { FlatAdam } from '../../src/rl/adam.js';
import { initTensorFlow, tf } from '../../src/rl/backend.js';
import { Random } from '../../src/rl/random.js';
import { describeDatabaseIndependent } from '../helpers/database-independent.js';

beforeAll(async () => {
  await initTensorFlow();
});

describeDatabaseIndependent('FlatAdam', () => {
  for (const maxNorm of [1e9, 0.5]) {
    it(`takes TF.js Adam's steps (ε 1e-5) on gradients clipped to a global norm of ${maxNorm}`, () => {
      const random = new Random(`adam-${maxNorm}`);
      const shapes = [[4, 3], [3], [3, 2], [2]];
      const start = shapes.map((shape) =>
        Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random.normal()),
      );
      const ours = shapes.map((shape, i) =>
        tf.variable(tf.tensor(start[i]!, shape), true, `ours${maxNorm}-${i}`),
      );
      const theirs = shapes.map((shape, i) =>
        tf.variable(tf.tensor(start[i]!, shape), true, `theirs${maxNorm}-${i}`),
      );
      const adam = new FlatAdam(ours, { learningRate: 0.01, epsilon: 1e-5 });
      const reference = tf.train.adam(0.01, 0.9, 0.999, 1e-5);
      for (let step = 0; step < 5; step++) {
        const gradients = shapes.map((shape) =>
          Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random.normal() * (step + 1)),
        );
        const norm = Math.sqrt(gradients.reduce((sum, g) => sum + g.reduce((s, x) => s + x * x, 0), 0));
        const scale = Math.min(1, maxNorm / (norm + 1e-6));
        adam.apply(
          Object.fromEntries(ours.map((variable, i) => [variable.name, tf.tensor(gradients[i]!, shapes[i])])),
          maxNorm,
        );
        reference.applyGradients(
          theirs.map((variable, i) => ({
            name: variable.name,
            tensor: tf.tensor(
              gradients[i]!.map((g) => g * scale),
              shapes[i],
            ),
          })),
        );
        ours.forEach((variable, i) => {
          const a = variable.dataSync();
          const b = theirs[i]!.dataSync();
          for (let k = 0; k < a.length; k++) expect(Math.abs(a[k]! - b[k]!)).toBeLessThan(2e-6);
        });
      }
      // The weights moved: the comparison was not of untouched variables.
      expect(Math.abs(ours[0]!.dataSync()[0]! - start[0]![0]!)).toBeGreaterThan(0.01);
    });
  }

  it('reads the variables every step, so a weight assigned between steps (a warm start) is kept', () => {
    const variable = tf.variable(tf.tensor([1, 2, 3]), true, 'assigned-between');
    const adam = new FlatAdam([variable], { learningRate: 0.1 });
    adam.apply({ [variable.name]: tf.tensor([1, 1, 1]) }, 1e9);
    variable.assign(tf.tensor([10, 20, 30]));
    adam.apply({ [variable.name]: tf.tensor([0, 0, 0]) }, 1e9);
    // The second step moves by the first's momentum only, from the assigned values.
    const after = variable.dataSync();
    expect(after[0]).toBeGreaterThan(9.8);
    expect(after[0]).toBeLessThan(10);
  });
});
