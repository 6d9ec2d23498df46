import { ValidationError } from '../../errors.js';

export type Severity = 'error' | 'warning' | 'info';

export type ExampleValue = string | number | boolean | null | readonly string[];

/** One offending row: its index in the input array, plus what was wrong with it. */
export interface IssueExample {
  index: number;
  [detail: string]: ExampleValue;
}

export interface QualityIssue {
  code: string;
  severity: Severity;
  /** Rows affected; a row counts once per code. */
  count: number;
  message: string;
  /** The (at most 5) lowest-indexed affected rows. */
  examples: IssueExample[];
}

/** `valid`, `score` and `issues` are the shape of `DataCollector.validateDataQuality` in the product contract. */
export interface DataQualityResult {
  valid: boolean;
  score: number;
  issues: string[];
}

export interface QualityReport extends DataQualityResult {
  rows: number;
  details: QualityIssue[];
}

/** What a code means: its severity and a sentence for `count` rows, e.g. `3 bars have high < low`. */
export interface IssueSpec {
  severity: Severity;
  describe: (count: number) => string;
}

export const SEVERITY_WEIGHT: Readonly<Record<Severity, number>> = { error: 1, warning: 0.25, info: 0 };

export const MAX_EXAMPLES = 5;

/** "1 bar has" / "3 bars have" */
export function has(count: number, noun: string): string {
  return count === 1 ? `1 ${noun} has` : `${count} ${noun}s have`;
}

/** "1 bar is" / "3 bars are" */
export function is(count: number, noun: string): string {
  return count === 1 ? `1 ${noun} is` : `${count} ${noun}s are`;
}

interface Tally {
  count: number;
  examples: IssueExample[];
}

/**
 * Accumulates affected rows per code while a validator walks its input. Callers add a row at most
 * once per code. Details are built lazily: only for rows kept as examples, so a million affected
 * rows cost a million counter increments, not a million objects.
 */
export class IssueLog<Code extends string> {
  private readonly tallies = new Map<Code, Tally>();

  constructor(private readonly specs: Readonly<Record<Code, IssueSpec>>) {}

  add(code: Code, index: number, details?: () => Omit<IssueExample, 'index'>): void {
    let tally = this.tallies.get(code);
    if (!tally) {
      tally = { count: 0, examples: [] };
      this.tallies.set(code, tally);
    }
    tally.count += 1;
    const examples = tally.examples;
    if (examples.length === MAX_EXAMPLES) {
      // Keep the lowest indices whatever order the rows were visited in (groups, time order).
      let highest = 0;
      for (let k = 1; k < examples.length; k++)
        if (examples[k]!.index > examples[highest]!.index) highest = k;
      if (examples[highest]!.index < index) return;
      examples.splice(highest, 1);
    }
    examples.push({ ...details?.(), index });
  }

  count(code: Code): number {
    return this.tallies.get(code)?.count ?? 0;
  }

  issues(): QualityIssue[] {
    const issues: QualityIssue[] = [];
    for (const [code, tally] of this.tallies) {
      const spec = this.specs[code];
      const examples = [...tally.examples].sort((a, b) => a.index - b.index);
      const rows = examples.map((example) => example.index).join(', ');
      const more = tally.count > examples.length ? ', …' : '';
      issues.push({
        code,
        severity: spec.severity,
        count: tally.count,
        message: `${spec.describe(tally.count)} (${examples.length === 1 ? 'row' : 'rows'} ${rows}${more})`,
        examples,
      });
    }
    const rank: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
    return issues.sort((a, b) => rank[a.severity] - rank[b.severity] || b.count - a.count);
  }
}

export function checkThreshold(threshold: unknown): number {
  if (typeof threshold !== 'number' || !(threshold >= 0 && threshold <= 1)) {
    throw new ValidationError(
      `quality threshold ${typeof threshold === 'number' ? threshold : typeof threshold} is not valid; expected a number in [0, 1] (dataQualityThreshold, e.g. 0.7)`,
      'threshold',
    );
  }
  return threshold;
}

/**
 * score = clamp(1 − Σ_issues weight(severity) × rowsAffected(issue) / rows, 0, 1)
 * with weight error = 1, warning = 0.25, info = 0. A row counts once per issue code, so a bar with
 * both a NaN close and a duplicate timestamp costs 2 / rows. No rows → score 0 and a `no_data` error.
 * valid = score ≥ threshold.
 */
export function buildReport(
  rows: number,
  threshold: number,
  issues: QualityIssue[],
  noun: string,
): QualityReport {
  if (rows === 0) {
    const empty: QualityIssue = {
      code: 'no_data',
      severity: 'error',
      count: 0,
      message: `no ${noun}s to validate: the input is empty`,
      examples: [],
    };
    return { valid: false, score: 0, rows: 0, issues: [empty.message], details: [empty] };
  }
  let penalty = 0;
  for (const issue of issues) penalty += SEVERITY_WEIGHT[issue.severity] * issue.count;
  const score = Math.min(1, Math.max(0, 1 - penalty / rows));
  return {
    valid: score >= threshold,
    score,
    rows,
    issues: issues.map((issue) => issue.message),
    details: issues,
  };
}
