/**
 * One hyperparameter trial as a self-contained task: train a short model with the trial's
 * parameters, report the validation Sharpe per iteration to a median pruner that knows the
 * curves of the trials finished before it started, and score the result on the validation bars.
 * The same function runs in the process (one trial at a time) or in a worker thread of the pool.
 */
import type { OptimizationMetric, RetrainingConfig } from '../config/schema.js';
import { CancelledError } from '../errors.js';
import type { TradingMetrics } from '../evaluation/metrics.js';
import { parseInterval, periodsPerYear } from '../market/interval.js';
import type { MarketBar } from '../store/market-bars.js';
import type { ModelType } from '../store/versions.js';
import { MedianPruner, type CurvePoint, type LearningCurve } from '../tuning/pruner.js';
import type { Params } from '../tuning/search-space.js';
import { ModelTrainer, splitHeldOut, type Hyperparameters } from './model-trainer.js';

export interface TrialTask {
  number: number;
  seed: number;
  params: Params;
  bars: Record<string, MarketBar[]>;
  /** The retraining config with `epochs` set to the trial's iterations. */
  config: RetrainingConfig;
  interval: string;
  modelType: ModelType;
  metric: OptimizationMetric;
  pruner: { startupTrials: number; warmupSteps: number };
  /** Curves of the trials that completed before this one started. */
  completedCurves: LearningCurve[];
}

export interface TrialOutcome {
  number: number;
  state: 'complete' | 'pruned' | 'failed';
  value: number | null;
  curve: CurvePoint[];
  error?: string;
  durationMs: number;
}

const METRIC: Record<OptimizationMetric, keyof TradingMetrics> = {
  sharpe_ratio: 'sharpeRatio',
  sortino_ratio: 'sortinoRatio',
  profit_factor: 'profitFactor',
  win_rate: 'winRate',
  total_return: 'totalReturn',
  calmar_ratio: 'calmarRatio',
};

export function hyperparametersFrom(params: Params): Hyperparameters {
  const out: Hyperparameters = {};
  for (const key of [
    'learningRate',
    'clipRange',
    'entropyCoef',
    'gamma',
    'gaeLambda',
    'hiddenWidth',
    'minibatchSize',
    'updateEpochs',
  ] as const) {
    const value = params[key];
    if (typeof value === 'number') out[key] = value;
  }
  return out;
}

/** Runs one trial to its end; a cancellation from `signal` (not a pruning) is rethrown. */
export async function runTrialTask(task: TrialTask, signal?: AbortSignal): Promise<TrialOutcome> {
  const started = performance.now();
  const trainer = new ModelTrainer();
  const pruner = new MedianPruner({ ...task.pruner, direction: 'maximize' });
  const curve: CurvePoint[] = [];
  const controller = new AbortController();
  const stop = () => controller.abort();
  signal?.addEventListener('abort', stop, { once: true });
  let pruned = false;
  const end = (state: TrialOutcome['state'], value: number | null, error?: string): TrialOutcome => ({
    number: task.number,
    state,
    value,
    curve,
    ...(error !== undefined ? { error } : {}),
    durationMs: performance.now() - started,
  });
  try {
    const model = await trainer.train(task.bars, task.config, {
      interval: task.interval,
      seed: task.seed,
      modelType: task.modelType,
      hyperparameters: hyperparametersFrom(task.params),
      signal: controller.signal,
      onProgress: (progress) => {
        if (progress.validationSharpe === null || pruned) return;
        const point = { step: progress.iteration, value: progress.validationSharpe };
        pruned = pruner.shouldPrune(point.step, point.value, task.completedCurves, curve);
        curve.push(point);
        if (pruned) controller.abort();
      },
    });
    const validation = splitHeldOut(task.bars, task.config.training.validationSplit);
    const evaluation = trainer.evaluate(
      model,
      { bars: validation.test, firstRow: validation.testFirstRow },
      { periodsPerYear: periodsPerYear(parseInterval(task.interval)), seed: task.seed },
    );
    const value = evaluation.summary.metrics[METRIC[task.metric]];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      return end('failed', null, `${task.metric} is ${String(value)} on the validation bars`);
    }
    return end('complete', value);
  } catch (error) {
    if (error instanceof CancelledError) {
      if (pruned && !signal?.aborted) return end('pruned', curve.at(-1)?.value ?? null);
      throw error;
    }
    return end('failed', null, error instanceof Error ? error.message : String(error));
  } finally {
    signal?.removeEventListener('abort', stop);
  }
}
