/**
 * Drift statistics for monitoring trading models: is the live input distribution still the one the
 * model was trained on (PSI, two-sample Kolmogorov–Smirnov, 1-D Wasserstein), and has the mean of
 * per-trade returns dropped (Page–Hinkley). Pure functions: arrays in, plain objects out.
 */
import { ValidationError } from '../errors.js';
import { sortedFloat32, sortedFloat64 } from './drift/radix-sort.js';

export const DEFAULT_PSI_BINS = 10;
/**
 * Floor for a bin's share before the logarithm, applied to both e and a, so an empty bin gives a
 * large but finite term instead of ∞.
 */
export const DEFAULT_PSI_EPSILON = 1e-4;

export interface PsiBin {
  /** Inclusive lower edge; −Infinity for the first bin. */
  lower: number;
  /** Exclusive upper edge; +Infinity for the last bin. */
  upper: number;
  /** Share of the reference in the bin (before the epsilon floor). */
  expected: number;
  /** Share of the live sample in the bin (before the epsilon floor). */
  actual: number;
}

export interface PsiResult {
  psi: number;
  bins: PsiBin[];
}

export interface PsiOptions {
  /** Number of quantile bins of the reference, default 10 (deciles). */
  bins?: number;
  /** Floor applied to both shares of a bin before ln(a/e), default DEFAULT_PSI_EPSILON. */
  epsilon?: number;
}

export interface KsResult {
  /** D = sup_x |F_a(x) − F_b(x)|. */
  statistic: number;
  /** Asymptotic p-value of D under "same distribution". */
  pValue: number;
}

/**
 * Population Stability Index, Σ_bins (a − e)·ln(a / e), with e and a the reference and live shares
 * of each bin and the bin edges at the reference quantiles (Siddiqi, "Credit Risk Scorecards", 2006,
 * ch. 8; Yurdakul, "Statistical properties of the population stability index", 2018). Usual reading:
 * < 0.1 stable, 0.1–0.25 moderate shift, > 0.25 significant shift. Tied reference quantiles merge
 * bins, so a reference with few distinct values yields fewer than `bins` bins.
 */
export function psi(
  reference: ArrayLike<number>,
  live: ArrayLike<number>,
  options: PsiOptions = {},
): PsiResult {
  return psiSorted(sortedCopy(reference, 'reference'), sortedCopy(live, 'live'), options);
}

/**
 * Two-sample Kolmogorov–Smirnov test. D from one merge of the sorted samples (O((n+m) log(n+m))).
 * p-value: the Kolmogorov distribution Q_KS(λ) = 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²} at
 * λ = (√nₑ + 0.12 + 0.11/√nₑ)·D, nₑ = nm/(n+m) (Numerical Recipes 3rd ed., §14.3.3, `probks` and
 * Stephens' 1970 correction).
 */
export function ksTest(a: ArrayLike<number>, b: ArrayLike<number>): KsResult {
  const sa = sortedCopy(a, 'a');
  const sb = sortedCopy(b, 'b');
  const statistic = compareSorted(sa, sb).ks;
  return { statistic, pValue: ksPValue(statistic, sa.length, sb.length) };
}

/**
 * 1-D earth mover's distance W₁ = ∫ |F_a(x) − F_b(x)| dx (Vallender 1974), from the sorted samples;
 * in the units of the data, the effect size to read beside a KS p-value.
 */
export function wasserstein1(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return compareSorted(sortedCopy(a, 'a'), sortedCopy(b, 'b')).wasserstein;
}

/** Q_KS(λ), Numerical Recipes `probks`: 1 when the series has not converged (λ small, p ≈ 1). */
export function kolmogorovQ(lambda: number): number {
  if (lambda < 0.2) return 1; // Q_KS(0.2) = 1 − 4e-22; the alternating series converges slowly below it
  const a2 = -2 * lambda * lambda;
  let sign = 2;
  let sum = 0;
  let previousTerm = 0;
  for (let k = 1; k <= 100; k++) {
    const term = sign * Math.exp(a2 * k * k);
    sum += term;
    if (Math.abs(term) <= 1e-3 * previousTerm || Math.abs(term) <= 1e-8 * sum)
      return Math.min(1, Math.max(0, sum));
    sign = -sign;
    previousTerm = Math.abs(term);
  }
  return 1;
}

