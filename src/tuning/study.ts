/**
 * An in-memory study: trials one after another, each suggested by the sampler from every trial
 * before it, run by the objective, which reports its learning curve as it goes and is told when
 * the pruner wants it stopped. For a caller without workers; the job wiring uses a sampler and a
 * pruner directly and stores the same trial records.
 */
import { performance } from 'node:perf_hooks';
import { CancelledError, ValidationError } from '../errors.js';
import { Random } from '../rl/random.js';
import type { LearningCurve, CurvePoint, Pruner } from './pruner.js';
import { validateParams, validateSearchSpace, type Params, type SearchSpace } from './search-space.js';
import type { CompletedTrial, Direction, Sampler, TrialState } from './tpe.js';

export interface TrialContext {
  /** 0, 1, 2, … in the order trials start. */
  number: number;
  /** A uint32 derived from the study seed and the trial number, for the trial's environment and weights. */
  seed: number;
  /**
   * Records the value measured at `step` (a non-negative integer, increasing) and answers whether
   * to go on. After 'prune' the objective should stop and return; its return value is then ignored.
   */
  report(step: number, value: number): 'continue' | 'prune';
}

export type Objective = (params: Params, trial: TrialContext) => Promise<number>;

export interface TrialRecord {
  number: number;
  params: Params;
  seed: number;
  curve: CurvePoint[];
  /** complete: the objective's value; pruned: the last reported value; failed: null. */
  value: number | null;
  state: TrialState;
  durationMs: number;
  /** failed: what went wrong. */
  error?: string;
}

export interface StudyOptions {
  space: SearchSpace;
  objective: Objective;
  /** How many trials to run. */
  trials: number;
  sampler: Sampler;
  pruner?: Pruner;
  /** Seeds the trials' own seeds; the sampler has its own. */
  seed: number | string;
  /** Milliseconds clock for durationMs; default performance.now. */
  now?: () => number;
  /** Called before each trial runs (to store and lease it). */
  onTrialStart?: (number: number, params: Params, seed: number) => Promise<void> | void;
  /** Called with each trial's record as it ends (to store it before the next one starts). */
  onTrial?: (record: TrialRecord) => Promise<void> | void;
}

export interface StudyResult {
  trials: TrialRecord[];
  /** The complete trial with the best value (the earliest among equals); null if none completed. */
  best: TrialRecord | null;
}

/** What the samplers see of a stored trial; a pruned one is ranked by its last report. */
export function completedTrial(record: TrialRecord): CompletedTrial {
  const last = record.curve.at(-1);
  const trial: CompletedTrial = { params: record.params, value: record.value, state: record.state };
  if (record.state === 'pruned' && last !== undefined) trial.step = last.step;
  return trial;
}

/** The uint32 seed of trial `number` in a study seeded with `seed`. */
export function trialSeed(seed: number | string, number: number): number {
  return new Random(seed).fork(`trial-seed/${number}`).nextUint32();
}

export function bestTrial(records: readonly TrialRecord[], direction: Direction): TrialRecord | null {
  let best: TrialRecord | null = null;
  for (const record of records) {
    if (record.state !== 'complete' || record.value === null) continue;
    if (
      best === null ||
      (direction === 'maximize' ? record.value > best.value! : record.value < best.value!)
    ) {
      best = record;
    }
  }
  return best;
}

export async function runStudy(options: StudyOptions): Promise<StudyResult> {
  const { space, objective, trials, sampler, pruner, seed, now = () => performance.now() } = options;
  validateSearchSpace(space);
  if (!Number.isInteger(trials) || trials < 1) {
    throw new ValidationError(`study trials ${trials} is not valid; expected an integer ≥ 1`, 'trials');
  }
  if (pruner !== undefined && pruner.direction !== sampler.direction) {
    throw new ValidationError(
      `pruner direction "${pruner.direction}" differs from sampler direction "${sampler.direction}"; expected the same`,
      'pruner.direction',
    );
  }
  const records: TrialRecord[] = [];
  for (let number = 0; number < trials; number++) {
    const params = sampler.suggest(records.map(completedTrial), number);
    validateParams(space, params);
    const trialSeedValue = trialSeed(seed, number);
    await options.onTrialStart?.(number, params, trialSeedValue);
    const record = await runTrial(number, params, trialSeedValue, objective, records, pruner, now);
    records.push(record);
    await options.onTrial?.(record);
  }
  return { trials: records, best: bestTrial(records, sampler.direction) };
}

async function runTrial(
  number: number,
  params: Params,
  seed: number,
  objective: Objective,
  previous: readonly TrialRecord[],
  pruner: Pruner | undefined,
  now: () => number,
): Promise<TrialRecord> {
  const completedCurves: LearningCurve[] = previous.filter((r) => r.state === 'complete').map((r) => r.curve);
  const curve: CurvePoint[] = [];
  let pruned = false;
  let finished = false;
  const report = (step: number, value: number): 'continue' | 'prune' => {
    if (finished)
      throw new ValidationError(`trial ${number} reported step ${step} after it finished`, 'step');
    const last = curve.at(-1);
    if (!Number.isSafeInteger(step) || step < 0 || (last !== undefined && step <= last.step)) {
      const after = last === undefined ? '' : ` after step ${last.step}`;
      throw new ValidationError(
        `trial ${number} reported step ${step}${after}; expected an increasing integer ≥ 0`,
        'step',
      );
    }
    if (typeof value !== 'number') {
      throw new ValidationError(
        `trial ${number} reported value ${String(value)} at step ${step}; expected a number`,
        'value',
      );
    }
    if (!pruned && pruner !== undefined) pruned = pruner.shouldPrune(step, value, completedCurves, curve);
    curve.push({ step, value });
    return pruned ? 'prune' : 'continue';
  };

  const started = now();
  const record = (state: TrialState, value: number | null, error?: string): TrialRecord => {
    finished = true;
    const trial: TrialRecord = { number, params, seed, curve, value, state, durationMs: now() - started };
    if (error !== undefined) trial.error = error;
    return trial;
  };
  try {
    const value = await objective(params, { number, seed, report });
    if (pruned) return record('pruned', curve.at(-1)?.value ?? null);
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      return record('failed', null, `objective returned ${String(value)}; expected a finite number`);
    }
    return record('complete', value);
  } catch (error) {
    if (error instanceof CancelledError) throw error;
    return record('failed', null, error instanceof Error ? error.message : String(error));
  }
}
