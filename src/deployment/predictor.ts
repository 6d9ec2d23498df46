import type { Database } from '../db/types.js';
import { ValidationError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { barsToColumns, computeFeatures } from '../market/features.js';
import { normaliseRow, type Normaliser } from '../market/normaliser.js';
import { loadVersion, type AlertSink } from '../registry/registry.js';
import { TradingPolicy, type InferenceMode } from '../rl/policy.js';
import { Random } from '../rl/random.js';
import { findActiveAbTest, type AbTestRow } from '../store/ab-tests.js';
import type { MarketBar } from '../store/market-bars.js';
import { insertPredictionSamples, type PredictionSample } from '../store/prediction-samples.js';
import { findProductionVersion } from '../store/versions.js';
import { DEPLOYMENT_CHANNEL } from './notify.js';
import { assignArm, type Arm } from './router.js';

/** A loaded model, ready to serve: its policy, normaliser and positions. */
interface ServedModel {
  version: string;
  checksum: string;
  policy: TradingPolicy;
  normaliser: Normaliser;
  positions: number[];
  /** Scratch: the request's features as float32, as training saw them. */
  features: Float32Array;
  /** Scratch row: normalised features followed by the position. */
  row: Float32Array;
}

/** A model's decision; its observation is `model.row` until that model's next decision. */
interface Decision {
  model: ServedModel;
  action: number;
  probabilities: number[];
}

/** What is served at one moment; replaced as a whole, so no request sees half of a swap. */
interface ServingState {
  production: ServedModel;
  test: AbTestRow | null;
  candidate: ServedModel | null;
}

export interface Prediction {
  action: number;
  /** Target position of the action. */
  position: number;
  probabilities: number[];
  version: string;
  arm: Arm | null;
}

export interface PredictorOptions {
  logger?: Logger;
  /** How often to check for a new deployment when notifications are lost. */
  pollIntervalMs?: number;
  /** Share of requests whose observation is stored for drift detection. */
  sampleRate?: number;
  /**
   * At most this many observations stored per second however busy the server is (default 50,
   * 180,000 an hour: ample for drift checks), so the database is not written at request rate.
   */
  maxSamplesPerSecond?: number;
  seed?: number;
  /** Raises (stores and delivers) the critical alert of a production model whose artifact is corrupt. */
  alerts?: AlertSink;
  /** The time stamped on stored observations (drift windows are in the system's time); default the wall clock. */
  now?: () => Date;
}

/**
 * Serves the production model (and the A/B candidate) for trading bots. Learns of deployments
 * through LISTEN/NOTIFY with polling as a fallback, loads the new model beside the old one
 * (checksum verified) and swaps the serving state in one assignment.
 */
export class Predictor {
  private state: ServingState | null = null;
  private stopListening: (() => Promise<void>) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private refreshing: Promise<void> | null = null;
  private samples: PredictionSample[] = [];
  private stopped = false;
  /** Why the production model is not served (it could not be loaded), for the 503 predictions answer. */
  private loadError: string | null = null;
  private readonly random: Random;

  constructor(
    private readonly db: Database,
    private readonly options: PredictorOptions = {},
  ) {
    this.random = new Random(options.seed ?? 1).fork('prediction-samples');
  }

  /** Whether a production model is loaded and predictions can be served. */
  get ready(): boolean {
    return this.state !== null;
  }

  /** Why predictions cannot be served: no production version, or one that could not be loaded. */
  get unavailableReason(): string {
    return this.loadError ?? 'no model is in production yet; deploy a version first';
  }

  async start(): Promise<void> {
    // A production model that cannot be loaded (a corrupt artifact) must not keep the API down:
    // predictions answer 503 with the reason, and an operator can roll back or retrain through it.
    await this.refresh().catch((error: unknown) =>
      this.options.logger?.error('the production model could not be loaded; not serving predictions', {
        error: (error as Error).message,
      }),
    );
    this.stopListening = await this.db
      .listen(
        DEPLOYMENT_CHANNEL,
        () => void this.refresh().catch((error) => this.options.logger?.error('model refresh failed', error)),
      )
      .catch((error: unknown) => {
        this.options.logger?.warn('LISTEN unavailable; polling for deployments', { error: String(error) });
        return null;
      });
    this.timer = setInterval(() => void this.refresh().catch(() => {}), this.options.pollIntervalMs ?? 5_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.stopListening?.();
    this.stopListening = null;
    // A refresh in flight (from a notification or the poll) finishes before the database may close.
    await this.refreshing?.catch(() => {});
    await this.flushSamples();
  }

  get servingVersion(): string | null {
    return this.state?.production.version ?? null;
  }

  /** Reloads when the production version or the active A/B test changed; one refresh at a time. */
  refresh(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.refreshing ??= this.load().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async load(): Promise<void> {
    const production = await findProductionVersion(this.db);
    if (!production) {
      this.state = null;
      this.loadError = null;
      return;
    }
    const test = await findActiveAbTest(this.db);
    const current = this.state;
    const reuse = (version: string) =>
      current?.production.version === version
        ? current.production
        : current?.candidate?.version === version
          ? current.candidate
          : null;
    let served: ServedModel;
    try {
      served = reuse(production.version) ?? (await this.loadModel(production.version));
    } catch (error) {
      // Serving goes on with the model already loaded, if any; the reason is kept for the 503.
      this.loadError = `production model ${production.version} could not be loaded: ${(error as Error).message}`;
      throw error;
    }
    this.loadError = null;
    let candidate: ServedModel | null = null;
    if (test && test.modelBVersion !== production.version)
      candidate = reuse(test.modelBVersion) ?? (await this.loadModel(test.modelBVersion));
    const next: ServingState = { production: served, test: candidate ? test : null, candidate };
    if (current?.production.version !== served.version) {
      this.options.logger?.info('serving model version', {
        version: served.version,
        checksum: served.checksum,
      });
    }
    this.state = next;
  }

  private async loadModel(version: string): Promise<ServedModel> {
    const { row, artifact } = await loadVersion(
      this.db,
      version,
      this.options.alerts ? { alerts: this.options.alerts } : {},
    );
    const config = artifact.config as { positions?: number[]; inference?: InferenceMode };
    const positions = config.positions ?? [-1, 0, 1];
    const mode = config.inference ?? 'greedy';
    return {
      version,
      checksum: row.checksum!,
      policy: new TradingPolicy(
        artifact.weights.actor,
        mode,
        mode === 'sampled' ? new Random(version) : undefined,
      ),
      normaliser: artifact.normaliser,
      positions,
      features: new Float32Array(artifact.normaliser.names.length),
      row: new Float32Array(artifact.normaliser.names.length + 1),
    };
  }

  /**
   * The action for raw (not normalised) feature values, as computeFeatures gives them, and the
   * position currently held. A request key is routed to an arm of the active A/B test.
   */
  predict(request: {
    key: string;
    features: ArrayLike<number>;
    position: number;
    symbol?: string;
  }): Prediction {
    const state = this.state;
    if (!state) throw new ValidationError('no model is in production yet; deploy a version first');
    const { test, candidate } = state;
    if (test && candidate && test.mode === 'shadow') {
      // Shadow mode: the candidate decides on every request, recorded to be scored against the
      // returns that followed, but only production's decision is returned.
      const served = this.decide(state.production, request);
      const shadow = this.decide(candidate, request);
      this.record(served, 'A', request.symbol);
      this.record(shadow, 'B', request.symbol);
      return this.answer(served, null);
    }
    let arm: Arm | null = null;
    let model = state.production;
    if (test && candidate) {
      arm = assignArm(request.key, test.id, test.trafficSplit);
      if (arm === 'B') model = candidate;
    }
    const decision = this.decide(model, request);
    if (this.random.next() < (this.options.sampleRate ?? 0.05) && this.takeSampleSlot())
      this.record(decision, arm, request.symbol);
    return this.answer(decision, arm);
  }

  private decide(model: ServedModel, request: { features: ArrayLike<number>; position: number }): Decision {
    const featureCount = model.normaliser.names.length;
    if (request.features.length !== featureCount) {
      throw new ValidationError(
        `features has ${request.features.length} values; model ${model.version} expects ${featureCount} (${model.normaliser.names.join(', ')})`,
        'features',
      );
    }
    for (let i = 0; i < featureCount; i++) {
      if (!Number.isFinite(request.features[i]))
        throw new ValidationError(`features[${i}] is not a finite number`, 'features');
    }
    if (!model.positions.includes(request.position)) {
      throw new ValidationError(
        `position ${request.position} is not one of ${model.positions.join(', ')}`,
        'position',
      );
    }
    const features = model.features;
    for (let i = 0; i < featureCount; i++) features[i] = request.features[i]!;
    normaliseRow(model.normaliser, features, model.row.subarray(0, featureCount));
    model.row[featureCount] = request.position;
    const { action, probabilities } = model.policy.decide(model.row);
    return { model, action, probabilities };
  }

  private answer(decision: Decision, arm: Arm | null): Prediction {
    const { model, action, probabilities } = decision;
    return { action, position: model.positions[action]!, probabilities, version: model.version, arm };
  }

  private sampleSecond = 0;
  private samplesThisSecond = 0;

  private takeSampleSlot(): boolean {
    const second = Math.floor(Date.now() / 1000);
    if (second !== this.sampleSecond) {
      this.sampleSecond = second;
      this.samplesThisSecond = 0;
    }
    return this.samplesThisSecond++ < (this.options.maxSamplesPerSecond ?? 50);
  }

  private record(decision: Decision, arm: Arm | null, symbol: string | undefined): void {
    this.samples.push({
      version: decision.model.version,
      ts: this.options.now?.() ?? new Date(),
      // Copied now: the row is the model's scratch, overwritten by its next decision.
      observation: Array.from(decision.model.row),
      action: decision.action,
      arm,
      symbol: symbol ?? null,
    });
    if (this.samples.length >= 500) void this.flushSamples().catch(() => {});
  }

  /** The action from recent bars (enough for the features' warm-up), oldest first. */
  predictFromBars(request: { key: string; bars: readonly MarketBar[]; position: number }): Prediction {
    if (request.bars.length < 2)
      throw new ValidationError('bars needs the recent history of the symbol, oldest first', 'bars');
    const matrix = computeFeatures(barsToColumns(request.bars));
    const last = matrix.rows - 1;
    if (last < matrix.warmup) {
      throw new ValidationError(
        `bars has ${request.bars.length} bars; the features need at least ${matrix.warmup + 1}`,
        'bars',
      );
    }
    return this.predict({
      key: request.key,
      features: matrix.values.subarray(last * matrix.cols, (last + 1) * matrix.cols),
      position: request.position,
      symbol: request.bars[last]!.symbol,
    });
  }

  /** Writes buffered observation samples (for drift detection) in one statement. */
  async flushSamples(): Promise<void> {
    const batch = this.samples;
    this.samples = [];
    if (batch.length > 0) await insertPredictionSamples(this.db, batch);
  }
}
