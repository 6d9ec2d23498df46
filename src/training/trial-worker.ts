/**
 * A worker thread of the trial pool: its own TensorFlow.js (the wasm backend runs one thread per
 * JavaScript thread), running one trial at a time for the main thread, which keeps the database.
 */
import { parentPort } from 'node:worker_threads';
import { CancelledError } from '../errors.js';
import { runTrialTask, type TrialTask } from './trial.js';

type Message = { type: 'run'; task: TrialTask } | { type: 'cancel' };

if (!parentPort) throw new Error('trial-worker runs as a worker thread of the trial pool');
const port = parentPort;
let controller: AbortController | null = null;

port.on('message', (message: Message) => {
  if (message.type === 'cancel') {
    controller?.abort();
    return;
  }
  controller = new AbortController();
  runTrialTask(message.task, controller.signal).then(
    (outcome) => port.postMessage({ type: 'done', outcome }),
    (error: unknown) =>
      port.postMessage({
        type: 'error',
        cancelled: error instanceof CancelledError,
        message: error instanceof Error ? error.message : String(error),
      }),
  );
});
