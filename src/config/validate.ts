import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { retrainingConfigSchema, settingExpectations, type RetrainingConfig } from './schema.js';

type Path = readonly PropertyKey[];
type ZodIssue = z.core.$ZodIssue;

export type ConfigCheck = { ok: true; config: RetrainingConfig } | { ok: false; issues: ConfigIssue[] };

/** Validates without throwing: either the parsed config or every issue found. */
export function checkConfig(input: unknown): ConfigCheck {
  const result = retrainingConfigSchema.safeParse(input);
  if (result.success) return { ok: true, config: result.data };
  return { ok: false, issues: describeIssues(result.error.issues, input) };
}

/** Returns a fresh, fully validated config; throws a ConfigError listing every issue. */
export function validateConfig(input: unknown, source?: string): RetrainingConfig {
  const result = checkConfig(input);
  if (!result.ok) throw new ConfigError(result.issues, source);
  return result.config;
}

/** Turns zod issues into messages naming the dotted field, the value and what was expected. */
export function describeIssues(issues: readonly ZodIssue[], input: unknown): ConfigIssue[] {
  const seen = new Set<string>();
  // An unsafe integer breaks both the safe-integer and the range check: one message is enough.
  const isNew = (issue: ConfigIssue) => !seen.has(issue.message) && Boolean(seen.add(issue.message));
  return issues
    .flatMap((issue): ConfigIssue[] => {
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((key) => unknownKey([...issue.path, key], input));
      }
      const value = valueAt(input, issue.path);
      return [{ field: dotted(issue.path), value, message: describe(issue, value) }];
    })
    .filter(isNew);
}

function describe(issue: ZodIssue, value: unknown): string {
  const field = dotted(issue.path) || 'configuration';
  const shown = formatValue(value);
  const expected = expectationAt(issue.path);
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return `${field} is missing; expected ${expected}`;
      if (issue.expected === 'int' && typeof value === 'number' && Number.isFinite(value)) {
        return `${field} ${shown} is not an integer; expected ${expected}`;
      }
      return `${field} ${shown} has the wrong type; expected ${expected}`;
    case 'too_small':
    case 'too_big':
    case 'not_multiple_of':
      return `${field} ${shown} is out of range; expected ${expected}`;
    case 'invalid_value':
      return `${field} ${shown} is not an allowed value; expected ${expected}`;
    case 'custom':
      return `${field} ${shown} ${issue.message}`;
    default:
      return `${field} ${shown} is invalid; expected ${expected} (${issue.message})`;
  }
}

function unknownKey(path: Path, input: unknown): ConfigIssue {
  const key = String(path[path.length - 1]);
  const parent = schemaAt(path.slice(0, -1));
  const known = parent instanceof z.ZodObject ? Object.keys(parent.shape) : [];
  const suggestion = closest(key, known);
  const hint = suggestion === undefined ? '' : `; did you mean "${suggestion}"?`;
  return {
    field: dotted(path),
    value: valueAt(input, path),
    message: `${dotted(path)} is not a known setting${hint}`,
  };
}

function schemaAt(path: Path): z.ZodType | undefined {
  let schema: z.ZodType | undefined = retrainingConfigSchema;
  for (const key of path) {
    if (!(schema instanceof z.ZodObject) || typeof key !== 'string') return undefined;
    const shape: Record<string, z.ZodType> = schema.shape;
    schema = Object.hasOwn(shape, key) ? shape[key] : undefined;
  }
  return schema;
}

function expectationAt(path: Path): string {
  const schema = schemaAt(path);
  if (schema === undefined) return 'a valid value';
  const meta = settingExpectations.get(schema);
  if (meta) return meta.expected;
  return schema instanceof z.ZodObject ? 'an object' : 'a valid value';
}

function valueAt(input: unknown, path: Path): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

export function dotted(path: Path): string {
  return path.map(String).join('.');
}

/** Shows a value as it would appear in JSON, keeping numbers JSON cannot show (NaN, Infinity). */
export function formatValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'function' || typeof value === 'symbol') return String(value);
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The known key nearest to `key` by edit distance, if it is within 2 edits. */
export function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
