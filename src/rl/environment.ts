/**
 * The trading environment: numEnvs episodes over MarketSeries stepped as one batch.
 *
 * Step semantics, for an environment at row t of its series holding p_{t−1} (no look-ahead):
 *   observation = [features[t, 0..F−1], p_{t−1}]         what is known at the close of bar t
 *   action a    → p_t = positions[a], held from the close of t to the close of t + 1
 *   cost        = |p_t − p_{t−1}| · (commissionBps + slippageBps) / 1e4 + (p_t ≠ p_{t−1} ? fixedFee : 0)
 *   net         = p_t · returns[t] − cost
 *   reward      = rewardScale · (net − ½ · riskAversion · net²)
 *   t ← t + 1; done when episodeLength steps were taken or t + 1 is the series' last row (no return).
 * Every change of position pays, entering and leaving alike; a flip from −1 to +1 trades 2 units.
 * Episodes start flat and are truncated, not liquidated: the position held at the end is not charged
 * an exit. A done environment is reset at once; its returned observation opens the next episode.
 */
import { ValidationError } from '../errors.js';
import { Random } from './random.js';
import {
  type CostModel,
  DEFAULT_COST_MODEL,
  type MarketSeries,
  type StepResult,
  type VectorEnvironment,
} from './types.js';

export interface EnvironmentConfig {
  numEnvs: number;
  episodeLength: number;
  positions: readonly number[];
  costs: CostModel;
  seed: number | string;
  rewardScale: number;
  riskAversion: number;
  randomStart: boolean;
}

export const DEFAULT_ENVIRONMENT_CONFIG: Readonly<EnvironmentConfig> = Object.freeze({
  /** Environments stepped together; one rollout collects numEnvs × steps transitions. */
  numEnvs: 16,
  /** Bars per episode; an episode also ends at the end of its series. */
  episodeLength: 256,
  /** Target position of each discrete action: short, flat, long. */
  positions: Object.freeze([-1, 0, 1]),
  /** Transaction costs charged on every change of position. */
  costs: DEFAULT_COST_MODEL,
  /** Seed of the episode starts; the same seed and actions give the same streams. */
  seed: 1,
  /** Rewards are net returns × rewardScale, so ~1e-3 per-bar returns are O(0.1–1) for the value network. */
  rewardScale: 100,
  /**
   * Weight of the mean-variance penalty ½·riskAversion·net² on each step, in 1/return units; 0
   * rewards plain PnL. Training sets it from its scale-free `riskAversion` (train.ts).
   */
  riskAversion: 0,
  /** true: start at a random row of a random series (weighted by tradable bars); false: sweep in order. */
  randomStart: true,
});

/**
 * A VectorEnvironment that also says where each environment is, for tests and reports. `reset` and
 * `step` return the same preallocated arrays (and result object) every call: copy what you keep.
 */
export interface TradingEnvironment extends VectorEnvironment {
  readonly config: Readonly<EnvironmentConfig>;
  /** Series index and row of the observation environment `env` currently shows. */
  location(env: number): { series: number; row: number };
}

/**
 * All series are packed into one feature matrix and one return array (global row = offset + row), so
 * the step is a loop over typed arrays with no per-step allocation. With randomStart false,
 * environment e trades series e mod S from its firstRow, each episode continuing where the last
 * stopped and wrapping to firstRow at the series end; `reset` rewinds to firstRow.
 */
