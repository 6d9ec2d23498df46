import { expect, it } from 'vitest';
import { DEFAULT_RETRAINING_CONFIG } from '../../src/config/defaults.js';
import { mergeConfig } from '../../src/config/merge.js';
import { CancelledError, ValidationError } from '../../src/errors.js';
import { generateSyntheticMarket } from '../../src/market/synthetic.js';
import type { TrainingProgress } from '../../src/rl/train.js';
import { ModelTrainer, splitHeldOut } from '../../src/training/model-trainer.js';
import { TrainingThread } from '../../src/training/training-thread.js';
import type { MarketBar } from '../../src/store/market-bars.js';
import { describeDatabaseIndependent } from '../helpers/database-independent.js';

const market = generateSyntheticMarket({ seed: 4, sessions: 12 });
const bars: Record<string, MarketBar[]> = {};
for (const bar of market.bars) (bars[bar.symbol] ??= []).push(bar);
const config = mergeConfig(DEFAULT_RETRAINING_CONFIG, {
  training: { epochs: 3, batchSize: 256, hyperparameterOptimization: { enabled: false } },
});
const held = splitHeldOut(bars, 0.2);
const options = { interval: '5m', seed: 7, hyperparameters: { hiddenWidth: 8 } };

describeDatabaseIndependent('training on a worker thread', () => {
  it('gives the weights, evaluation and progress of ModelTrainer on this thread, byte for byte', async () => {
    const thread = new TrainingThread();
    try {
      const local: TrainingProgress[] = [];
      const remote: TrainingProgress[] = [];
      const here = await new ModelTrainer().train(held.train, config, {
        ...options,
        onProgress: (p) => local.push(p),
      });
      const there = await thread.train(held.train, config, { ...options, onProgress: (p) => remote.push(p) });
      expect(there.weights).toEqual(here.weights);
      expect(there.normaliser).toEqual(here.normaliser);
      expect(Buffer.from(there.referenceRows.buffer)).toEqual(Buffer.from(here.referenceRows.buffer));
      expect(remote).toEqual(local);
      expect(remote).toHaveLength(3);

      const test = { bars: held.test, firstRow: held.testFirstRow };
      const evaluation = { periodsPerYear: 19_656, seed: 7 };
      expect(await thread.evaluate(there, test, evaluation)).toEqual(
        new ModelTrainer().evaluate(here, test, evaluation),
      );
    } finally {
      await thread.close();
    }
  }, 120_000);

  it('cancels a training on abort, keeps the error kinds, and works after a cancellation', async () => {
    const thread = new TrainingThread();
    try {
      const controller = new AbortController();
      const running = thread.train(held.train, mergeConfig(config, { training: { epochs: 500 } }), {
        ...options,
        signal: controller.signal,
        onProgress: () => controller.abort(),
      });
      await expect(running).rejects.toBeInstanceOf(CancelledError);

      const wrong = {
        weights: { actor: [], critic: [] },
        normaliser: { names: ['x'], mean: [0], std: [1], clip: 5 },
        config: {},
      };
      await expect(
        thread.evaluate(
          wrong as never,
          { bars: held.test, firstRow: held.testFirstRow },
          { periodsPerYear: 252 },
        ),
      ).rejects.toBeInstanceOf(ValidationError);

      const after = await thread.train(held.train, config, options);
      expect(after.result.iterationsRun).toBe(3);
    } finally {
      await thread.close();
    }
    await expect(thread.train(held.train, config, options)).rejects.toThrow(/closed/);
  }, 120_000);
});
