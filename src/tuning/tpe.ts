/**
 * Tree-structured Parzen Estimator (Bergstra et al. 2011, "Algorithms for Hyper-Parameter
 * Optimization", §4; Watanabe 2023, "Tree-Structured Parzen Estimator: Understanding Its Algorithm
 * Components"), with the defaults of Optuna's univariate TPESampler (optuna/samplers/_tpe):
 *
 * 1. The first `startupTrials` (10) trials are drawn uniformly from the search space.
 * 2. After that, the finished trials are split into the best γ(n) = min(⌈0.1·n⌉, 25) ("below")
 *    and the rest ("above").
 * 3. For each parameter on its own, a Parzen estimator l(x) is fitted to the below values and g(x)
 *    to the above values: one kernel per observation plus a prior kernel of weight 1 over the whole
 *    range. Numbers (on the log scale when `log`) get truncated normal kernels whose σ is the
 *    larger gap to the neighbouring observations, clipped to [range / min(100, n + 2), range]
 *    ("magic clip"); the outermost observations use their inner gap ("consider_endpoints" off).
 *    Integers take the kernel's mass over [x − step/2, x + step/2]. Choices get, per kernel,
 *    1 on the observed choice plus prior / (n + 1) smoothing on every choice, normalised. With
 *    more than 25 observations the oldest get ramped-down weights (Optuna's default_weights).
 * 4. 24 candidates are drawn from l, and the one with the largest log l(x) − log g(x) is suggested
 *    (the expected improvement is monotone in l/g; Bergstra et al. 2011, eq. 4).
 *
 * Pruned trials take part as in Optuna: they count towards n and startup, and rank after every
 * complete trial (among themselves: further step first, then better last value), so they only join
 * "below" when fewer than γ(n) trials completed. Failed trials, and complete ones without a finite
 * value, are left out.
 *
 * Randomness: the draws for trial k come from a generator forked from the seed by k alone, so any
 * worker given the seed, k and the history it saw suggests exactly what a sequential run would.
 * Candidates are drawn from truncated normals by rejection (acceptance ≥ 34 % because every kernel
 * centre lies in the range and σ ≤ range), which has the same distribution as Optuna's inverse-CDF
 * draw but not its numbers.
 */
import { normalCdf } from '../deployment/ab-statistics.js';
import { ValidationError } from '../errors.js';
import { Random } from '../rl/random.js';
import {
  containsValue,
  intStep,
  sampleUniform,
  validateSearchSpace,
  type Param,
  type ParamValue,
  type Params,
  type SearchSpace,
} from './search-space.js';

export type Direction = 'maximize' | 'minimize';
export type TrialState = 'complete' | 'pruned' | 'failed';

/** What a sampler needs to know of a finished trial. */
export interface CompletedTrial {
  params: Params;
  /** complete: the objective value. pruned: the last intermediate value (null if none). failed: ignored. */
  value: number | null;
  state: TrialState;
  /** pruned: the step of `value`; a trial pruned later ranks above one pruned earlier. */
  step?: number;
}

export interface Sampler {
  readonly space: SearchSpace;
  readonly direction: Direction;
  /**
   * The parameters for trial `trialNumber` (default: history.length), given the trials finished so
   * far in trial order. The same seed, number and history always give the same parameters.
   */
  suggest(history: readonly CompletedTrial[], trialNumber?: number): Params;
}

export interface SamplerOptions {
  space: SearchSpace;
  seed: number | string;
  /** Default 'maximize' (a Sharpe ratio or a return). */
  direction?: Direction;
}

export interface TpeSamplerOptions extends SamplerOptions {
  /** Trials drawn at random before the estimators take over; Optuna's n_startup_trials, 10. */
  startupTrials?: number;
  /** Candidates drawn from l(x) per parameter; Optuna's n_ei_candidates, 24. */
  eiCandidates?: number;
}

const PRIOR_WEIGHT = 1;
const LOG_SQRT_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/** Optuna's default_gamma: how many of n finished trials count as good. */
export function tpeGamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

