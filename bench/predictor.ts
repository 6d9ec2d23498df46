/**
 * `predictor`: in-process prediction latency for one observation (normalisation, A/B routing,
 * the actor on the fast path), throughput over a batch of observations, and the time from a
 * deployment's commit to the new model serving; beside a baseline that runs the same model with
 * TensorFlow.js `predict`.
 */
import { pathToFileURL } from 'node:url';
import { DEFAULT_RETRAINING_CONFIG } from '../src/config/defaults.js';
import { openEmbeddedDatabase } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrate.js';
import { DeploymentManager } from '../src/deployment/deployment-manager.js';
import { Predictor } from '../src/deployment/predictor.js';
import { FEATURE_NAMES } from '../src/market/features.js';
import { actorLayersModel, packModel } from '../src/rl/artifact.js';
import { initTensorFlow, tf } from '../src/rl/backend.js';
import { PpoAgent, type AgentWeights } from '../src/rl/ppo.js';
import { Random } from '../src/rl/random.js';
import { registerRandomModel } from '../test/helpers/models.js';
import { percentile, timeEach } from './timing.js';
import { insertAbTest } from '../src/store/ab-tests.js';
import { setVersionStatus } from '../src/store/versions.js';

const F = FEATURE_NAMES.length;
const normaliser = { names: [...FEATURE_NAMES], mean: Array(F).fill(0), std: Array(F).fill(1), clip: 5 };

function weights(seed: string): AgentWeights {
  const agent = PpoAgent.create(F + 1, 3, [64, 64], new Random(seed));
  const result = agent.readWeights();
  agent.dispose();
  return result;
}

export async function benchPredictor(): Promise<Record<string, number>> {
  await initTensorFlow();
  const db = await openEmbeddedDatabase({ dataDir: 'memory://' });
  await migrate(db);
  const register = (seed: string) =>
    registerRandomModel(db, seed, { hidden: [64, 64], initialWeights: true });
  const [v1, v2, v3] = [await register('a'), await register('b'), await register('c')];
  const deployments = new DeploymentManager(db, {
    ...DEFAULT_RETRAINING_CONFIG.deployment,
    cooldownPeriodHours: 0,
  });
  await deployments.deploy(v1);
  await setVersionStatus(db, v2, 'ab_testing');
  await insertAbTest(db, { modelAVersion: v1, modelBVersion: v2, trafficSplit: 10, startTime: new Date() });
  const predictor = new Predictor(db, { sampleRate: 0, pollIntervalMs: 60_000 });
  await predictor.start();

  const random = new Random('observations');
  const observations = Array.from({ length: 1024 }, () => Array.from({ length: F }, () => random.normal()));
  let sink = 0;
  const one = (i: number) =>
    (sink += predictor.predict({
      key: `account-${i % 5000}`,
      features: observations[i % 1024]!,
      position: 0,
    }).action);
  timeEach(20_000, one);
  const latency = timeEach(100_000, one);
  const batch = 200_000;
  const started = performance.now();
  for (let i = 0; i < batch; i++) one(i);
  const batchPerS = batch / ((performance.now() - started) / 1000);

  // Baseline: the same model through TensorFlow.js predict, normalisation included.
  const { bytes } = await packModel({ weights: weights('a'), normaliser, config: {}, metadata: {} });
  const model = await actorLayersModel(bytes);
  const baselineOne = (i: number) =>
    tf.tidy(() => {
      const input = tf.tensor2d([...observations[i % 1024]!, 0], [1, F + 1]);
      sink += (model.predict(input) as tf.Tensor).argMax(1).dataSync()[0]!;
    });
  timeEach(500, baselineOne);
  const baseline = timeEach(5_000, baselineOne);
  model.dispose();

  // Swap: from the deployment's commit to the new version serving (notification, load, swap).
  await db.exec(`UPDATE ab_tests SET status = 'stopped', end_time = NOW()`);
  const swapStart = performance.now();
  await deployments.deploy(v3, { force: true, reason: 'bench' });
  while (predictor.servingVersion !== v3) await new Promise((resolve) => setImmediate(resolve));
  const swapMs = performance.now() - swapStart;

  await predictor.stop();
  await db.close();
  if (sink === Number.MAX_VALUE) console.log(sink);
  return {
    us_p50: Number(percentile(latency, 0.5).toFixed(2)),
    us_p99: Number(percentile(latency, 0.99).toFixed(2)),
    batch_obs_per_s: Math.round(batchPerS),
    swap_ms: Number(swapMs.toFixed(1)),
    baseline_us_p50: Number(percentile(baseline, 0.5).toFixed(2)),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(await benchPredictor());
}