export function createTradingEnvironment(
  series: readonly MarketSeries[],
  config: Partial<EnvironmentConfig> = {},
): TradingEnvironment {
  const c = resolveConfig(config);
  const featureCount = requireSeries(series);
  const { numEnvs, episodeLength, rewardScale, riskAversion, randomStart } = c;
  const observationSize = featureCount + 1;
  const actionCount = c.positions.length;
  const positionOf = Float64Array.from(c.positions);
  const costPerUnit = (c.costs.commissionBps + c.costs.slippageBps) / 1e4;
  const fixedFee = c.costs.fixedFee;

  const offsets = new Int32Array(series.length + 1);
  series.forEach((s, i) => (offsets[i + 1] = offsets[i]! + s.returns.length + 1));
  const features = new Float32Array(offsets[series.length]! * featureCount);
  const returns = new Float64Array(offsets[series.length]!);
  // Episodes are drawn in proportion to tradable bars, so a long series is not under-sampled.
  const cumulativeBars = new Float64Array(series.length);
  series.forEach((s, i) => {
    features.set(s.features, offsets[i]! * featureCount);
    returns.set(s.returns, offsets[i]!);
    cumulativeBars[i] = (cumulativeBars[i - 1] ?? 0) + s.returns.length - s.firstRow;
  });
  const totalBars = cumulativeBars[series.length - 1]!;
  const riskPenalty = 0.5 * riskAversion;

  const seriesOf = new Int32Array(numEnvs);
  const cursor = new Int32Array(numEnvs); // global row of the current observation
  const lastRow = new Int32Array(numEnvs); // global row of the series' last return
  const held = new Float64Array(numEnvs);
  const elapsed = new Int32Array(numEnvs);
  const observations = new Float32Array(numEnvs * observationSize);
  const rewards = new Float32Array(numEnvs);
  const dones = new Uint8Array(numEnvs);
  const result: StepResult = { observations, rewards, dones };
  const starts = new Random(c.seed).fork('episode-starts');
  let started = false;

  function startEpisode(e: number, rewind: boolean): void {
    let s = e % series.length;
    let row = series[s]!.firstRow;
    if (randomStart) {
      const draw = starts.int(totalBars);
      s = 0;
      while (cumulativeBars[s]! <= draw) s++;
      const { firstRow, returns: r } = series[s]!;
      row = firstRow + starts.int(Math.max(firstRow, r.length - episodeLength) - firstRow + 1);
    } else if (!rewind && cursor[e]! < offsets[s]! + series[s]!.returns.length) {
      row = cursor[e]! - offsets[s]!;
    }
    seriesOf[e] = s;
    cursor[e] = offsets[s]! + row;
    lastRow[e] = offsets[s]! + series[s]!.returns.length - 1;
    held[e] = 0;
    elapsed[e] = 0;
  }

  function reset(): Float32Array {
    for (let e = 0; e < numEnvs; e++) {
      startEpisode(e, true);
      writeObservation(features, cursor[e]!, featureCount, 0, observations, e * observationSize);
    }
    rewards.fill(0);
    dones.fill(0);
    started = true;
    return observations;
  }

  function step(actions: Int32Array): StepResult {
    if (!started) throw new ValidationError('step() called before reset(); call reset() first', 'actions');
    requireActions(actions, numEnvs, actionCount);
    for (let e = 0; e < numEnvs; e++) {
      const row = cursor[e]!;
      const target = positionOf[actions[e]!]!;
      const cost = tradeCost(Math.abs(target - held[e]!), costPerUnit, fixedFee);
      const net = target * returns[row]! - cost;
      rewards[e] = rewardScale * (net - riskPenalty * net * net);
      held[e] = target;
      cursor[e] = row + 1;
      elapsed[e] = elapsed[e]! + 1;
      const ended = elapsed[e]! >= episodeLength || row + 1 > lastRow[e]!;
      dones[e] = ended ? 1 : 0;
      if (ended) startEpisode(e, false);
      writeObservation(features, cursor[e]!, featureCount, held[e]!, observations, e * observationSize);
    }
    return result;
  }

  return {
    numEnvs,
    observationSize,
    actionCount,
    positions: c.positions,
    config: c,
    reset,
    step,
    location: (env) => ({ series: seriesOf[env]!, row: cursor[env]! - offsets[seriesOf[env]!]! }),
  };
}

export interface PolicyEvaluation {
  /** Row of index 0 of every array below (the series' firstRow): index i is row firstRow + i. */
  firstRow: number;
  actions: Int32Array;
  /** Position held from row t to t + 1. */
  positions: Float64Array;
  /** Cost of moving into positions[i], a fraction of one unit's notional. */
  costs: Float64Array;
  /** Net simple return per bar, positions[i] · returns[t] − costs[i], unscaled. */
  returns: Float64Array;
}

/**
 * One deterministic pass over rows [firstRow, rows − 1) with the environment's observation and cost
 * (for backtests and validation): starts flat, the final position is not closed. The observation
 * passed to `policy` is one buffer reused for every row.
 */
export function evaluatePolicy(
  series: MarketSeries,
  policy: (observation: Float32Array, row: number) => number,
  config: Partial<Pick<EnvironmentConfig, 'positions' | 'costs'>> = {},
): PolicyEvaluation {
  const { positions, costs } = resolveConfig(config);
  const featureCount = requireSeries([series]);
  const { firstRow } = series;
  const n = series.returns.length - firstRow;
  const evaluation: PolicyEvaluation = {
    firstRow,
    actions: new Int32Array(n),
    positions: new Float64Array(n),
    costs: new Float64Array(n),
    returns: new Float64Array(n),
  };
  const costPerUnit = (costs.commissionBps + costs.slippageBps) / 1e4;
  const observation = new Float32Array(featureCount + 1);
  let held = 0;
  for (let i = 0; i < n; i++) {
    const row = firstRow + i;
    writeObservation(series.features, row, featureCount, held, observation, 0);
    const action = policy(observation, row);
    if (!(Number.isInteger(action) && action >= 0 && action < positions.length)) {
      throw new ValidationError(
        `policy chose action ${action} at row ${row}; expected an integer in [0, ${positions.length - 1}]`,
        'policy',
      );
    }
    const target = positions[action]!;
    const cost = tradeCost(Math.abs(target - held), costPerUnit, costs.fixedFee);
    evaluation.actions[i] = action;
    evaluation.positions[i] = target;
    evaluation.costs[i] = cost;
    evaluation.returns[i] = target * series.returns[row]! - cost;
    held = target;
  }
  return evaluation;
}

/**
 * The look-ahead test of a feature function: for `samples` distinct rows t < n − 1, recomputes the
 * features from bars[0..t] alone and compares row t with the full series' row t (exactly, NaN equal
 * to NaN). A feature that reads any bar after t differs, and the cell is reported.
 */
