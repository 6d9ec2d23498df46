import fc from 'fast-check';
import { expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { DEFAULT_PPO_CONFIG } from '../../src/rl/ppo.js';
import { Random } from '../../src/rl/random.js';
import {
  DEFAULT_PPO_SEARCH_SPACE,
  containsValue,
  ppoConfigFromParams,
  sampleUniform,
  validateParams,
  validateSearchSpace,
  type FloatParam,
  type SearchSpace,
} from '../../src/tuning/search-space.js';
import { describeDatabaseIndependent } from '../helpers/database-independent.js';

function validationError(space: SearchSpace): ValidationError {
  try {
    validateSearchSpace(space);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

const validationMessage = (space: SearchSpace): string => validationError(space).message;

describeDatabaseIndependent('validateSearchSpace', () => {
  it('accepts the default PPO search space', () => {
    expect(() => validateSearchSpace(DEFAULT_PPO_SEARCH_SPACE)).not.toThrow();
  });

  it('names the parameter and what was expected', () => {
    expect(validationMessage({})).toMatch(/no parameters/);
    expect(validationMessage({ lr: { kind: 'float', low: 1, high: 1 } })).toBe(
      'search space parameter "lr" has range [1, 1]; expected finite low < high',
    );
    expect(validationMessage({ lr: { kind: 'float', low: 0, high: 1, log: true } })).toMatch(
      /"lr" is log-scaled with low 0; expected low > 0/,
    );
    expect(validationMessage({ epochs: { kind: 'int', low: 1.5, high: 4 } })).toMatch(
      /"epochs" .*integer bounds/,
    );
    expect(validationMessage({ epochs: { kind: 'int', low: 1, high: 10, step: 0 } })).toMatch(/step 0/);
    expect(validationMessage({ epochs: { kind: 'int', low: 1, high: 10, step: 2 } })).toMatch(
      /expected high 9/,
    );
    expect(validationMessage({ width: { kind: 'int', low: 8, high: 512, log: true, step: 8 } })).toMatch(
      /"width" is log-scaled with step 8; expected step 1/,
    );
    expect(validationMessage({ act: { kind: 'categorical', choices: [] } })).toMatch(/"act" has no choices/);
    expect(validationMessage({ act: { kind: 'categorical', choices: ['relu', 'relu'] } })).toMatch(
      /repeated/,
    );
    expect(validationMessage({ act: { kind: 'categorical', choices: [1, Number.NaN] } })).toMatch(
      /choice NaN/,
    );
    expect(validationError({ gamma: { kind: 'float', low: 0.999, high: 0.9 } }).field).toBe('space.gamma');
  });
});

describeDatabaseIndependent('sampleUniform', () => {
  it('draws every parameter inside its range, on its steps, among its choices', () => {
    const space: SearchSpace = {
      x: { kind: 'float', low: -2, high: 3 },
      lr: { kind: 'float', low: 1e-5, high: 1e-1, log: true },
      batch: { kind: 'int', low: 16, high: 256, step: 16 },
      width: { kind: 'int', low: 1, high: 1000, log: true },
      act: { kind: 'categorical', choices: ['tanh', 'relu', 7] },
    };
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const params = sampleUniform(space, new Random(seed));
        expect(() => validateParams(space, params)).not.toThrow();
        expect((params.batch as number) % 16).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('spreads a log-scaled parameter evenly over its decades', () => {
    const random = new Random('log');
    const space: SearchSpace = { lr: { kind: 'float', low: 1e-4, high: 1, log: true } };
    const decades = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) {
      const lr = sampleUniform(space, random).lr as number;
      decades[Math.min(3, Math.floor(Math.log10(lr) + 4))]! += 1;
    }
    for (const count of decades) expect(count).toBeGreaterThan(900);
    for (const count of decades) expect(count).toBeLessThan(1100);
  });

  it('draws each integer step and each choice about equally often', () => {
    const random = new Random('steps');
    const space: SearchSpace = {
      epochs: { kind: 'int', low: 2, high: 10, step: 2 },
      act: { kind: 'categorical', choices: ['tanh', 'relu'] },
    };
    const counts = new Map<string | number, number>();
    for (let i = 0; i < 5000; i++) {
      const params = sampleUniform(space, random);
      for (const value of [params.epochs!, params.act!]) counts.set(value, (counts.get(value) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([10, 2, 4, 6, 8, 'relu', 'tanh']);
    for (const epochs of [2, 4, 6, 8, 10]) expect(counts.get(epochs)).toBeGreaterThan(900);
    expect(counts.get('relu')).toBeGreaterThan(2300);
  });

  it('gives each integer of a log-scaled int range the log-width of its rounding cell', () => {
    const random = new Random('log-int');
    const space: SearchSpace = { n: { kind: 'int', low: 1, high: 3, log: true } };
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 10_000; i++) counts[sampleUniform(space, random).n as number]! += 1;
    // cells [0.5, 1.5), [1.5, 2.5), [2.5, 3.5) on the log scale: ln 3, ln(5/3), ln(7/5) over ln 7
    const expected = [Math.log(3), Math.log(5 / 3), Math.log(7 / 5)].map((w) => (10_000 * w) / Math.log(7));
    counts.slice(1).forEach((count, i) => expect(Math.abs(count - expected[i]!)).toBeLessThan(200));
  });
});

describeDatabaseIndependent('validateParams and containsValue', () => {
  it('rejects a missing parameter or a value outside the space', () => {
    const space: SearchSpace = {
      epochs: { kind: 'int', low: 2, high: 10, step: 2 },
      act: { kind: 'categorical', choices: ['tanh', 'relu'] },
    };
    expect(() => validateParams(space, { epochs: 4 })).toThrow(/parameter "act" is missing/);
    expect(() => validateParams(space, { epochs: 5, act: 'relu' })).toThrow(
      'parameter "epochs" is 5; expected an integer in [2, 10] in steps of 2',
    );
    expect(() => validateParams(space, { epochs: 4, act: 'gelu' })).toThrow(/expected one of \[tanh, relu\]/);
    expect(containsValue({ kind: 'float', low: 0, high: 1 }, '0.5')).toBe(false);
    expect(containsValue({ kind: 'float', low: 0, high: 1 }, 1)).toBe(true);
  });
});

describeDatabaseIndependent('ppoConfigFromParams', () => {
  it('maps a point of the default PPO space onto PpoConfig field names', () => {
    const params = {
      learningRate: 3e-4,
      clipRange: 0.2,
      entropyCoef: 0.01,
      gamma: 0.99,
      gaeLambda: 0.95,
      hiddenWidth: 128,
      minibatchSize: 256,
      updateEpochs: 4,
    };
    expect(ppoConfigFromParams(params)).toEqual({
      learningRate: 3e-4,
      clipCoef: 0.2,
      entCoef: 0.01,
      gamma: 0.99,
      gaeLambda: 0.95,
      hidden: [128, 128],
      minibatchSize: 256,
      updateEpochs: 4,
    });
    expect(() => ppoConfigFromParams({ ...params, hiddenWidth: 100 })).toThrow(ValidationError);
  });

  it('covers the PPO defaults, with γ and GAE λ in the middle of their ranges', () => {
    const d = DEFAULT_PPO_CONFIG;
    const params = {
      learningRate: d.learningRate,
      clipRange: d.clipCoef,
      entropyCoef: d.entCoef,
      gamma: d.gamma,
      gaeLambda: d.gaeLambda,
      hiddenWidth: d.hidden[0]!,
      minibatchSize: d.minibatchSize,
      updateEpochs: d.updateEpochs,
    };
    expect(ppoConfigFromParams(params)).toEqual({
      learningRate: d.learningRate,
      clipCoef: d.clipCoef,
      entCoef: d.entCoef,
      gamma: d.gamma,
      gaeLambda: d.gaeLambda,
      hidden: [...d.hidden],
      minibatchSize: d.minibatchSize,
      updateEpochs: d.updateEpochs,
    });
    for (const name of ['gamma', 'gaeLambda'] as const) {
      const { low, high } = DEFAULT_PPO_SEARCH_SPACE[name] as FloatParam;
      expect(Math.abs(d[name] - (low + high) / 2)).toBeLessThan(0.1 * (high - low));
    }
  });
});
