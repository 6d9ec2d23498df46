/**
 * The training thread's side: `ModelTrainer.train` and `evaluate` with this thread's own
 * TensorFlow.js, answering the main thread by call id (training-thread.ts).
 */
import { parentPort } from 'node:worker_threads';
import { CancelledError, ValidationError } from '../errors.js';
import { ModelTrainer } from './model-trainer.js';
import type { TrainingCall } from './training-thread.js';

if (!parentPort) throw new Error('training-worker runs as a worker thread of TrainingThread');
const port = parentPort;
const trainer = new ModelTrainer();
const running = new Map<number, AbortController>();

async function answer(call: Exclude<TrainingCall, { type: 'cancel' }>): Promise<unknown> {
  if (call.type === 'evaluate') return trainer.evaluate(call.model, call.test, call.options);
  const controller = new AbortController();
  running.set(call.id, controller);
  try {
    return await trainer.train(call.bars, call.config, {
      ...call.options,
      signal: controller.signal,
      onProgress: (progress) => port.postMessage({ type: 'progress', id: call.id, progress }),
    });
  } finally {
    running.delete(call.id);
  }
}

port.on('message', (call: TrainingCall) => {
  if (call.type === 'cancel') {
    running.get(call.id)?.abort();
    return;
  }
  answer(call).then(
    (value) => port.postMessage({ type: 'done', id: call.id, value }),
    (error: unknown) =>
      port.postMessage({
        type: 'error',
        id: call.id,
        kind:
          error instanceof CancelledError
            ? 'cancelled'
            : error instanceof ValidationError
              ? 'invalid'
              : 'error',
        field: error instanceof ValidationError ? error.field : undefined,
        message: error instanceof Error ? error.message : String(error),
      }),
  );
});
