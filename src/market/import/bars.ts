import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { parse } from 'csv-parse';
import { ValidationError } from '../../errors.js';
import type { Database, Queryable } from '../../db/types.js';
import {
  copyBarsToStaging,
  createBarStaging,
  mergeBarStaging,
  type MarketBar,
} from '../../store/market-bars.js';
import { parseInterval } from '../interval.js';
import { layoutFromHeader, layoutFromMap, type BarLayout } from './bar-layout.js';
import { SkipTracker, type ImportReport } from './report.js';
import { parseInstant, parseNumber } from './values.js';

export interface BarImportOptions {
  /** The symbol of every row, or with a symbol column, the only symbol to import. */
  symbol?: string;
  /** Bar interval (`1m`, `5m`, `1d`…); inferred from the timestamps when absent. */
  interval?: string;
  /** Column map, e.g. `date,time,open,high,low,close,volume,-`; default: read the header. */
  columns?: string;
  /** IANA zone of times without an offset (default UTC). */
  timeZone?: string;
  /** `adjusted` uses adjusted columns (or scales by Adj Close / Close); default `raw`. */
  prices?: 'raw' | 'adjusted';
  /** Refuse the file on any row that would be skipped. */
  strict?: boolean;
  /** Rows per COPY batch. */
  batchSize?: number;
  onProgress?: (progress: { rowsRead: number; bytesRead: number; totalBytes: number }) => void;
}

/** What a symbol may look like; the API's schema (src/api/schemas.ts) has the same pattern. */
export const SYMBOL = /^[A-Za-z0-9][A-Za-z0-9._\-^=/]{0,31}$/;

/**
 * Imports bars from a CSV file in one transaction: streamed, COPYed into a staging table in
 * batches, merged once. A malformed row stops the import with its line and column and nothing
 * is stored; rows that cannot be bars (missing or non-positive prices) are skipped and reported.
 */
export async function importBarsFromCsv(
  db: Database,
  path: string,
  options: BarImportOptions = {},
): Promise<ImportReport> {
  checkOptions(options);
  const totalBytes = (await stat(path)).size;
  const input = createReadStream(path);
  const parser = input.pipe(
    parse({ relax_column_count: true, skip_empty_lines: true, trim: true, bom: true, info: true }),
  );
  const records = (async function* () {
    try {
      for await (const record of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
        yield { fields: record.record, line: record.info.lines };
      }
    } catch (error) {
      const line = (error as { lines?: number }).lines;
      throw new ValidationError(`${path}${line ? ` line ${line}` : ''}: ${(error as Error).message}`);
    }
  })();
  const first = await records.next();
  if (first.done) throw new ValidationError(`${path} is empty`);
  const second = await records.next();
  const secondFields = second.done ? undefined : second.value.fields;
  const layout = options.columns
    ? layoutFromMap(options.columns, first.value.fields, secondFields)
    : layoutFromHeader(first.value.fields, secondFields);
  const reader = new BarRowReader(layout, options, options.timeZone ?? 'UTC', path);
  const rows = (async function* (): AsyncGenerator<SourceRow> {
    if (!layout.hasHeader)
      yield { line: first.value.line, result: reader.read(first.value.fields, first.value.line) };
    if (!second.done)
      yield { line: second.value.line, result: reader.read(second.value.fields, second.value.line) };
    for await (const record of records)
      yield { line: record.line, result: reader.read(record.fields, record.line) };
  })();
  return storeBars(
    db,
    path,
    rows,
    options,
    describeLayout(layout, options),
    () => input.bytesRead,
    totalBytes,
  );
}

/**
 * Imports bars given as objects (the HTTP API's path): the same checks, staging and merge as a
 * file, without turning numbers into text and back. `line` in the report is the 1-based index.
 */
export async function importBars(
  db: Database,
  bars: readonly Partial<Record<keyof MarketBar, unknown>>[],
  options: Omit<BarImportOptions, 'columns' | 'prices' | 'timeZone'> = {},
): Promise<ImportReport> {
  checkOptions(options);
  const interval = options.interval ?? (typeof bars[0]?.interval === 'string' ? bars[0].interval : undefined);
  if (interval !== undefined) parseInterval(interval);
  const rows = (function* (): Generator<SourceRow> {
    for (let index = 0; index < bars.length; index++) {
      yield { line: index + 1, result: checkBarObject(bars[index]!, index + 1, options.symbol, interval) };
    }
  })();
  return storeBars(db, 'bars', rows, { ...options, ...(interval ? { interval } : {}) }, [], () => 0, 0);
}

