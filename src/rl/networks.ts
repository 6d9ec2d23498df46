import { tf } from './backend.js';
import { FAST_MLP_WASM_BASE64 } from './fast-mlp-wasm.js';
import type { Random } from './random.js';

/**
 * Multi-layer perceptrons for the actor and the critic: tanh hidden layers, linear output,
 * orthogonal initialisation (Saxe et al. 2014; gains √2 hidden, 0.01 policy head, 1 value head,
 * as in CleanRL's ppo.py). Weights live in tf.Variables for training and are read out as plain
 * Float32Arrays for the fast inference path and for artifacts.
 */
export interface MlpSpec {
  inputSize: number;
  hidden: readonly number[];
  outputSize: number;
  /** Gain of the orthogonal initialisation of the output layer. */
  outputGain: number;
}

/** One dense layer's weights: kernel is inSize × outSize, row-major (TF.js's layout). */
export interface DenseWeights {
  inSize: number;
  outSize: number;
  kernel: Float32Array;
  bias: Float32Array;
}

interface DenseVariables {
  kernel: tf.Variable<tf.Rank.R2>;
  bias: tf.Variable<tf.Rank.R1>;
}

export class Mlp {
  private constructor(
    readonly spec: MlpSpec,
    private readonly layers: DenseVariables[],
  ) {}

  static create(spec: MlpSpec, random: Random): Mlp {
    const sizes = [spec.inputSize, ...spec.hidden, spec.outputSize];
    const weights: DenseWeights[] = [];
    for (let i = 0; i + 1 < sizes.length; i++) {
      const last = i + 2 === sizes.length;
      const gain = last ? spec.outputGain : Math.SQRT2;
      weights.push({
        inSize: sizes[i]!,
        outSize: sizes[i + 1]!,
        kernel: orthogonal(sizes[i]!, sizes[i + 1]!, gain, random),
        bias: new Float32Array(sizes[i + 1]!),
      });
    }
    return Mlp.fromWeights(spec, weights);
  }

  static fromWeights(spec: MlpSpec, weights: readonly DenseWeights[]): Mlp {
    const layers = weights.map((w) => ({
      kernel: tf.variable(tf.tensor2d(w.kernel, [w.inSize, w.outSize])),
      bias: tf.variable(tf.tensor1d(w.bias)),
    }));
    return new Mlp(spec, layers);
  }

  /**
   * The output for a batch of inputs, as plain TF.js operations (TF.js's automatic gradient of
   * them is the reference the training step's written-out gradient is tested against).
   */
  apply(input: tf.Tensor2D): tf.Tensor2D {
    return this.#forward(input).output;
  }

  /**
   * Hidden layers tanh(x·W + b) with the bias in the fused matMul and tanh as `tanhBySigmoid`,
   * the output layer x·W + b; every layer's input and output kept for a backward pass.
   */
  #forward(input: tf.Tensor2D): { inputs: tf.Tensor2D[]; outputs: tf.Tensor2D[]; output: tf.Tensor2D } {
    const inputs: tf.Tensor2D[] = [];
    const outputs: tf.Tensor2D[] = [];
    let x = input;
    this.layers.forEach((layer, index) => {
      inputs.push(x);
      x =
        index + 1 < this.layers.length
          ? tanhBySigmoid(tf.fused.matMul({ a: x, b: layer.kernel, bias: layer.bias }) as tf.Tensor2D)
          : tf.add(tf.matMul(x, layer.kernel), layer.bias);
      outputs.push(x);
    });
    return { inputs, outputs, output: x };
  }

  /**
   * The forward pass of a gradient step (`apply`'s operations) with its backward pass written
   * out, without TF.js's autograd tape: `backward(dOutput)` returns the gradients of
   * `variables()`, in that order. Per layer, dz = dy·(1 − y²) through tanh from the saved output
   * (three operations, where the chain rule through 2σ(2z) − 1 takes about twice as many),
   * dW = xᵀ·dz and dx = dz·Wᵀ with explicit transposes (on wasm a matMul with transpose flags,
   * what TF.js's own dense gradient uses, is about 11× slower, measured with TF.js 4.22), db as
   * `sumRows`, and no gradient for the input (data): the first kernel's gradient takes `inputT`,
   * the input transposed, which the caller builds with the input. Call both inside one `tf.tidy`.
   */
  trainingPass(
    input: tf.Tensor2D,
    inputT: tf.Tensor2D,
  ): { output: tf.Tensor2D; backward: (dOutput: tf.Tensor2D) => tf.Tensor[] } {
    const { inputs, outputs, output } = this.#forward(input);
    const backward = (dOutput: tf.Tensor2D): tf.Tensor[] => {
      const grads: tf.Tensor[] = new Array<tf.Tensor>(2 * this.layers.length);
      let dy = dOutput;
      for (let index = this.layers.length - 1; index >= 0; index--) {
        const layer = this.layers[index]!;
        const dz = index + 1 < this.layers.length ? tanhGradient(dy, outputs[index]!) : dy;
        grads[2 * index] = tf.matMul(index === 0 ? inputT : tf.transpose(inputs[index]!), dz);
        grads[2 * index + 1] = sumRows(dz);
        if (index > 0) dy = tf.matMul(dz, tf.transpose(layer.kernel));
      }
      return grads;
    };
    return { output, backward };
  }

  variables(): tf.Variable[] {
    return this.layers.flatMap((layer) => [layer.kernel, layer.bias]);
  }

  readWeights(): DenseWeights[] {
    return this.layers.map((layer) => ({
      inSize: layer.kernel.shape[0],
      outSize: layer.kernel.shape[1],
      kernel: layer.kernel.dataSync() as Float32Array,
      bias: layer.bias.dataSync() as Float32Array,
    }));
  }

  assign(weights: readonly DenseWeights[]): void {
    weights.forEach((w, i) => {
      const layer = this.layers[i]!;
      layer.kernel.assign(tf.tensor2d(w.kernel, [w.inSize, w.outSize]));
      layer.bias.assign(tf.tensor1d(w.bias));
    });
  }

  dispose(): void {
    for (const variable of this.variables()) variable.dispose();
  }
}