export function checkNoLookAhead<Bar>(
  bars: readonly Bar[],
  featureFn: (bars: readonly Bar[]) => Float32Array,
  cols: number,
  samples: number,
  seed: number | string,
): { ok: boolean; violations: { row: number; col: number }[] } {
  const full = featureFn(bars);
  if (full.length !== bars.length * cols) {
    throw new ValidationError(
      `feature function returned ${full.length} values for ${bars.length} bars; expected bars × cols ${cols}`,
      'featureFn',
    );
  }
  const candidates = Int32Array.from({ length: Math.max(0, bars.length - 1) }, (_, t) => t);
  const count = Math.min(samples, candidates.length);
  const random = new Random(seed).fork('look-ahead');
  for (let i = 0; i < count; i++) {
    const j = i + random.int(candidates.length - i); // partial Fisher–Yates: `count` rows without repeats
    [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
  }
  const violations: { row: number; col: number }[] = [];
  for (const t of candidates.subarray(0, count).sort()) {
    const prefix = featureFn(bars.slice(0, t + 1));
    for (let col = 0; col < cols; col++) {
      const a = prefix[t * cols + col]!;
      const b = full[t * cols + col]!;
      if (!(a === b || (Number.isNaN(a) && Number.isNaN(b)))) violations.push({ row: t, col });
    }
  }
  return { ok: violations.length === 0, violations };
}

function tradeCost(traded: number, costPerUnit: number, fixedFee: number): number {
  return traded * costPerUnit + (traded > 0 ? fixedFee : 0);
}

/** The one observation layout: the feature row, then the position held going into that row. */
function writeObservation(
  features: Float32Array,
  row: number,
  featureCount: number,
  position: number,
  out: Float32Array,
  offset: number,
): void {
  const from = row * featureCount;
  for (let k = 0; k < featureCount; k++) out[offset + k] = features[from + k]!;
  out[offset + featureCount] = position;
}

function requireActions(actions: Int32Array, numEnvs: number, actionCount: number): void {
  if (actions.length !== numEnvs) {
    throw new ValidationError(
      `step got ${actions.length} actions; expected one per env (${numEnvs})`,
      'actions',
    );
  }
  for (let e = 0; e < numEnvs; e++) {
    const action = actions[e]!;
    if (!(action >= 0 && action < actionCount)) {
      throw new ValidationError(
        `actions[${e}] is ${action}; expected an integer in [0, ${actionCount - 1}]`,
        'actions',
      );
    }
  }
}

function resolveConfig(config: Partial<EnvironmentConfig>): EnvironmentConfig {
  const given = Object.fromEntries(Object.entries(config).filter(([, value]) => value !== undefined));
  const c: EnvironmentConfig = { ...DEFAULT_ENVIRONMENT_CONFIG, ...given };
  const invalid = (field: string, value: unknown, expected: string): ValidationError =>
    new ValidationError(
      `environment ${field} ${JSON.stringify(value)} is not valid; expected ${expected}`,
      field,
    );
  if (!Number.isInteger(c.numEnvs) || c.numEnvs < 1) throw invalid('numEnvs', c.numEnvs, 'an integer ≥ 1');
  if (!Number.isInteger(c.episodeLength) || c.episodeLength < 1) {
    throw invalid('episodeLength', c.episodeLength, 'an integer ≥ 1');
  }
  if (c.positions.length === 0 || !c.positions.every(Number.isFinite)) {
    throw invalid('positions', c.positions, 'at least one finite target position');
  }
  for (const field of ['commissionBps', 'slippageBps', 'fixedFee'] as const) {
    const value = c.costs[field];
    if (!(value >= 0 && value < Infinity)) throw invalid(`costs.${field}`, value, 'a finite number ≥ 0');
  }
  if (!(c.rewardScale > 0 && c.rewardScale < Infinity)) {
    throw invalid('rewardScale', c.rewardScale, 'a positive finite number');
  }
  if (!(c.riskAversion >= 0 && c.riskAversion < Infinity)) {
    throw invalid('riskAversion', c.riskAversion, 'a finite number ≥ 0');
  }
  return c;
}

/** Same feature count everywhere, consistent lengths and at least one tradable bar per series. */
function requireSeries(series: readonly MarketSeries[]): number {
  const featureCount = series[0]?.featureCount;
  if (featureCount === undefined)
    throw new ValidationError('no market series; expected at least one', 'series');
  for (const s of series) {
    const rows = s.returns.length + 1;
    const problem =
      s.featureCount !== featureCount
        ? `has ${s.featureCount} features; series ${series[0]!.symbol} has ${featureCount}`
        : s.features.length !== rows * featureCount
          ? `has ${s.features.length} feature values; expected rows ${rows} × ${featureCount}`
          : !Number.isInteger(s.firstRow) || s.firstRow < 0 || s.firstRow > rows - 2
            ? `firstRow ${s.firstRow} is outside [0, ${rows - 2}] (rows − 2, the last row with a return)`
            : undefined;
    if (problem) throw new ValidationError(`market series ${s.symbol} ${problem}`, 'series');
  }
  return featureCount;
}
