import { describe, expect, it } from 'vitest';
import { compileFastMlpWasm } from '../../scripts/build-wasm.js';
import { FAST_MLP_WASM_BASE64 } from '../../src/rl/fast-mlp-wasm.js';
import { defaultFastMlpEngine, FastMlp, type DenseWeights } from '../../src/rl/networks.js';
import { Random } from '../../src/rl/random.js';

function network(sizes: number[], random: Random, scale: number): DenseWeights[] {
  return sizes.slice(1).map((outSize, l) => {
    const inSize = sizes[l]!;
    return {
      inSize,
      outSize,
      kernel: Float32Array.from({ length: inSize * outSize }, () => random.normal() * scale),
      bias: Float32Array.from({ length: outSize }, () => random.normal() * scale),
    };
  });
}

describe('FastMlp in WebAssembly', () => {
  it('is built from the committed fast-mlp.wat (run `npm run build:wasm` after editing it)', async () => {
    expect(await compileFastMlpWasm()).toBe(FAST_MLP_WASM_BASE64);
  });

  it('is the default engine under Node, and RETRAINING_FAST_MLP=js selects the JavaScript loop', () => {
    expect(defaultFastMlpEngine()).toBe('wasm');
    const layers = network([4, 8, 2], new Random('engine'), 1);
    expect(new FastMlp(layers).engine).toBe('wasm');
    expect(new FastMlp(layers, { engine: 'js' }).engine).toBe('js');
    const before = process.env.RETRAINING_FAST_MLP;
    process.env.RETRAINING_FAST_MLP = 'js';
    try {
      expect(new FastMlp(layers).engine).toBe('js');
    } finally {
      if (before === undefined) delete process.env.RETRAINING_FAST_MLP;
      else process.env.RETRAINING_FAST_MLP = before;
    }
  });

  // Shapes that are and are not multiples of the 8-output blocks; weight scales that keep the
  // pre-activations small (tanh's cubic branch), in the rational fit, and past its limit (Math.tanh).
  for (const [sizes, scale] of [
    [[10, 64, 64, 3], 0.3],
    [[7, 13, 5, 1], 1],
    [[33, 17, 2], 4],
    [[3, 9], 0.0001],
    [[128, 256, 128, 3], 0.1],
  ] as [number[], number][]) {
    it(`gives the JavaScript loop's outputs bit for bit: ${sizes.join(' → ')}, weights × ${scale}`, () => {
      const random = new Random(`bits-${sizes.join('-')}`);
      const layers = network(sizes, random, scale);
      const wasm = new FastMlp(layers, { engine: 'wasm' });
      const js = new FastMlp(layers, { engine: 'js' });
      const inputSize = sizes[0]!;
      const rows = 200;
      const inputs = Float32Array.from({ length: rows * inputSize }, () => random.normal() * 3);
      const outSize = sizes.at(-1)!;
      const a = new Float32Array(outSize);
      const b = new Float32Array(outSize);
      for (let r = 0; r < rows; r++) {
        wasm.forward(inputs, r * inputSize, a);
        js.forward(inputs, r * inputSize, b);
        expect(Array.from(a)).toEqual(Array.from(b));
        expect(a.every(Number.isFinite)).toBe(true);
      }
    });
  }

  it('keeps networks apart: each has its own memory', () => {
    const random = new Random('apart');
    const first = new FastMlp(network([5, 16, 3], random, 1), { engine: 'wasm' });
    const second = new FastMlp(network([5, 16, 3], random, 1), { engine: 'wasm' });
    const input = Float32Array.from([0.1, -0.2, 0.3, 0.4, -0.5]);
    const before = Array.from(first.forward(input, 0, new Float32Array(3)));
    second.forward(input, 0, new Float32Array(3));
    expect(Array.from(first.forward(input, 0, new Float32Array(3)))).toEqual(before);
  });
});
