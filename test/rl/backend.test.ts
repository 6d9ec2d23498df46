import { expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { initTensorFlow, tf } from '../../src/rl/backend.js';
import { describeDatabaseIndependent } from '../helpers/database-independent.js';

describeDatabaseIndependent('TensorFlow.js backend selection', () => {
  it('uses the WebAssembly backend by default and the CPU backend on request', async () => {
    expect(await initTensorFlow(undefined, {})).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(await initTensorFlow(undefined, { RETRAINING_TF_BACKEND: 'cpu' })).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('falls back to WebAssembly when the native backend is not installed', async () => {
    expect(await initTensorFlow('tensorflow')).toBe('wasm');
  });

  it('names an unknown backend in RETRAINING_TF_BACKEND', () => {
    expect(() => initTensorFlow(undefined, { RETRAINING_TF_BACKEND: 'gpu' })).toThrow(ValidationError);
    expect(() => initTensorFlow(undefined, { RETRAINING_TF_BACKEND: 'gpu' })).toThrow(
      /"gpu" is not a TensorFlow.js backend/,
    );
  });
});
