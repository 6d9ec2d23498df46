import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { weekdaysBetween } from '../../../src/market/quality/calendar.js';
import { medianInPlace, robustScale } from '../../../src/market/quality/index.js';

function sortedMedian(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const half = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[half]! : (sorted[half - 1]! + sorted[half]!) / 2;
}

const finiteArrays = fc.array(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), {
  minLength: 1,
  maxLength: 200,
});

describe('robust statistics', () => {
  it('selects the median a sort would give', () => {
    fc.assert(
      fc.property(finiteArrays, (values) => {
        // `+ 0` makes −0 and +0 one value: both are the median of [−0, 0, …] and compare equal.
        expect(medianInPlace(Float64Array.from(values)) + 0).toBe(sortedMedian(values) + 0);
      }),
    );
  });

  it('finds the median and MAD by hand', () => {
    // median 3; deviations 2, 1, 0, 1, 97 → MAD 1
    expect(robustScale(Float64Array.from([1, 2, 3, 4, 100]))).toEqual({ median: 3, sigma: 1.4826 });
  });

  it('falls back to the mean absolute deviation when most values are equal', () => {
    // median 0, MAD 0; mean absolute deviation 2 / 5
    expect(robustScale(Float64Array.from([0, 0, 0, 1, 1])).sigma).toBeCloseTo((1.253314 * 2) / 5, 12);
  });

  it('leaves its input untouched', () => {
    const values = Float64Array.from([5, 1, 4, 2, 3]);
    robustScale(values);
    expect([...values]).toEqual([5, 1, 4, 2, 3]);
  });
});

describe('weekdaysBetween', () => {
  it('counts the weekdays strictly between two days, as a walk over the days would', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -20_000, max: 20_000 }),
        fc.integer({ min: 0, max: 60 }),
        (from, span) => {
          let expected = 0;
          for (let day = from + 1; day < from + span; day++) {
            const weekday = new Date(day * 86_400_000).getUTCDay();
            if (weekday !== 0 && weekday !== 6) expected += 1;
          }
          expect(weekdaysBetween(from, from + span)).toBe(expected);
        },
      ),
    );
  });
});