/**
 * Σ over the rows of dy (the gradient of a bias) as ones(1 × rows)·dy: on the wasm backend
 * `tf.sum(dy, 0)` of a 256 × 64 gradient takes about 73 µs, the product about 18 µs (measured).
 */
function sumRows(dy: tf.Tensor2D): tf.Tensor1D {
  return tf.reshape(tf.matMul(tf.ones([1, dy.shape[0]]), dy), [dy.shape[1]]);
}

/** tanh(z) = 2·σ(2z) − 1: on wasm tf.tanh is about 8× slower than tf.sigmoid (measured). */
function tanhBySigmoid(z: tf.Tensor2D): tf.Tensor2D {
  return tf.sub(tf.mul(tf.sigmoid(tf.mul(z, 2)), 2), 1) as tf.Tensor2D;
}

function tanhGradient(dy: tf.Tensor, y: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(dy, tf.sub(1, tf.square(y))) as tf.Tensor2D;
}

/**
 * A (rows × cols) matrix with orthonormal rows or columns, times `gain`: QR (modified
 * Gram–Schmidt) of a seeded Gaussian matrix, signs fixed by R's diagonal as in Saxe et al.
 */
export function orthogonal(rows: number, cols: number, gain: number, random: Random): Float32Array {
  const tall = rows >= cols;
  const n = tall ? rows : cols;
  const k = tall ? cols : rows;
  // k vectors of length n, orthonormalised.
  const vectors: Float64Array[] = [];
  for (let j = 0; j < k; j++) {
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = random.normal();
    for (const u of vectors) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += u[i]! * v[i]!;
      for (let i = 0; i < n; i++) v[i] = v[i]! - dot * u[i]!;
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += v[i]! * v[i]!;
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < n; i++) v[i] = v[i]! / norm;
    vectors.push(v);
  }
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      out[r * cols + c] = gain * (tall ? vectors[c]![r]! : vectors[r]![c]!);
    }
  }
  return out;
}

/** Where the rational approximation below stops being accurate; tanh is 1 − 2.7e-7 there. */
const TANH_RATIONAL_LIMIT = 7.90531110763549805;

/**
 * tanh as Eigen evaluates it for float (a 13/6-degree rational minimax fit on |x| ≤ 7.9), here in
 * doubles: within 2e-7 of Math.tanh, whose fdlibm evaluation (exp and a division) was half of
 * the actor's time in a prediction. Outside the fitted range, Math.tanh itself.
 */
