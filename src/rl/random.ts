import { ValidationError } from '../errors.js';

/**
 * The seeded pseudo-random generator every stochastic part of the system draws from, so that a
 * seed reproduces a run bit for bit on any machine and after a restart.
 *
 * Generator: sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state, from
 * PractRand), seeded from a string with cyrb128 or from an integer with splitmix32, then run 12
 * rounds so that similar seeds diverge. Only 32-bit integer arithmetic (`Math.imul`, `>>>`, `|0`)
 * is used, which JavaScript defines exactly, so the numbers are the same everywhere.
 */

type Words = [number, number, number, number];

/** Everything needed to continue a generator exactly where it stopped; plain JSON. */
export interface RandomState {
  algorithm: 'sfc32';
  /** The seed words the generator started from; forks are derived from them. */
  key: number[];
  /** The current sfc32 state a, b, c, d. */
  words: number[];
  /** The second value of the last Marsaglia polar pair, not yet returned by `normal()`. */
  spareNormal: number | null;
}

const WARM_UP_ROUNDS = 12;
const TWO_POW_32 = 4_294_967_296;

/** cyrb128 (bryc, "Hash functions in JavaScript"): a string to 128 well-mixed bits. */
function cyrb128(text: string): Words {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
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
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/** splitmix32: a 32-bit counter through a bijective mixer; the first output is a bijection of the seed. */
function splitmix32(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x9e3779b9) | 0;
    let t = state ^ (state >>> 16);
    t = Math.imul(t, 0x21f0aaad);
    t ^= t >>> 15;
    t = Math.imul(t, 0x735a2d97);
    return (t ^ (t >>> 15)) >>> 0;
  };
}

/**
 * Seed words from a seed. A safe integer is split into its low and high 32 bits, each expanded by
 * splitmix32 (so different integers give different keys); a string is hashed with cyrb128.
 */
function seedKey(seed: number | string): Words {
  if (typeof seed === 'string') return cyrb128(seed);
  if (!Number.isSafeInteger(seed)) {
    throw new ValidationError(
      `random seed ${seed} is not valid; expected a safe integer or a string`,
      'seed',
    );
  }
  const low = splitmix32(seed >>> 0);
  const high = splitmix32(Math.floor(seed / TWO_POW_32) ^ 0x5bd1e995);
  return [low(), low(), high(), high()];
}

function isWords(value: unknown): value is Words {
  return (
    Array.isArray(value) &&
    value.length === 4 &&
    value.every((word) => Number.isInteger(word) && word >= 0 && word < TWO_POW_32)
  );
}

export class Random {
  #key: Words;
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  #spareNormal: number | null = null;

  constructor(seed: number | string) {
    this.#key = seedKey(seed);
    [this.#a, this.#b, this.#c, this.#d] = this.#key;
    for (let i = 0; i < WARM_UP_ROUNDS; i++) this.nextUint32();
  }

  /** Continues a generator saved with `state()`: the next draws are the ones it would have made. */
  static fromState(state: RandomState): Random {
    if (state.algorithm !== 'sfc32' || !isWords(state.key) || !isWords(state.words)) {
      throw new ValidationError(
        'random state is not valid; expected { algorithm: "sfc32", key: 4 uint32, words: 4 uint32, spareNormal }',
        'state',
      );
    }
    if (state.spareNormal !== null && !Number.isFinite(state.spareNormal)) {
      throw new ValidationError(
        `random state spareNormal ${state.spareNormal} is not valid; expected a finite number or null`,
        'state.spareNormal',
      );
    }
    const random = new Random(0);
    random.#restore(state.key, state.words, state.spareNormal);
    return random;
  }

  #restore(key: Words, words: Words, spareNormal: number | null): void {
    this.#key = [...key];
    [this.#a, this.#b, this.#c, this.#d] = words;
    this.#spareNormal = spareNormal;
  }

  state(): RandomState {
    return {
      algorithm: 'sfc32',
      key: [...this.#key],
      words: [this.#a >>> 0, this.#b >>> 0, this.#c >>> 0, this.#d >>> 0],
      spareNormal: this.#spareNormal,
    };
  }

  /** One sfc32 step: a uniform integer in [0, 2^32). */
  nextUint32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (((this.#c << 21) | (this.#c >>> 11)) + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** Uniform integer in [0, maxExclusive), without modulo bias (rejection of the incomplete last block). */
  int(maxExclusive: number): number {
    if (!Number.isInteger(maxExclusive) || maxExclusive < 1 || maxExclusive > TWO_POW_32) {
      throw new ValidationError(
        `random int bound ${maxExclusive} is not valid; expected an integer in [1, 2^32]`,
        'maxExclusive',
      );
    }
    const limit = TWO_POW_32 - (TWO_POW_32 % maxExclusive);
    let draw = this.nextUint32();
    while (draw >= limit) draw = this.nextUint32();
    return draw % maxExclusive;
  }

  /**
   * Gaussian draw by the Marsaglia polar method (Marsaglia & Bray 1964): each accepted pair gives
   * two independent standard normals; the second is kept for the next call.
   */
  normal(mean = 0, std = 1): number {
    if (this.#spareNormal !== null) {
      const spare = this.#spareNormal;
      this.#spareNormal = null;
      return mean + std * spare;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.next() - 1;
      v = 2 * this.next() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const factor = Math.sqrt((-2 * Math.log(s)) / s);
    this.#spareNormal = v * factor;
    return mean + std * u * factor;
  }

  choice<T>(items: readonly T[]): T {
    if (items.length === 0) {
      throw new ValidationError('random choice from an empty array; expected at least one item', 'items');
    }
    return items[this.int(items.length)] as T;
  }

  /** Fisher–Yates (Durstenfeld) shuffle in place; returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const item = items[i] as T;
      items[i] = items[j] as T;
      items[j] = item;
    }
    return items;
  }

  /**
   * An independent child stream named `label`, derived from this generator's seed and the label
   * only (not from how many numbers were drawn), so components seeded by `fork('env')` and
   * `fork('policy')` keep their sequences when the other one draws more.
   */
  fork(label: string): Random {
    return new Random(`${this.#key.join('.')}/${label}`);
  }
}

/** Same as `new Random(seed)`. */
export function createRandom(seed: number | string): Random {
  return new Random(seed);
}

/** A function returning uniform numbers in [0, 1) from a seeded Random, for code that wants only that. */
export function uniformSource(seed: number | string): () => number {
  const random = new Random(seed);
  return () => random.next();
}
