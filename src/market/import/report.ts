/** What an import did: rows read, stored, skipped and why. */
export interface SkipReason {
  count: number;
  /** The first few rows skipped for this reason. */
  examples: { line: number; message: string }[];
}

export interface ImportReport {
  source: string;
  rowsRead: number;
  stored: { inserted: number; updated: number; unchanged: number };
  /** Rows that repeated a key already in the same import; the last one wins. */
  duplicates: number;
  skipped: { count: number; reasons: Record<string, SkipReason> };
  /** Notes on how the input was read: the interval inferred, columns ignored, prices used. */
  notes: string[];
  series: { symbol: string; interval?: string; rows: number; first: Date; last: Date }[];
  durationMs: number;
}

const MAX_EXAMPLES = 5;

export class SkipTracker {
  count = 0;
  readonly reasons: Record<string, SkipReason> = {};

  skip(reason: string, line: number, message: string): void {
    this.count++;
    const entry = (this.reasons[reason] ??= { count: 0, examples: [] });
    entry.count++;
    if (entry.examples.length < MAX_EXAMPLES) entry.examples.push({ line, message });
  }

  toJSON(): ImportReport['skipped'] {
    return { count: this.count, reasons: this.reasons };
  }
}

export function formatImportReport(report: ImportReport): string {
  const lines = [
    `${report.source}: read ${report.rowsRead} rows; inserted ${report.stored.inserted}, updated ${report.stored.updated}, ` +
      `unchanged ${report.stored.unchanged}, duplicates ${report.duplicates}, skipped ${report.skipped.count} ` +
      `(${(report.durationMs / 1000).toFixed(1)} s)`,
    ...report.notes.map((note) => `  note: ${note}`),
  ];
  for (const [reason, entry] of Object.entries(report.skipped.reasons)) {
    lines.push(
      `  skipped ${entry.count} × ${reason}, e.g. ${entry.examples.map((e) => `line ${e.line}: ${e.message}`).join('; ')}`,
    );
  }
  for (const series of report.series) {
    lines.push(
      `  ${series.symbol}${series.interval ? ` ${series.interval}` : ''}: ${series.rows} rows, ` +
        `${series.first.toISOString()} … ${series.last.toISOString()}`,
    );
  }
  return lines.join('\n');
}
