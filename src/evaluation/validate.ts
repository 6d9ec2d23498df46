import { ValidationError } from '../errors.js';

/** Input checks and the JSON-safety rule shared by the metrics and the backtest. */

export function requireFiniteSeries(values: ArrayLike<number>, field: string): void {
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new ValidationError(
        `${field}[${i}] is ${String(value)}; expected a finite number`,
        `${field}[${i}]`,
      );
    }
  }
}

export function requireFinite(value: number, field: string, expected = 'a finite number'): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ValidationError(`${field} is ${String(value)}; expected ${expected}`, field);
  }
}

/** A finite number strictly above `bound` (0 for a count of periods, −1 for a rate of return). */
export function requireAbove(value: number, bound: number, field: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= bound) {
    throw new ValidationError(`${field} is ${String(value)}; expected a finite number > ${bound}`, field);
  }
}

export function requireNonNegative(value: number, field: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ValidationError(`${field} is ${String(value)}; expected a finite number ≥ 0`, field);
  }
}

export function requireSameLength(values: ArrayLike<number>, field: string, expected: number): void {
  if (values.length !== expected) {
    throw new ValidationError(
      `${field} has ${values.length} values; expected ${expected} (one per period, like returns)`,
      field,
    );
  }
}

/**
 * Metrics go to JSON (database rows, API answers), where NaN and ±Infinity become `null` silently
 * or break parsers: an undefined value is `null` on purpose. −0 is folded to 0 so a JSON round trip
 * gives back an equal object.
 */
export function finiteOrNull(value: number): number | null {
  if (!Number.isFinite(value)) return null;
  return value === 0 ? 0 : value;
}
