/**
 * The tune stage on every core: a TPE study whose trials run on a pool of worker threads (one per
 * core), as many at once as there are threads, while the main thread samples and stores. Each new
 * trial is suggested from the trials finished so far (Optuna's default with parallel workers:
 * trials still running are not seen) and pruned against the curves that were complete when it
 * started. With one thread the trials run in the process itself, one after the other, and the
 * study is reproducible from its seed.
 */
import { mergeConfig } from '../config/merge.js';
import type { RetrainingConfig } from '../config/schema.js';
import type { Database } from '../db/types.js';
import { CancelledError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { Tuner } from '../orchestration/pipeline.js';
import type { JsonObject } from '../store/json.js';
import { finishTrial, startTrial } from '../store/tuning-trials.js';
import type { LearningCurve } from '../tuning/pruner.js';
import { DEFAULT_PPO_SEARCH_SPACE, validateParams, type Params } from '../tuning/search-space.js';
import { completedTrial, bestTrial, trialSeed, type TrialRecord } from '../tuning/study.js';
import { TpeSampler } from '../tuning/tpe.js';
import { hyperparametersFrom, runTrialTask, type TrialOutcome, type TrialTask } from './trial.js';
import { TrialPool } from './trial-pool.js';

/** Iterations of one trial: a quarter of the final training's, at least 8. */
export function trialIterations(epochs: number): number {
  return Math.max(8, Math.ceil(epochs / 4));
}

export interface TunerOptions {
  db: Database;
  config: RetrainingConfig;
  logger: Logger;
  worker: string;
  /** Worker threads; 1 runs the trials in this process, one after the other. Default 1. */
  threads?: number;
  /** Lease of a running trial; a trial whose lease ran out is preempted and run again. Default 30 min. */
  leaseMs?: number;
}

export function createTuner(options: TunerOptions): Tuner {
  const { db, config, logger, worker } = options;
  const threads = options.threads ?? 1;
  return async ({ bars, interval, seed, modelType, signal, report, jobId }) => {
    const hpo = config.training.hyperparameterOptimization;
    const iterations = trialIterations(config.training.epochs);
    const trialConfig = mergeConfig(config, { training: { epochs: iterations } });
    const sampler = new TpeSampler({ space: DEFAULT_PPO_SEARCH_SPACE, seed, direction: 'maximize' });
    const pruner = { startupTrials: 5, warmupSteps: Math.max(4, Math.floor(iterations / 3)) };
    const pool = threads > 1 ? new TrialPool(threads) : null;
    const records: TrialRecord[] = [];
    const running = new Map<number, Promise<void>>();
    const cancel = new AbortController();
    const stopAll = () => cancel.abort();
    signal?.addEventListener('abort', stopAll, { once: true });

    const launch = async (number: number) => {
      const params: Params = sampler.suggest(records.map(completedTrial), number);
      validateParams(DEFAULT_PPO_SEARCH_SPACE, params);
      const trialSeedValue = trialSeed(seed, number);
      const row = await startTrial(db, {
        jobId,
        number,
        params: params as JsonObject,
        seed: trialSeedValue,
        worker,
        leaseUntil: new Date(Date.now() + (options.leaseMs ?? 30 * 60_000)),
      });
      const task: TrialTask = {
        number,
        seed: trialSeedValue,
        params,
        bars,
        config: trialConfig,
        interval,
        modelType,
        metric: hpo.optimizationMetric,
        pruner,
        completedCurves: records.filter((r) => r.state === 'complete').map((r) => r.curve as LearningCurve),
      };
      let outcome: TrialOutcome;
      try {
        outcome = pool ? await pool.run(task, cancel.signal) : await runTrialTask(task, cancel.signal);
      } catch (error) {
        // A cancelled or crashed trial is not left running in the table.
        await finishTrial(db, row.id, {
          state: 'failed',
          value: null,
          curve: [],
          error: (error as Error).message,
          durationMs: 0,
        });
        throw error;
      }
      await finishTrial(db, row.id, {
        state: outcome.state,
        value: outcome.value,
        curve: outcome.curve,
        error: outcome.error ?? null,
        durationMs: outcome.durationMs,
      });
      records.push({
        number,
        params,
        seed: trialSeedValue,
        curve: outcome.curve,
        value: outcome.value,
        state: outcome.state,
        durationMs: outcome.durationMs,
        ...(outcome.error !== undefined ? { error: outcome.error } : {}),
      });
      await report(
        records.length / hpo.maxTrials,
        `trial ${number + 1}/${hpo.maxTrials} ${outcome.state}${outcome.value === null ? '' : `: ${hpo.optimizationMetric} ${outcome.value.toFixed(3)}`}`,
      );
    };

    try {
      for (let number = 0; number < hpo.maxTrials; number++) {
        if (cancel.signal.aborted) break;
        const task = launch(number).finally(() => running.delete(number));
        running.set(number, task);
        if (running.size >= threads) await Promise.race(running.values());
      }
      await Promise.all(running.values());
    } catch (error) {
      cancel.abort();
      await Promise.allSettled(running.values());
      throw error;
    } finally {
      signal?.removeEventListener('abort', stopAll);
      await pool?.close();
    }
    if (signal?.aborted) throw new CancelledError('hyperparameter search cancelled');
    const best = bestTrial(records, 'maximize');
    if (!best) {
      logger.warn('no hyperparameter trial completed; training with the configured settings', { jobId });
      return null;
    }
    return { best: hyperparametersFrom(best.params), trials: records.length };
  };
}
