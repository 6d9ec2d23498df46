import { ValidationError } from '../errors.js';
import type { FeatureMatrix } from './features.js';

/**
 * Per-feature z-score fitted on training rows only and saved with the model, so serving scales a
 * live observation exactly as training did. Plain JSON data.
 */
export interface Normaliser {
  names: string[];
  mean: number[];
  /** Population σ of the training rows, floored at STD_FLOOR. */
  std: number[];
  /** Normalised values are clipped to ±clip. */
  clip: number;
}

export interface NormaliserOptions {
  /** Bound on |z| after scaling, so one outlier bar cannot saturate the policy network. */
  clip: number;
}

export const DEFAULT_NORMALISER_OPTIONS: Readonly<NormaliserOptions> = Object.freeze({ clip: 5 });

/** A constant training column gets this σ, so it maps to 0 instead of dividing by zero. */
export const STD_FLOOR = 1e-8;

/**
 * Fits mean and σ per column over rows from ≤ t < to (half-open, like `slice`) with Welford's (1962)
 * one-pass update, which does not cancel catastrophically the way Σx² − (Σx)²/n does.
 */
export function fitNormaliser(
  matrix: FeatureMatrix,
  range: { from: number; to: number },
  options?: Partial<NormaliserOptions>,
): Normaliser {
  const { from, to } = range;
  const { cols, rows, values } = matrix;
  if (
    !Number.isInteger(from) ||
    !Number.isInteger(to) ||
    from < matrix.warmup ||
    to > rows ||
    to - from < 2
  ) {
    throw new ValidationError(
      `training range [${from}, ${to}) is not valid; expected integers with warmup ${matrix.warmup} ≤ from, ` +
        `to ≤ rows ${rows} and at least 2 rows`,
      'range',
    );
  }
  const clip = options?.clip ?? DEFAULT_NORMALISER_OPTIONS.clip;
  if (!(clip > 0 && clip < Infinity)) {
    throw new ValidationError(`normaliser clip is ${clip}; expected a positive finite number`, 'clip');
  }
  const mean = new Float64Array(cols);
  const m2 = new Float64Array(cols);
  for (let t = from; t < to; t++) {
    const count = t - from + 1;
    for (let c = 0; c < cols; c++) {
      const x = values[t * cols + c]!;
      if (!Number.isFinite(x)) {
        throw new ValidationError(
          `feature row ${t}, column ${matrix.names[c]} is ${x}; expected a finite number`,
        );
      }
      const delta = x - mean[c]!;
      mean[c] = mean[c]! + delta / count;
      m2[c] = m2[c]! + delta * (x - mean[c]!);
    }
  }
  const n = to - from;
  return {
    names: [...matrix.names],
    mean: Array.from(mean),
    std: Array.from(m2, (sum) => Math.max(Math.sqrt(Math.max(sum, 0) / n), STD_FLOOR)),
    clip,
  };
}

/** Z-scores every row and clips to ±clip; rows before warmup stay 0, as computeFeatures leaves them. */
export function applyNormaliser(normaliser: Normaliser, matrix: FeatureMatrix): FeatureMatrix {
  requireSameNames(normaliser.names, matrix.names);
  const { rows, cols, warmup } = matrix;
  const values = new Float32Array(rows * cols);
  for (let t = warmup; t < rows; t++) normaliseInto(normaliser, matrix.values, t * cols, values, t * cols);
  return { names: [...matrix.names], rows, cols, values, warmup };
}

/** One observation for the live path; writes into `out` when given, allocating nothing. */
export function normaliseRow(normaliser: Normaliser, row: Float32Array, out?: Float32Array): Float32Array {
  const cols = normaliser.names.length;
  if (row.length !== cols) {
    throw new ValidationError(
      `feature row has ${row.length} values; the normaliser has ${cols} columns`,
      'row',
    );
  }
  const target = out ?? new Float32Array(cols);
  if (target.length !== cols) {
    throw new ValidationError(
      `output row has ${target.length} values; the normaliser has ${cols} columns`,
      'out',
    );
  }
  normaliseInto(normaliser, row, 0, target, 0);
  return target;
}

/** The one formula both paths use, so a served observation equals the training one bit for bit. */
function normaliseInto(
  normaliser: Normaliser,
  source: Float32Array,
  sourceOffset: number,
  target: Float32Array,
  targetOffset: number,
): void {
  const { mean, std, clip } = normaliser;
  for (let c = 0; c < mean.length; c++) {
    const z = (source[sourceOffset + c]! - mean[c]!) / std[c]!;
    target[targetOffset + c] = z > clip ? clip : z < -clip ? -clip : z;
  }
}

export function serialiseNormaliser(normaliser: Normaliser): string {
  return JSON.stringify(normaliser);
}

/** Accepts JSON text or an already parsed value; a corrupt normaliser gets an error naming the field. */
export function parseNormaliser(json: unknown): Normaliser {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (error) {
      throw new ValidationError(`normaliser is not valid JSON: ${(error as Error).message}`, 'normaliser');
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError('normaliser is not an object with names, mean, std and clip', 'normaliser');
  }
  const record = value as Record<string, unknown>;
  const names = requireArray(record, 'names');
  if (names.length === 0) throw new ValidationError('normaliser.names is empty', 'names');
  names.forEach((name, i) => {
    if (typeof name !== 'string' || name === '') {
      throw new ValidationError(
        `normaliser.names[${i}] is ${JSON.stringify(name)}; expected a column name`,
        'names',
      );
    }
    if (names.indexOf(name) !== i) {
      throw new ValidationError(
        `normaliser.names has "${name}" twice (at ${names.indexOf(name)} and ${i})`,
        'names',
      );
    }
  });
  const mean = requireNumbers(record, 'mean', names.length, -Infinity);
  const std = requireNumbers(record, 'std', names.length, 0);
  const clip = record.clip;
  if (typeof clip !== 'number' || !(clip > 0 && clip < Infinity)) {
    throw new ValidationError(
      `normaliser.clip is ${JSON.stringify(clip)}; expected a positive finite number`,
      'clip',
    );
  }
  return { names: names as string[], mean, std, clip };
}

function requireArray(record: Record<string, unknown>, field: string): unknown[] {
  const value = record[field];
  if (!Array.isArray(value))
    throw new ValidationError(`normaliser.${field} is missing or not an array`, field);
  return value;
}

/** Finite numbers, one per column, each greater than `above`. */
function requireNumbers(
  record: Record<string, unknown>,
  field: string,
  length: number,
  above: number,
): number[] {
  const values = requireArray(record, field);
  if (values.length !== length) {
    throw new ValidationError(`normaliser.${field} has ${values.length} values; names has ${length}`, field);
  }
  values.forEach((value, i) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || !(value > above)) {
      const expected = above === 0 ? 'a positive finite number' : 'a finite number';
      throw new ValidationError(
        `normaliser.${field}[${i}] is ${JSON.stringify(value)}; expected ${expected}`,
        field,
      );
    }
  });
  return values as number[];
}

function requireSameNames(expected: readonly string[], actual: readonly string[]): void {
  const differences: string[] = [];
  for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
    if (expected[i] !== actual[i]) {
      differences.push(`column ${i}: normaliser ${expected[i] ?? '(none)'}, matrix ${actual[i] ?? '(none)'}`);
    }
  }
  if (differences.length > 0) {
    throw new ValidationError(
      `feature columns do not match the normaliser's: ${differences.join('; ')}`,
      'names',
    );
  }
}
