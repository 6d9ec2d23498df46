import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, it } from 'vitest';
import { DEFAULT_RETRAINING_CONFIG } from '../../src/config/defaults.js';
import { mergeConfig } from '../../src/config/merge.js';
import { CancelledError } from '../../src/errors.js';
import { computeFeatures, barsToColumns } from '../../src/market/features.js';
import { generateSyntheticMarket, symbolBars } from '../../src/market/synthetic.js';
import { checkNoLookAhead } from '../../src/rl/environment.js';
import { buildMarketSeries } from '../../src/rl/market-series.js';
import {
  DEFAULT_TRAINING_CONFIG,
  returnScale,
  sharpeStandardError,
  trainOnSeries,
  trainPolicy,
  type TrainingConfig,
} from '../../src/rl/train.js';
import type { MarketSeries } from '../../src/rl/types.js';
import type { MarketBar } from '../../src/store/market-bars.js';
import { trainingConfigFor, trialIterations } from '../../src/training/model-trainer.js';
import { TSX_LOADER } from '../helpers/cli.js';
import { describeDatabaseIndependent } from '../helpers/database-independent.js';

const market = generateSyntheticMarket({ seed: 5, sessions: 50 });
const bars = Object.fromEntries(['SYNA', 'SYNB'].map((symbol) => [symbol, symbolBars(market, symbol)]));
const PERIODS_5M = 252 * 78;

const small = (overrides: Partial<TrainingConfig> = {}): TrainingConfig => ({
  ...DEFAULT_TRAINING_CONFIG,
  iterations: 4,
  patience: 100,
  periodsPerYear: PERIODS_5M,
  ppo: {
    ...DEFAULT_TRAINING_CONFIG.ppo,
    numSteps: 32,
    minibatchSize: 128,
    learningRate: 1e-3,
    gamma: 0.9,
    hidden: [16, 16],
  },
  environment: { ...DEFAULT_TRAINING_CONFIG.environment, numEnvs: 8, episodeLength: 64 },
  ...overrides,
});

const weightBytes = (weights: {
  actor: { kernel: Float32Array; bias: Float32Array }[];
  critic: { kernel: Float32Array; bias: Float32Array }[];
}) =>
  Buffer.concat(
    [...weights.actor, ...weights.critic].flatMap((l) => [
      Buffer.from(l.kernel.buffer, l.kernel.byteOffset, l.kernel.byteLength),
      Buffer.from(l.bias.buffer, l.bias.byteOffset, l.bias.byteLength),
    ]),
  ).toString('base64');

/** Appends a planted leak to every feature row: the return of the next bar. */
function leaky(series: MarketSeries[]): MarketSeries[] {
  return series.map((s) => {
    const rows = s.features.length / s.featureCount;
    const cols = s.featureCount + 1;
    const features = new Float32Array(rows * cols);
    for (let t = 0; t < rows; t++) {
      features.set(s.features.subarray(t * s.featureCount, (t + 1) * s.featureCount), t * cols);
      features[t * cols + s.featureCount] = t < s.returns.length ? s.returns[t]! * 500 : 0;
    }
    return { ...s, features, featureCount: cols };
  });
}

