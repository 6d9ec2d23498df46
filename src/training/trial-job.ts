/**
 * What a trial job carries, so that any worker on the same database rebuilds exactly the task the
 * coordinating tuner would run itself: the parameters and seed, the settings shared by every trial
 * of the study, and a reference to the bars (symbols, interval, time range, count and data hash)
 * instead of the bars. The worker loads the bars from the database and refuses to train on rows
 * that are not the coordinator's.
 */
import { mergeConfig } from '../config/merge.js';
import type { OptimizationMetric, RetrainingConfig } from '../config/schema.js';
import type { Queryable } from '../db/types.js';
import type { JsonObject } from '../store/json.js';
import { listBars, type MarketBar } from '../store/market-bars.js';
import type { TuningTrialRow } from '../store/tuning-trials.js';
import type { ModelType } from '../store/versions.js';
import type { LearningCurve } from '../tuning/pruner.js';
import type { Params } from '../tuning/search-space.js';
import { dataHash } from './model-trainer.js';
import type { TrialTask } from './trial.js';

/** The bars of a study by reference: each symbol's first and last bar time and count, and their hash. */
export interface BarsReference {
  interval: string;
  symbols: { symbol: string; from: string; to: string; bars: number }[];
  /** `dataHash` of the bars, as the pipeline records with a version. */
  dataHash: string;
}

/** The same for every trial of a study; stored with each trial so that any one can be re-run. */
export interface TrialSpec {
  data: BarsReference;
  /** The retraining config the study ran with (its `epochs` is the final training's, not a trial's). */
  config: RetrainingConfig;
  /** Training iterations of one trial. */
  iterations: number;
  modelType: ModelType;
  metric: OptimizationMetric;
  pruner: { startupTrials: number; warmupSteps: number };
}

export interface TrialJobData {
  /** The tuning_trials row. */
  trialId: string;
  /** The retraining job whose study this trial belongs to. */
  jobId: string;
  number: number;
  /** The row's attempt this delivery is for; a delivery of an earlier attempt is stale and ignored. */
  attempt: number;
  params: Params;
  seed: number;
  spec: TrialSpec;
}

/** Thrown when the database's bars are not the ones the study was started with. */
export class TrialDataMismatchError extends Error {
  override readonly name = 'TrialDataMismatchError';
}

export function referenceBars(bars: Record<string, readonly MarketBar[]>, interval: string): BarsReference {
  const symbols = Object.entries(bars)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([symbol, list]) => {
      if (list.length === 0) throw new RangeError(`no bars of ${symbol} to refer to`);
      return {
        symbol,
        from: list[0]!.ts.toISOString(),
        to: list.at(-1)!.ts.toISOString(),
        bars: list.length,
      };
    });
  return { interval, symbols, dataHash: dataHash(bars) };
}

/** Loads the referenced bars and checks they are the coordinator's, by count and by hash. */
export async function loadReferencedBars(
  db: Queryable,
  reference: BarsReference,
): Promise<Record<string, MarketBar[]>> {
  const bars: Record<string, MarketBar[]> = {};
  const counts: string[] = [];
  for (const { symbol, from, to, bars: expected } of reference.symbols) {
    const list = await listBars(db, {
      symbol,
      interval: reference.interval,
      from: new Date(from),
      to: new Date(to),
    });
    bars[symbol] = list;
    if (list.length !== expected) counts.push(`${symbol} has ${list.length} bars, expected ${expected}`);
  }
  const hash = dataHash(bars);
  if (hash !== reference.dataHash) {
    const range = reference.symbols.map((s) => `${s.symbol} ${s.from}..${s.to}`).join(', ');
    throw new TrialDataMismatchError(
      `the stored ${reference.interval} bars (${range}) are not the ones the study started with` +
        `${counts.length > 0 ? `: ${counts.join('; ')}` : ''} (data hash ${hash.slice(0, 12)}, ` +
        `expected ${reference.dataHash.slice(0, 12)}); bars were changed or imported after the retraining collected them`,
    );
  }
  return bars;
}

/** The task a trial job describes, given its bars and the curves of the trials its pruner compares with. */
export function trialTask(
  job: Pick<TrialJobData, 'number' | 'params' | 'seed' | 'spec'>,
  bars: Record<string, MarketBar[]>,
  completedCurves: LearningCurve[],
): TrialTask {
  const { spec } = job;
  return {
    number: job.number,
    seed: job.seed,
    params: job.params,
    bars,
    config: mergeConfig(spec.config, { training: { epochs: spec.iterations } }),
    interval: spec.data.interval,
    modelType: spec.modelType,
    metric: spec.metric,
    pruner: spec.pruner,
    completedCurves,
  };
}

/** A stored trial as a job again (to re-run it); null for a trial run in process without a task. */
export function trialJobFromRow(row: TuningTrialRow): TrialJobData | null {
  if (!row.task) return null;
  return {
    trialId: row.id,
    jobId: row.jobId,
    number: row.number,
    attempt: row.attempts,
    params: row.params as Params,
    seed: row.seed,
    spec: row.task as unknown as TrialSpec,
  };
}

export function specAsJson(spec: TrialSpec): JsonObject {
  return spec as unknown as JsonObject;
}
