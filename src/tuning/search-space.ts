import { ValidationError } from '../errors.js';
import type { PpoConfig } from '../rl/ppo.js';
import type { Random } from '../rl/random.js';

/**
 * The hyperparameters a study searches over, in Optuna's vocabulary (`suggest_float`,
 * `suggest_int`, `suggest_categorical`): a float or an integer range, either of which may be
 * searched on a log scale, or an unordered set of choices.
 */
export interface FloatParam {
  kind: 'float';
  low: number;
  high: number;
  /** Search log(x) uniformly instead of x; needs low > 0. */
  log?: boolean;
}

export interface IntParam {
  kind: 'int';
  low: number;
  high: number;
  /** Search log(x) uniformly instead of x; needs low ≥ 1 and step 1. */
  log?: boolean;
  /** Values are low, low + step, …, high; default 1. */
  step?: number;
}

export interface CategoricalParam {
  kind: 'categorical';
  /** Unordered: the sampler learns how good each choice is, not a distance between choices. */
  choices: readonly (number | string)[];
}

export type Param = FloatParam | IntParam | CategoricalParam;
export type SearchSpace = Readonly<Record<string, Param>>;
export type ParamValue = number | string;
export type Params = Record<string, ParamValue>;

/**
 * The PPO hyperparameters searched when retraining, with the ranges around the published defaults
 * (PPO paper, Schulman et al. 2017, Tables 3–5; CleanRL's ppo.py; Stable-Baselines3's PPO):
 *
 * - learningRate  float, log, 1e-5 … 3e-3. Adam step size; spans the 2.5e-4 / 3e-4 defaults by
 *                 more than a decade either way, where its effect is multiplicative.
 * - clipRange     float, 0.1 … 0.4. Surrogate clipping ε (paper eq. 7); the paper tried 0.1–0.3.
 * - entropyCoef   float, log, 1e-4 … 5e-2. Entropy bonus c2 (paper eq. 9); 0.01 by default.
 * - gamma         float, 0.9 … 0.999. Discount γ: an effective horizon 1/(1 − γ) of 10 to 1000 bars;
 *                 the default 0.95 (a 20-bar horizon; docs/benchmarks.md, "Learning quality") is its midpoint.
 * - gaeLambda     float, 0.8 … 0.99. GAE λ (Schulman et al. 2016 found 0.92–0.99 best); the default
 *                 0.9 is its midpoint.
 * - hiddenWidth   categorical 32 | 64 | 128 | 256. Width of both hidden layers of actor and critic.
 * - minibatchSize categorical 64 | 128 | 256 | 512. Transitions per gradient step (clamped to the
 *                 rollout size by the trainer).
 * - updateEpochs  int, 2 … 10. Passes over each rollout (the paper used 3–15).
 *
 * Widths and minibatch sizes are categorical because only these powers of two are worth trying
 * and their effect is not smooth in the number.
 */
export const DEFAULT_PPO_SEARCH_SPACE: SearchSpace = Object.freeze({
  learningRate: { kind: 'float', low: 1e-5, high: 3e-3, log: true },
  clipRange: { kind: 'float', low: 0.1, high: 0.4 },
  entropyCoef: { kind: 'float', low: 1e-4, high: 5e-2, log: true },
  gamma: { kind: 'float', low: 0.9, high: 0.999 },
  gaeLambda: { kind: 'float', low: 0.8, high: 0.99 },
  hiddenWidth: { kind: 'categorical', choices: [32, 64, 128, 256] },
  minibatchSize: { kind: 'categorical', choices: [64, 128, 256, 512] },
  updateEpochs: { kind: 'int', low: 2, high: 10 },
});

export type TunedPpoConfig = Pick<
  PpoConfig,
  | 'learningRate'
  | 'clipCoef'
  | 'entCoef'
  | 'gamma'
  | 'gaeLambda'
  | 'hidden'
  | 'minibatchSize'
  | 'updateEpochs'
>;

/** The PpoConfig fields set by a point of DEFAULT_PPO_SEARCH_SPACE (two hidden layers of hiddenWidth). */
export function ppoConfigFromParams(params: Params): TunedPpoConfig {
  validateParams(DEFAULT_PPO_SEARCH_SPACE, params);
  const number = (name: string): number => params[name] as number;
  return {
    learningRate: number('learningRate'),
    clipCoef: number('clipRange'),
    entCoef: number('entropyCoef'),
    gamma: number('gamma'),
    gaeLambda: number('gaeLambda'),
    hidden: [number('hiddenWidth'), number('hiddenWidth')],
    minibatchSize: number('minibatchSize'),
    updateEpochs: number('updateEpochs'),
  };
}

/** The step of an int parameter (1 unless stated). */
export function intStep(param: IntParam): number {
  return param.step ?? 1;
}

