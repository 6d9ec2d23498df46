import fc from 'fast-check';
import { expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { createRandom, Random, type RandomState } from '../../src/rl/random.js';
import { describeDatabaseIndependent } from '../helpers/database-independent.js';

function draws(random: Random, count: number): number[] {
  return Array.from({ length: count }, () => random.next());
}

/** bryc's published sfc32 and cyrb128 ("Hash functions in JavaScript", PRNGs), written independently. */
function referenceSfc32(text: string): () => number {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0, k; i < text.length; i++) {
    k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  let [a, b, c, d] = [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
  return () => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

describeDatabaseIndependent('Random', () => {
  it('matches the published sfc32 seeded by cyrb128, after 12 warm-up rounds', () => {
    const reference = referenceSfc32('retraining');
    for (let i = 0; i < 12; i++) reference();
    const expected = Array.from({ length: 1000 }, reference);
    expect(draws(new Random('retraining'), 1000)).toEqual(expected);
  });

  it('gives the same pinned numbers on every machine and in every release', () => {
    // Changing these means every stored seed reproduces a different run: do it only on purpose.
    const random = new Random(42);
    expect(Array.from({ length: 4 }, () => random.nextUint32())).toEqual(PINNED_SEED_42);
    expect(new Random('demo').nextUint32()).toBe(PINNED_SEED_DEMO);
    expect(new Random(42).normal()).toBe(0.8401770031708052);
  });

  it('repeats the same sequence for the same seed, number or string', () => {
    for (const seed of [0, 1, 42, -7, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER, '', 'ppo', 'é✓']) {
      expect(draws(new Random(seed), 50)).toEqual(draws(createRandom(seed), 50));
    }
  });

  it('gives different sequences for different seeds, including seeds that differ only above bit 32', () => {
    const seeds = [0, 1, 2, 2 ** 32, 2 ** 32 + 1, -1, 'a', 'b', '0', '1'];
    const firsts = seeds.map((seed) => draws(new Random(seed), 4).join(','));
    expect(new Set(firsts).size).toBe(seeds.length);
  });

  it('rejects seeds that are not safe integers or strings', () => {
    for (const seed of [1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60]) {
      expect(() => new Random(seed)).toThrow(ValidationError);
    }
  });

  it('forks streams from the seed and label only, independent of draws made by the parent or siblings', () => {
    const quiet = new Random(7);
    const busy = new Random(7);
    draws(busy, 1000);
    busy.normal();
    const env = busy.fork('env');
    draws(busy.fork('policy'), 500);
    expect(draws(env, 100)).toEqual(draws(quiet.fork('env'), 100));
    expect(draws(quiet.fork('env').fork('child'), 10)).toEqual(draws(busy.fork('env').fork('child'), 10));
  });

  it('forks differ from each other, from the parent and across parent seeds', () => {
    const parent = new Random(7);
    const sequences = [
      draws(new Random(7), 20),
      draws(parent.fork('env'), 20),
      draws(parent.fork('policy'), 20),
      draws(parent.fork('env').fork('env'), 20),
      draws(new Random(8).fork('env'), 20),
    ].map((sequence) => sequence.join(','));
    expect(new Set(sequences).size).toBe(sequences.length);
  });

  it('restores a saved state, through JSON, and continues the exact sequence', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.string()), fc.nat(200), (seed, warmUp) => {
        const original = new Random(seed);
        draws(original, warmUp);
        original.normal(); // leaves the second value of the pair cached
        const saved = JSON.parse(JSON.stringify(original.state())) as RandomState;
        const restored = Random.fromState(saved);
        expect(restored.normal()).toBe(original.normal());
        expect(draws(restored, 20)).toEqual(draws(original, 20));
        expect([restored.normal(), restored.int(1000)]).toEqual([original.normal(), original.int(1000)]);
        expect(draws(restored.fork('x'), 5)).toEqual(draws(original.fork('x'), 5));
      }),
      { numRuns: 50 },
    );
  });

  it('rejects a malformed state', () => {
    const state = new Random(1).state();
    expect(() => Random.fromState({ ...state, words: [1, 2, 3] })).toThrow(ValidationError);
    expect(() => Random.fromState({ ...state, key: [1, 2, 3, 2 ** 32] })).toThrow(ValidationError);
    expect(() => Random.fromState({ ...state, spareNormal: Number.NaN })).toThrow(ValidationError);
  });

  it('draws next() in [0, 1) with mean 1/2 and variance 1/12', () => {
    const values = draws(new Random(3), 100_000);
    expect(values.every((value) => value >= 0 && value < 1)).toBe(true);
    const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
    const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length;
    expect(mean).toBeCloseTo(0.5, 2);
    expect(variance).toBeCloseTo(1 / 12, 3);
  });

  it('draws normal() with the requested mean and standard deviation over 100k draws', () => {
    const random = new Random('gauss');
    const standard = Array.from({ length: 100_000 }, () => random.normal());
    const mean = standard.reduce((sum, value) => sum + value, 0) / standard.length;
    const variance = standard.reduce((sum, value) => sum + (value - mean) ** 2, 0) / standard.length;
    // Standard errors: 0.0032 for the mean, 0.0045 for the variance.
    expect(Math.abs(mean)).toBeLessThan(0.015);
    expect(Math.abs(variance - 1)).toBeLessThan(0.02);
    const beyondTwo = standard.filter((value) => Math.abs(value) > 2).length / standard.length;
    expect(beyondTwo).toBeCloseTo(0.0455, 2);

    const scaled = Array.from({ length: 100_000 }, () => random.normal(5, 0.5));
    const scaledMean = scaled.reduce((sum, value) => sum + value, 0) / scaled.length;
    const scaledStd = Math.sqrt(scaled.reduce((sum, v) => sum + (v - scaledMean) ** 2, 0) / scaled.length);
    expect(Math.abs(scaledMean - 5)).toBeLessThan(0.01);
    expect(Math.abs(scaledStd - 0.5)).toBeLessThan(0.01);
  });

  it('draws int() in range and uniformly (chi-square well below the 0.1% critical value)', () => {
    const random = new Random(11);
    for (const bound of [1, 7, 10, 1000, 2 ** 32]) {
      for (let i = 0; i < 1000; i++) {
        const value = random.int(bound);
        expect(Number.isInteger(value) && value >= 0 && value < bound).toBe(true);
      }
    }
    const buckets = 10;
    const draws = 100_000;
    const counts = new Array<number>(buckets).fill(0);
    for (let i = 0; i < draws; i++) counts[random.int(buckets)]! += 1;
    const expected = draws / buckets;
    const chiSquare = counts.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
    expect(chiSquare).toBeLessThan(27.88); // χ²(9) at p = 0.001
  });

  it('rejects int() bounds that are not integers in [1, 2^32]', () => {
    const random = new Random(1);
    for (const bound of [0, -1, 1.5, 2 ** 32 + 1, Number.NaN]) {
      expect(() => random.int(bound)).toThrow(ValidationError);
    }
  });

  it('chooses only from the given items and rejects an empty array', () => {
    const random = new Random(5);
    const items = ['a', 'b', 'c'] as const;
    const seen = new Set(Array.from({ length: 200 }, () => random.choice(items)));
    expect([...seen].sort()).toEqual(['a', 'b', 'c']);
    expect(() => random.choice([])).toThrow(ValidationError);
  });

  it('shuffles in place into a permutation, every position equally likely', () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), fc.integer(), (items, seed) => {
        const copy = [...items];
        const result = new Random(seed).shuffle(copy);
        expect(result).toBe(copy);
        expect([...copy].sort((a, b) => a - b)).toEqual([...items].sort((a, b) => a - b));
      }),
    );
    const random = new Random(9);
    const firstPlace = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) firstPlace[random.shuffle([0, 1, 2, 3])[0]!]! += 1;
    for (const count of firstPlace) expect(Math.abs(count - 10_000)).toBeLessThan(400);
  });
});

const PINNED_SEED_42 = [199661459, 3313848507, 3589724848, 1272562235];
const PINNED_SEED_DEMO = 3038674160;