/** Optuna's default_weights: equal up to 25 observations, then the oldest ramp down from 1/n. */
export function tpeWeights(n: number): number[] {
  if (n < 25) return new Array<number>(n).fill(1);
  const ramp = n - 25;
  const weights: number[] = [];
  for (let i = 0; i < ramp; i++) weights.push(ramp === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (ramp - 1));
  return weights.concat(new Array<number>(25).fill(1));
}

/** Uniform draws from the search space, with the same per-trial seeding as TPE's start-up trials. */
export function randomSampler(options: SamplerOptions): Sampler {
  const { space, direction } = checkOptions(options);
  const root = new Random(options.seed);
  return {
    space,
    direction,
    suggest: (history, trialNumber = history.length) => sampleUniform(space, trialRandom(root, trialNumber)),
  };
}

export class TpeSampler implements Sampler {
  readonly space: SearchSpace;
  readonly direction: Direction;
  readonly startupTrials: number;
  readonly eiCandidates: number;
  readonly #root: Random;

  constructor(options: TpeSamplerOptions) {
    const { space, direction } = checkOptions(options);
    const { startupTrials = 10, eiCandidates = 24 } = options;
    if (!Number.isInteger(startupTrials) || startupTrials < 0) {
      throw new ValidationError(
        `TPE startupTrials ${startupTrials} is not valid; expected an integer ≥ 0`,
        'startupTrials',
      );
    }
    if (!Number.isInteger(eiCandidates) || eiCandidates < 1) {
      throw new ValidationError(
        `TPE eiCandidates ${eiCandidates} is not valid; expected an integer ≥ 1`,
        'eiCandidates',
      );
    }
    this.space = space;
    this.direction = direction;
    this.startupTrials = startupTrials;
    this.eiCandidates = eiCandidates;
    this.#root = new Random(options.seed);
  }