export function tanh(x: number): number {
  if (x > TANH_RATIONAL_LIMIT || x < -TANH_RATIONAL_LIMIT) return Math.tanh(x);
  if (x < 0.0004 && x > -0.0004) return x - (x * x * x) / 3; // the fit's relative error is 1.3e-7 near 0
  const x2 = x * x;
  let p = x2 * -2.76076847742355e-16 + 2.00018790482477e-13;
  p = x2 * p + -8.60467152213735e-11;
  p = x2 * p + 5.12229709037114e-8;
  p = x2 * p + 1.48572235717979e-5;
  p = x2 * p + 6.37261928875436e-4;
  p = x2 * p + 4.89352455891786e-3;
  let q = x2 * 1.19825839466702e-6 + 1.18534705686654e-4;
  q = x2 * q + 2.268434632439e-3;
  q = x2 * q + 4.89352518554385e-3;
  return (x * p) / q;
}

/**
 * The same network evaluated with plain typed arrays, for rollouts and serving: no tensors, no
 * allocation, outputs equal to TF.js's to about 1e-6. Kernels are kept transposed (out × in, as
 * Float64Array) so each output is one dot product over contiguous memory with the sum in a
 * register, about twice as fast as accumulating into an output array.
 */
export class FastMlp {
  private readonly kernels: Float64Array[];
  private readonly biases: Float64Array[];
  private readonly sizes: { inSize: number; outSize: number }[];
  private readonly buffers: Float64Array[];
  private readonly inputRow: Float64Array;
  private readonly wasm: WasmMlp | null;

  /**
   * `engine` 'wasm' (the default where WebAssembly SIMD is available) or 'js'; both give
   * bit-identical outputs (test/rl/fast-mlp-wasm.test.ts), the WebAssembly one 4–5× faster.
   */
  constructor(layers: readonly DenseWeights[], options: { engine?: FastMlpEngine } = {}) {
    this.wasm = (options.engine ?? defaultFastMlpEngine()) === 'wasm' ? WasmMlp.create(layers) : null;
    this.sizes = layers.map(({ inSize, outSize }) => ({ inSize, outSize }));
    this.kernels = layers.map(({ inSize, outSize, kernel }) => {
      const transposed = new Float64Array(inSize * outSize);
      for (let i = 0; i < inSize; i++) {
        for (let j = 0; j < outSize; j++) transposed[j * inSize + i] = kernel[i * outSize + j]!;
      }
      return transposed;
    });
    this.biases = layers.map((layer) => Float64Array.from(layer.bias));
    this.buffers = layers.map((layer) => new Float64Array(layer.outSize));
    this.inputRow = new Float64Array(layers[0]!.inSize);
  }

  get outputSize(): number {
    return this.sizes.at(-1)!.outSize;
  }

  /** Which implementation evaluates this network. */
  get engine(): FastMlpEngine {
    return this.wasm ? 'wasm' : 'js';
  }

  /** Evaluates one input row (from `input` at `offset`) into `out` (length outputSize). */
  forward(input: ArrayLike<number>, offset: number, out: Float32Array): Float32Array {
    if (this.wasm) return this.wasm.forward(input, offset, out);
    const last = this.sizes.length - 1;
    // Copy the row first so every layer's loop sees one array type (monomorphic, and fast).
    let source = this.inputRow;
    for (let i = 0; i < source.length; i++) source[i] = input[offset + i]!;
    for (let l = 0; l <= last; l++) {
      const { inSize, outSize } = this.sizes[l]!;
      const kernel = this.kernels[l]!;
      const bias = this.biases[l]!;
      const target = this.buffers[l]!;
      // Four outputs at a time: each input is loaded once for four independent sums, and four
      // chains of additions hide each other's latency (≈3× faster than one running sum).
      let j = 0;
      for (; j + 4 <= outSize; j += 4) {
        const r0 = j * inSize;
        const r1 = r0 + inSize;
        const r2 = r1 + inSize;
        const r3 = r2 + inSize;
        let s0 = bias[j]!;
        let s1 = bias[j + 1]!;
        let s2 = bias[j + 2]!;
        let s3 = bias[j + 3]!;
        for (let i = 0; i < inSize; i++) {
          const x = source[i]!;
          s0 += x * kernel[r0 + i]!;
          s1 += x * kernel[r1 + i]!;
          s2 += x * kernel[r2 + i]!;
          s3 += x * kernel[r3 + i]!;
        }
        if (l < last) {
          target[j] = tanh(s0);
          target[j + 1] = tanh(s1);
          target[j + 2] = tanh(s2);
          target[j + 3] = tanh(s3);
        } else {
          target[j] = s0;
          target[j + 1] = s1;
          target[j + 2] = s2;
          target[j + 3] = s3;
        }
      }
      for (; j < outSize; j++) {
        const row = j * inSize;
        let sum = bias[j]!;
        for (let i = 0; i < inSize; i++) sum += source[i]! * kernel[row + i]!;
        target[j] = l < last ? tanh(sum) : sum;
      }
      source = target;
    }
    const result = this.buffers[last]!;
    for (let j = 0; j < result.length; j++) out[j] = result[j]!;
    return out;
  }
}

