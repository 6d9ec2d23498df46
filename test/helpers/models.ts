import type { Database } from '../../src/db/types.js';
import { FEATURE_NAMES } from '../../src/market/features.js';
import { registerVersion } from '../../src/registry/registry.js';
import { PpoAgent } from '../../src/rl/ppo.js';
import { Random } from '../../src/rl/random.js';
import { setVersionStatus } from '../../src/store/versions.js';

/**
 * Registers a real model (random weights, identity normaliser over the nine features) and marks
 * it validated. By default small, with weights large enough that versions from different seeds
 * act differently; `hidden` and `initialWeights` give the production-sized network as initialised
 * (benchmarks). Call `initTensorFlow()` first. Used by tests and benchmarks.
 */
export async function registerRandomModel(
  db: Database,
  seed: string,
  options: { hidden?: number[]; initialWeights?: boolean } = {},
): Promise<string> {
  const featureCount = FEATURE_NAMES.length;
  const random = new Random(seed);
  const agent = PpoAgent.create(featureCount + 1, 3, options.hidden ?? [16, 16], random);
  if (!options.initialWeights) {
    agent.actor.assign(
      agent.actor.readWeights().map((w) => ({ ...w, kernel: w.kernel.map(() => random.normal()) })),
    );
  }
  const weights = agent.readWeights();
  agent.dispose();
  const row = await registerVersion(db, {
    modelType: 'ppo',
    trainedOn: new Date(),
    dataPoints: 100,
    metrics: {},
    config: {},
    artifact: {
      weights,
      normaliser: {
        names: [...FEATURE_NAMES],
        mean: Array(featureCount).fill(0),
        std: Array(featureCount).fill(1),
        clip: 5,
      },
      config: { positions: [-1, 0, 1], inference: 'greedy' },
      metadata: {},
    },
    dataWindow: { start: new Date(0), end: new Date() },
    dataHash: '0'.repeat(64),
    seed: 1,
  });
  await setVersionStatus(db, row.version, 'validated');
  return row.version;
}