interface SourceRow {
  line: number;
  result: RowResult;
}

function checkOptions(options: BarImportOptions): void {
  if (options.symbol !== undefined && !SYMBOL.test(options.symbol)) {
    throw new ValidationError(
      `symbol "${options.symbol}" is not valid; expected 1-32 letters, digits or . _ - ^ = /`,
      'symbol',
    );
  }
  if (options.interval !== undefined) parseInterval(options.interval);
}

async function storeBars(
  db: Database,
  source: string,
  rows: AsyncIterable<SourceRow> | Iterable<SourceRow>,
  options: BarImportOptions,
  notes: string[],
  bytesRead: () => number,
  totalBytes: number,
): Promise<ImportReport> {
  const started = performance.now();
  const skipped = new SkipTracker();
  const batchSize = options.batchSize ?? 20_000;

  return db.transaction(async (tx) => {
    await createBarStaging(tx);
    let pending: { bar: Omit<MarketBar, 'interval'>; line: number }[] = [];
    let interval = options.interval;
    let rowsRead = 0;
    const order = new OrderTracker();

    const flush = async () => {
      if (pending.length === 0) return;
      interval ??= inferInterval(
        pending.map((row) => row.bar),
        notes,
      );
      await copyBarsToStaging(tx, pending, interval);
      pending = [];
      options.onProgress?.({ rowsRead, bytesRead: bytesRead(), totalBytes });
    };

    for await (const { line, result } of rows) {
      rowsRead++;
      if ('skip' in result) {
        if (options.strict) throw new ValidationError(`${source} line ${line}: ${result.message} (--strict)`);
        skipped.skip(result.skip, line, result.message);
        continue;
      }
      order.see(result.symbol, result.ts.getTime());
      pending.push({ bar: result, line });
      if (pending.length >= batchSize) await flush();
    }
    await flush();
    if (rowsRead - skipped.count === 0) {
      return emptyReport(source, rowsRead, skipped, notes, started);
    }
    const merged = await mergeBarStaging(tx as Queryable, order.mayHaveDuplicates);
    return {
      source,
      rowsRead,
      stored: { inserted: merged.inserted, updated: merged.updated, unchanged: merged.unchanged },
      duplicates: merged.duplicates,
      skipped: skipped.toJSON(),
      notes,
      series: merged.series.map((s) => ({
        symbol: s.symbol,
        interval: s.interval,
        rows: s.bars,
        first: s.first,
        last: s.last,
      })),
      durationMs: performance.now() - started,
    };
  });
}

/** One bar given as an object: a bar, a reason to skip it, or an error naming the field. */
function checkBarObject(
  input: Partial<Record<keyof MarketBar, unknown>>,
  line: number,
  symbolOption: string | undefined,
  interval: string | undefined,
): RowResult {
  const symbol = input.symbol ?? symbolOption;
  if (typeof symbol !== 'string' || !SYMBOL.test(symbol)) {
    throw new ValidationError(
      `bar ${line}: symbol ${JSON.stringify(symbol)} is not a valid symbol`,
      'symbol',
    );
  }
  if (input.interval !== undefined && input.interval !== interval) {
    throw new ValidationError(
      `bar ${line}: interval ${JSON.stringify(input.interval)} differs from ${interval}; import one interval at a time`,
      'interval',
    );
  }
  const ts =
    input.ts instanceof Date
      ? input.ts
      : typeof input.ts === 'string' || typeof input.ts === 'number'
        ? new Date(input.ts)
        : undefined;
  if (ts === undefined || Number.isNaN(ts.getTime())) {
    if (input.ts === undefined || input.ts === null)
      return { skip: 'missing value', message: 'ts is missing' };
    throw new ValidationError(`bar ${line}: ts ${JSON.stringify(input.ts)} is not a date`, 'ts');
  }
  const prices: number[] = [];
  for (const field of ['open', 'high', 'low', 'close'] as const) {
    const value = input[field];
    if (value === undefined || value === null || (typeof value === 'number' && Number.isNaN(value))) {
      return { skip: 'missing value', message: `${field} is ${String(value)}` };
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new ValidationError(
        `bar ${line}: ${field} ${JSON.stringify(value) ?? String(value)} is not a finite number`,
        field,
      );
    }
    prices.push(value);
  }
  const [open, high, low, close] = prices as [number, number, number, number];
  if (open <= 0 || high <= 0 || low <= 0 || close <= 0) {
    return { skip: 'non-positive price', message: `prices ${open}, ${high}, ${low}, ${close}` };
  }
  const volume = input.volume ?? 0;
  if (typeof volume !== 'number' || !Number.isFinite(volume)) {
    throw new ValidationError(
      `bar ${line}: volume ${JSON.stringify(volume)} is not a finite number`,
      'volume',
    );
  }
  if (volume < 0) return { skip: 'negative volume', message: `volume ${volume}` };
  return { symbol, ts, open, high, low, close, volume };
}

