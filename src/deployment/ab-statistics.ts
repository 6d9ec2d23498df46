import { ValidationError } from '../errors.js';
import { equityCurve } from '../evaluation/metrics.js';
import { finiteOrNull, requireFiniteSeries } from '../evaluation/validate.js';

/**
 * The decision statistics of a live A/B test: does the candidate B earn more per trade than the
 * production model A, and is the evidence strong enough to act on?
 *
 * Method: a Bayesian comparison of the mean per-trade net return under the normal approximation
 * with a flat prior (Gelman et al., Bayesian Data Analysis, 3rd ed., §3.2 and §4.1): the posterior
 * of each arm's mean is Normal(m, s²/n), so with d = m_B − m_A and se = √(s_A²/n_A + s_B²/n_B),
 *   P(μ_B > μ_A | data) = Φ(z),  z = d / se.
 *
 * Repeated looks: the test is evaluated every few hours as trades arrive, and a fixed threshold
 * checked at every look calls false winners far more often than 1 − threshold. The decision
 * therefore uses a boundary that shrinks as information accrues, the continuous-monitoring form
 * of the O'Brien–Fleming boundary (O'Brien & Fleming 1979; the Lan–DeMets 1983 spending function
 * α(t) = 2 − 2Φ(c/√t)): with t = min(n_A, n_B) / maxTradesPerArm the information fraction,
 *   promote B when z ≥ c/√t,  keep A when z ≤ −c/√t,  c = Φ⁻¹(1 − α/2),  α = 1 − minConfidence.
 * Under equal means S(t) = z·√t is approximately a standard Brownian motion in t (Jennison &
 * Turnbull, Group Sequential Methods, 2000, §3.1), and z ≥ c/√t ⇔ S(t) ≥ c, which by the reflection
 * principle happens at some t ≤ 1 with probability 2(1 − Φ(c)) = α. So however often and whenever
 * the test is looked at up to the planned maximum, a false promotion has probability ≤ α (0.2 for
 * a threshold of 0.8). At the maximum the bar is P ≥ 1 − α/2 (0.9); earlier it is higher.
 * Reaching the maximum without crossing either boundary ends the test: keep A, inconclusive
 * (looking on with the same bar would spend more than α).
 *
 * The reported interval is the repeated credible interval d ± (c/√t)·se (Jennison & Turnbull
 * 1989): B is promoted exactly when its lower bound is above 0, and at the maximum it is the
 * central interval of probability minConfidence.
 */

/** Planned maximum of trades per arm when the caller gives none. */
export const DEFAULT_MAX_TRADES_PER_ARM = 1000;
/** Standard errors and differences below this share of the largest |return| are rounding noise. */
const NOISE = 1e-12;
const SQRT_TWO_PI = Math.sqrt(2 * Math.PI);
/** Below it Φ comes from its power series, above it from the continued fraction of its tail. */
const SERIES_LIMIT = 3;

export interface AbTestOptions {
  /** Confidence needed to act, in (0.5, 1): config deployment.abTesting.minConfidenceThreshold. */
  minConfidence: number;
  /** Trades each arm needs before any decision: config evaluation.minTradesForValidation. */
  minTradesPerArm: number;
  /** Planned maximum of trades of the smaller arm; the boundary is spread over it. Default 1000. */
  maxTradesPerArm?: number;
}

export interface ArmSummary {
  trades: number;
  /** Mean per-trade net return; null without trades. */
  mean: number | null;
  /** Sample standard deviation (ddof = 1); null below 2 trades. */
  std: number | null;
  /** Share of trades with a return > 0, as tradingMetrics' winRate; null without trades. */
  winRate: number | null;
  /** Compounded return of the trades in order, equity absorbed at 0, as tradingMetrics. */
  totalReturn: number;
}

export type AbRecommendation = 'promote_b' | 'keep_a' | 'continue';

export interface SequentialLook {
  /** min(n_A, n_B) / maxTradesPerArm, at most 1. */
  informationFraction: number;
  /** P(B beats A) needed at this look to promote B; keeping A needs P ≤ 1 − it. */
  requiredProbability: number;
  maxTradesPerArm: number;
  /** The smaller arm reached maxTradesPerArm: the test decides now, inconclusive means keep A. */
  horizonReached: boolean;
}

export interface AbDecision {
  /** Posterior P(μ_B > μ_A) under a flat prior, not adjusted for looks; null below 2 trades per arm. */
  probabilityBBeatsA: number | null;
  method: string;
  a: ArmSummary;
  b: ArmSummary;
  /** Repeated credible interval of μ_B − μ_A at this look; null below 2 trades per arm. */
  difference: { mean: number; lower: number; upper: number } | null;
  recommendation: AbRecommendation;
  reason: string;
  sequential: SequentialLook;
}