  suggest(history: readonly CompletedTrial[], trialNumber = history.length): Params {
    const random = trialRandom(this.#root, trialNumber);
    const finished = history.filter(isFinished);
    if (finished.length < this.startupTrials) return sampleUniform(this.space, random);

    const { below, above } = splitTrials(finished, tpeGamma(finished.length), this.direction);
    const params: Params = {};
    for (const [name, param] of Object.entries(this.space)) {
      const observed = (trials: readonly CompletedTrial[]): ParamValue[] =>
        trials
          .map((trial) => trial.params[name])
          .filter((value) => containsValue(param, value)) as ParamValue[];
      const good = new ParzenEstimator(param, observed(below));
      const bad = new ParzenEstimator(param, observed(above));
      const paramRandom = random.fork(`tpe/${name}`);
      let best: ParamValue | undefined;
      let bestScore = -Infinity;
      for (let i = 0; i < this.eiCandidates; i++) {
        const candidate = good.sample(paramRandom);
        const score = good.logPdf(candidate) - bad.logPdf(candidate);
        if (best === undefined || score > bestScore) {
          best = candidate;
          bestScore = score;
        }
      }
      params[name] = best as ParamValue;
    }
    return params;
  }
}

function checkOptions(options: SamplerOptions): { space: SearchSpace; direction: Direction } {
  validateSearchSpace(options.space);
  const direction = options.direction ?? 'maximize';
  if (direction !== 'maximize' && direction !== 'minimize') {
    throw new ValidationError(
      `sampler direction "${String(direction)}" is not valid; expected "maximize" or "minimize"`,
      'direction',
    );
  }
  return { space: options.space, direction };
}

function trialRandom(root: Random, trialNumber: number): Random {
  if (!Number.isSafeInteger(trialNumber) || trialNumber < 0) {
    throw new ValidationError(
      `trial number ${trialNumber} is not valid; expected an integer ≥ 0`,
      'trialNumber',
    );
  }
  return root.fork(`trial/${trialNumber}`);
}

function isFinished(trial: CompletedTrial): boolean {
  if (trial.state === 'pruned') return true;
  return trial.state === 'complete' && trial.value !== null && Number.isFinite(trial.value);
}

/** Optuna's _split_trials for one objective: best γ complete trials, topped up with the best pruned ones. */
function splitTrials(
  finished: readonly CompletedTrial[],
  nBelow: number,
  direction: Direction,
): { below: CompletedTrial[]; above: CompletedTrial[] } {
  const sign = direction === 'maximize' ? -1 : 1;
  const ranked = finished.map((trial, order) => ({ trial, order }));
  const complete = ranked.filter(({ trial }) => trial.state === 'complete');
  const pruned = ranked.filter(({ trial }) => trial.state === 'pruned');
  // Array.prototype.sort is stable, so ties keep trial order as Python's sorted does.
  complete.sort((x, y) => sign * ((x.trial.value as number) - (y.trial.value as number)));
  pruned.sort(
    (x, y) =>
      prunedRank(y.trial) - prunedRank(x.trial) || prunedLoss(x.trial, sign) - prunedLoss(y.trial, sign),
  );
  const sorted = [...complete, ...pruned];
  const inTrialOrder = (part: typeof ranked): CompletedTrial[] =>
    part.sort((x, y) => x.order - y.order).map(({ trial }) => trial);
  return { below: inTrialOrder(sorted.slice(0, nBelow)), above: inTrialOrder(sorted.slice(nBelow)) };
}

function prunedRank(trial: CompletedTrial): number {
  return trial.value === null ? -Infinity : (trial.step ?? 0);
}

function prunedLoss(trial: CompletedTrial, sign: number): number {
  const value = trial.value;
  if (value === null || Number.isNaN(value)) return Infinity;
  return sign * value;
}

/**
 * A univariate Parzen estimator over one parameter: a mixture of one kernel per observation
 * (oldest first) and a prior kernel, as in Optuna's _ParzenEstimator.
 */
export class ParzenEstimator {
  readonly param: Param;
  /** Mixture weights, the prior's last; they sum to 1. */
  readonly weights: number[];
  /** Numbers: kernel centres and widths on the search scale (log x when `log`); prior last. */
  readonly mus: number[] = [];
  readonly sigmas: number[] = [];
  /** Choices: per kernel, the probability of each choice; prior last. */
  readonly choiceProbabilities: number[][] = [];
  /** The range the kernels are truncated to, on the search scale (widened by step/2 for ints). */
  readonly low: number = 0;
  readonly high: number = 0;
  readonly #logRangeMass: number[] = [];

  constructor(param: Param, observations: readonly ParamValue[]) {
    this.param = param;
    const n = observations.length;
    const weights = [...tpeWeights(n), PRIOR_WEIGHT];
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    this.weights = weights.map((weight) => weight / total);

    if (param.kind === 'categorical') {
      const k = param.choices.length;
      for (const value of observations) {
        const row = new Array<number>(k).fill(PRIOR_WEIGHT / (n + 1));
        row[param.choices.indexOf(value)]! += 1;
        const rowSum = row.reduce((sum, p) => sum + p, 0);
        this.choiceProbabilities.push(row.map((p) => p / rowSum));
      }
      this.choiceProbabilities.push(new Array<number>(k).fill(1 / k));
      return;
    }

    const halfStep = param.kind === 'int' ? intStep(param) / 2 : 0;
    const scale = (x: number): number => (param.log ? Math.log(x) : x);
    const low = scale(param.low - halfStep);
    const high = scale(param.high + halfStep);
    this.low = low;
    this.high = high;
    const mus = observations.map((value) => scale(value as number));
    this.mus.push(...mus, 0.5 * (low + high));
    this.sigmas.push(...kernelWidths(mus, low, high), high - low);
    for (let i = 0; i <= n; i++) {
      const mu = this.mus[i]!;
      const sigma = this.sigmas[i]!;
      this.#logRangeMass.push(logGaussMass((low - mu) / sigma, (high - mu) / sigma));
    }
  }

