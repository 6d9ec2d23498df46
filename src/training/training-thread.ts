/**
 * Training and backtests off the main thread. A retraining's PPO updates run for seconds at a
 * time between yields; on the thread that also serves `POST /v1/predict` (`retrain start` is one
 * process) they held every prediction for as long (the `load` benchmark: p50 1.1 s, p99 3.3 s
 * during a retraining, 1 ms and 10 ms before). Here they run on one worker thread with its own
 * TensorFlow.js, started on first use and kept; the main thread keeps the database and the API.
 * Same code, same seed, so the same weights byte for byte as `ModelTrainer` in the process.
 */
import type { Worker } from 'node:worker_threads';
import type { RetrainingConfig } from '../config/schema.js';
import { CancelledError, ValidationError } from '../errors.js';
import type { BarsBySymbol } from '../rl/market-series.js';
import type { TrainingProgress } from '../rl/train.js';
import type { ModelEvaluation, ModelTrainer, TrainedModel } from './model-trainer.js';
import { startWorkerThread } from './threads.js';

type TrainOptions = Parameters<ModelTrainer['train']>[2];
type EvaluateArgs = Parameters<ModelTrainer['evaluate']>;

/** What the main thread sends (training-worker.ts answers). */
export type TrainingCall =
  | {
      type: 'train';
      id: number;
      bars: BarsBySymbol;
      config: RetrainingConfig;
      options: Omit<TrainOptions, 'onProgress' | 'signal'>;
    }
  | { type: 'evaluate'; id: number; model: EvaluateArgs[0]; test: EvaluateArgs[1]; options: EvaluateArgs[2] }
  | { type: 'cancel'; id: number };

type Reply =
  | { type: 'progress'; id: number; progress: TrainingProgress }
  | { type: 'done'; id: number; value: unknown }
  | { type: 'error'; id: number; kind: 'cancelled' | 'invalid' | 'error'; field?: string; message: string };

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  onProgress?: (progress: TrainingProgress) => void;
}

/** What the pipeline needs of a trainer: `ModelTrainer` in the process, or this thread. */
export interface PipelineTrainer {
  train: ModelTrainer['train'];
  evaluate(...args: EvaluateArgs): ModelEvaluation | Promise<ModelEvaluation>;
}

export class TrainingThread implements PipelineTrainer {
  #worker: Worker | null = null;
  #next = 1;
  readonly #pending = new Map<number, Pending>();
  #closed = false;

  async train(bars: BarsBySymbol, config: RetrainingConfig, options: TrainOptions): Promise<TrainedModel> {
    const { onProgress, signal, ...rest } = options;
    signal?.throwIfAborted();
    const id = this.#next++;
    const cancel = () => this.#worker?.postMessage({ type: 'cancel', id } satisfies TrainingCall);
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      return (await this.#call(
        { type: 'train', id, bars, config, options: rest },
        onProgress,
      )) as TrainedModel;
    } finally {
      signal?.removeEventListener('abort', cancel);
    }
  }

  async evaluate(...[model, test, options]: EvaluateArgs): Promise<ModelEvaluation> {
    const id = this.#next++;
    // Only what evaluation reads: the artifact's other parts (drift reference, metadata) stay here.
    const slim = { weights: model.weights, normaliser: model.normaliser, config: model.config };
    return (await this.#call({ type: 'evaluate', id, model: slim, test, options })) as ModelEvaluation;
  }

  /** Ends the thread; calls still running are rejected as cancelled. */
  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = null;
    this.#failAll(new CancelledError('the training thread is closed'));
    await worker?.terminate();
  }

  #call(
    call: Exclude<TrainingCall, { type: 'cancel' }>,
    onProgress?: Pending['onProgress'],
  ): Promise<unknown> {
    if (this.#closed) return Promise.reject(new CancelledError('the training thread is closed'));
    const worker = this.#start();
    return new Promise((resolve, reject) => {
      this.#pending.set(call.id, { resolve, reject, ...(onProgress ? { onProgress } : {}) });
      worker.postMessage(call);
    });
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = startWorkerThread('training-worker');
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const pending = this.#pending.get(reply.id);
      if (!pending) return;
      if (reply.type === 'progress') {
        pending.onProgress?.(reply.progress);
        return;
      }
      this.#pending.delete(reply.id);
      if (reply.type === 'done') pending.resolve(reply.value);
      else if (reply.kind === 'cancelled') pending.reject(new CancelledError(reply.message));
      else if (reply.kind === 'invalid') pending.reject(new ValidationError(reply.message, reply.field));
      else pending.reject(new Error(reply.message));
    });
    // A thread that dies fails what it was doing; the next call starts a new one.
    const lost = (error: Error) => {
      if (this.#worker !== worker) return;
      this.#worker = null;
      this.#failAll(error);
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`the training thread exited with code ${code}`)));
    this.#worker = worker;
    return worker;
  }

  #failAll(error: Error): void {
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }
}
