/**
 * The tune stage: a TPE study. The process running the retraining keeps the sampler and suggests
 * each trial from the trials finished so far (Optuna's default with parallel workers: trials still
 * running are not seen); a trial is pruned against the curves that were complete when it started.
 *
 * Where the trials run: when this process works the job queue (`retrain worker`, `retrain start`),
 * every trial is a job on the `trials` queue, run by whichever worker process takes it, this one
 * included (see queued-study.ts); otherwise (`retrain run`, a library system without jobs) on this
 * process's slots, threads of a pool or the process itself. With one slot in all, the trials run
 * one after the other and the study is reproducible from its seed, either way.
 */
import type { RetrainingConfig } from '../config/schema.js';
import type { Database } from '../db/types.js';
import { CancelledError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { JobQueue } from '../orchestration/jobs.js';
import type { Tuner } from '../orchestration/pipeline.js';
import type { JsonObject } from '../store/json.js';
import type { MarketBar } from '../store/market-bars.js';
import type { ModelType } from '../store/versions.js';
import { deleteTrials, finishTrial, startTrial, type TrialClaim } from '../store/tuning-trials.js';
import type { LearningCurve } from '../tuning/pruner.js';
import { DEFAULT_PPO_SEARCH_SPACE, validateParams, type Params } from '../tuning/search-space.js';
import { bestTrial, completedTrial, trialSeed, type TrialRecord } from '../tuning/study.js';
import { TpeSampler } from '../tuning/tpe.js';
import { runQueuedStudy } from './queued-study.js';
import { referenceBars, trialTask, type TrialSpec } from './trial-job.js';
import { TrialRunner } from './trial-runner.js';
import { trialIterations } from './model-trainer.js';
import { hyperparametersFrom, type TrialOutcome } from './trial.js';

export { trialIterations };

/** What every trial of a study shares: its data by reference, the config, the trial length, metric and pruner. */
export function trialSpec(
  config: RetrainingConfig,
  study: { bars: Record<string, MarketBar[]>; interval: string; modelType: ModelType },
): TrialSpec {
  const iterations = trialIterations(config.training.epochs);
  return {
    data: referenceBars(study.bars, study.interval),
    config,
    iterations,
    modelType: study.modelType,
    metric: config.training.hyperparameterOptimization.optimizationMetric,
    pruner: { startupTrials: 5, warmupSteps: Math.max(4, Math.floor(iterations / 3)) },
  };
}

export interface TunerOptions {
  db: Database;
  config: RetrainingConfig;
  logger: Logger;
  worker: string;
  /** Trials this process runs at once (worker threads when more than 1). Default 1. */
  threads?: number;
  /** Lease of a trial run without a job queue. Default 30 min (with a queue: the queue's trial lease). */
  leaseMs?: number;
  /** Milliseconds between the coordinator's looks at the trials of a queued study. Default 1000. */
  pollMs?: number;
}

/** A tuner that can also run its trials, and other studies' trials, through a job queue. */
export type StudyTuner = Tuner & {
  /** The trials of this process's slots: the pool, the lease renewals, the queue consumer. */
  readonly runner: TrialRunner;
  /**
   * From now on, offers this process's slots to the queue's trials (taken once the process works
   * the queue, see `JobQueue.workRetraining`) and queues the trials of its studies; null stops.
   */
  useQueue(queue: JobQueue | null): Promise<void>;
  /** Stops taking trials and hands the running ones back; closes the threads. */
  close(): Promise<void>;
};

export function isStudyTuner(tuner: Tuner | undefined): tuner is StudyTuner {
  return typeof tuner === 'function' && 'useQueue' in tuner && 'runner' in tuner;
}

export function createTuner(options: TunerOptions): StudyTuner {
  const { db, config, logger } = options;
  const runner = new TrialRunner({ db, logger, worker: options.worker, slots: options.threads ?? 1 });
  let queue: JobQueue | null = null;

  const tune: Tuner = async ({ bars, interval, seed, modelType, signal, report, jobId }) => {
    const hpo = config.training.hyperparameterOptimization;
    const spec = trialSpec(config, { bars, interval, modelType });
    const sampler = new TpeSampler({ space: DEFAULT_PPO_SEARCH_SPACE, seed, direction: 'maximize' });
    const onTrial = async (record: TrialRecord, records: readonly TrialRecord[]) => {
      const value = record.value === null ? '' : `: ${hpo.optimizationMetric} ${record.value.toFixed(3)}`;
      await report(
        records.length / hpo.maxTrials,
        `trial ${record.number + 1}/${hpo.maxTrials} ${record.state}${value}`,
      );
    };
    const study = {
      jobId,
      seed,
      trials: hpo.maxTrials,
      sampler,
      spec,
      onTrial,
      ...(signal ? { signal } : {}),
    };
    const records =
      queue && runner.working
        ? await runQueuedStudy({
            db,
            queue,
            logger,
            runner,
            ...study,
            ...(options.pollMs ? { pollMs: options.pollMs } : {}),
          })
        : await runInProcess(db, runner, {
            ...study,
            bars,
            leaseSeconds: (options.leaseMs ?? 30 * 60_000) / 1000,
          });
    if (signal?.aborted) throw new CancelledError('hyperparameter search cancelled');
    const best = bestTrial(records, 'maximize');
    if (!best) {
      logger.warn('no hyperparameter trial completed; training with the configured settings', { jobId });
      return null;
    }
    return { best: hyperparametersFrom(best.params), trials: records.length };
  };

  return Object.assign(tune, {
    runner,
    useQueue: async (next: JobQueue | null) => {
      queue = next;
      if (next) await next.offerTrialSlots((taking) => runner.work(taking));
    },
    close: () => runner.stop(),
  });
}

/** Trials on this process's slots, as many at once as it has; the study waits for a free slot. */
async function runInProcess(
  db: Database,
  runner: TrialRunner,
  study: {
    jobId: string;
    seed: number;
    trials: number;
    sampler: TpeSampler;
    spec: TrialSpec;
    bars: Record<string, MarketBar[]>;
    leaseSeconds: number;
    signal?: AbortSignal;
    onTrial: (record: TrialRecord, records: readonly TrialRecord[]) => Promise<void>;
  },
): Promise<TrialRecord[]> {
  const records: TrialRecord[] = [];
  const running = new Map<number, Promise<void>>();
  const cancel = new AbortController();
  const stopAll = () => cancel.abort();
  study.signal?.addEventListener('abort', stopAll, { once: true });

  const launch = async (number: number) => {
    const params: Params = study.sampler.suggest(records.map(completedTrial), number);
    validateParams(DEFAULT_PPO_SEARCH_SPACE, params);
    const seed = trialSeed(study.seed, number);
    const complete = records.filter((r) => r.state === 'complete');
    const row = await startTrial(db, {
      jobId: study.jobId,
      number,
      params: params as JsonObject,
      seed,
      worker: runner.worker,
      leaseSeconds: study.leaseSeconds,
      prunedAgainst: complete.map((r) => r.number),
    });
    const claim: TrialClaim = { id: row.id, attempt: row.attempts, worker: runner.worker };
    const task = trialTask(
      { number, params, seed, spec: study.spec },
      study.bars,
      complete.map((r) => r.curve as LearningCurve),
    );
    let outcome: TrialOutcome | null;
    try {
      outcome = await runner.runLeased(claim, task, study.leaseSeconds, cancel.signal);
    } catch (error) {
      // A cancelled or crashed trial is not left running in the table.
      const message = (error as Error).message;
      await finishTrial(db, claim, {
        state: 'failed',
        value: null,
        curve: [],
        error: message,
        durationMs: 0,
      });
      throw error;
    }
    outcome ??= {
      number,
      state: 'failed',
      value: null,
      curve: [],
      error: 'the trial lost its lease',
      durationMs: 0,
    };
    await finishTrial(db, claim, { ...outcome, error: outcome.error ?? null });
    const record: TrialRecord = {
      number,
      params,
      seed,
      curve: outcome.curve,
      value: outcome.value,
      state: outcome.state,
      durationMs: outcome.durationMs,
      ...(outcome.error !== undefined ? { error: outcome.error } : {}),
    };
    records.push(record);
    await study.onTrial(record, records);
  };

  try {
    await deleteTrials(db, study.jobId); // a job taken over from a dead worker runs its study again
    for (let number = 0; number < study.trials; number++) {
      if (cancel.signal.aborted) break;
      const task = launch(number).finally(() => running.delete(number));
      running.set(number, task);
      if (running.size >= runner.slots) await Promise.race(running.values());
    }
    await Promise.all(running.values());
  } catch (error) {
    cancel.abort();
    await Promise.allSettled(running.values());
    throw error;
  } finally {
    study.signal?.removeEventListener('abort', stopAll);
  }
  return records;
}
