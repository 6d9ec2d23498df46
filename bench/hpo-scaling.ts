/**
 * Hyperparameter trials on one and on two worker threads: the same 8 trials (parameters drawn
 * uniformly from the search space with a fixed seed, 10 iterations each, on 20 sessions of the
 * synthetic market), wall time with a pool of 1 and of 2 threads. Goal: speedup ≥ 1.7 on 2 cores.
 * Trials as separate jobs on `retrain worker` processes are not built yet.
 */
import { DEFAULT_RETRAINING_CONFIG } from '../src/config/defaults.js';
import { mergeConfig } from '../src/config/merge.js';
import { generateSyntheticMarket, symbolBars } from '../src/market/synthetic.js';
import { Random } from '../src/rl/random.js';
import { TrialPool } from '../src/training/trial-pool.js';
import type { TrialTask } from '../src/training/trial.js';
import { DEFAULT_PPO_SEARCH_SPACE, sampleUniform } from '../src/tuning/search-space.js';

const TRIALS = 8;

function tasks(): TrialTask[] {
  const market = generateSyntheticMarket({ seed: 21, sessions: 20 });
  const bars = Object.fromEntries(market.options.symbols.map((s) => [s, symbolBars(market, s)]));
  const config = mergeConfig(DEFAULT_RETRAINING_CONFIG, { training: { epochs: 10 } });
  const random = new Random('hpo-scaling');
  return Array.from({ length: TRIALS }, (_, number) => {
    // The widest networks take several times longer; keep the workload even so the figure is about scaling.
    const params = { ...sampleUniform(DEFAULT_PPO_SEARCH_SPACE, random), hiddenWidth: 64, updateEpochs: 4 };
    return {
      number,
      seed: number + 1,
      params,
      bars,
      config,
      interval: market.options.interval,
      modelType: 'ppo',
      metric: 'sharpe_ratio',
      pruner: { startupTrials: 1000, warmupSteps: 1000 },
      completedCurves: [],
    } satisfies TrialTask;
  });
}

async function wallSeconds(threads: number, work: TrialTask[]): Promise<number> {
  const pool = new TrialPool(threads);
  try {
    // Warm-up: every thread loads TF.js and compiles its kernels once.
    await Promise.all(
      Array.from({ length: threads }, (_, i) =>
        pool.run({ ...work[i]!, config: mergeConfig(work[i]!.config, { training: { epochs: 1 } }) }),
      ),
    );
    const started = performance.now();
    await Promise.all(work.map((task) => pool.run(task)));
    return (performance.now() - started) / 1000;
  } finally {
    await pool.close();
  }
}

export async function benchHpoScaling(): Promise<Record<string, number>> {
  const work = tasks();
  const one = await wallSeconds(1, work);
  const two = await wallSeconds(2, work);
  return { seconds_1_worker: one, seconds_2_workers: two, speedup: one / two };
}
