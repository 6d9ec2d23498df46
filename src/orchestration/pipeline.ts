/**
 * One retraining job, stage by stage:
 *
 *   collect → validate → features → split → [tune] → train → evaluate → register → gate → deploy
 *
 * Each stage writes its name, the job's overall progress and log lines to the job row (and
 * heartbeats during training), so the CLI, API and dashboard see where a run is. A run that
 * cannot proceed ends with its reason: `skipped` for too few trades or stale data, `failed` (with
 * an alert) for poor data quality or an error; a version registered by a failed run is marked
 * `failed`, so nothing half-made reaches production.
 */
import { createHash } from 'node:crypto';
import type { RetrainingConfig } from '../config/schema.js';
import type { Database } from '../db/types.js';
import { handleCandidate, type CandidateOutcome } from '../deployment/candidate.js';
import type { DeploymentManager } from '../deployment/deployment-manager.js';
import { evaluateGates, type GateDecision } from '../deployment/gates.js';
import { CancelledError, ConflictError } from '../errors.js';
import type { BacktestSummary } from '../evaluation/backtest.js';
import type { Logger } from '../logging/logger.js';
import { DataCollector } from '../market/data-collector.js';
import { FEATURE_NAMES, featureSettlingBars } from '../market/features.js';
import { parseInterval, periodsPerYear } from '../market/interval.js';
import type { QualityReport } from '../market/quality/index.js';
import type { Alerter } from '../monitoring/alerts/alerter.js';
import { loadVersion, registerVersion } from '../registry/registry.js';
import type { ModelArtifact } from '../rl/artifact.js';
import type { TrainingProgress } from '../rl/train.js';
import type { NewAlert } from '../store/alerts.js';
import type { JsonObject } from '../store/json.js';
import { listStoredSymbols, type MarketBar } from '../store/market-bars.js';
import { finishJob, getJob, touchJob, updateJobProgress, type JobLogLine } from '../store/retraining-jobs.js';
import { findProductionVersion, getVersion, setVersionStatus, type ModelType } from '../store/versions.js';
import {
  dataHash,
  ModelTrainer,
  splitHeldOut,
  type Hyperparameters,
  type ModelEvaluation,
} from '../training/model-trainer.js';
import type { PipelineTrainer } from '../training/training-thread.js';

export const PIPELINE_STAGES = [
  'collect',
  'validate',
  'features',
  'split',
  'tune',
  'train',
  'evaluate',
  'register',
  'gate',
  'deploy',
] as const;
export type PipelineStage = (typeof PIPELINE_STAGES)[number];

/** Share of a run's progress bar each stage takes (tune only when enabled). */
const STAGE_WEIGHT: Record<PipelineStage, number> = {
  collect: 3,
  validate: 2,
  features: 2,
  split: 1,
  tune: 40,
  train: 40,
  evaluate: 4,
  register: 3,
  gate: 1,
  deploy: 4,
};

/**
 * Test hook for fault injection, inert unless set: with RETRAINING_TEST_PAUSE_AT_STAGE=<stage> a
 * job's first attempt waits at the start of that stage (its row showing the stage and a "paused"
 * line) until it is cancelled, so a test can kill the process at a known stage; a retried attempt
 * runs through. Fast stages would otherwise be over before a kill could land.
 */
export const PAUSE_AT_STAGE_VARIABLE = 'RETRAINING_TEST_PAUSE_AT_STAGE';

/** How often a running job's heartbeat is written; a job silent for much longer belongs to a dead process. */
export const HEARTBEAT_MS = 5_000;

export type PipelineStatus = 'succeeded' | 'skipped' | 'failed' | 'cancelled';

export interface PipelineResult {
  status: PipelineStatus;
  /** Why a run was skipped or failed; what happened to the candidate otherwise. */
  reason: string;
  version: string | null;
  outcome: CandidateOutcome | null;
  gates: GateDecision | null;
  seed: number;
  /** Wall time of each stage that ran, in seconds. */
  stageSeconds: Partial<Record<PipelineStage, number>>;
  candidate: BacktestSummary['metrics'] | null;
  production: BacktestSummary['metrics'] | null;
}

