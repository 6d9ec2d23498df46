import { RetrainingError } from '../errors.js';
import { redactString } from '../logging/redact.js';

export interface OutputOptions {
  json?: boolean;
}

/** Prints a command's result: one JSON document for scripts, or the human rendering. */
export function printResult<T>(options: OutputOptions, value: T, human: (value: T) => string): void {
  if (options.json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else process.stdout.write(`${human(value)}\n`);
}

/** Exit code for an error: 2 for usage and configuration errors, 1 for everything else. */
export function exitCodeFor(error: unknown): 1 | 2 {
  return error instanceof RetrainingError ? error.exitCode : 1;
}

/** Reports a failed command on stderr (and as JSON on stdout with --json) and returns its exit code. */
export function reportError(error: unknown, options: OutputOptions): 1 | 2 {
  const message = redactString(error instanceof Error ? error.message : String(error));
  const code = error instanceof RetrainingError ? error.code : 'internal_error';
  if (options.json) {
    const issues = (error as { issues?: unknown }).issues;
    process.stdout.write(
      `${JSON.stringify({ error: { code, message, ...(issues ? { issues } : {}) } }, null, 2)}\n`,
    );
  }
  process.stderr.write(`retrain: ${message}\n`);
  if (!(error instanceof RetrainingError) && error instanceof Error && process.env.DEBUG && error.stack) {
    process.stderr.write(`${redactString(error.stack)}\n`);
  }
  return exitCodeFor(error);
}

/** A plain text table: columns padded to their widest cell. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  return cells
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
