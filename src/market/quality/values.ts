/**
 * Readers for rows that may be anything: the validators promise never to throw, so every field is
 * read as `unknown` and classified here.
 */

/** Field of a row, or undefined when the row is not an object. */
export function field(row: unknown, key: string): unknown {
  return typeof row === 'object' && row !== null ? (row as Record<string, unknown>)[key] : undefined;
}

/** `missing`: null, undefined or not a number at all (a string, an object); `non_finite`: NaN, ±Infinity. */
export type NumberState = 'ok' | 'missing' | 'non_finite';

export function numberState(value: unknown): NumberState {
  if (typeof value !== 'number') return 'missing';
  return Number.isFinite(value) ? 'ok' : 'non_finite';
}

/** Epoch milliseconds of a valid Date, NaN for anything else (a string, an Invalid Date). */
export function timeOf(value: unknown): number {
  return value instanceof Date ? value.getTime() : NaN;
}

export function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

export function isoOf(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : 'invalid';
}

/** Rounded for display in examples, so a report reads well and compares stably in tests. */
export function rounded(value: number, digits = 6): number {
  return Number(value.toPrecision(digits));
}
