/**
 * `inference`: one observation through the actor (10 → 64 → 64 → 3), on the fast Float32Array
 * path (WebAssembly, and the JavaScript loop it replaces) and with TensorFlow.js `predict` on a LayersModel loaded from the same artifact.
 */
import { pathToFileURL } from 'node:url';
import { actorLayersModel, packModel } from '../src/rl/artifact.js';
import { initTensorFlow, tf } from '../src/rl/backend.js';
import { TradingPolicy } from '../src/rl/policy.js';
import { PpoAgent } from '../src/rl/ppo.js';
import { Random } from '../src/rl/random.js';
import { percentile, timeEach } from './timing.js';
import { identityNormaliser } from '../test/helpers/fixtures.js';

export async function benchInference(): Promise<Record<string, number>> {
  await initTensorFlow();
  const random = new Random('inference');
  const agent = PpoAgent.create(10, 3, [64, 64], random);
  const weights = agent.readWeights();
  agent.dispose();
  const { bytes } = await packModel({
    weights,
    normaliser: identityNormaliser(),
    config: {},
    metadata: {},
  });
  const observations = Float32Array.from({ length: 10 * 1024 }, () => random.normal());
  const policy = new TradingPolicy(weights.actor, 'greedy');
  let sink = 0;
  timeEach(20_000, (i) => (sink += policy.act(observations, (i % 1024) * 10)));
  const fast = timeEach(200_000, (i) => (sink += policy.act(observations, (i % 1024) * 10)));
  // The same forward pass in the JavaScript loop (the fallback where WebAssembly SIMD is missing).
  const jsPolicy = new TradingPolicy(weights.actor, 'greedy', undefined, { engine: 'js' });
  timeEach(20_000, (i) => (sink += jsPolicy.act(observations, (i % 1024) * 10)));
  const js = timeEach(200_000, (i) => (sink += jsPolicy.act(observations, (i % 1024) * 10)));

  const model = await actorLayersModel(bytes);
  const predict = (i: number) =>
    tf.tidy(() => {
      const input = tf.tensor2d(observations.subarray((i % 1024) * 10, (i % 1024) * 10 + 10), [1, 10]);
      sink += (model.predict(input) as tf.Tensor).dataSync()[0]!;
    });
  timeEach(500, predict);
  const tfjs = timeEach(5_000, predict);
  model.dispose();
  if (sink === Number.MAX_VALUE) console.log(sink);
  return {
    fast_path_us_median: Number(percentile(fast, 0.5).toFixed(2)),
    fast_path_us_p99: Number(percentile(fast, 0.99).toFixed(2)),
    fast_path_engine_wasm: policy.engine === 'wasm' ? 1 : 0,
    fast_path_js_us_median: Number(percentile(js, 0.5).toFixed(2)),
    tfjs_predict_us_median: Number(percentile(tfjs, 0.5).toFixed(2)),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(await benchInference());
}
