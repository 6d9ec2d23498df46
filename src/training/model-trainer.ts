/**
 * The product README's ModelTrainer, over bars rather than per-trade samples: the agent learns
 * from the market (an RL environment over bars), and live trades judge it. `train` maps the
 * retraining config onto the RL engine, `evaluate` backtests a model on held-out bars with its own
 * normaliser, and the hyperparameters a search found are applied by `trainingConfigFor`.
 */
import { createHash } from 'node:crypto';
import type { RetrainingConfig } from '../config/schema.js';
import { ValidationError } from '../errors.js';
import { backtestPositions, type BacktestSummary } from '../evaluation/backtest.js';
import { FEATURE_NAMES, featureSettlingBars } from '../market/features.js';
import { parseInterval, periodsPerYear } from '../market/interval.js';
import type { Normaliser } from '../market/normaliser.js';
import type { ModelArtifact } from '../rl/artifact.js';
import { evaluatePolicy } from '../rl/environment.js';
import { buildMarketSeries, splitChronologically, type BarsBySymbol } from '../rl/market-series.js';
import { TradingPolicy, type InferenceMode } from '../rl/policy.js';
import type { AgentWeights } from '../rl/ppo.js';
import { Random } from '../rl/random.js';
import {
  DEFAULT_TRAINING_CONFIG,
  trainPolicy,
  type TrainingConfig,
  type TrainingProgress,
  type TrainingResult,
} from '../rl/train.js';
import type { CostModel } from '../rl/types.js';
import type { MarketBar } from '../store/market-bars.js';
import type { ModelType } from '../store/versions.js';

/** Hyperparameters a search may set; names as in the search space. */
export interface Hyperparameters {
  learningRate?: number;
  clipRange?: number;
  entropyCoef?: number;
  gamma?: number;
  gaeLambda?: number;
  hiddenWidth?: number;
  minibatchSize?: number;
  updateEpochs?: number;
}

/** What is stored in a version's artifact `config`: everything needed to serve and judge it as trained. */
export interface ModelArtifactConfig {
  modelType: ModelType;
  positions: number[];
  costs: CostModel;
  inference: InferenceMode;
  featureNames: string[];
  interval: string;
  periodsPerYear: number;
  training: TrainingConfig;
  hyperparameters: Hyperparameters;
  [key: string]: unknown;
}

export interface TrainedModel {
  weights: AgentWeights;
  normaliser: Normaliser;
  config: ModelArtifactConfig;
  result: Omit<TrainingResult, 'weights' | 'normaliser' | 'validation'>;
  /** Normalised training feature rows (row-major), the drift reference. */
  referenceRows: Float32Array;
}

export interface ModelEvaluation {
  summary: BacktestSummary;
  /** Bars scored per symbol. */
  periods: Record<string, number>;
}

/** Bars split by time into the part training sees (itself split for early stopping) and a held-out test part. */
export interface HeldOutSplit {
  train: Record<string, MarketBar[]>;
  test: Record<string, MarketBar[]>;
  /** Index of the first scored bar of each symbol's test array (the ones before are feature warm-up). */
  testFirstRow: Record<string, number>;
}

export function splitHeldOut(bars: BarsBySymbol, share: number): HeldOutSplit {
  const split: HeldOutSplit = { train: {}, test: {}, testFirstRow: {} };
  for (const [symbol, list] of entriesOf(bars)) {
    const parts = splitChronologically(list, share, featureSettlingBars());
    split.train[symbol] = parts.train;
    split.test[symbol] = parts.validation;
    split.testFirstRow[symbol] = parts.validationFirstRow;
  }
  return split;
}

/** Iterations of one hyperparameter trial: a quarter of the final training's, at least 8. */
export function trialIterations(epochs: number): number {
  return Math.max(8, Math.ceil(epochs / 4));
}

/**
 * The RL training config the retraining config, the data's interval and a search's hyperparameters
 * give. Early stopping waits for a trial's length (a quarter of `epochs`): the search judged the
 * parameters after that many iterations, and the final training gets at least as long.
 */
export function trainingConfigFor(
  config: RetrainingConfig,
  options: { interval: string; seed: number; modelType: ModelType; hyperparameters?: Hyperparameters },
): TrainingConfig {
  const h = options.hyperparameters ?? {};
  const base = DEFAULT_TRAINING_CONFIG;
  return {
    ...base,
    algorithm: options.modelType,
    iterations: config.training.epochs,
    patience: config.training.earlyStoppingPatience,
    minIterations: Math.min(config.training.epochs, trialIterations(config.training.epochs)),
    validationSplit: config.training.validationSplit,
    seed: options.seed,
    periodsPerYear: periodsPerYear(parseInterval(options.interval)),
    ppo: {
      ...base.ppo,
      learningRate: h.learningRate ?? config.training.learningRate,
      minibatchSize: h.minibatchSize ?? config.training.batchSize,
      clipCoef: h.clipRange ?? base.ppo.clipCoef,
      entCoef: h.entropyCoef ?? base.ppo.entCoef,
      gamma: h.gamma ?? base.ppo.gamma,
      gaeLambda: h.gaeLambda ?? base.ppo.gaeLambda,
      updateEpochs: h.updateEpochs ?? base.ppo.updateEpochs,
      hidden: h.hiddenWidth ? [h.hiddenWidth, h.hiddenWidth] : base.ppo.hidden,
    },
  };
}

