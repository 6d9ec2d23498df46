/**
 * The tune stage in one process: a TPE study over DEFAULT_PPO_SEARCH_SPACE, `maxTrials` trials,
 * each a short training (a quarter of `epochs`, at least 8 iterations) scored by
 * `optimizationMetric` on the training part's own validation bars, with a median pruner reading
 * the per-iteration validation Sharpe after a warm-up. Every trial is stored (parameters, seed,
 * learning curve, score) as it starts and ends. The best parameters train the final model.
 */
import { mergeConfig } from '../config/merge.js';
import type { OptimizationMetric, RetrainingConfig } from '../config/schema.js';
import type { Database } from '../db/types.js';
import { CancelledError } from '../errors.js';
import type { TradingMetrics } from '../evaluation/metrics.js';
import { parseInterval, periodsPerYear } from '../market/interval.js';
import type { Logger } from '../logging/logger.js';
import type { Tuner } from '../orchestration/pipeline.js';
import type { JsonObject } from '../store/json.js';
import { finishTrial, startTrial } from '../store/tuning-trials.js';
import { MedianPruner } from '../tuning/pruner.js';
import { DEFAULT_PPO_SEARCH_SPACE, type Params } from '../tuning/search-space.js';
import { runStudy } from '../tuning/study.js';
import { TpeSampler } from '../tuning/tpe.js';
import { ModelTrainer, splitHeldOut, type Hyperparameters } from './model-trainer.js';

const METRIC: Record<OptimizationMetric, keyof TradingMetrics> = {
  sharpe_ratio: 'sharpeRatio',
  sortino_ratio: 'sortinoRatio',
  profit_factor: 'profitFactor',
  win_rate: 'winRate',
  total_return: 'totalReturn',
  calmar_ratio: 'calmarRatio',
};

/** Iterations of one trial: a quarter of the final training's, at least 8. */
export function trialIterations(epochs: number): number {
  return Math.max(8, Math.ceil(epochs / 4));
}

export function hyperparametersFrom(params: Params): Hyperparameters {
  const number = (key: string) => (typeof params[key] === 'number' ? (params[key] as number) : undefined);
  const out: Hyperparameters = {};
  const set = <K extends keyof Hyperparameters>(key: K, value: number | undefined) => {
    if (value !== undefined) out[key] = value;
  };
  set('learningRate', number('learningRate'));
  set('clipRange', number('clipRange'));
  set('entropyCoef', number('entropyCoef'));
  set('gamma', number('gamma'));
  set('gaeLambda', number('gaeLambda'));
  set('hiddenWidth', number('hiddenWidth'));
  set('minibatchSize', number('minibatchSize'));
  set('updateEpochs', number('updateEpochs'));
  return out;
}

export function sequentialTuner(options: {
  db: Database;
  config: RetrainingConfig;
  logger: Logger;
  worker: string;
  trainer?: ModelTrainer;
}): Tuner {
  const { db, config, logger, worker } = options;
  const trainer = options.trainer ?? new ModelTrainer();
  return async ({ bars, interval, seed, modelType, signal, report, jobId }) => {
    const hpo = config.training.hyperparameterOptimization;
    const iterations = trialIterations(config.training.epochs);
    const trialConfig = mergeConfig(config, { training: { epochs: iterations } });
    const validation = splitHeldOut(bars, config.training.validationSplit);
    const ppy = periodsPerYear(parseInterval(interval));
    const metric = METRIC[hpo.optimizationMetric];
    const ids = new Map<number, string>();
    let done = 0;

    const study = await runStudy({
      space: DEFAULT_PPO_SEARCH_SPACE,
      trials: hpo.maxTrials,
      seed,
      sampler: new TpeSampler({ space: DEFAULT_PPO_SEARCH_SPACE, seed, direction: 'maximize' }),
      pruner: new MedianPruner({
        startupTrials: 5,
        warmupSteps: Math.max(4, Math.floor(iterations / 3)),
        direction: 'maximize',
      }),
      onTrialStart: async (number, params, trialSeed) => {
        const row = await startTrial(db, {
          jobId,
          number,
          params: params as JsonObject,
          seed: trialSeed,
          worker,
          leaseUntil: new Date(Date.now() + 30 * 60_000),
        });
        ids.set(number, row.id);
      },
      onTrial: async (record) => {
        await finishTrial(db, ids.get(record.number)!, {
          state: record.state,
          value: record.value,
          curve: record.curve,
          error: record.error ?? null,
          durationMs: record.durationMs,
        });
        done++;
        await report(
          done / hpo.maxTrials,
          `trial ${record.number + 1}/${hpo.maxTrials} ${record.state}${record.value === null ? '' : `: ${hpo.optimizationMetric} ${record.value.toFixed(3)}`}`,
        );
      },
      objective: async (params, trial) => {
        const controller = new AbortController();
        const stop = () => controller.abort();
        signal?.addEventListener('abort', stop, { once: true });
        let pruned = false;
        try {
          const model = await trainer.train(bars, trialConfig, {
            interval,
            seed: trial.seed,
            modelType,
            hyperparameters: hyperparametersFrom(params),
            signal: controller.signal,
            onProgress: (progress) => {
              if (progress.validationSharpe === null || pruned) return;
              if (trial.report(progress.iteration, progress.validationSharpe) === 'prune') {
                pruned = true;
                controller.abort();
              }
            },
          });
          const evaluation = trainer.evaluate(
            model,
            { bars: validation.test, firstRow: validation.testFirstRow },
            { periodsPerYear: ppy, seed: trial.seed },
          );
          const value = evaluation.summary.metrics[metric];
          return typeof value === 'number' ? value : Number.NaN;
        } catch (error) {
          // Pruning stops the training through its signal; the study ignores the value.
          if (error instanceof CancelledError && pruned && !signal?.aborted) return Number.NaN;
          throw error;
        } finally {
          signal?.removeEventListener('abort', stop);
        }
      },
    });
    if (signal?.aborted) throw new CancelledError('hyperparameter search cancelled');
    if (!study.best) {
      logger.warn('no hyperparameter trial completed; training with the configured settings', { jobId });
      return null;
    }
    return { best: hyperparametersFrom(study.best.params), trials: study.trials.length };
  };
}
