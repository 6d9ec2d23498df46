import { ValidationError } from '../../errors.js';

/** What a CSV column can hold for a bar. */
export type BarField =
  | 'date'
  | 'time'
  | 'open'
  | 'high'
  | 'low'
  | 'close'
  | 'volume'
  | 'adjOpen'
  | 'adjHigh'
  | 'adjLow'
  | 'adjClose'
  | 'symbol';

export interface BarLayout {
  /** Column index of each field present. */
  columns: Partial<Record<BarField, number>>;
  /** How many fields every row has. */
  width: number;
  /** Whether the first record is a header (not data). */
  hasHeader: boolean;
  /** Header names that map to nothing (kept out of the import), for the report. */
  ignored: string[];
}

const ALIASES: Record<string, BarField> = {
  date: 'date',
  day: 'date',
  tradedate: 'date',
  datetime: 'date',
  timestamp: 'date',
  ts: 'date',
  time: 'time',
  open: 'open',
  o: 'open',
  high: 'high',
  h: 'high',
  low: 'low',
  l: 'low',
  close: 'close',
  c: 'close',
  last: 'close',
  volume: 'volume',
  vol: 'volume',
  v: 'volume',
  adjopen: 'adjOpen',
  adjhigh: 'adjHigh',
  adjlow: 'adjLow',
  adjclose: 'adjClose',
  adjustedclose: 'adjClose',
  symbol: 'symbol',
  ticker: 'symbol',
  stock: 'symbol',
  instrument: 'symbol',
};

const REQUIRED: BarField[] = ['date', 'open', 'high', 'low', 'close'];
const TIME_CELL = /^\d{1,2}:\d{2}(:\d{2})?$/;

const normalise = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');

/** The layout from the file's header, checked against the first data row. */
export function layoutFromHeader(header: string[], firstRow: string[] | undefined): BarLayout {
  const columns: Partial<Record<BarField, number>> = {};
  const ignored: string[] = [];
  header.forEach((name, index) => {
    let field = ALIASES[normalise(name)];
    // "time" alone (no date column) is the timestamp; beside a date it is the time of day.
    if (field === 'time' && !header.some((other) => ALIASES[normalise(other)] === 'date')) field = 'date';
    if (field && columns[field] === undefined) columns[field] = index;
    else if (name.trim() !== '') ignored.push(name);
  });
  if (firstRow && firstRow.length !== header.length) throw widthMismatch(header, firstRow);
  requireFields(columns, `the header (${header.join(',')})`);
  return { columns, width: header.length, hasHeader: true, ignored };
}

/**
 * The layout given with --columns: field names in column order, `-` (or any name that is not a
 * field) for a column to ignore, e.g. `date,time,open,high,low,close,volume,-`.
 */
export function layoutFromMap(
  map: string,
  firstRecord: string[],
  secondRecord: string[] | undefined,
): BarLayout {
  const names = map.split(',').map((name) => name.trim());
  const columns: Partial<Record<BarField, number>> = {};
  const ignored: string[] = [];
  names.forEach((name, index) => {
    const field = ALIASES[normalise(name)];
    if (field) {
      if (columns[field] !== undefined) {
        throw new ValidationError(
          `--columns names "${name}" twice (columns ${columns[field]! + 1} and ${index + 1})`,
          'columns',
        );
      }
      columns[field] = index;
    } else if (name !== '-' && name !== '') ignored.push(name);
  });
  requireFields(columns, `--columns "${map}"`);
  // With an explicit map the first record is a header (possibly a wrong one) if its date cell is not data.
  const dateCell = firstRecord[columns.date!] ?? '';
  const hasHeader = !/^\d{4}[-/]?\d{1,2}[-/]?\d{1,2}/.test(dateCell.trim());
  const firstData = hasHeader ? secondRecord : firstRecord;
  if (firstData && firstData.length !== names.length) {
    throw new ValidationError(
      `--columns names ${names.length} columns but the file's rows have ${firstData.length} fields; ` +
        'name every column, using - for one to ignore',
      'columns',
    );
  }
  return { columns, width: names.length, hasHeader, ignored };
}

function requireFields(columns: Partial<Record<BarField, number>>, source: string): void {
  const missing = REQUIRED.filter((field) => columns[field] === undefined);
  if (missing.length > 0) {
    throw new ValidationError(
      `${source} has no ${missing.join(', ')} column; name the columns with --columns, e.g. ` +
        '--columns date,open,high,low,close,volume (use - for a column to ignore)',
      'columns',
    );
  }
}

function widthMismatch(header: string[], row: string[]): ValidationError {
  let hint = 'name every column with --columns (use - for a column to ignore)';
  if (row.length === header.length + 1 && TIME_CELL.test((row[1] ?? '').trim())) {
    const suggestion = [header[0]!, 'time', ...header.slice(1)].map((name) => normalise(name) || '-');
    hint =
      'the second field looks like a time of day, so the date and time are in separate columns the header ' +
      `does not name; map them with --columns ${suggestion.join(',')}`;
  }
  return new ValidationError(
    `the header names ${header.length} columns (${header.join(',')}) but line 2 has ${row.length} fields ` +
      `(${row.join(',')}): the header does not describe the rows; ${hint}`,
    'columns',
  );
}
