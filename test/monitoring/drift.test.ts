import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ValidationError } from '../../src/errors.js';
import { Random } from '../../src/rl/random.js';
import {
  driftThresholds,
  featureDrift,
  ksTest,
  pageHinkley,
  psi,
  wasserstein1,
} from '../../src/monitoring/drift.js';
import { sortedFloat32, sortedFloat64 } from '../../src/monitoring/drift/radix-sort.js';

function normalRows(random: Random, rows: number, features: number, shift = 0): Float32Array {
  const out = new Float32Array(rows * features);
  for (let i = 0; i < out.length; i++) out[i] = random.normal(shift, 1);
  return out;
}

describe('psi', () => {
  it('matches a hand-computed two-bin example', () => {
    // reference 1..10, 2 quantile bins: edge = ref[floor(1·10/2)] = 6 → (−∞, 6) and [6, ∞), e = 0.5, 0.5.
    // live [1, 2, 3, 6]: a = 0.75, 0.25.
    // PSI = (0.75 − 0.5)·ln(0.75/0.5) + (0.25 − 0.5)·ln(0.25/0.5) = 0.25·0.405465 + 0.25·0.693147 = 0.274653
    const result = psi([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [1, 2, 3, 6], { bins: 2 });
    expect(result.psi).toBeCloseTo(0.274653, 6);
    expect(result.bins).toEqual([
      { lower: -Infinity, upper: 6, expected: 0.5, actual: 0.75 },
      { lower: 6, upper: Infinity, expected: 0.5, actual: 0.25 },
    ]);
  });

  it('floors an empty bin at epsilon so the index stays finite', () => {
    // live all in the upper bin: (1e-4 − 0.5)·ln(1e-4/0.5) + (1 − 0.5)·ln(1/0.5) = 4.2570 + 0.3466 = 4.6036
    const result = psi([1, 2, 3, 4], [9, 9], { bins: 2, epsilon: 1e-4 });
    expect(result.psi).toBeCloseTo((1e-4 - 0.5) * Math.log(1e-4 / 0.5) + 0.5 * Math.log(2), 10);
  });

  it('is zero for identical samples and never negative', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 50 }),
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 50 }),
        (a, b) => {
          expect(psi(a, a).psi).toBeCloseTo(0, 12);
          expect(psi(a, b).psi).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });
});

describe('ksTest and wasserstein1', () => {
  it('matches a hand-computed example', () => {
    // a = [1,2,3,4], b = [3,4,5,6]: F_a − F_b at 2, 3, 4 = 0.5, 0.5, 0.5 → D = 0.5.
    // nₑ = 4·4/8 = 2, λ = (√2 + 0.12 + 0.11/√2)·0.5 = 0.805998, λ² = 0.649632;
    // Q = 2(e^{−2λ²} − e^{−8λ²} + e^{−18λ²} …) = 2(0.272732 − 0.005533 + 0.000008) = 0.534416
    const result = ksTest([1, 2, 3, 4], [3, 4, 5, 6]);
    expect(result.statistic).toBe(0.5);
    expect(result.pValue).toBeCloseTo(0.534416, 5);
    // W₁ of a shift by 2: ∫|F_a − F_b| = 2
    expect(wasserstein1([1, 2, 3, 4], [3, 4, 5, 6])).toBeCloseTo(2, 12);
  });

  it('gives D = 1 and a tiny p-value for disjoint large samples, D = 0 and p = 1 for equal ones', () => {
    const a = Array.from({ length: 500 }, (_, i) => i);
    const b = a.map((x) => x + 1000);
    expect(ksTest(a, b)).toEqual({ statistic: 1, pValue: expect.closeTo(0, 12) as number });
    expect(ksTest(a, a)).toEqual({ statistic: 0, pValue: 1 });
  });

  it('W₁ equals the mean absolute difference of sorted samples of equal size', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: -1000, max: 1000 })), {
          minLength: 1,
          maxLength: 40,
        }),
        (pairs) => {
          const a = pairs.map((p) => p[0]).sort((x, y) => x - y);
          const b = pairs.map((p) => p[1]).sort((x, y) => x - y);
          const expected = a.reduce((s, x, i) => s + Math.abs(x - b[i]!), 0) / a.length;
          expect(wasserstein1(a, b)).toBeCloseTo(expected, 9);
        },
      ),
    );
  });

  it('names the index of a NaN', () => {
    expect(() => ksTest([1, Number.NaN], [1])).toThrow(ValidationError);
    expect(() => ksTest([1, Number.NaN], [1])).toThrow('a[1] is NaN');
    expect(() => psi([1, 2], [3, 4, Number.NaN])).toThrow('live[2] is NaN');
  });
});

describe('radix sort', () => {
  it('agrees with the built-in sort on large mixed-sign columns', () => {
    const random = new Random('radix');
    const values = new Float64Array(20_000);
    for (let i = 0; i < values.length; i++)
      values[i] = random.normal(0, 1) * 10 ** random.int(12) * (i % 9 === 0 ? 0 : 1);
    expect(sortedFloat64(values)).toEqual(values.slice().sort());
    const floats = new Float32Array(values);
    expect(sortedFloat32(floats)).toEqual(Float64Array.from(floats.slice().sort()));
  });
});