export function compareArms(a: readonly number[], b: readonly number[], options: AbTestOptions): AbDecision {
  requireFiniteSeries(a, 'armA');
  requireFiniteSeries(b, 'armB');
  const { minConfidence, minTradesPerArm, maxTradesPerArm } = checkedOptions(options);

  const trades = Math.min(a.length, b.length);
  const informationFraction = Math.min(1, trades / maxTradesPerArm);
  const finalBoundary = upperQuantile((1 - minConfidence) / 2);
  const boundary = finalBoundary / Math.sqrt(informationFraction);
  const sequential: SequentialLook = {
    informationFraction,
    requiredProbability: normalCdf(boundary),
    maxTradesPerArm,
    horizonReached: trades >= maxTradesPerArm,
  };
  const posterior = posteriorOfDifference(a, b);
  const base = {
    probabilityBBeatsA: posterior === null ? null : normalCdf(posterior.z),
    method:
      'Bayesian comparison of mean per-trade net return (normal approximation, flat prior) with an ' +
      `O'Brien-Fleming-type boundary over ${maxTradesPerArm} trades per arm, valid under repeated looks`,
    a: summarise(a),
    b: summarise(b),
    difference: posterior === null ? null : credibleInterval(posterior, boundary),
    sequential,
  };

  const needed = Math.max(minTradesPerArm, 2);
  if (posterior === null || trades < needed) {
    return {
      ...base,
      recommendation: 'continue',
      reason: `too few trades: arm A has ${a.length} and arm B ${b.length}; each needs at least ${needed}`,
    };
  }
  const p = formatProbability(normalCdf(posterior.z));
  const required = formatProbability(sequential.requiredProbability);
  if (posterior.z >= boundary) {
    return { ...base, recommendation: 'promote_b', reason: `P(B beats A) = ${p} ≥ ${required}: promote B` };
  }
  if (posterior.z <= -boundary) {
    const worst = formatProbability(1 - sequential.requiredProbability);
    return {
      ...base,
      recommendation: 'keep_a',
      reason: `P(B beats A) = ${p} ≤ ${worst}: B is worse, keep A`,
    };
  }
  if (sequential.horizonReached) {
    return {
      ...base,
      recommendation: 'keep_a',
      reason:
        `inconclusive: P(B beats A) = ${p} did not reach ${required} by the planned ` +
        `${maxTradesPerArm} trades per arm; keep A`,
    };
  }
  const percent = Math.round(informationFraction * 100);
  return {
    ...base,
    recommendation: 'continue',
    reason:
      `not confident yet: P(B beats A) = ${p}; at ${percent}% of the planned ${maxTradesPerArm} ` +
      `trades per arm, promoting B needs ${required}`,
  };
}

/**
 * Standard normal distribution function Φ(x), to a relative error below 1e-13 in either tail.
 * |x| < 3: the series Φ(x) = 1/2 + φ(x)·Σ x^(2n+1) / (1·3·5···(2n+1)) (Abramowitz & Stegun 1964,
 * 26.2.11), whose terms are all positive. |x| ≥ 3: the tail Q(x) = 1 − Φ(x) = φ(x) / (x + 1/(x +
 * 2/(x + 3/(x + …)))) (A&S 26.2.14), evaluated by the modified Lentz method (Press et al.,
 * Numerical Recipes, 3rd ed., §5.2). Φ(−x) is computed as Q(x), so tails keep their precision.
 */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  return x >= 0 ? 1 - upperTail(x) : upperTail(-x);
}

/** Q(x) = 1 − Φ(x) for x ≥ 0. */
function upperTail(x: number): number {
  if (x === Infinity) return 0;
  const density = normalDensity(x);
  if (x < SERIES_LIMIT) {
    let term = x;
    let sum = x;
    for (let n = 1; term > Number.EPSILON * sum; n++) {
      term *= (x * x) / (2 * n + 1);
      sum += term;
    }
    return 0.5 - density * sum;
  }
  // Every partial numerator j and denominator x is positive, so no Lentz denominator can be 0.
  let fraction = x;
  let c = x;
  let d = 0;
  for (let j = 1; j < 1000; j++) {
    d = 1 / (x + j * d);
    c = x + j / c;
    const delta = c * d;
    fraction *= delta;
    if (Math.abs(delta - 1) <= 2 * Number.EPSILON) break;
  }
  return density / fraction;
}

function normalDensity(x: number): number {
  return Math.exp(-0.5 * x * x) / SQRT_TWO_PI;
}

/**
 * The x > 0 with Q(x) = tail, for tail in (0, 0.5), by Newton's method from 0: Q is decreasing and
 * convex on x > 0, so each tangent lands left of the root and the iterates rise to it.
 */