/** Throws a ValidationError naming the first parameter that is not a usable range or choice set. */
export function validateSearchSpace(space: SearchSpace): void {
  const names = Object.keys(space);
  if (names.length === 0) {
    throw new ValidationError('search space has no parameters; expected at least one', 'space');
  }
  for (const name of names) validateParam(name, space[name] as Param);
}

function validateParam(name: string, param: Param): void {
  function fail(message: string): never {
    throw new ValidationError(`search space parameter "${name}" ${message}`, `space.${name}`);
  }
  if (param === null || typeof param !== 'object') {
    fail('is not an object; expected { kind: "float" | "int" | "categorical", … }');
  }
  if (param.kind === 'categorical') {
    if (!Array.isArray(param.choices) || param.choices.length === 0) {
      fail('has no choices; expected a non-empty array of numbers or strings');
    }
    for (const choice of param.choices) {
      const ok = typeof choice === 'string' || (typeof choice === 'number' && Number.isFinite(choice));
      if (!ok) fail(`has choice ${String(choice)}; expected finite numbers or strings`);
    }
    if (new Set(param.choices).size !== param.choices.length) {
      fail(`has repeated choices [${param.choices.join(', ')}]; expected each choice once`);
    }
    return;
  }
  if (param.kind !== 'float' && param.kind !== 'int') {
    fail(
      `has kind ${JSON.stringify((param as { kind: unknown }).kind)}; expected "float", "int" or "categorical"`,
    );
  }
  const { low, high } = param;
  if (!Number.isFinite(low) || !Number.isFinite(high) || !(low < high)) {
    fail(`has range [${low}, ${high}]; expected finite low < high`);
  }
  if (param.log && !(low > 0)) {
    fail(`is log-scaled with low ${low}; expected low > 0`);
  }
  if (param.kind === 'int') {
    const step = intStep(param);
    if (!Number.isInteger(low) || !Number.isInteger(high)) {
      fail(`is an int with range [${low}, ${high}]; expected integer bounds`);
    }
    if (!Number.isInteger(step) || step < 1) {
      fail(`has step ${step}; expected a positive integer`);
    }
    if (param.log && step !== 1) {
      fail(`is log-scaled with step ${step}; expected step 1 (a log scale has no even steps)`);
    }
    if ((high - low) % step !== 0) {
      const top = high - ((high - low) % step);
      fail(
        `has range [${low}, ${high}] that is not a whole number of steps of ${step}; expected high ${top}`,
      );
    }
  }
}

/** Throws a ValidationError unless `params` holds a value inside `space` for every parameter. */
export function validateParams(space: SearchSpace, params: Params): void {
  for (const [name, param] of Object.entries(space)) {
    if (!(name in params)) {
      throw new ValidationError(
        `parameter "${name}" is missing; the search space defines it`,
        `params.${name}`,
      );
    }
    if (!containsValue(param, params[name])) {
      throw new ValidationError(
        `parameter "${name}" is ${JSON.stringify(params[name])}; expected ${describeParam(param)}`,
        `params.${name}`,
      );
    }
  }
}

/** Whether `value` is one the parameter can take (inside the range, on a step, among the choices). */
export function containsValue(param: Param, value: ParamValue | undefined): boolean {
  if (param.kind === 'categorical') return value !== undefined && param.choices.includes(value);
  if (typeof value !== 'number' || !(value >= param.low && value <= param.high)) return false;
  return param.kind === 'float' || Number.isInteger((value - param.low) / intStep(param));
}

function describeParam(param: Param): string {
  if (param.kind === 'categorical') return `one of [${param.choices.join(', ')}]`;
  const scale = param.log ? ', log scale' : '';
  if (param.kind === 'float') return `a number in [${param.low}, ${param.high}]${scale}`;
  return `an integer in [${param.low}, ${param.high}] in steps of ${intStep(param)}${scale}`;
}

/** One value of each parameter, uniform over its range (over log(x) for a log scale) or its choices. */
export function sampleUniform(space: SearchSpace, random: Random): Params {
  const params: Params = {};
  for (const [name, param] of Object.entries(space)) params[name] = sampleParamUniform(param, random);
  return params;
}

/**
 * A log-scaled int is drawn on the log scale over [low − ½, high + ½] and rounded, so each integer
 * gets the log-width of its rounding cell (as Optuna's RandomSampler does).
 */
function sampleParamUniform(param: Param, random: Random): ParamValue {
  if (param.kind === 'categorical') return random.choice(param.choices);
  if (param.kind === 'float') {
    if (!param.log) return param.low + random.next() * (param.high - param.low);
    const logLow = Math.log(param.low);
    const value = Math.exp(logLow + random.next() * (Math.log(param.high) - logLow));
    return Math.min(Math.max(value, param.low), param.high);
  }
  const step = intStep(param);
  if (!param.log) return param.low + step * random.int((param.high - param.low) / step + 1);
  const logLow = Math.log(param.low - 0.5);
  const value = Math.round(Math.exp(logLow + random.next() * (Math.log(param.high + 0.5) - logLow)));
  return Math.min(Math.max(value, param.low), param.high);
}
