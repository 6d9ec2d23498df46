import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { ValidationError } from '../errors.js';

/**
 * TensorFlow.js backends, best first: `tensorflow` (the native @tensorflow/tfjs-node, only when
 * the user installed it: its install downloads a binary), `wasm` (the default: SIMD, one thread
 * under Node, its .wasm files ship in the npm package), `cpu` (pure JavaScript, the fallback).
 */
export type TfBackend = 'wasm' | 'cpu' | 'tensorflow';
const BACKENDS: readonly TfBackend[] = ['wasm', 'cpu', 'tensorflow'];

let active: Promise<TfBackend> | undefined;
let requested: TfBackend | undefined;

/**
 * The backend already started on this thread, or the default one: for code that builds TF.js
 * models without caring which backend (artifacts), and must work in a thread that never trained.
 */
export function ensureTensorFlow(): Promise<TfBackend> {
  return active ?? initTensorFlow();
}

/**
 * Selects and initialises the backend once per thread: the argument, else
 * `RETRAINING_TF_BACKEND`, else wasm; a backend that fails to start falls back to cpu and the
 * returned name says which one runs.
 */
export function initTensorFlow(
  preferred?: TfBackend,
  env: NodeJS.ProcessEnv = process.env,
): Promise<TfBackend> {
  const wanted = preferred ?? parseBackend(env.RETRAINING_TF_BACKEND);
  if (active && requested === wanted) return active;
  requested = wanted;
  active = start(wanted);
  return active;
}

function parseBackend(value: string | undefined): TfBackend {
  if (value === undefined || value.trim() === '') return 'wasm';
  const name = value.trim().toLowerCase();
  if (!BACKENDS.includes(name as TfBackend)) {
    throw new ValidationError(
      `RETRAINING_TF_BACKEND "${value}" is not a TensorFlow.js backend; expected wasm, cpu or tensorflow`,
      'RETRAINING_TF_BACKEND',
    );
  }
  return name as TfBackend;
}

async function start(wanted: TfBackend): Promise<TfBackend> {
  if (wanted === 'tensorflow') {
    try {
      // Optional dependency: registers the native backend when the user installed it.
      await import('@tensorflow/tfjs-node' as string);
      if (await tf.setBackend('tensorflow')) return 'tensorflow';
    } catch {
      // Not installed: fall through to wasm.
    }
    wanted = 'wasm';
  }
  if (wanted === 'wasm') {
    const require = createRequire(import.meta.url);
    const dist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
    setWasmPaths(dist);
    try {
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        return 'wasm';
      }
    } catch {
      // Fall back to cpu below.
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return 'cpu';
}

export { tf };
