/**
 * Technical indicators over whole columns. Each is one forward O(n) pass that reads only inputs
 * 0..t to write output t (no look-ahead) and leaves output t = 0 until its own lookback is met.
 */

/** Difference of log closes over `horizon` bars, i.e. ln(close[t] / close[t − horizon]). */
export function logReturns(logClose: Float64Array, horizon: number): Float64Array {
  const out = new Float64Array(logClose.length);
  for (let t = horizon; t < logClose.length; t++) out[t] = logClose[t]! - logClose[t - horizon]!;
  return out;
}

export interface RollingMoments {
  mean: Float64Array;
  /** Population standard deviation (divide by the window length), as Bollinger defines the bands. */
  std: Float64Array;
}

/**
 * Mean and population σ of x[t − window + 1 .. t], defined from t = first + window − 1 (inputs
 * before `first` are not data, e.g. the undefined return at bar 0). O(1) per bar: Welford's (1962)
 * update while the window fills, then a fixed-length swap of the oldest value o for the new value v:
 * mean' = mean + (v − o)/n and M2' = M2 + (v − o)(v − mean' + o − mean), which follows from
 * expanding Σ(x − mean)² before and after the swap. Unlike running Σx and Σx², this keeps no
 * price²-sized term, so it does not cancel catastrophically on prices far from zero.
 */
export function rollingMoments(x: Float64Array, window: number, first = 0): RollingMoments {
  const n = x.length;
  const mean = new Float64Array(n);
  const std = new Float64Array(n);
  let m = 0;
  let m2 = 0;
  for (let t = first; t < n; t++) {
    const v = x[t]!;
    const count = t - first + 1;
    if (count <= window) {
      const delta = v - m;
      m += delta / count;
      m2 += delta * (v - m);
    } else {
      const o = x[t - window]!;
      const next = m + (v - o) / window;
      m2 += (v - o) * (v - next + o - m);
      m = next;
    }
    if (count >= window) {
      mean[t] = m;
      // Rounding can leave M2 a hair below zero when the window is flat.
      std[t] = m2 > 0 ? Math.sqrt(m2 / window) : 0;
    }
  }
  return { mean, std };
}

/**
 * A σ this small next to the mean is rounding residue of a flat window, not spread: treat it as 0
 * rather than divide noise by noise.
 */
const FLAT_WINDOW_RELATIVE_STD = 1e-12;

/**
 * (x[t] − mean[t]) / (width · std[t]), 0 for a flat window. Clamped to Samuelson's (1968) bound
 * |x − mean| ≤ σ·√(n − 1) for a value inside its own window of n (population σ), so rounding can never
 * push it past what exact arithmetic allows.
 */
export function windowZScore(
  x: Float64Array,
  moments: RollingMoments,
  window: number,
  width = 1,
): Float64Array {
  const { mean, std } = moments;
  const out = new Float64Array(x.length);
  const bound = Math.sqrt(window - 1) / width;
  for (let t = window - 1; t < x.length; t++) {
    const s = std[t]!;
    const m = mean[t]!;
    if (s <= FLAT_WINDOW_RELATIVE_STD * Math.abs(m)) continue;
    const z = (x[t]! - m) / (width * s);
    out[t] = z > bound ? bound : z < -bound ? -bound : z;
  }
  return out;
}

/**
 * Wilder's RSI (J. W. Wilder, "New Concepts in Technical Trading Systems", 1978, section on the
 * Relative Strength Index) rescaled to [−1, 1] as (RSI − 50)/50. With G and L the smoothed gain and
 * loss, RSI = 100 − 100/(1 + G/L) = 100·G/(G + L), so (RSI − 50)/50 = (G − L)/(G + L): all gains give
 * 1 without a division by L = 0, and a flat market (G = L = 0) is neutral, 0. G and L start as the
 * simple mean of the first `period` close-to-close changes, then avg = (avg·(period − 1) + x)/period.
 * Defined from t = period.
 */
export function wilderRsi(close: Float64Array, period: number): Float64Array {
  const out = new Float64Array(close.length);
  let gain = 0;
  let loss = 0;
  for (let t = 1; t < close.length; t++) {
    const change = close[t]! - close[t - 1]!;
    const up = change > 0 ? change : 0;
    const down = change < 0 ? -change : 0;
    if (t <= period) {
      gain += up / period;
      loss += down / period;
      if (t < period) continue;
    } else {
      gain = (gain * (period - 1) + up) / period;
      loss = (loss * (period - 1) + down) / period;
    }
    const total = gain + loss;
    out[t] = total > 0 ? (gain - loss) / total : 0;
  }
  return out;
}

/**
 * Exponential moving average with α = 2/(period + 1), seeded with the simple mean of its first
 * `period` inputs starting at index `first` (the usual convention, e.g. TA-Lib). Defined from
 * t = first + period − 1.
 */
export function seededEma(x: Float64Array, period: number, first = 0): Float64Array {
  const out = new Float64Array(x.length);
  const alpha = 2 / (period + 1);
  const seedAt = first + period - 1;
  let sum = 0;
  for (let t = first; t < x.length && t < seedAt; t++) sum += x[t]!;
  if (seedAt >= x.length) return out;
  let ema = (sum + x[seedAt]!) / period;
  out[seedAt] = ema;
  for (let t = seedAt + 1; t < x.length; t++) {
    ema += alpha * (x[t]! - ema);
    out[t] = ema;
  }
  return out;
}

/**
 * Appel's MACD histogram (G. Appel, "Technical Analysis: Power Tools for Active Investors", 2005;
 * the indicator dates from 1979): line = EMA_fast(close) − EMA_slow(close), signal = EMA_signal(line),
 * divided by the close so the feature is scale-free. Defined from t = slow + signal − 2.
 */
export function macdHistogram(close: Float64Array, fast: number, slow: number, signal: number): Float64Array {
  const n = close.length;
  const fastEma = seededEma(close, fast);
  const slowEma = seededEma(close, slow);
  const line = new Float64Array(n);
  for (let t = slow - 1; t < n; t++) line[t] = fastEma[t]! - slowEma[t]!;
  const signalEma = seededEma(line, signal, slow - 1);
  const out = new Float64Array(n);
  for (let t = slow + signal - 2; t < n; t++) out[t] = (line[t]! - signalEma[t]!) / close[t]!;
  return out;
}

/**
 * Bollinger position (J. Bollinger, "Bollinger on Bollinger Bands", 2001): (close − SMA)/(width·σ) over
 * `window` closes with population σ, so ±1 is on a band. 0 when σ = 0. Defined from t = window − 1.
 */
export function bollingerPosition(close: Float64Array, window: number, width: number): Float64Array {
  return windowZScore(close, rollingMoments(close, window), window, width);
}

/** Realised volatility: population σ of the 1-bar log returns of the last `window` bars, from t = window. */
export function realisedVolatility(logClose: Float64Array, window: number): Float64Array {
  return rollingMoments(logReturns(logClose, 1), window, 1).std;
}

/** Volume z-score against the last `window` volumes, 0 when they are all equal (an index has none). */
export function volumeZScore(volume: Float64Array, window: number): Float64Array {
  return windowZScore(volume, rollingMoments(volume, window), window);
}

/** High-low range of the bar relative to its close. */
export function barRange(high: Float64Array, low: Float64Array, close: Float64Array): Float64Array {
  const out = new Float64Array(close.length);
  for (let t = 0; t < close.length; t++) out[t] = (high[t]! - low[t]!) / close[t]!;
  return out;
}
