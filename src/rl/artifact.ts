import { createHash } from 'node:crypto';
import { ArtifactChecksumError } from '../errors.js';
import type { Normaliser } from '../market/normaliser.js';
import { parseNormaliser } from '../market/normaliser.js';
import { ensureTensorFlow, tf } from './backend.js';
import type { DenseWeights } from './networks.js';
import type { AgentWeights } from './ppo.js';

/**
 * A trained model as one blob: the actor and the critic in the TensorFlow.js layers format
 * (model.json topology + weight specs + weight bytes), with the feature normaliser and the
 * configuration it was trained with. Layout: "RTMODEL1", a uint32 header length, the JSON
 * header, then the weight bytes. The SHA-256 of the whole blob is its checksum.
 */
const MAGIC = Buffer.from('RTMODEL1', 'ascii');
export const ARTIFACT_CONTENT_TYPE = 'application/vnd.ai-trading-retraining.model';

export interface ModelArtifact<Config = Record<string, unknown>> {
  weights: AgentWeights;
  normaliser: Normaliser;
  /** Everything a model needs to be served and judged as trained: costs, positions, features, inference mode. */
  config: Config;
  metadata: Record<string, unknown>;
}

interface NetworkEntry {
  modelTopology: unknown;
  weightSpecs: tf.io.WeightsManifestEntry[];
  byteOffset: number;
  byteLength: number;
}

interface Header {
  format: 1;
  actor: NetworkEntry;
  critic: NetworkEntry;
  normaliser: Normaliser;
  config: unknown;
  metadata: Record<string, unknown>;
}

export async function packModel(artifact: ModelArtifact): Promise<{ bytes: Uint8Array; sha256: string }> {
  await ensureTensorFlow();
  const actor = await layersFormat(artifact.weights.actor, 'actor');
  const critic = await layersFormat(artifact.weights.critic, 'critic');
  const header: Header = {
    format: 1,
    actor: { ...actor.entry, byteOffset: 0 },
    critic: { ...critic.entry, byteOffset: actor.data.byteLength },
    normaliser: artifact.normaliser,
    config: artifact.config,
    metadata: artifact.metadata,
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.byteLength);
  const bytes = Buffer.concat([MAGIC, length, json, Buffer.from(actor.data), Buffer.from(critic.data)]);
  return { bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), sha256: sha256(bytes) };
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Reads a blob back. With `expectedSha256` (always, when loading a stored version) a mismatch is
 * an ArtifactChecksumError before anything is parsed; a blob that is not a model is one too.
 */
export async function unpackModel<Config = Record<string, unknown>>(
  bytes: Uint8Array,
  expectedSha256?: string,
): Promise<ModelArtifact<Config>> {
  await ensureTensorFlow();
  if (expectedSha256 !== undefined) {
    const actual = sha256(bytes);
    if (actual !== expectedSha256) {
      throw new ArtifactChecksumError(
        `model artifact checksum mismatch: stored ${expectedSha256}, computed ${actual}; the artifact is corrupt and was not loaded`,
      );
    }
  }
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.byteLength < 12 || !buffer.subarray(0, 8).equals(MAGIC)) {
    throw new ArtifactChecksumError('not a model artifact: the "RTMODEL1" signature is missing');
  }
  const headerLength = buffer.readUInt32BE(8);
  if (12 + headerLength > buffer.byteLength)
    throw new ArtifactChecksumError('model artifact is truncated (header)');
  let header: Header;
  try {
    header = JSON.parse(buffer.subarray(12, 12 + headerLength).toString('utf8')) as Header;
  } catch (error) {
    throw new ArtifactChecksumError(`model artifact header is not JSON: ${(error as Error).message}`);
  }
  if (header.format !== 1)
    throw new ArtifactChecksumError(`model artifact format ${String(header.format)} is not supported`);
  const data = buffer.subarray(12 + headerLength);
  const read = async (entry: NetworkEntry, name: string) => {
    if (entry.byteOffset + entry.byteLength > data.byteLength) {
      throw new ArtifactChecksumError(`model artifact is truncated (${name} weights)`);
    }
    const weightData = data.buffer.slice(
      data.byteOffset + entry.byteOffset,
      data.byteOffset + entry.byteOffset + entry.byteLength,
    ) as ArrayBuffer;
    return denseWeightsOf(await loadLayersModel(entry, weightData));
  };
  let normaliser: Normaliser;
  try {
    normaliser = parseNormaliser(header.normaliser);
  } catch (error) {
    throw new ArtifactChecksumError(`model artifact normaliser is invalid: ${(error as Error).message}`);
  }
  return {
    weights: { actor: await read(header.actor, 'actor'), critic: await read(header.critic, 'critic') },
    normaliser,
    config: header.config as Config,
    metadata: header.metadata,
  };
}

/** The actor of an artifact as a TF.js LayersModel, for `predict` (used to check the fast path). */
export async function actorLayersModel(bytes: Uint8Array): Promise<tf.LayersModel> {
  await ensureTensorFlow();
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = buffer.readUInt32BE(8);
  const header = JSON.parse(buffer.subarray(12, 12 + headerLength).toString('utf8')) as Header;
  const start = buffer.byteOffset + 12 + headerLength + header.actor.byteOffset;
  return loadLayersModel(
    header.actor,
    buffer.buffer.slice(start, start + header.actor.byteLength) as ArrayBuffer,
  );
}

async function loadLayersModel(entry: NetworkEntry, weightData: ArrayBuffer): Promise<tf.LayersModel> {
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: entry.modelTopology as tf.io.ModelJSON['modelTopology'],
      weightSpecs: entry.weightSpecs,
      weightData,
    }),
  );
}

/** A dense tanh MLP with these weights as a tf.Sequential, saved in the layers format. */
async function layersFormat(
  layers: readonly DenseWeights[],
  name: string,
): Promise<{ entry: Omit<NetworkEntry, 'byteOffset'>; data: ArrayBuffer }> {
  const model = tf.sequential({ name });
  layers.forEach((layer, index) => {
    model.add(
      tf.layers.dense({
        units: layer.outSize,
        activation: index + 1 < layers.length ? 'tanh' : 'linear',
        ...(index === 0 ? { inputShape: [layer.inSize] } : {}),
        name: `${name}_dense_${index}`,
      }),
    );
  });
  model.setWeights(
    layers.flatMap((layer) => [
      tf.tensor2d(layer.kernel, [layer.inSize, layer.outSize]),
      tf.tensor1d(layer.bias),
    ]),
  );
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
    }),
  );
  model.dispose();
  const weightData = saved!.weightData as ArrayBuffer;
  return {
    entry: {
      modelTopology: saved!.modelTopology,
      weightSpecs: saved!.weightSpecs!,
      byteLength: weightData.byteLength,
    },
    data: weightData,
  };
}

function denseWeightsOf(model: tf.LayersModel): DenseWeights[] {
  const tensors = model.getWeights();
  const layers: DenseWeights[] = [];
  for (let i = 0; i < tensors.length; i += 2) {
    const kernel = tensors[i]!;
    const bias = tensors[i + 1]!;
    layers.push({
      inSize: kernel.shape[0]!,
      outSize: kernel.shape[1]!,
      kernel: Float32Array.from(kernel.dataSync()),
      bias: Float32Array.from(bias.dataSync()),
    });
  }
  model.dispose();
  return layers;
}
