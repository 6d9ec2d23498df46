import { DEFAULT_RETRAINING_CONFIG } from './defaults.js';
import type { DeepPartial, RetrainingConfig, RetrainingConfigInput } from './schema.js';
import { validateConfig } from './validate.js';

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

// defineProperty, not assignment: a "__proto__" key from JSON.parse must stay an ordinary key
// (so validation reports it) instead of replacing the prototype.
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function clone(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clone);
  if (!isPlainObject(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) setOwn(copy, key, clone(child));
  return copy;
}

function mergeTwo(base: unknown, partial: unknown): unknown {
  if (partial === undefined) return clone(base);
  if (!isPlainObject(base) || !isPlainObject(partial)) return clone(partial);
  const merged = clone(base) as Record<string, unknown>;
  for (const [key, value] of Object.entries(partial)) {
    if (value === undefined) continue;
    setOwn(merged, key, mergeTwo(Object.hasOwn(merged, key) ? merged[key] : undefined, value));
  }
  return merged;
}

/**
 * Deep-merges plain objects left to right into a fresh copy. Arrays and scalars replace, an
 * `undefined` leaves the value below unchanged, and keys the base lacks are kept (validation
 * reports unknown ones). Inputs are never mutated.
 */
export function mergeConfig<T>(base: T, ...partials: ReadonlyArray<DeepPartial<NoInfer<T>> | undefined>): T {
  let merged: unknown = clone(base);
  for (const partial of partials) merged = mergeTwo(merged, partial);
  return merged as T;
}

/** The defaults overlaid with `partial`, validated. Throws a ConfigError listing every issue. */
export function resolveConfig(partial?: RetrainingConfigInput, source?: string): RetrainingConfig {
  return validateConfig(mergeConfig(DEFAULT_RETRAINING_CONFIG, partial), source);
}
