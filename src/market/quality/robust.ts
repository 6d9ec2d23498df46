/**
 * Robust location and scale in O(n): the median by selection (Hoare's quickselect with a
 * median-of-three pivot), not by sorting.
 */

/** Rearranges `values[from, to)` so that index k holds the value it would hold if sorted. */
function select(values: Float64Array, k: number, from: number, to: number): number {
  let lo = from;
  let hi = to - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    const a = values[lo]!;
    const b = values[mid]!;
    const c = values[hi]!;
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const swap = values[i]!;
        values[i] = values[j]!;
        values[j] = swap;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return values[k]!;
}

/** Median of the first `length` values; reorders them. NaN when there are none. */
export function medianInPlace(values: Float64Array, length = values.length): number {
  if (length === 0) return NaN;
  const half = length >>> 1;
  const upper = select(values, half, 0, length);
  if (length % 2 === 1) return upper;
  // The lower middle is the largest value left of `half` once selection has partitioned around it.
  let lower = -Infinity;
  for (let i = 0; i < half; i++) if (values[i]! > lower) lower = values[i]!;
  return (lower + upper) / 2;
}

/** 1.4826 × MAD estimates σ for normal data (Rousseeuw & Croux 1993, eq. 1). */
export const MAD_TO_SIGMA = 1.4826;
/** √(π/2) × mean absolute deviation estimates σ for normal data (Iglewicz & Hoaglin 1993, §2.3). */
export const MEAN_AD_TO_SIGMA = 1.253314;

export interface RobustScale {
  median: number;
  /** σ estimate: 1.4826 × MAD, or 1.253314 × mean absolute deviation when MAD is 0 (more than half the values equal). */
  sigma: number;
}

/** Median and robust σ of the first `length` values. Leaves `values` untouched. */
export function robustScale(values: Float64Array, length = values.length): RobustScale {
  return robustScaleInPlace(values.slice(0, length));
}

/** Median and robust σ of `values`, which it overwrites (with absolute deviations, reordered). */
export function robustScaleInPlace(values: Float64Array): RobustScale {
  const length = values.length;
  const median = medianInPlace(values);
  let meanAbs = 0;
  for (let i = 0; i < length; i++) {
    const deviation = Math.abs(values[i]! - median);
    values[i] = deviation;
    meanAbs += deviation;
  }
  const mad = medianInPlace(values);
  const sigma = mad > 0 ? MAD_TO_SIGMA * mad : length > 0 ? (MEAN_AD_TO_SIGMA * meanAbs) / length : NaN;
  return { median, sigma };
}
