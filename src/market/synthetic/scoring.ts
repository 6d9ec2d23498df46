import { ValidationError } from '../../errors.js';
import type { MarketBar } from '../../store/market-bars.js';

/**
 * Per-bar returns of holding `positions[t]` from the close of bar t to the close of bar t+1, net of
 * `costBps` per unit of position change (the first position is entered from flat). One value per
 * bar but the last, which has no next close.
 */
export function policyReturns(
  bars: readonly Pick<MarketBar, 'close'>[],
  positions: ArrayLike<number>,
  costBps: number,
): Float64Array {
  if (positions.length !== bars.length) {
    throw new ValidationError(
      `policy returns got ${positions.length} positions for ${bars.length} bars; expected one position per bar`,
      'positions',
    );
  }
  const cost = costBps / 10_000;
  const returns = new Float64Array(Math.max(0, bars.length - 1));
  let previous = 0;
  for (let t = 0; t < returns.length; t++) {
    const position = positions[t] ?? 0;
    const close = bars[t]?.close ?? Number.NaN;
    const nextClose = bars[t + 1]?.close ?? Number.NaN;
    returns[t] = position * (nextClose / close - 1) - Math.abs(position - previous) * cost;
    previous = position;
  }
  return returns;
}

/** Annualised Sharpe ratio, mean / sample std × sqrt(periodsPerYear); 0 for < 2 or constant returns. */
export function sharpe(returns: ArrayLike<number>, periodsPerYear: number): number {
  const n = returns.length;
  if (n < 2) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += returns[i] ?? 0;
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += ((returns[i] ?? 0) - mean) ** 2;
  const std = Math.sqrt(squares / (n - 1));
  // Constant returns leave a rounding-error std (≈ ε·|mean|) that would give an absurd ratio.
  return std > 1e-9 * Math.abs(mean) ? (mean / std) * Math.sqrt(periodsPerYear) : 0;
}