export class ModelTrainer {
  /** Trains on `bars` (split chronologically inside for early stopping), warm-started when given and compatible. */
  async train(
    bars: BarsBySymbol,
    config: RetrainingConfig,
    options: {
      interval: string;
      seed: number;
      modelType?: ModelType;
      hyperparameters?: Hyperparameters;
      warmStart?: { weights: AgentWeights; normaliser: Normaliser };
      onProgress?: (progress: TrainingProgress) => void;
      signal?: AbortSignal;
    },
  ): Promise<TrainedModel> {
    const modelType = options.modelType ?? 'ppo';
    const training = trainingConfigFor(config, { ...options, modelType });
    const result = await trainPolicy({
      bars,
      config: training,
      ...(options.warmStart ? { warmStart: options.warmStart } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const { weights, normaliser, validation: _validation, ...rest } = result;
    // The reference for drift: the training rows as the model sees them.
    const { series } = buildMarketSeries(bars, { normaliser });
    const features = normaliser.names.length;
    const rows = series.reduce((sum, s) => sum + (s.features.length / features - s.firstRow), 0);
    const referenceRows = new Float32Array(rows * features);
    let offset = 0;
    for (const s of series) {
      const part = s.features.subarray(s.firstRow * features);
      referenceRows.set(part, offset);
      offset += part.length;
    }
    return {
      weights,
      normaliser,
      referenceRows,
      result: rest,
      config: {
        modelType,
        positions: [...training.environment.positions],
        costs: training.environment.costs,
        inference: training.inference,
        featureNames: normaliser.names,
        interval: options.interval,
        periodsPerYear: training.periodsPerYear,
        training,
        hyperparameters: options.hyperparameters ?? {},
      },
    };
  }

  /**
   * Backtests a model on held-out bars with its own normaliser, positions, costs and inference
   * mode. Symbols are scored one after the other and concatenated into one series (each starts
   * flat; the change of position where two symbols meet is costed as one trade, a negligible
   * approximation next to the hundreds of bars per symbol).
   */
  evaluate(
    model: Pick<ModelArtifact, 'weights' | 'normaliser'> & { config: Partial<ModelArtifactConfig> },
    test: { bars: BarsBySymbol; firstRow: Record<string, number> },
    options: { periodsPerYear: number; seed?: number },
  ): ModelEvaluation {
    const expected = model.normaliser.names.join(',');
    if (expected !== FEATURE_NAMES.join(',')) {
      throw new ValidationError(
        `the model's features (${expected}) are not the ones this release computes (${FEATURE_NAMES.join(',')})`,
        'normaliser',
      );
    }
    const positions = model.config.positions ?? [-1, 0, 1];
    const costs = model.config.costs ?? DEFAULT_TRAINING_CONFIG.environment.costs;
    const policy = new TradingPolicy(
      model.weights.actor,
      model.config.inference ?? 'greedy',
      new Random(`${options.seed ?? 1}/evaluation`),
    );
    const { series } = buildMarketSeries(test.bars, {
      normaliser: model.normaliser,
      firstRow: test.firstRow,
    });
    const all = { positions: [] as number[], returns: [] as number[], actions: [] as number[] };
    const periods: Record<string, number> = {};
    for (const s of series) {
      const run = evaluatePolicy(s, (observation) => policy.act(observation), { positions, costs });
      periods[s.symbol] = run.positions.length;
      const marketReturns = s.returns.subarray(s.firstRow, s.firstRow + run.positions.length);
      for (let i = 0; i < run.positions.length; i++) {
        all.positions.push(run.positions[i]!);
        all.returns.push(marketReturns[i]!);
        all.actions.push(run.actions[i]!);
      }
    }
    const report = backtestPositions({
      positions: all.positions,
      returns: all.returns,
      actions: all.actions,
      actionCount: positions.length,
      costs,
      periodsPerYear: options.periodsPerYear,
    });
    return { summary: report.summary, periods };
  }
}

/** SHA-256 over the bars (and anything else given) a model was trained on, for provenance. */
export function dataHash(bars: BarsBySymbol, extra: unknown = null): string {
  const hash = createHash('sha256');
  for (const [symbol, list] of entriesOf(bars).sort(([a], [b]) => a.localeCompare(b))) {
    hash.update(`${symbol}\n`);
    for (const bar of list) {
      hash.update(`${bar.ts.getTime()},${bar.open},${bar.high},${bar.low},${bar.close},${bar.volume}\n`);
    }
  }
  hash.update(JSON.stringify(extra));
  return hash.digest('hex');
}

function entriesOf(bars: BarsBySymbol): [string, readonly MarketBar[]][] {
  return bars instanceof Map ? [...bars.entries()] : Object.entries(bars);
}
