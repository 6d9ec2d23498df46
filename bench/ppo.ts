/**
 * `ppo`: whole PPO training throughput (rollouts + updates: 16 environments, 4 update epochs,
 * minibatch 256, actor and critic 64-64) on the default backend (the median and the best of five
 * runs of eight iterations), beside a plain baseline of the
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
): Promise<Rate> {
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

/**
 * The runs of median and of best env steps/s among `windows` runs: this machine's speed drifts
 * by up to 4× within a minute (the JavaScript rollout slows with the WebAssembly update), so the
 * median is the figure and the best shows what the code does when the machine runs at full speed.
 */
async function windowRates(
  series: MarketSeries[],
  windows: number,
  iterations: number,
): Promise<{ median: Rate; best: Rate }> {
  const runs: Rate[] = [];
  for (let i = 0; i < windows; i++) runs.push(await trainingRate('wasm', series, 16, iterations));
  runs.sort((a, b) => a.envStepsPerS - b.envStepsPerS);
  return { median: runs[Math.floor(runs.length / 2)]!, best: runs.at(-1)! };
}

interface Rate {
  envStepsPerS: number;
  updateSamplesPerS: number;
}

/**
 * Floating-point operations of one minibatch sample through the update's products: per dense
 * layer of in × out, the forward product, the kernel's gradient, and (after the first layer, whose
 * input is data) the input's gradient, 2·in·out each; actor and critic.
 */
function updateFlopsPerSample(observationSize: number, actionCount: number): number {
  const { hidden } = DEFAULT_PPO_CONFIG;
  const network = (outputSize: number) => {
    const sizes = [observationSize, ...hidden, outputSize];
    let flops = 0;
    for (let i = 0; i + 1 < sizes.length; i++) flops += 2 * sizes[i]! * sizes[i + 1]! * (i === 0 ? 2 : 3);
    return flops;
  };
  return network(actionCount) + network(1);
}

export async function benchPpo(): Promise<Record<string, number>> {
  const series = marketSeries();
  const { observationSize, actionCount } = createTradingEnvironment(series, { numEnvs: 1 });
  const baseline = await trainingRate('cpu', series, 1, 3);
  await trainingRate('wasm', series, 16, 2); // warm-up: wasm compilation, first kernels
  const { median: main, best } = await windowRates(series, 5, 8);
  const matmul = await matmulGflops();
  const updateGflops = (main.updateSamplesPerS * updateFlopsPerSample(observationSize, actionCount)) / 1e9;
  return {
    env_steps_per_s: Math.round(main.envStepsPerS),
    update_samples_per_s: Math.round(main.updateSamplesPerS),
    best_env_steps_per_s: Math.round(best.envStepsPerS),
    baseline_env_steps_per_s: Math.round(baseline.envStepsPerS),
    matmul_gflops: Number(matmul.toFixed(2)),
    // The share of the machine's measured matMul rate the update's products reach.
    update_gflops: Number(updateGflops.toFixed(2)),
    matmul_share: Number((updateGflops / matmul).toFixed(3)),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(await benchPpo());
}