export function ksPValue(statistic: number, n: number, m: number): number {
  if (n === 0 || m === 0) return 1;
  const rootNe = Math.sqrt((n * m) / (n + m));
  return kolmogorovQ((rootNe + 0.12 + 0.11 / rootNe) * statistic);
}

export interface PageHinkleyOptions {
  /** Magnitude of change tolerated: the drift allowance δ per observation (≥ 0). */
  delta: number;
  /** Alarm threshold λ on the cumulative statistic (> 0). */
  lambda: number;
  /** Which change of the mean to detect; `decrease` for the per-trade returns of a live model. */
  direction: 'decrease' | 'increase';
}

export interface PageHinkleyResult {
  /** 0-based index of the observation that raised the alarm, or null. */
  changeAt: number | null;
  /** PH statistic at the alarm, or after the last observation when there is none. */
  statistic: number;
}

/**
 * One-sided Page–Hinkley test (Page 1954, Biometrika 41:100–115; Hinkley 1971, Biometrika
 * 58:509–523), in the incremental form of Gama et al. 2013 (Machine Learning 90:317–346, §4.2):
 * x̄ₜ the running mean, mₜ = Σ (xᵢ − x̄ᵢ + δ) for a decrease (− δ for an increase),
 * PHₜ = maxᵢ mᵢ − mₜ (resp. mₜ − minᵢ mᵢ); alarm at the first t with PHₜ > λ.
 */
export function pageHinkley(stream: ArrayLike<number>, options: PageHinkleyOptions): PageHinkleyResult {
  const { delta, lambda, direction } = options;
  if (!(delta >= 0) || !Number.isFinite(delta)) {
    throw new ValidationError(`pageHinkley delta ${delta} is invalid; expected a finite number ≥ 0`, 'delta');
  }
  if (!(lambda > 0) || !Number.isFinite(lambda)) {
    throw new ValidationError(
      `pageHinkley lambda ${lambda} is invalid; expected a finite number > 0`,
      'lambda',
    );
  }
  const sign = direction === 'decrease' ? 1 : -1;
  let mean = 0;
  let cumulative = 0;
  let extreme = 0;
  let statistic = 0;
  for (let t = 0; t < stream.length; t++) {
    const x = stream[t]!;
    if (!Number.isFinite(x)) throw nonFinite('stream', t, x);
    mean += (x - mean) / (t + 1);
    cumulative += sign * (x - mean) + delta;
    if (cumulative > extreme) extreme = cumulative;
    statistic = extreme - cumulative;
    if (statistic > lambda) return { changeAt: t, statistic };
  }
  return { changeAt: null, statistic };
}

/** PSI of two sorted samples: bin counts by binary search on the edges, O(bins · log n). */
export function psiSorted(reference: Float64Array, live: Float64Array, options: PsiOptions = {}): PsiResult {
  const binCount = options.bins ?? DEFAULT_PSI_BINS;
  const epsilon = options.epsilon ?? DEFAULT_PSI_EPSILON;
  if (!Number.isInteger(binCount) || binCount < 1) {
    throw new ValidationError(`psi bins ${binCount} is invalid; expected an integer ≥ 1`, 'bins');
  }
  if (!(epsilon > 0 && epsilon < 1)) {
    throw new ValidationError(`psi epsilon ${epsilon} is invalid; expected a number in (0, 1)`, 'epsilon');
  }
  if (reference.length === 0 || live.length === 0) {
    throw new ValidationError(
      'psi needs a non-empty reference and live sample',
      reference.length ? 'live' : 'reference',
    );
  }
  const n = reference.length;
  const edges: number[] = [];
  for (let k = 1; k < binCount; k++) {
    const edge = reference[Math.floor((k * n) / binCount)]!;
    if (edge > reference[0]! && edge !== edges[edges.length - 1]) edges.push(edge);
  }
  const bins: PsiBin[] = [];
  let total = 0;
  let refBelow = 0;
  let liveBelow = 0;
  for (let b = 0; b <= edges.length; b++) {
    const upper = b < edges.length ? edges[b]! : Infinity;
    const refUpTo = upper === Infinity ? n : lowerBound(reference, upper);
    const liveUpTo = upper === Infinity ? live.length : lowerBound(live, upper);
    const expected = (refUpTo - refBelow) / n;
    const actual = (liveUpTo - liveBelow) / live.length;
    const e = Math.max(expected, epsilon);
    const a = Math.max(actual, epsilon);
    total += (a - e) * Math.log(a / e);
    bins.push({ lower: b === 0 ? -Infinity : edges[b - 1]!, upper, expected, actual });
    refBelow = refUpTo;
    liveBelow = liveUpTo;
  }
  return { psi: total, bins };
}