function emptyReport(
  source: string,
  rowsRead: number,
  skipped: SkipTracker,
  notes: string[],
  started: number,
): ImportReport {
  return {
    source,
    rowsRead,
    stored: { inserted: 0, updated: 0, unchanged: 0 },
    duplicates: 0,
    skipped: skipped.toJSON(),
    notes,
    series: [],
    durationMs: performance.now() - started,
  };
}

type RowResult = Omit<MarketBar, 'interval'> | { skip: string; message: string };

/** Turns one CSV row into a bar, a reason to skip it, or an error naming its line and column. */
class BarRowReader {
  private readonly useAdjusted: 'columns' | 'ratio' | false;

  constructor(
    private readonly layout: BarLayout,
    private readonly options: BarImportOptions,
    private readonly timeZone: string,
    private readonly source: string,
  ) {
    const c = layout.columns;
    if (options.prices !== 'adjusted') this.useAdjusted = false;
    else if (
      c.adjOpen !== undefined &&
      c.adjHigh !== undefined &&
      c.adjLow !== undefined &&
      c.adjClose !== undefined
    ) {
      this.useAdjusted = 'columns';
    } else if (c.adjClose !== undefined) this.useAdjusted = 'ratio';
    else
      throw new ValidationError(
        '--prices adjusted needs an adjusted close column (Adj Close or AdjClose)',
        'prices',
      );
  }

  read(fields: string[], line: number): RowResult {
    const c = this.layout.columns;
    if (fields.length !== this.layout.width) {
      throw new ValidationError(
        `${this.source} line ${line}: has ${fields.length} fields; expected ${this.layout.width} like the first row`,
      );
    }
    let symbol = this.options.symbol;
    if (c.symbol !== undefined) {
      const cell = fields[c.symbol]!.trim();
      if (this.options.symbol !== undefined && cell !== this.options.symbol) {
        return { skip: 'other symbol', message: `symbol ${cell} is not ${this.options.symbol}` };
      }
      if (!SYMBOL.test(cell)) throw this.malformed(line, c.symbol, `"${cell}" is not a valid symbol`);
      symbol = cell;
    }
    if (symbol === undefined) {
      throw new ValidationError(
        `${this.source} has no symbol column; pass the symbol of its bars with --symbol`,
        'symbol',
      );
    }
    const ts = parseInstant(
      fields[c.date!]!,
      c.time === undefined ? undefined : fields[c.time],
      this.timeZone,
    );
    if (!ts.ok) {
      if (ts.missing) return { skip: 'missing value', message: `column ${c.date! + 1} (date) is empty` };
      throw this.malformed(line, c.date!, ts.reason);
    }
    const fieldsOf =
      this.useAdjusted === 'columns'
        ? (['adjOpen', 'adjHigh', 'adjLow', 'adjClose'] as const)
        : (['open', 'high', 'low', 'close'] as const);
    const prices: number[] = [];
    for (const field of fieldsOf) {
      const column = c[field]!;
      const value = parseNumber(fields[column]!);
      if (!value.ok) {
        if (value.missing)
          return { skip: 'missing value', message: `column ${column + 1} (${field}) is "${fields[column]}"` };
        throw this.malformed(line, column, value.reason);
      }
      prices.push(value.value);
    }
    let [open, high, low, close] = prices as [number, number, number, number];
    if (this.useAdjusted === 'ratio') {
      const adjusted = parseNumber(fields[c.adjClose!]!);
      if (!adjusted.ok) {
        if (adjusted.missing)
          return { skip: 'missing value', message: `column ${c.adjClose! + 1} (adjClose) is empty` };
        throw this.malformed(line, c.adjClose!, adjusted.reason);
      }
      const ratio = adjusted.value / close;
      [open, high, low, close] = [open * ratio, high * ratio, low * ratio, adjusted.value];
    }
    if (open <= 0 || high <= 0 || low <= 0 || close <= 0) {
      return { skip: 'non-positive price', message: `prices ${open}, ${high}, ${low}, ${close}` };
    }
    let volume = 0;
    if (c.volume !== undefined) {
      const parsed = parseNumber(fields[c.volume]!);
      if (parsed.ok) volume = parsed.value;
      else if (!parsed.missing) throw this.malformed(line, c.volume, parsed.reason);
    }
    if (volume < 0) return { skip: 'negative volume', message: `volume ${volume}` };
    return { symbol, ts: ts.value, open, high, low, close, volume };
  }

