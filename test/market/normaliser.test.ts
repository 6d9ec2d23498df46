import { uniformSource } from '../../src/rl/random.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { computeFeatures, type FeatureMatrix } from '../../src/market/features.js';
import {
  applyNormaliser,
  fitNormaliser,
  type Normaliser,
  normaliseRow,
  parseNormaliser,
  serialiseNormaliser,
  STD_FLOOR,
} from '../../src/market/normaliser.js';

function matrixOf(rows: number[][], warmup = 0, names = rows[0]!.map((_, c) => `f${c}`)): FeatureMatrix {
  return { names, rows: rows.length, cols: names.length, values: Float32Array.from(rows.flat()), warmup };
}

function column(matrix: FeatureMatrix, c: number, from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, k) => matrix.values[(from + k) * matrix.cols + c]!);
}

function naiveMeanStd(xs: number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, std: Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length) };
}

/** A realistic feature matrix from a seeded random walk. */
function walkFeatures(n: number, seed: number): FeatureMatrix {
  const random = uniformSource(seed);
  const close = new Float64Array(n);
  let price = 50;
  for (let t = 0; t < n; t++) close[t] = price *= Math.exp((random() - 0.5) * 0.04);
  return computeFeatures({
    ts: new Float64Array(n),
    open: close,
    high: close.map((c) => c * (1 + 0.02 * random())),
    low: close.map((c) => c * (1 - 0.02 * random())),
    close,
    volume: close.map(() => Math.floor(random() * 1e6)),
  });
}

const rowsArbitrary = fc.integer({ min: 1, max: 6 }).chain((cols) =>
  fc.array(fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: cols, maxLength: cols }), {
    minLength: 2,
    maxLength: 60,
    size: 'max',
  }),
);

describe('fitNormaliser', () => {
  it('fits the same mean and population σ as a naive two-pass computation (1e-9)', () => {
    fc.assert(
      fc.property(rowsArbitrary, (rows) => {
        const matrix = matrixOf(rows);
        const normaliser = fitNormaliser(matrix, { from: 0, to: rows.length });
        for (let c = 0; c < matrix.cols; c++) {
          const naive = naiveMeanStd(column(matrix, c, 0, rows.length));
          expect(Math.abs(normaliser.mean[c]! - naive.mean)).toBeLessThanOrEqual(
            1e-9 * (1 + Math.abs(naive.mean)),
          );
          expect(Math.abs(normaliser.std[c]! - Math.max(naive.std, STD_FLOOR))).toBeLessThanOrEqual(
            1e-9 * (1 + naive.std),
          );
        }
      }),
    );
  });

  it('scales the training rows to mean ≈ 0 and σ ≈ 1', () => {
    const matrix = walkFeatures(3000, 7);
    const range = { from: matrix.warmup, to: 2000 };
    const normalised = applyNormaliser(fitNormaliser(matrix, range, { clip: 1e6 }), matrix);
    for (let c = 0; c < matrix.cols; c++) {
      const { mean, std } = naiveMeanStd(column(normalised, c, range.from, range.to));
      expect(mean).toBeCloseTo(0, 4);
      expect(std).toBeCloseTo(1, 4);
    }
  });

  it('ignores rows outside the training range', () => {
    const matrix = walkFeatures(500, 3);
    const fitted = fitNormaliser(matrix, { from: 100, to: 300 });
    const changed = {
      ...matrix,
      values: matrix.values.map((v, i) => (i >= 300 * matrix.cols ? v * 7 + 1 : v)),
    };
    changed.values.fill(123, 40 * matrix.cols, 100 * matrix.cols);
    expect(fitNormaliser(changed, { from: 100, to: 300 })).toEqual(fitted);
  });

  it('maps a constant column to 0 (σ floored at 1e-8)', () => {
    const matrix = matrixOf([
      [3, 1],
      [3, 2],
      [3, 4],
    ]);
    const normaliser = fitNormaliser(matrix, { from: 0, to: 3 });
    expect(normaliser.std[0]).toBe(STD_FLOOR);
    expect(column(applyNormaliser(normaliser, matrix), 0, 0, 3)).toEqual([0, 0, 0]);
  });

  it('rejects a range that starts inside the warm-up or leaves the matrix', () => {
    const matrix = walkFeatures(100, 1);
    expect(() => fitNormaliser(matrix, { from: 10, to: 80 })).toThrow(/warmup 33 ≤ from/);
    expect(() => fitNormaliser(matrix, { from: 40, to: 101 })).toThrow(ValidationError);
  });
});

describe('applyNormaliser and normaliseRow', () => {
  const matrix = walkFeatures(400, 11);
  const normaliser = fitNormaliser(matrix, { from: matrix.warmup, to: 300 }, { clip: 3 });

  it('clips to ±clip and keeps warm-up rows 0', () => {
    const normalised = applyNormaliser(normaliser, matrix);
    expect(normalised.values.every((v) => Math.abs(v) <= 3)).toBe(true);
    expect(normalised.values.subarray(0, matrix.warmup * matrix.cols).every((v) => v === 0)).toBe(true);
  });

  it('gives a live row exactly what the matrix path gives, writing into `out`', () => {
    const normalised = applyNormaliser(normaliser, matrix);
    const out = new Float32Array(matrix.cols);
    for (const t of [matrix.warmup, 250, 399]) {
      const row = matrix.values.subarray(t * matrix.cols, (t + 1) * matrix.cols);
      expect(normaliseRow(normaliser, row, out)).toBe(out);
      expect(Array.from(out)).toEqual(
        Array.from(normalised.values.subarray(t * matrix.cols, (t + 1) * matrix.cols)),
      );
    }
  });

  it('names the columns that differ when the matrix does not match', () => {
    const other = { ...matrix, names: matrix.names.map((n) => (n === 'rsi_14' ? 'rsi_21' : n)) };
    expect(() => applyNormaliser(normaliser, other)).toThrow(/column 4: normaliser rsi_14, matrix rsi_21/);
    expect(() => normaliseRow(normaliser, new Float32Array(3))).toThrow(ValidationError);
  });
});

describe('serialiseNormaliser and parseNormaliser', () => {
  const normaliser: Normaliser = { names: ['a', 'b'], mean: [0.5, -2], std: [1.5, STD_FLOOR], clip: 5 };

  it('round-trips through JSON text and through a parsed object', () => {
    const text = serialiseNormaliser(normaliser);
    expect(parseNormaliser(text)).toEqual(normaliser);
    expect(parseNormaliser(JSON.parse(text))).toEqual(normaliser);
  });

  it('rejects a corrupt normaliser with an error naming the field', () => {
    const corrupt: [unknown, RegExp][] = [
      ['{"names": [', /not valid JSON/],
      [null, /not an object/],
      [{ ...normaliser, names: undefined }, /normaliser.names is missing/],
      [{ ...normaliser, mean: [1] }, /normaliser.mean has 1 values; names has 2/],
      [{ ...normaliser, std: [1, 0] }, /normaliser.std\[1\] is 0; expected a positive/],
      [{ ...normaliser, mean: [1, 'x'] }, /normaliser.mean\[1\] is "x"/],
      [JSON.stringify({ ...normaliser, mean: [1, Number.NaN] }), /normaliser.mean\[1\] is null/],
      [{ ...normaliser, names: ['a', 'a'] }, /"a" twice/],
      [{ ...normaliser, clip: -1 }, /normaliser.clip is -1/],
    ];
    for (const [input, message] of corrupt) {
      expect(() => parseNormaliser(input)).toThrow(ValidationError);
      expect(() => parseNormaliser(input)).toThrow(message);
    }
  });
});