/** KS statistic and W₁ of two sorted samples in one merge: both are functionals of F_a − F_b. */
export function compareSorted(a: Float64Array, b: Float64Array): { ks: number; wasserstein: number } {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return { ks: 0, wasserstein: 0 };
  let i = 0;
  let j = 0;
  let ks = 0;
  let area = 0;
  let x = Math.min(a[0]!, b[0]!);
  while (i < n || j < m) {
    while (i < n && a[i]! === x) i++;
    while (j < m && b[j]! === x) j++;
    const gap = Math.abs(i / n - j / m);
    if (gap > ks) ks = gap;
    const next = i < n ? (j < m ? Math.min(a[i]!, b[j]!) : a[i]!) : j < m ? b[j]! : x;
    area += gap * (next - x);
    x = next;
  }
  return { ks, wasserstein: area };
}

/** First index whose value is ≥ x in a sorted array. */
function lowerBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A validated, sorted float64 copy of a sample. */
export function sortedCopy(values: ArrayLike<number>, name: string): Float64Array {
  const copy = values instanceof Float32Array ? values : Float64Array.from(values as ArrayLike<number>);
  for (let i = 0; i < copy.length; i++) {
    if (!Number.isFinite(copy[i]!)) throw nonFinite(name, i, copy[i]!);
  }
  return copy instanceof Float32Array ? sortedFloat32(copy) : sortedFloat64(copy);
}

export function nonFinite(name: string, index: number, value: number): ValidationError {
  return new ValidationError(`${name}[${index}] is ${value}; expected a finite number`, `${name}[${index}]`);
}

/** A sample of feature vectors: row-major typed array of rows × features, or one array per row. */
export type FeatureRows = Float32Array | Float64Array | readonly (readonly number[])[];

export interface FeatureDriftOptions {
  /** `monitoring.modelDriftDetection.sensitivity` in (0, 1]; higher flags drift more easily. */
  sensitivity: number;
  /** Fewer live (or reference) rows than this gives `insufficient_data`. */
  minSamples: number;
  /** PSI bins, default 10. */
  bins?: number;
}

export interface FeatureDriftSettings {
  sensitivity: number;
  minSamples: number;
  bins: number;
  psiThreshold: number;
  /** Family-wise KS level; each feature is tested at ksAlpha / features (Bonferroni). */
  ksAlpha: number;
  ksAlphaPerFeature: number;
  /** Smallest KS D that counts as drift, since at large n any tiny D is significant. */
  ksMinStatistic: number;
  referenceRows: number;
  liveRows: number;
}

export interface FeatureDriftEntry {
  name: string;
  psi: number;
  ks: KsResult;
  wasserstein: number;
  drifted: boolean;
}

export interface FeatureDriftReport {
  verdict: 'stable' | 'drift' | 'insufficient_data';
  /** Sorted by PSI, largest first; empty when the data are insufficient. */
  features: FeatureDriftEntry[];
  settings: FeatureDriftSettings;
}

/**
 * Sensitivity to thresholds, with scale = 0.1 / sensitivity (so the config default 0.1 gives the
 * textbook values):
 *   psiThreshold   = 0.25 · scale           (0.25 "significant" at 0.1; 0.1 "moderate" at 0.25)
 *   ksMinStatistic = 0.10 · scale
 *   ksAlpha        = min(0.5, 0.05 / scale) (family-wise, Bonferroni-split over the features)
 * A feature drifts when PSI > psiThreshold, or when its KS p-value < ksAlpha / features AND
 * D ≥ ksMinStatistic. Every threshold moves monotonically: higher sensitivity flags more easily.
 */