/** Hyperparameter search as the tune stage runs it (sequential in-process, or trials as jobs). */
export type Tuner = (input: {
  jobId: string;
  bars: Record<string, MarketBar[]>;
  interval: string;
  seed: number;
  modelType: ModelType;
  signal?: AbortSignal;
  report: (progress: number, message: string) => Promise<void>;
}) => Promise<{ best: Hyperparameters; trials: number } | null>;

export interface PipelineDependencies {
  db: Database;
  config: RetrainingConfig;
  deployments: DeploymentManager;
  alerter: Alerter;
  logger: Logger;
  /** Where training and backtests run; default a `ModelTrainer` on this thread. */
  trainer?: PipelineTrainer;
  tuner?: Tuner;
  now?: () => Date;
  /** Model type of a first model; later ones keep production's. Default ppo. */
  modelType?: ModelType;
  /**
   * Days of history the first model reads when none is in production: at least this many, or
   * `lookbackDays` when longer. A model trained from scratch needs more than a weekly update that
   * warm-starts from production, and the gates need `minTradesForValidation` trades on its
   * held-out fifth: on 60 days of 5-minute bars even the best policy of the demo market makes
   * about 50. Default FIRST_MODEL_LOOKBACK_DAYS (a year).
   */
  firstModelLookbackDays?: number;
}

export const FIRST_MODEL_LOOKBACK_DAYS = 365;

export interface PipelineOptions {
  /** Default: derived from the job id, recorded with the version. */
  seed?: number;
  signal?: AbortSignal;
  /** Called at each stage start (for progress bars); the job row is updated regardless. */
  onStage?: (stage: PipelineStage, progress: number) => void;
  onTrainingProgress?: (progress: TrainingProgress) => void;
}

class StopRun extends Error {
  constructor(
    readonly status: 'skipped' | 'failed',
    message: string,
    readonly alert?: Omit<NewAlert, 'message'>,
  ) {
    super(message);
  }
}