  sample(random: Random): ParamValue {
    const kernel = pickIndex(this.weights, random);
    const param = this.param;
    if (param.kind === 'categorical') {
      return param.choices[pickIndex(this.choiceProbabilities[kernel]!, random)]!;
    }
    const mu = this.mus[kernel]!;
    const sigma = this.sigmas[kernel]!;
    let x = random.normal(mu, sigma);
    while (x < this.low || x > this.high) x = random.normal(mu, sigma);
    const value = param.log ? Math.exp(x) : x;
    if (param.kind === 'float') return Math.min(Math.max(value, param.low), param.high);
    const step = intStep(param);
    const onStep = param.low + Math.round((value - param.low) / step) * step;
    return Math.min(Math.max(onStep, param.low), param.high);
  }

  /** log of the mixture density (for ints: probability) at `value`, on the search scale. */
  logPdf(value: ParamValue): number {
    const param = this.param;
    const terms = this.weights.map((weight) => Math.log(weight));
    if (param.kind === 'categorical') {
      const index = param.choices.indexOf(value);
      return logSumExp(terms.map((term, k) => term + Math.log(this.choiceProbabilities[k]![index] ?? 0)));
    }
    const scale = (x: number): number => (param.log ? Math.log(x) : x);
    const x = value as number;
    for (let k = 0; k < terms.length; k++) {
      const mu = this.mus[k]!;
      const sigma = this.sigmas[k]!;
      if (param.kind === 'float') {
        const z = (scale(x) - mu) / sigma;
        terms[k]! += -0.5 * z * z - LOG_SQRT_TWO_PI - Math.log(sigma) - this.#logRangeMass[k]!;
      } else {
        const half = intStep(param) / 2;
        const mass = logGaussMass((scale(x - half) - mu) / sigma, (scale(x + half) - mu) / sigma);
        terms[k]! += mass - this.#logRangeMass[k]!;
      }
    }
    return logSumExp(terms);
  }
}

/**
 * Optuna's kernel widths: the larger gap to the sorted neighbours (the range ends count as
 * neighbours only when there is a single observation), clipped to [range / min(100, n + 2), range].
 */
function kernelWidths(mus: readonly number[], low: number, high: number): number[] {
  const n = mus.length;
  const order = mus.map((_, i) => i).sort((a, b) => mus[a]! - mus[b]!);
  const points = [low, ...order.map((i) => mus[i]!), high];
  const sorted: number[] = [];
  for (let j = 1; j <= n; j++) {
    sorted.push(Math.max(points[j]! - points[j - 1]!, points[j + 1]! - points[j]!));
  }
  if (n >= 2) {
    sorted[0] = points[2]! - points[1]!;
    sorted[n - 1] = points[n]! - points[n - 1]!;
  }
  const maxSigma = high - low;
  const minSigma = (high - low) / Math.min(100, n + 2);
  const sigmas = new Array<number>(n);
  order.forEach((i, j) => (sigmas[i] = Math.min(Math.max(sorted[j]!, minSigma), maxSigma)));
  return sigmas;
}

/** log P(a ≤ Z ≤ b) for a standard normal Z, working in whichever tail keeps the precision. */
export function logGaussMass(a: number, b: number): number {
  let mass: number;
  if (b <= 0) mass = normalCdf(b) - normalCdf(a);
  else if (a > 0) mass = normalCdf(-a) - normalCdf(-b);
  else mass = 1 - normalCdf(a) - normalCdf(-b);
  return mass > 0 ? Math.log(mass) : -Infinity;
}

function logSumExp(terms: readonly number[]): number {
  const max = Math.max(...terms);
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (const term of terms) sum += Math.exp(term - max);
  return max + Math.log(sum);
}

/** An index drawn with the given probabilities (summing to 1). */
function pickIndex(probabilities: readonly number[], random: Random): number {
  const u = random.next();
  let cumulative = 0;
  for (let i = 0; i < probabilities.length - 1; i++) {
    cumulative += probabilities[i]!;
    if (u < cumulative) return i;
  }
  return probabilities.length - 1;
}