describeDatabaseIndependent('training', () => {
  beforeAll(() => {
    expect(Object.keys(bars)).toHaveLength(2);
  });

  it('gives the same weights from the same bars, config and seed, and others from another seed', async () => {
    const a = await trainPolicy({ bars, config: small() });
    const b = await trainPolicy({ bars, config: small() });
    const c = await trainPolicy({ bars, config: small({ seed: 2 }) });
    expect(weightBytes(a.weights)).toBe(weightBytes(b.weights));
    expect(weightBytes(a.weights)).not.toBe(weightBytes(c.weights));
    expect(a.normaliser).toEqual(b.normaliser);
  });

  it('gives the same weights after a restart (a new process)', async () => {
    const script = fileURLToPath(new URL('./fixtures/train-once.ts', import.meta.url));
    const run = () =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', TSX_LOADER, script], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (chunk) => (out += chunk));
        child.stderr.on('data', (chunk) => (err += chunk));
        child.on('close', (code) =>
          code === 0 ? resolve(out.trim().split('\n').at(-1)!) : reject(new Error(err)),
        );
      });
    const [first, second] = [await run(), await run()];
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(second).toBe(first);
  });

  it('warm-starts from a compatible model and starts fresh from an incompatible one', async () => {
    const base = await trainPolicy({ bars, config: small() });
    const warm = await trainPolicy({
      bars,
      config: small({ iterations: 1 }),
      warmStart: { weights: base.weights, normaliser: base.normaliser },
    });
    expect(warm.warmStarted).toBe(true);
    expect(warm.normaliser).toEqual(base.normaliser);
    const wider = small({ iterations: 1, ppo: { ...small().ppo, hidden: [32, 32] } });
    const fresh = await trainPolicy({
      bars,
      config: wider,
      warmStart: { weights: base.weights, normaliser: base.normaliser },
    });
    expect(fresh.warmStarted).toBe(false);
  });

  it('stops when cancelled, and early when validation stops improving', async () => {
    const controller = new AbortController();
    await expect(
      trainPolicy({
        bars,
        config: small({ iterations: 50 }),
        signal: controller.signal,
        onProgress: () => controller.abort(),
      }),
    ).rejects.toBeInstanceOf(CancelledError);
    // selectionTolerance 0: patience counts every validation that does not beat the best.
    const strictly = { patience: 2, selectionTolerance: 0 };
    const early = await trainPolicy({ bars, config: small({ iterations: 40, ...strictly }) });
    expect(early.stoppedEarly).toBe(true);
    expect(early.iterationsRun).toBeLessThan(40);
    expect(early.bestIteration).toBeLessThanOrEqual(early.iterationsRun);
    // The same run told to train at least 12 iterations: patience alone stopped it sooner.
    expect(early.iterationsRun).toBeLessThan(12);
    const floor = await trainPolicy({
      bars,
      config: small({ iterations: 40, ...strictly, minIterations: 12 }),
    });
    expect(floor.iterationsRun).toBeGreaterThanOrEqual(12);
    expect(floor.history.slice(0, early.iterationsRun)).toEqual(early.history);
  });

  it('counts patience only for validations significantly below the best (selectionTolerance standard errors)', async () => {
    const strict = await trainPolicy({
      bars,
      config: small({ iterations: 40, patience: 2, selectionTolerance: 0 }),
    });
    const tolerant = await trainPolicy({
      bars,
      config: small({ iterations: 40, patience: 2, selectionTolerance: 1 }),
    });
    // The same seed takes the same path; only the stopping rule differs.
    expect(tolerant.history.slice(0, strict.iterationsRun)).toEqual(strict.history);
    const validationBars = tolerant.validation.reduce((sum, s) => sum + s.returns.length - s.firstRow, 0);
    let best = -Infinity;
    let below = 0;
    let expectedStop = 40;
    for (const progress of tolerant.history) {
      const score = progress.validationSharpe!;
      best = Math.max(best, score);
      const band = sharpeStandardError(best, validationBars, { periodsPerYear: PERIODS_5M });
      below = score >= best - band ? 0 : below + 1;
      if (below >= 2) {
        expectedStop = progress.iteration;
        break;
      }
    }
    expect(tolerant.iterationsRun).toBe(expectedStop);
    // A lucky maximum no longer ends the run: validations within the band keep it going.
    expect(tolerant.iterationsRun).toBeGreaterThan(strict.iterationsRun);
  });

  it('waits a trial length before stopping early in the product config (a quarter of epochs, at least 8)', () => {
    const config = (epochs: number) =>
      trainingConfigFor(mergeConfig(DEFAULT_RETRAINING_CONFIG, { training: { epochs } }), {
        interval: '5m',
        seed: 1,
        modelType: 'ppo',
      });
    expect(config(100).minIterations).toBe(25);
    expect(config(100).minIterations).toBe(trialIterations(100));
    expect(config(20).minIterations).toBe(8);
    expect(config(5).minIterations).toBe(5);
  });

  it('keeps the latest checkpoint within selectionTolerance standard errors of the best validation Sharpe', async () => {
    const result = await trainPolicy({ bars, config: small({ iterations: 12, selectionTolerance: 1 }) });
    const scores = result.history.map((progress) => progress.validationSharpe!);
    const best = Math.max(...scores);
    const validationBars = result.validation.reduce((sum, s) => sum + s.returns.length - s.firstRow, 0);
    const band = sharpeStandardError(best, validationBars, { periodsPerYear: PERIODS_5M });
    const expected = scores.findLastIndex((score) => score >= best - band) + 1;
    expect(result.bestIteration).toBe(expected);
    expect(result.bestValidationSharpe).toBe(scores[expected - 1]);
    const strict = await trainPolicy({ bars, config: small({ iterations: 12, selectionTolerance: 0 }) });
    expect(strict.bestIteration).toBe(scores.indexOf(best) + 1);
    expect(strict.bestValidationSharpe).toBe(best);
  });

  it('measures the Sharpe standard error (Lo 2002) and the return scale by hand', () => {
    // Annual Sharpe 2 on 252 daily bars: √((252 + 2²/2) / 252) = √(254/252).
    expect(sharpeStandardError(2, 252, { periodsPerYear: 252 })).toBeCloseTo(Math.sqrt(254 / 252), 12);
    expect(sharpeStandardError(-Infinity, 252, { periodsPerYear: 252 })).toBe(0);
    const series = {
      symbol: 'A',
      features: new Float32Array(4),
      featureCount: 1,
      returns: Float64Array.of(0.5, 0.03, -0.04),
      firstRow: 1,
    };
    expect(returnScale([series])).toBeCloseTo(Math.sqrt((0.03 ** 2 + 0.04 ** 2) / 2), 12);
  });

  it('a planted look-ahead feature makes held-out results implausibly good, and the no-look-ahead check catches it', async () => {
    const cut = Math.floor(bars.SYNA!.length * 0.7);
    const trainBars = { SYNA: bars.SYNA!.slice(0, cut) };
    const validationBars = { SYNA: bars.SYNA!.slice(cut - 200) };
    const { series: train, normaliser } = buildMarketSeries(trainBars);
    const { series: validation } = buildMarketSeries(validationBars, { normaliser, firstRow: 200 });
    const config = small({ iterations: 25, ppo: { ...small().ppo, numSteps: 64 } });
    const clean = await trainOnSeries({ config, train, validation, normaliser });
    const leak = await trainOnSeries({
      config,
      train: leaky(train),
      validation: leaky(validation),
      normaliser,
    });
    // The best policy that only knows the past scores about 10–14 on this market; knowing the next
    // return is worth far more.
    expect(leak.bestValidationSharpe!).toBeGreaterThan(25);
    expect(leak.bestValidationSharpe!).toBeGreaterThan(2 * Math.max(clean.bestValidationSharpe ?? 0, 1));

    const leakyFeatures = (prefix: readonly MarketBar[]) => {
      const matrix = computeFeatures(barsToColumns(prefix));
      const out = new Float32Array(prefix.length * (matrix.cols + 1));
      for (let t = 0; t < prefix.length; t++) {
        out.set(matrix.values.subarray(t * matrix.cols, (t + 1) * matrix.cols), t * (matrix.cols + 1));
        const next = prefix[t + 1];
        out[t * (matrix.cols + 1) + matrix.cols] = next ? next.close / prefix[t]!.close - 1 : 0;
      }
      return out;
    };
    const sample = bars.SYNA!.slice(0, 400);
    expect(checkNoLookAhead(sample, leakyFeatures, 10, 20, 1).ok).toBe(false);
    expect(
      checkNoLookAhead(sample, (prefix) => computeFeatures(barsToColumns(prefix)).values, 9, 20, 1).ok,
    ).toBe(true);
  });
});