export function driftThresholds(
  sensitivity: number,
): Pick<FeatureDriftSettings, 'psiThreshold' | 'ksAlpha' | 'ksMinStatistic'> {
  if (!(sensitivity > 0 && sensitivity <= 1)) {
    throw new ValidationError(
      `monitoring.modelDriftDetection.sensitivity ${sensitivity} is invalid; expected a number in (0, 1]`,
      'sensitivity',
    );
  }
  const scale = 0.1 / sensitivity;
  return { psiThreshold: 0.25 * scale, ksMinStatistic: 0.1 * scale, ksAlpha: Math.min(0.5, 0.05 / scale) };
}

/** PSI, KS and W₁ of every feature of the live sample against the reference, and a verdict. */
export function featureDrift(
  reference: FeatureRows,
  live: FeatureRows,
  featureNames: readonly string[],
  options: FeatureDriftOptions,
): FeatureDriftReport {
  const features = featureNames.length;
  if (features === 0)
    throw new ValidationError('featureDrift needs at least one feature name', 'featureNames');
  if (!(Number.isInteger(options.minSamples) && options.minSamples >= 1)) {
    throw new ValidationError(
      `featureDrift minSamples ${options.minSamples} is invalid; expected an integer ≥ 1`,
      'minSamples',
    );
  }
  const referenceRows = rowCount(reference, features, 'reference');
  const liveRows = rowCount(live, features, 'live');
  const thresholds = driftThresholds(options.sensitivity);
  const settings: FeatureDriftSettings = {
    sensitivity: options.sensitivity,
    minSamples: options.minSamples,
    bins: options.bins ?? DEFAULT_PSI_BINS,
    ...thresholds,
    ksAlphaPerFeature: thresholds.ksAlpha / features,
    referenceRows,
    liveRows,
  };
  if (liveRows < options.minSamples || referenceRows < options.minSamples) {
    return { verdict: 'insufficient_data', features: [], settings };
  }
  const entries: FeatureDriftEntry[] = [];
  for (let f = 0; f < features; f++) {
    const name = featureNames[f]!;
    const ref = sortedColumn(reference, features, f, name, 'reference');
    const cur = sortedColumn(live, features, f, name, 'live');
    const { ks, wasserstein } = compareSorted(ref, cur);
    const pValue = ksPValue(ks, ref.length, cur.length);
    const value = psiSorted(ref, cur, { bins: settings.bins }).psi;
    const drifted =
      value > settings.psiThreshold || (pValue < settings.ksAlphaPerFeature && ks >= settings.ksMinStatistic);
    entries.push({ name, psi: value, ks: { statistic: ks, pValue }, wasserstein, drifted });
  }
  entries.sort((x, y) => y.psi - x.psi);
  return { verdict: entries.some((e) => e.drifted) ? 'drift' : 'stable', features: entries, settings };
}

function rowCount(rows: FeatureRows, features: number, name: string): number {
  if (!(rows instanceof Float32Array || rows instanceof Float64Array)) return rows.length;
  if (rows.length % features !== 0) {
    throw new ValidationError(
      `${name} has ${rows.length} values, not a multiple of the ${features} features (row-major rows × features)`,
      name,
    );
  }
  return rows.length / features;
}

/** One feature column, validated and sorted; float32 data keep the cheaper 32-bit sort. */
function sortedColumn(
  rows: FeatureRows,
  features: number,
  f: number,
  feature: string,
  name: string,
): Float64Array {
  if (rows instanceof Float32Array || rows instanceof Float64Array) {
    const n = rows.length / features;
    const column = rows instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);
    for (let r = 0, k = f; r < n; r++, k += features) {
      const x = rows[k]!;
      if (!Number.isFinite(x)) throw nonFiniteCell(name, r, feature, x);
      column[r] = x;
    }
    return column instanceof Float32Array ? sortedFloat32(column) : sortedFloat64(column);
  }
  const column = new Float64Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    if (row.length !== features) {
      throw new ValidationError(
        `${name} row ${r} has ${row.length} values; expected ${features} features`,
        `${name}[${r}]`,
      );
    }
    const x = row[f]!;
    if (!Number.isFinite(x)) throw nonFiniteCell(name, r, feature, x);
    column[r] = x;
  }
  return sortedFloat64(column);
}

function nonFiniteCell(name: string, row: number, feature: string, value: number): ValidationError {
  return new ValidationError(
    `${name} row ${row} feature "${feature}" is ${value}; expected a finite number`,
    `${name}[${row}].${feature}`,
  );
}
