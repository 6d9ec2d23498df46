/**
 * `ppo`: whole PPO training throughput (rollouts + updates: 16 environments, 4 update epochs,
 * minibatch 256, actor and critic 64-64) on the default backend (the median of five runs of eight
 * iterations), beside a plain baseline of the
 * same algorithm on the pure-JavaScript CPU backend with one environment; plus the update alone
 * and the backend's matrix-multiply rate.
 */
import { pathToFileURL } from 'node:url';
import { generateSyntheticMarket, symbolBars } from '../src/market/synthetic.js';
import { initTensorFlow, tf, type TfBackend } from '../src/rl/backend.js';
import { createTradingEnvironment } from '../src/rl/environment.js';
import { buildMarketSeries } from '../src/rl/market-series.js';
import {
  collectRollout,
  computeGae,
  createOptimizer,
  DEFAULT_PPO_CONFIG,
  PpoAgent,
  ppoUpdate,
} from '../src/rl/ppo.js';
import { Random } from '../src/rl/random.js';
import type { MarketSeries } from '../src/rl/types.js';

function marketSeries(): MarketSeries[] {
  const market = generateSyntheticMarket({ seed: 11, sessions: 60 });
  const bars = Object.fromEntries(['SYNA', 'SYNB', 'SYNC'].map((s) => [s, symbolBars(market, s)]));
  return buildMarketSeries(bars).series;
}

async function trainingRate(
  backend: TfBackend,
  series: MarketSeries[],
  numEnvs: number,
  iterations: number,
): Promise<{ envStepsPerS: number; updateSamplesPerS: number }> {
  await initTensorFlow(backend);
  const env = createTradingEnvironment(series, { numEnvs });
  const random = new Random(1);
  const config = DEFAULT_PPO_CONFIG;
  const agent = PpoAgent.create(env.observationSize, env.actionCount, config.hidden, random);
  const optimizer = createOptimizer(agent, config);
  const numSteps = Math.max(config.numSteps, Math.ceil(config.minibatchSize / numEnvs));
  let observations: Float32Array = Float32Array.from(env.reset());
  let updateMs = 0;
  const started = performance.now();
  for (let i = 0; i < iterations; i++) {
    const { rollout, nextObservations } = collectRollout(env, agent, observations, numSteps, random);
    observations = nextObservations;
    const updateStart = performance.now();
    ppoUpdate(agent, optimizer, rollout, computeGae(rollout, config.gamma, config.gaeLambda), config, random);
    updateMs += performance.now() - updateStart;
  }
  const seconds = (performance.now() - started) / 1000;
  const transitions = iterations * numSteps * numEnvs;
  agent.dispose();
  return {
    envStepsPerS: transitions / seconds,
    updateSamplesPerS: (transitions * config.updateEpochs) / (updateMs / 1000),
  };
}

async function matmulGflops(): Promise<number> {
  await initTensorFlow('wasm');
  const a = tf.randomNormal([256, 64]);
  const b = tf.randomNormal([64, 64]);
  // The block returns nothing: tf.tidy walks whatever it returns for tensors to keep, and a
  // 16,384-element Float32Array took longer to walk than the product took to compute.
  const product = () => {
    tf.matMul(a, b).dataSync();
  };
  for (let i = 0; i < 50; i++) tf.tidy(product);
  const runs = 2000;
  const started = performance.now();
  for (let i = 0; i < runs; i++) tf.tidy(product);
  const seconds = (performance.now() - started) / 1000;
  a.dispose();
  b.dispose();
  return (runs * 2 * 256 * 64 * 64) / seconds / 1e9;
}

/** The run of median env steps/s among `windows` runs: this machine's speed drifts by ±30 % within minutes. */
async function medianRate(
  series: MarketSeries[],
  windows: number,
  iterations: number,
): Promise<{ envStepsPerS: number; updateSamplesPerS: number }> {
  const runs: { envStepsPerS: number; updateSamplesPerS: number }[] = [];
  for (let i = 0; i < windows; i++) runs.push(await trainingRate('wasm', series, 16, iterations));
  runs.sort((a, b) => a.envStepsPerS - b.envStepsPerS);
  return runs[Math.floor(runs.length / 2)]!;
}

export async function benchPpo(): Promise<Record<string, number>> {
  const series = marketSeries();
  const baseline = await trainingRate('cpu', series, 1, 3);
  await trainingRate('wasm', series, 16, 2); // warm-up: wasm compilation, first kernels
  const main = await medianRate(series, 5, 8);
  return {
    env_steps_per_s: Math.round(main.envStepsPerS),
    update_samples_per_s: Math.round(main.updateSamplesPerS),
    baseline_env_steps_per_s: Math.round(baseline.envStepsPerS),
    matmul_gflops: Number((await matmulGflops()).toFixed(2)),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(await benchPpo());
}
