/**
 * Median stopping (Golovin et al. 2017, "Google Vizier", §3.2.2), as Optuna's MedianPruner
 * (optuna/pruners/_percentile.py with percentile 50): a trial is stopped at a step when the best
 * value it has reported so far is worse than the median of the values the completed trials
 * reported at that same step.
 *
 * RL learning curves are noisy and start flat, so the rule only applies once `startupTrials`
 * trials have completed (there is a median worth comparing with) and from step `warmupSteps` on
 * (a slow starter is not a weak trial), and then at the first report of every `intervalSteps`
 * steps. A step with no completed trial reporting at it prunes nothing.
 */
import { ValidationError } from '../errors.js';
import { medianInPlace } from '../market/quality/robust.js';
import type { Direction } from './tpe.js';

export interface CurvePoint {
  /** A non-negative integer: the evaluation round, or the training update it was measured after. */
  step: number;
  value: number;
}

export type LearningCurve = readonly CurvePoint[];

export interface Pruner {
  readonly direction: Direction;
  /**
   * Whether the trial that reported `value` at `step` should stop. `completed` holds the learning
   * curves of the completed trials of the study (not the pruned or failed ones); `earlier` the
   * points this trial reported before.
   */
  shouldPrune(
    step: number,
    value: number,
    completed: readonly LearningCurve[],
    earlier?: LearningCurve,
  ): boolean;
}

export interface MedianPrunerOptions {
  /** Completed trials needed before anything is pruned; Optuna's n_startup_trials, 5. */
  startupTrials?: number;
  /**
   * The first step that may be pruned; default 5, in the caller's unit of step. Optuna's default
   * is 0, which stops RL trials on their first noisy evaluations.
   */
  warmupSteps?: number;
  /** Check at the first report of every this many steps after the warm-up; default 1 (every step). */
  intervalSteps?: number;
  /** Default 'maximize', as the samplers. */
  direction?: Direction;
}

export class MedianPruner implements Pruner {
  readonly startupTrials: number;
  readonly warmupSteps: number;
  readonly intervalSteps: number;
  readonly direction: Direction;

  constructor(options: MedianPrunerOptions = {}) {
    const { startupTrials = 5, warmupSteps = 5, intervalSteps = 1, direction = 'maximize' } = options;
    requireInteger('startupTrials', startupTrials, 0);
    requireInteger('warmupSteps', warmupSteps, 0);
    requireInteger('intervalSteps', intervalSteps, 1);
    if (direction !== 'maximize' && direction !== 'minimize') {
      throw new ValidationError(
        `median pruner direction "${String(direction)}" is not valid; expected "maximize" or "minimize"`,
        'direction',
      );
    }
    this.startupTrials = startupTrials;
    this.warmupSteps = warmupSteps;
    this.intervalSteps = intervalSteps;
    this.direction = direction;
  }

  /**
   * Without `earlier`, the trial's best so far is `value` itself and its steps are taken to have
   * been reported one by one, so an interval check falls on every step (step − warmup) divisible
   * by intervalSteps.
   */
  shouldPrune(
    step: number,
    value: number,
    completed: readonly LearningCurve[],
    earlier: LearningCurve = [],
  ): boolean {
    if (!Number.isSafeInteger(step) || step < 0) {
      throw new ValidationError(`pruning step ${step} is not valid; expected an integer ≥ 0`, 'step');
    }
    if (completed.length === 0 || completed.length < this.startupTrials) return false;
    if (step < this.warmupSteps) return false;
    if (!this.#isFirstReportInInterval(step, earlier)) return false;

    const best = this.#bestSoFar(value, earlier);
    if (Number.isNaN(best)) return true;
    const atStep = completed.flatMap((curve) =>
      curve.filter((point) => point.step === step && !Number.isNaN(point.value)).map((point) => point.value),
    );
    if (atStep.length === 0) return false;
    const median = medianInPlace(Float64Array.from(atStep));
    return this.direction === 'maximize' ? best < median : best > median;
  }

  /** Optuna's _is_first_in_interval_step. */
  #isFirstReportInInterval(step: number, earlier: LearningCurve): boolean {
    const nearestCheck =
      Math.floor((step - this.warmupSteps) / this.intervalSteps) * this.intervalSteps + this.warmupSteps;
    let previousStep = earlier.length === 0 ? step - 1 : -1;
    for (const point of earlier)
      if (point.step < step && point.step > previousStep) previousStep = point.step;
    return previousStep < nearestCheck;
  }

  /** The best reported value, NaN only when every value is NaN (numpy's nanmax / nanmin). */
  #bestSoFar(value: number, earlier: LearningCurve): number {
    let best = Number.NaN;
    for (const candidate of [...earlier.map((point) => point.value), value]) {
      if (Number.isNaN(candidate)) continue;
      if (Number.isNaN(best) || (this.direction === 'maximize' ? candidate > best : candidate < best)) {
        best = candidate;
      }
    }
    return best;
  }
}

function requireInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new ValidationError(
      `median pruner ${name} ${value} is not valid; expected an integer ≥ ${min}`,
      name,
    );
  }
}