/** Runs a started job (status running) to its end and records the end on the job row. */
export async function runPipeline(
  deps: PipelineDependencies,
  jobId: string,
  options: PipelineOptions = {},
): Promise<PipelineResult> {
  const { db, config, logger } = deps;
  const now = () => deps.now?.() ?? new Date();
  const trainer = deps.trainer ?? new ModelTrainer();
  const seed = options.seed ?? seedFromId(jobId);
  const stages = PIPELINE_STAGES.filter(
    (s) => s !== 'tune' || (config.training.hyperparameterOptimization.enabled && deps.tuner),
  );
  const total = stages.reduce((sum, s) => sum + STAGE_WEIGHT[s], 0);
  const result: PipelineResult = {
    status: 'succeeded',
    reason: '',
    version: null,
    outcome: null,
    gates: null,
    seed,
    stageSeconds: {},
    candidate: null,
    production: null,
  };
  const log = logger.child({ jobId });
  let stage: PipelineStage = 'collect';
  let stageStarted = Date.now();
  let lastBeat = 0;

  const progressAt = (within: number) => {
    let done = 0;
    for (const s of stages) {
      if (s === stage) break;
      done += STAGE_WEIGHT[s];
    }
    return Math.min(1, (done + STAGE_WEIGHT[stage] * Math.min(Math.max(within, 0), 1)) / total);
  };
  const line = (message: string, data?: JsonObject): JobLogLine => ({
    time: now().toISOString(),
    level: 'info',
    message,
    ...(data ? { data } : {}),
  });
  const report = async (within: number, message?: string, data?: JsonObject) => {
    if (message) log.info(message, { stage, ...(data ?? {}) });
    await updateJobProgress(db, jobId, {
      stage,
      progress: progressAt(within),
      logs: message ? [{ ...line(message, data) }] : [],
    });
  };
  const enter = async (next: PipelineStage, message: string) => {
    result.stageSeconds[stage] = (Date.now() - stageStarted) / 1000;
    stage = next;
    stageStarted = Date.now();
    if (options.signal?.aborted) throw new CancelledError(`retraining cancelled before ${next}`);
    options.onStage?.(next, progressAt(0));
    await report(0, message);
    await pauseForFaultTest(next);
  };
  const pauseForFaultTest = async (at: PipelineStage) => {
    if (process.env[PAUSE_AT_STAGE_VARIABLE] !== at || (await getJob(db, jobId)).attempt > 1) return;
    await report(0, `paused at ${at} (${PAUSE_AT_STAGE_VARIABLE})`);
    log.warn(`paused at ${at} for a fault test (${PAUSE_AT_STAGE_VARIABLE})`, { jobId });
    await new Promise<never>((_, reject) =>
      options.signal?.addEventListener('abort', () =>
        reject(new CancelledError(`cancelled while paused at ${at}`)),
      ),
    );
  };

  let registered: string | null = null;
  // Proof of life between progress writes (tuning and evaluation can be quiet for a while).
  const heartbeat = setInterval(() => void touchJob(db, jobId).catch(() => undefined), HEARTBEAT_MS);
  heartbeat.unref();
  try {
    // collect
    options.onStage?.('collect', 0);
    const end = now();
    const first = (await findProductionVersion(db)) === null;
    const lookbackDays = first
      ? Math.max(config.dataCollection.lookbackDays, deps.firstModelLookbackDays ?? FIRST_MODEL_LOOKBACK_DAYS)
      : config.dataCollection.lookbackDays;
    const start = new Date(end.getTime() - lookbackDays * 86_400_000);
    await report(
      0,
      `collecting trades and bars from ${start.toISOString()} to ${end.toISOString()}${first ? ` (first model: ${lookbackDays} days)` : ''}`,
    );
    await pauseForFaultTest('collect');
    const stored = await listStoredSymbols(db);
    const finest = finestIntervals(stored);
    if (finest.size === 0)
      throw new StopRun('skipped', 'no market bars are stored; import bars or run `retrain demo`');
    const intervals = new Set([...finest.values()].map((s) => s.interval));
    if (intervals.size > 1) {
      throw new StopRun(
        'failed',
        `the stored symbols have different finest intervals (${[...intervals].join(', ')}); one model trains on one interval`,
        { type: 'data_quality', severity: 'high' },
      );
    }
    const interval = [...intervals][0]!;
    const collector = new DataCollector(db, config.dataCollection, { logger: log, barInterval: interval });
    const data = await collector.collect(start, end, [...finest.keys()]);
    if (data.trades.length < config.dataCollection.minTradesThreshold) {
      throw new StopRun(
        'skipped',
        `too few trades: ${data.trades.length} in the last ${lookbackDays} days; minTradesThreshold is ${config.dataCollection.minTradesThreshold}`,
      );
    }
    const stale = staleSymbols(data.bars, interval, end);
    if (stale.length > 0) throw new StopRun('skipped', `stale market data: ${stale.join('; ')}`);
    await report(1, `collected ${data.trades.length} trades and ${countBars(data.bars)} bars`, {
      trades: data.trades.length,
      symbols: [...data.bars.keys()],
    });

    // validate
    await enter('validate', 'validating data quality');
    const reports: Record<string, QualityReport> = {
      trades: await collector.validateDataQuality(data.trades),
    };
    for (const [symbol, bars] of data.bars)
      reports[`bars ${symbol}`] = await collector.validateBarQuality(bars);
    const worst = Object.entries(reports).sort(([, a], [, b]) => a.score - b.score)[0]!;
    await report(1, `data quality ${floor3(worst[1].score)} (lowest: ${worst[0]})`, {
      scores: Object.fromEntries(Object.entries(reports).map(([k, r]) => [k, r.score])),
    });
    if (worst[1].score < config.dataCollection.dataQualityThreshold) {
      throw new StopRun(
        'failed',
        `data quality of ${worst[0]} is ${floor3(worst[1].score)}, under dataQualityThreshold ${config.dataCollection.dataQualityThreshold}: ${worst[1].issues.slice(0, 3).join('; ')}`,
        { type: 'data_quality', severity: 'high' },
      );
    }

    // features
    await enter('features', 'checking feature history');
    const bars: Record<string, MarketBar[]> = Object.fromEntries(data.bars);
    const needed = featureSettlingBars() + 2;
    const short = Object.entries(bars).filter(([, list]) => list.length < 2 * needed);
    if (short.length > 0) {
      throw new StopRun(
        'skipped',
        `not enough bars for features: ${short.map(([s, l]) => `${s} has ${l.length}`).join(', ')}; at least ${2 * needed} per symbol`,
      );
    }
    await report(1, `${FEATURE_NAMES.length} features over ${Object.keys(bars).length} symbols`);

    // split
    await enter('split', 'splitting chronologically');
    const heldOut = splitHeldOut(bars, config.training.validationSplit);
    await report(
      1,
      `held out the last ${Math.round(config.training.validationSplit * 100)} % of bars for evaluation`,
    );

    // tune
    const production = await findProductionVersion(db);
    const modelType = (production?.modelType ?? deps.modelType ?? 'ppo') as ModelType;
    let hyperparameters: Hyperparameters = {};
    if (stages.includes('tune')) {
      await enter('tune', 'searching hyperparameters');
      const tuned = await deps.tuner!({
        jobId,
        bars: heldOut.train,
        interval,
        seed,
        modelType,
        ...(options.signal ? { signal: options.signal } : {}),
        report: (within, message) => report(within, message),
      });
      if (tuned) {
        hyperparameters = tuned.best;
        await report(1, `best of ${tuned.trials} trials`, hyperparameters as JsonObject);
      }
    }

    // train
    await enter(
      'train',
      `training ${modelType.toUpperCase()}${production ? ` from ${production.version}` : ''}`,
    );
    let warm: ModelArtifact | null = null;
    if (production) {
      try {
        warm = (await loadVersion(db, production.version, { alerts: deps.alerter })).artifact;
      } catch (error) {
        // A corrupt production artifact must not stop retraining (it is how a good model comes
        // back): the job's own log says so, for whoever reads the run on the dashboard.
        const message = `production model ${production.version} could not be loaded for a warm start; training from scratch: ${(error as Error).message}`;
        log.warn(message);
        const logs = [{ ...line(message), level: 'warn' }];
        await updateJobProgress(db, jobId, { stage, progress: progressAt(0), logs });
      }
    }
    const model = await trainer.train(heldOut.train, config, {
      interval,
      seed,
      modelType,
      hyperparameters,
      ...(warm ? { warmStart: { weights: warm.weights, normaliser: warm.normaliser } } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: (progress) => {
        options.onTrainingProgress?.(progress);
        if (Date.now() - lastBeat > 2000) {
          lastBeat = Date.now();
          void report(progress.iteration / progress.iterations).catch(() => undefined);
        }
      },
    });
    const trained = model.result;
    await report(
      1,
      `trained ${trained.iterationsRun} iterations (best validation Sharpe ${trained.bestValidationSharpe?.toFixed(2) ?? 'n/a'} at ${trained.bestIteration}${trained.stoppedEarly ? ', stopped early' : ''}${trained.warmStarted ? ', warm-started' : ''})`,
    );

    // evaluate
    await enter('evaluate', 'backtesting the candidate and production on the held-out bars');
    const ppy = periodsPerYear(parseInterval(interval));
    const test = { bars: heldOut.test, firstRow: heldOut.testFirstRow };
    const candidate = await trainer.evaluate(model, test, { periodsPerYear: ppy, seed });
    let productionEvaluation: ModelEvaluation | null = null;
    if (warm) {
      try {
        productionEvaluation = await trainer.evaluate(warm, test, { periodsPerYear: ppy, seed });
      } catch (error) {
        log.warn('production model could not be evaluated on the held-out bars', {
          error: (error as Error).message,
        });
      }
    }
    result.candidate = candidate.summary.metrics;
    result.production = productionEvaluation?.summary.metrics ?? null;
    await report(
      1,
      `candidate Sharpe ${fmt(candidate.summary.metrics.sharpeRatio)}, production ${fmt(result.production?.sharpeRatio ?? null)}`,
    );

    // register
    await enter('register', 'registering the version');
    const row = await registerVersion(db, {
      modelType,
      trainedOn: end,
      dataPoints: countBars(data.bars),
      metrics: {
        ...(candidate.summary.metrics as unknown as JsonObject),
        backtest: candidate.summary as unknown as JsonObject,
        production: productionEvaluation
          ? ({
              version: production!.version,
              ...productionEvaluation.summary.metrics,
            } as unknown as JsonObject)
          : null,
        training: {
          bestIteration: trained.bestIteration,
          bestValidationSharpe: trained.bestValidationSharpe,
          iterationsRun: trained.iterationsRun,
          stoppedEarly: trained.stoppedEarly,
          warmStarted: trained.warmStarted,
          environmentSteps: trained.environmentSteps,
          backend: trained.backend,
        },
      },
      config: model.config as unknown as JsonObject,
      hyperparameters: hyperparameters as JsonObject,
      parentVersion: production?.version ?? null,
      artifact: {
        weights: model.weights,
        normaliser: model.normaliser,
        config: model.config,
        metadata: { jobId },
      },
      dataWindow: { start, end },
      dataHash: dataHash(bars, data.trades.length),
      seed,
      bump: production && !trained.warmStarted ? 'major' : 'minor',
      at: end,
      driftReference: model.referenceRows,
    });
    registered = row.version;
    result.version = row.version;
    await report(1, `registered ${row.version} (${row.checksum?.slice(0, 12) ?? ''}…)`);

    // gate
    await enter('gate', 'judging the candidate against the thresholds and production');
    const decision = evaluateGates(
      candidate.summary,
      productionEvaluation?.summary ?? null,
      config.evaluation,
    );
    result.gates = decision;
    await report(
      1,
      `gates: ${decision.verdict}${decision.reasons.length ? ` (${decision.reasons.join('; ')})` : ''}`,
    );

    // deploy
    await enter('deploy', 'acting on the verdict');
    let outcome: CandidateOutcome;
    try {
      outcome = await handleCandidate(
        db,
        { deployments: deps.deployments, abTests: deps.deployments.abTests },
        config.deployment,
        row.version,
        decision,
        now(),
      );
    } catch (error) {
      // A cooldown refusal leaves a good candidate validated for later, not a failed run.
      if (!(error instanceof ConflictError)) throw error;
      outcome = { action: 'validated', reason: `gates passed; not deployed: ${error.message}` };
    }
    registered = null; // judged: no longer half-made
    result.outcome = outcome;
    result.reason = describeOutcome(row.version, outcome);
    await report(1, result.reason);
    if (outcome.action === 'rejected') {
      await raise(deps, {
        type: 'training_failure',
        severity: 'medium',
        message: `candidate ${row.version} rejected by the gates: ${outcome.reasons.join('; ')}`,
        version: row.version,
      });
    }
  } catch (error) {
    result.stageSeconds[stage] = (Date.now() - stageStarted) / 1000;
    if (error instanceof StopRun) {
      result.status = error.status;
      result.reason = error.message;
      if (error.alert)
        await raise(deps, { ...error.alert, message: `retraining ${error.status}: ${error.message}` });
    } else if (error instanceof CancelledError) {
      result.status = 'cancelled';
      result.reason = error.message;
    } else {
      result.status = 'failed';
      result.reason = `${stage} failed: ${(error as Error).message}`;
      log.error('retraining failed', error as Error);
      await raise(deps, {
        type: 'training_failure',
        severity: 'high',
        message: `retraining ${result.reason}`,
      });
    }
    if (registered) await markFailed(deps, registered, result.reason);
  }
  clearInterval(heartbeat);
  result.stageSeconds[stage] ??= (Date.now() - stageStarted) / 1000;
  await finishJob(db, jobId, {
    status: result.status,
    error: result.status === 'succeeded' ? null : result.reason,
    result: result as unknown as JsonObject,
    resultVersion: result.version,
  });
  log.info('retraining finished', { status: result.status, reason: result.reason, version: result.version });
  return result;
}

async function raise(deps: PipelineDependencies, alert: NewAlert): Promise<void> {
  try {
    await deps.alerter.raise({ ...alert, timestamp: deps.now?.() ?? new Date() });
  } catch (error) {
    deps.logger.error('could not raise an alert', error as Error);
  }
}

async function markFailed(deps: PipelineDependencies, version: string, reason: string): Promise<void> {
  try {
    const row = await getVersion(deps.db, version);
    if (row.status === 'training') await setVersionStatus(deps.db, version, 'failed');
  } catch (error) {
    deps.logger.error('could not mark the half-made version failed', {
      version,
      reason,
      error: (error as Error).message,
    });
  }
}

function describeOutcome(version: string, outcome: CandidateOutcome): string {
  switch (outcome.action) {
    case 'deployed':
      return `${version} deployed to production`;
    case 'ab_test':
      return `${version} in an A/B test against production (test ${outcome.testId})`;
    case 'validated':
      return `${version} validated: ${outcome.reason}`;
    case 'rejected':
      return `${version} rejected: ${outcome.reasons.join('; ')}`;
  }
}

/** Each symbol's finest interval (shortest bar), the one a model trains on. */
function finestIntervals(
  stored: { symbol: string; interval: string; newest: Date }[],
): Map<string, { interval: string; newest: Date }> {
  const out = new Map<string, { interval: string; newest: Date }>();
  for (const row of stored) {
    const current = out.get(row.symbol);
    if (!current || parseInterval(row.interval).ms < parseInterval(current.interval).ms)
      out.set(row.symbol, row);
  }
  return out;
}

/**
 * A symbol is stale when its newest bar is older than the data's own rhythm allows: the longest
 * gap between consecutive bars in the window (nights, weekends, holidays) plus one interval.
 */
function staleSymbols(bars: Map<string, MarketBar[]>, interval: string, now: Date): string[] {
  const step = parseInterval(interval).ms;
  const stale: string[] = [];
  for (const [symbol, list] of bars) {
    const newest = list.at(-1);
    if (!newest) {
      stale.push(`${symbol} has no bars in the window`);
      continue;
    }
    let longest = 2 * step;
    for (let i = 1; i < list.length; i++)
      longest = Math.max(longest, list[i]!.ts.getTime() - list[i - 1]!.ts.getTime());
    const age = now.getTime() - newest.ts.getTime();
    if (age > longest + step) {
      stale.push(
        `${symbol}'s newest ${interval} bar is from ${newest.ts.toISOString()}, ${(age / 3_600_000).toFixed(1)} h ago`,
      );
    }
  }
  return stale;
}

function countBars(bars: Map<string, MarketBar[]>): number {
  let n = 0;
  for (const list of bars.values()) n += list.length;
  return n;
}

function seedFromId(id: string): number {
  return Number.parseInt(createHash('sha256').update(id).digest('hex').slice(0, 8), 16);
}

/** Rounded down, so a score just under a threshold of 1 never prints as 1.000. */
function floor3(value: number): string {
  return (Math.floor(value * 1000) / 1000).toFixed(3);
}

function fmt(value: number | null): string {
  return value === null ? 'n/a' : value.toFixed(2);
}