function upperQuantile(tail: number): number {
  let x = 0;
  for (let i = 0; i < 200; i++) {
    const step = (upperTail(x) - tail) / normalDensity(x);
    x += step;
    if (step <= 1e-15 * x) break;
  }
  return x;
}

interface Posterior {
  z: number;
  mean: number;
  se: number;
}

/**
 * d = m_B − m_A, its posterior standard deviation and z = d / se. Computed on returns divided by
 * the largest |return|, so that z (which does not depend on units) never overflows; a standard
 * error at rounding-noise level counts as 0 (z = ±∞, or 0 when d is noise too).
 */
function posteriorOfDifference(a: readonly number[], b: readonly number[]): Posterior | null {
  if (a.length < 2 || b.length < 2) return null;
  const scale = Math.max(largestMagnitude(a), largestMagnitude(b));
  if (scale === 0) return { z: 0, mean: 0, se: 0 };
  const momentsA = moments(a, scale);
  const momentsB = moments(b, scale);
  const d = momentsB.mean - momentsA.mean;
  const se = Math.sqrt(momentsA.variance / a.length + momentsB.variance / b.length);
  let z: number;
  if (se > NOISE) z = d / se;
  else z = Math.abs(d) > NOISE ? Math.sign(d) * Infinity : 0;
  return { z, mean: d * scale, se: se * scale };
}

function credibleInterval(posterior: Posterior, boundary: number): AbDecision['difference'] {
  // At se = 0 the interval is the point d even while the boundary is infinite (no trades yet).
  const halfWidth = posterior.se === 0 ? 0 : boundary * posterior.se;
  const mean = finiteOrNull(posterior.mean);
  const lower = finiteOrNull(posterior.mean - halfWidth);
  const upper = finiteOrNull(posterior.mean + halfWidth);
  if (mean === null || lower === null || upper === null) return null;
  return { mean, lower, upper };
}

/**
 * The two trade metrics are read off the equity curve and a count rather than from tradingMetrics,
 * which computes a dozen more and would make each look (and the calibration tests) ten times slower.
 */
function summarise(returns: readonly number[]): ArmSummary {
  const equity = equityCurve(returns);
  const wins = returns.filter((r) => r > 0).length;
  const scale = largestMagnitude(returns);
  const { mean, variance } = moments(returns, scale === 0 ? 1 : scale);
  return {
    trades: returns.length,
    mean: returns.length === 0 ? null : finiteOrNull(mean * scale),
    std: returns.length < 2 ? null : finiteOrNull(Math.sqrt(variance) * scale),
    winRate: returns.length === 0 ? null : wins / returns.length,
    totalReturn: finiteOrNull(equity[returns.length]! - 1) ?? 0,
  };
}

/** Mean and sample variance (ddof = 1, two passes) of returns / scale. */
function moments(returns: readonly number[], scale: number): { mean: number; variance: number } {
  let sum = 0;
  for (const r of returns) sum += r / scale;
  const mean = sum / returns.length;
  let squares = 0;
  for (const r of returns) squares += (r / scale - mean) ** 2;
  return { mean, variance: squares / (returns.length - 1) };
}

function largestMagnitude(values: readonly number[]): number {
  let largest = 0;
  for (const value of values) largest = Math.max(largest, Math.abs(value));
  return largest;
}

function formatProbability(p: number): string {
  if (p > 0.9995 && p < 1) return `1 − ${(1 - p).toExponential(1)}`;
  if (p < 0.0005 && p > 0) return p.toExponential(1);
  return p.toFixed(3);
}

function checkedOptions(options: AbTestOptions): Required<AbTestOptions> {
  const { minConfidence, minTradesPerArm, maxTradesPerArm = DEFAULT_MAX_TRADES_PER_ARM } = options;
  if (typeof minConfidence !== 'number' || !(minConfidence > 0.5 && minConfidence < 1)) {
    throw new ValidationError(
      `minConfidence is ${String(minConfidence)}; expected a number in (0.5, 1), such as ` +
        'deployment.abTesting.minConfidenceThreshold 0.8',
      'minConfidence',
    );
  }
  if (!Number.isInteger(minTradesPerArm) || minTradesPerArm < 0) {
    throw new ValidationError(
      `minTradesPerArm is ${String(minTradesPerArm)}; expected an integer ≥ 0, such as ` +
        'evaluation.minTradesForValidation 30',
      'minTradesPerArm',
    );
  }
  const fewest = Math.max(2, minTradesPerArm);
  if (!Number.isInteger(maxTradesPerArm) || maxTradesPerArm < fewest) {
    throw new ValidationError(
      `maxTradesPerArm is ${String(maxTradesPerArm)}; expected an integer ≥ ${fewest} ` +
        '(at least minTradesPerArm and 2)',
      'maxTradesPerArm',
    );
  }
  return { minConfidence, minTradesPerArm, maxTradesPerArm };
}