describe('featureDrift', () => {
  const names = ['returns', 'rsi', 'volume'];
  const options = { sensitivity: 0.1, minSamples: 200 };

  it('flags at most 5 % of 200 repetitions when live and reference share a distribution', () => {
    const random = new Random('null');
    let flagged = 0;
    for (let rep = 0; rep < 200; rep++) {
      const report = featureDrift(normalRows(random, 2000, 3), normalRows(random, 1000, 3), names, options);
      if (report.verdict === 'drift') flagged++;
    }
    expect(flagged / 200).toBeLessThanOrEqual(0.05);
  });

  it('flags a feature whose mean moved by half a standard deviation, and ranks it first', () => {
    const random = new Random('shift');
    const reference = normalRows(random, 2000, 3);
    const live = normalRows(random, 1000, 3);
    for (let r = 0; r < 1000; r++) live[r * 3 + 1]! += 0.5;
    const report = featureDrift(reference, live, names, options);
    expect(report.verdict).toBe('drift');
    expect(report.features[0]).toMatchObject({ name: 'rsi', drifted: true });
    expect(report.features.filter((f) => f.drifted).map((f) => f.name)).toEqual(['rsi']);
  });

  it('accepts rows as arrays and reports insufficient data below minSamples', () => {
    const random = new Random('rows');
    const rows = (n: number) =>
      Array.from({ length: n }, () => [random.normal(), random.normal(), random.normal()]);
    const report = featureDrift(rows(300), rows(199), names, options);
    expect(report.verdict).toBe('insufficient_data');
    expect(report.features).toEqual([]);
    expect(featureDrift(rows(300), rows(300), names, options).verdict).toBe('stable');
  });

  it('names the row and feature of a NaN', () => {
    const live = new Float32Array(600).fill(0.5);
    live[3 * 150 + 2] = Number.NaN;
    expect(() => featureDrift(new Float32Array(600), live, names, options)).toThrow(
      'live row 150 feature "volume" is NaN',
    );
  });

  it('maps higher sensitivity to thresholds that flag more easily', () => {
    const low = driftThresholds(0.1);
    const high = driftThresholds(0.5);
    expect(low).toEqual({ psiThreshold: 0.25, ksMinStatistic: 0.1, ksAlpha: 0.05 });
    expect(high.psiThreshold).toBeLessThan(low.psiThreshold);
    expect(high.ksMinStatistic).toBeLessThan(low.ksMinStatistic);
    expect(high.ksAlpha).toBeGreaterThan(low.ksAlpha);
    expect(() => driftThresholds(0)).toThrow(ValidationError);
  });
});

describe('pageHinkley', () => {
  // Per-trade returns: mean 0.2 %, σ 1 %; after trade 1000 the mean drops to −0.3 % (0.5σ).
  const settings = { delta: 0.001, lambda: 0.4, direction: 'decrease' as const };
  const stream = (random: Random, n: number, changeAt: number | null): Float64Array =>
    Float64Array.from({ length: n }, (_, t) =>
      random.normal(changeAt !== null && t >= changeAt ? -0.003 : 0.002, 0.01),
    );

  it('detects a planted drop in mean within 200 trades in every one of 50 repetitions', () => {
    const random = new Random('ph-drop');
    for (let rep = 0; rep < 50; rep++) {
      const { changeAt } = pageHinkley(stream(random, 1500, 1000), settings);
      expect(changeAt).not.toBeNull();
      expect(changeAt!).toBeGreaterThanOrEqual(1000);
      expect(changeAt! - 1000).toBeLessThan(200);
    }
  });

  it('raises no alarm on a stationary stream in at least 95 % of 100 repetitions', () => {
    const random = new Random('ph-flat');
    let alarms = 0;
    for (let rep = 0; rep < 100; rep++)
      if (pageHinkley(stream(random, 1500, null), settings).changeAt !== null) alarms++;
    expect(alarms).toBeLessThanOrEqual(5);
  });

  it('detects an increase only in the increase direction', () => {
    // From t = 200 on, x = 1 and x̄ₜ = k/(200 + k) after k ones; mₜ grows by 1 − x̄ₜ − 0.01:
    // 0.985, 1.965, 2.940, 3.910, 4.876, 5.837 > λ = 5 at the sixth one, t = 205.
    const up = Float64Array.from({ length: 400 }, (_, t) => (t < 200 ? 0 : 1));
    expect(pageHinkley(up, { delta: 0.01, lambda: 5, direction: 'decrease' }).changeAt).toBeNull();
    expect(pageHinkley(up, { delta: 0.01, lambda: 5, direction: 'increase' }).changeAt).toBe(205);
  });

  it('names the index of a NaN', () => {
    expect(() => pageHinkley([0, 1, Number.NaN], settings)).toThrow('stream[2] is NaN');
  });
});
