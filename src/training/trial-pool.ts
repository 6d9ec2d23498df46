/**
 * A pool of worker threads for hyperparameter trials, one per core by default. Each thread loads
 * its own TensorFlow.js once and runs one trial at a time; the main thread samples, stores and
 * prunes nothing itself.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { CancelledError } from '../errors.js';
import { startWorkerThread } from './threads.js';
import type { TrialOutcome, TrialTask } from './trial.js';

interface Slot {
  worker: Worker;
  busy: boolean;
}

type Reply = { type: 'done'; outcome: TrialOutcome } | { type: 'error'; cancelled: boolean; message: string };

function startWorker(): Worker {
  return startWorkerThread('trial-worker');
}

export class TrialPool {
  readonly size: number;
  readonly #slots: Slot[] = [];
  readonly #waiting: ((slot: Slot) => void)[] = [];
  #closed = false;

  constructor(size = availableParallelism()) {
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`trial pool size ${size}; expected an integer ≥ 1`);
    this.size = size;
    for (let i = 0; i < size; i++) {
      const worker = startWorker();
      worker.unref();
      this.#slots.push({ worker, busy: false });
    }
  }

  /**
   * Runs a trial on the next free thread; `signal` cancels it (the thread stays usable). A thread
   * that crashes fails its trial and is replaced, so a long-lived pool keeps its size.
   */
  async run(task: TrialTask, signal?: AbortSignal): Promise<TrialOutcome> {
    if (this.#closed) throw new CancelledError('the trial pool is closed');
    const slot = await this.#acquire();
    try {
      return await new Promise<TrialOutcome>((resolve, reject) => {
        const { worker } = slot;
        const cancel = () => worker.postMessage({ type: 'cancel' });
        signal?.addEventListener('abort', cancel, { once: true });
        const cleanup = () => {
          signal?.removeEventListener('abort', cancel);
          worker.off('message', onMessage);
          worker.off('error', onError);
          worker.off('exit', onExit);
        };
        const onMessage = (reply: Reply) => {
          cleanup();
          if (reply.type === 'done') resolve(reply.outcome);
          else reject(reply.cancelled ? new CancelledError(reply.message) : new Error(reply.message));
        };
        const crashed = (error: Error) => {
          cleanup();
          if (!this.#closed) {
            slot.worker = startWorker();
            slot.worker.unref();
          }
          reject(error);
        };
        const onError = (error: Error) => crashed(error);
        const onExit = (code: number) =>
          crashed(
            this.#closed
              ? new CancelledError('the trial pool is closed')
              : new Error(`trial thread exited with code ${code} during trial ${task.number}`),
          );
        worker.on('message', onMessage);
        worker.on('error', onError);
        worker.on('exit', onExit);
        worker.postMessage({ type: 'run', task });
      });
    } finally {
      this.#release(slot);
    }
  }

  async #acquire(): Promise<Slot> {
    const free = this.#slots.find((slot) => !slot.busy);
    if (free) {
      free.busy = true;
      return free;
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #release(slot: Slot): void {
    const next = this.#waiting.shift();
    if (next) next(slot);
    else slot.busy = false;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#slots.map((slot) => slot.worker.terminate()));
  }
}