  private malformed(line: number, column: number, reason: string): ValidationError {
    return new ValidationError(
      `${this.source} line ${line}, column ${column + 1}: ${reason}; nothing was imported`,
    );
  }
}

/** Whether any symbol's timestamps fail to move strictly one way, so duplicates are possible. */
class OrderTracker {
  mayHaveDuplicates = false;
  private readonly last = new Map<string, { ts: number; direction: number }>();

  see(symbol: string, ts: number): void {
    const previous = this.last.get(symbol);
    if (!previous) {
      this.last.set(symbol, { ts, direction: 0 });
      return;
    }
    const direction = Math.sign(ts - previous.ts);
    if (direction === 0 || (previous.direction !== 0 && direction !== previous.direction))
      this.mayHaveDuplicates = true;
    previous.ts = ts;
    previous.direction = direction;
  }
}

const STEPS: [number, string][] = [
  [60_000, '1m'],
  [120_000, '2m'],
  [180_000, '3m'],
  [300_000, '5m'],
  [600_000, '10m'],
  [900_000, '15m'],
  [1_800_000, '30m'],
  [3_600_000, '1h'],
  [7_200_000, '2h'],
  [14_400_000, '4h'],
];

/** The bar interval from the most common step between consecutive bars of one symbol. */
function inferInterval(bars: readonly Omit<MarketBar, 'interval'>[], notes: string[]): string {
  const steps = new Map<number, number>();
  for (let i = 1; i < bars.length; i++) {
    if (bars[i]!.symbol !== bars[i - 1]!.symbol) continue;
    const step = Math.abs(bars[i]!.ts.getTime() - bars[i - 1]!.ts.getTime());
    if (step > 0) steps.set(step, (steps.get(step) ?? 0) + 1);
  }
  const mode = [...steps.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  if (mode === undefined) {
    throw new ValidationError(
      'cannot infer the bar interval from fewer than two bars of a symbol; pass --interval',
      'interval',
    );
  }
  const day = 86_400_000;
  let interval = STEPS.find(([ms]) => ms === mode)?.[1];
  if (!interval && mode >= day && mode <= 4 * day) interval = '1d';
  if (!interval && mode >= 6 * day && mode <= 8 * day) interval = '1w';
  if (!interval && mode >= 28 * day && mode <= 31 * day) interval = '1mo';
  if (!interval) {
    throw new ValidationError(
      `the usual step between bars is ${mode / 1000} s, which is not a standard interval; pass --interval`,
      'interval',
    );
  }
  notes.push(`interval ${interval} inferred from the timestamps (pass --interval to set it)`);
  return interval;
}

function describeLayout(layout: BarLayout, options: BarImportOptions): string[] {
  const notes: string[] = [];
  if (layout.ignored.length > 0) notes.push(`columns not imported: ${layout.ignored.join(', ')}`);
  if (options.prices === 'adjusted') notes.push('prices adjusted for splits and dividends');
  else if (layout.columns.adjClose !== undefined)
    notes.push('raw prices imported; --prices adjusted uses the adjusted ones');
  if (layout.columns.volume === undefined) notes.push('no volume column: volume stored as 0');
  return notes;
}
