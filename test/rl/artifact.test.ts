import { beforeAll, expect, it } from 'vitest';
import { ArtifactChecksumError } from '../../src/errors.js';
import { actorLayersModel, packModel, unpackModel } from '../../src/rl/artifact.js';
import { initTensorFlow, tf } from '../../src/rl/backend.js';
import { FastMlp } from '../../src/rl/networks.js';
import { PpoAgent } from '../../src/rl/ppo.js';
import { Random } from '../../src/rl/random.js';
import { describeDatabaseIndependent } from '../helpers/database-independent.js';

beforeAll(async () => {
  await initTensorFlow();
});

const normaliser = { names: ['a', 'b', 'c'], mean: [0.1, -0.2, 0], std: [1, 2, 0.5], clip: 5 };

function trainedLikeAgent(seed: string): PpoAgent {
  const random = new Random(seed);
  const agent = PpoAgent.create(4, 3, [16, 16], random);
  agent.actor.assign(
    agent.actor.readWeights().map((w) => ({ ...w, kernel: w.kernel.map(() => random.normal() * 0.4) })),
  );
  return agent;
}

describeDatabaseIndependent('model artifact', () => {
  it('round-trips to identical weights and outputs, and names its checksum', async () => {
    const agent = trainedLikeAgent('artifact');
    const weights = agent.readWeights();
    const { bytes, sha256 } = await packModel({
      weights,
      normaliser,
      config: { positions: [-1, 0, 1] },
      metadata: { version: '1.2.0' },
    });
    expect(sha256).toMatch(/^[0-9a-f]{64}$/);
    const loaded = await unpackModel(bytes, sha256);
    expect(loaded.normaliser).toEqual(normaliser);
    expect(loaded.config).toEqual({ positions: [-1, 0, 1] });
    expect(loaded.metadata).toEqual({ version: '1.2.0' });
    for (const [a, b] of [...weights.actor, ...weights.critic].map(
      (w, i) => [w, [...loaded.weights.actor, ...loaded.weights.critic][i]!] as const,
    )) {
      expect(Buffer.from(b.kernel.buffer).equals(Buffer.from(a.kernel.buffer))).toBe(true);
      expect(Buffer.from(b.bias.buffer).equals(Buffer.from(a.bias.buffer))).toBe(true);
    }
    const input = Float32Array.from([0.3, -1.2, 0.5, 1]);
    const original = agent.actor.apply(tf.tensor2d(input, [1, 4])).dataSync();
    const fast = new FastMlp(loaded.weights.actor).forward(input, 0, new Float32Array(3));
    const model = await actorLayersModel(bytes);
    const predicted = (model.predict(tf.tensor2d(input, [1, 4])) as tf.Tensor).dataSync();
    for (let j = 0; j < 3; j++) {
      expect(Math.abs(fast[j]! - original[j]!)).toBeLessThan(1e-5);
      expect(Math.abs(predicted[j]! - original[j]!)).toBeLessThan(1e-5);
    }
    model.dispose();
    agent.dispose();
  });

  it('packs the same model to the same bytes', async () => {
    const agent = trainedLikeAgent('same');
    const a = await packModel({ weights: agent.readWeights(), normaliser, config: {}, metadata: {} });
    const b = await packModel({ weights: agent.readWeights(), normaliser, config: {}, metadata: {} });
    expect(a.sha256).toBe(b.sha256);
    agent.dispose();
  });

  it('refuses corrupted bytes with an ArtifactChecksumError, and bytes that are not a model', async () => {
    const agent = trainedLikeAgent('corrupt');
    const { bytes, sha256 } = await packModel({
      weights: agent.readWeights(),
      normaliser,
      config: {},
      metadata: {},
    });
    const flipped = Uint8Array.from(bytes);
    flipped[flipped.length - 5] = flipped[flipped.length - 5]! ^ 0xff;
    await expect(unpackModel(flipped, sha256)).rejects.toBeInstanceOf(ArtifactChecksumError);
    await expect(unpackModel(flipped, sha256)).rejects.toThrow(/checksum mismatch/);
    await expect(unpackModel(new TextEncoder().encode('{"not":"a model"}'))).rejects.toThrow(
      /signature is missing/,
    );
    await expect(unpackModel(bytes.subarray(0, 40))).rejects.toThrow(/truncated/);
    agent.dispose();
  });
});