export type FastMlpEngine = 'wasm' | 'js';

let wasmModule: WebAssembly.Module | null | undefined;

/** The compiled fast-mlp.wat, or null where this runtime has no WebAssembly SIMD. */
function fastMlpModule(): WebAssembly.Module | null {
  if (wasmModule !== undefined) return wasmModule;
  const bytes = Uint8Array.from(atob(FAST_MLP_WASM_BASE64), (c) => c.charCodeAt(0));
  wasmModule =
    typeof WebAssembly === 'object' && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  return wasmModule;
}

/** 'wasm' where WebAssembly SIMD is available, unless `RETRAINING_FAST_MLP=js` asks for the JavaScript loop. */
export function defaultFastMlpEngine(): FastMlpEngine {
  const wanted = typeof process === 'object' ? process.env.RETRAINING_FAST_MLP : undefined;
  if (wanted === 'js') return 'js';
  return fastMlpModule() ? 'wasm' : 'js';
}

/**
 * FastMlp's layers in WebAssembly (src/rl/fast-mlp.wat): an instance of its own per network, with
 * the weights as float64 in its memory (kernels input-major, outputs padded to 8) and one call per
 * layer. Same operations in the same order as the JavaScript loop, so the same bits out.
 */
class WasmMlp {
  private readonly dense: (...args: number[]) => void;
  private readonly input: Float64Array;
  private readonly output: Float64Array;
  private readonly calls: number[][];

  private constructor(module: WebAssembly.Module, layers: readonly DenseWeights[]) {
    const pad = (n: number) => Math.ceil(n / 8) * 8;
    // Byte offsets: the input row, then per layer its kernel, bias and output.
    let bytes = pad(layers[0]!.inSize) * 8;
    const places = layers.map(({ inSize, outSize }) => {
      const outPad = pad(outSize);
      const kernel = bytes;
      const bias = kernel + inSize * outPad * 8;
      const output = bias + outPad * 8;
      bytes = output + outPad * 8;
      return { kernel, bias, output, outPad };
    });
    const instance = new WebAssembly.Instance(module, { math: { tanh: Math.tanh } });
    const exports = instance.exports as { memory: WebAssembly.Memory; dense: (...args: number[]) => void };
    const pages = Math.ceil(bytes / 65_536) - exports.memory.buffer.byteLength / 65_536;
    if (pages > 0) exports.memory.grow(pages);
    const memory = exports.memory.buffer;
    layers.forEach(({ inSize, outSize, kernel, bias }, l) => {
      const place = places[l]!;
      const k = new Float64Array(memory, place.kernel, inSize * place.outPad);
      for (let i = 0; i < inSize; i++) {
        for (let j = 0; j < outSize; j++) k[i * place.outPad + j] = kernel[i * outSize + j]!;
      }
      new Float64Array(memory, place.bias, outSize).set(bias);
    });
    this.dense = exports.dense;
    this.input = new Float64Array(memory, 0, layers[0]!.inSize);
    const last = places.at(-1)!;
    this.output = new Float64Array(memory, last.output, layers.at(-1)!.outSize);
    let source = 0;
    this.calls = layers.map(({ inSize, outSize }, l) => {
      const place = places[l]!;
      const call = [
        source,
        inSize,
        place.kernel,
        place.bias,
        place.output,
        outSize,
        place.outPad,
        l < layers.length - 1 ? 1 : 0,
      ];
      source = place.output;
      return call;
    });
  }

  static create(layers: readonly DenseWeights[]): WasmMlp | null {
    const module = fastMlpModule();
    return module ? new WasmMlp(module, layers) : null;
  }

  forward(input: ArrayLike<number>, offset: number, out: Float32Array): Float32Array {
    const row = this.input;
    for (let i = 0; i < row.length; i++) row[i] = input[offset + i]!;
    const dense = this.dense;
    for (const call of this.calls)
      dense(call[0]!, call[1]!, call[2]!, call[3]!, call[4]!, call[5]!, call[6]!, call[7]!);
    const result = this.output;
    for (let j = 0; j < result.length; j++) out[j] = result[j]!;
    return out;
  }
}
