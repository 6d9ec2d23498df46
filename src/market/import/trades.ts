import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import { ValidationError } from '../../errors.js';
import type { Database } from '../../db/types.js';
import { listAbTestsOfVersions, type AbTestRow } from '../../store/ab-tests.js';
import { insertTrades, type LiveTrade } from '../../store/live-trades.js';
import { existingVersions } from '../../store/versions.js';
import { SYMBOL } from './bars.js';
import { SkipTracker, type ImportReport } from './report.js';
import { parseInstant, parseNumber } from './values.js';

type TradeField =
  | 'key'
  | 'symbol'
  | 'side'
  | 'quantity'
  | 'entryTime'
  | 'entryPrice'
  | 'exitTime'
  | 'exitPrice'
  | 'fees'
  | 'pnl'
  | 'status'
  | 'modelVersion'
  | 'account';

const ALIASES: Record<string, TradeField> = {
  idempotencykey: 'key',
  key: 'key',
  tradeid: 'key',
  id: 'key',
  symbol: 'symbol',
  ticker: 'symbol',
  side: 'side',
  direction: 'side',
  quantity: 'quantity',
  qty: 'quantity',
  size: 'quantity',
  entrytime: 'entryTime',
  opentime: 'entryTime',
  entryprice: 'entryPrice',
  openprice: 'entryPrice',
  exittime: 'exitTime',
  closetime: 'exitTime',
  exitprice: 'exitPrice',
  closeprice: 'exitPrice',
  fees: 'fees',
  fee: 'fees',
  commission: 'fees',
  pnl: 'pnl',
  profit: 'pnl',
  status: 'status',
  modelversion: 'modelVersion',
  version: 'modelVersion',
  account: 'account',
};
const REQUIRED: TradeField[] = ['key', 'symbol', 'side', 'quantity', 'entryTime', 'entryPrice'];
const SIDES: Record<string, LiveTrade['side']> = { long: 'long', buy: 'long', short: 'short', sell: 'short' };
const BATCH = 5_000;

export interface TradeImportOptions {
  timeZone?: string;
  strict?: boolean;
}

/**
 * Imports live trades from a CSV file with a header (idempotency_key, symbol, side, quantity,
 * entry_time, entry_price, exit_time, exit_price, fees, pnl, status, model_version, account), in
 * one transaction; a trade whose key is already stored is left as it is.
 */
export async function importTradesFromCsv(
  db: Database,
  path: string,
  options: TradeImportOptions = {},
): Promise<ImportReport> {
  const parser = createReadStream(path).pipe(
    parse({ skip_empty_lines: true, trim: true, bom: true, info: true, relax_column_count: true }),
  );
  const rows: { fields: string[]; line: number }[] = [];
  try {
    for await (const record of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      rows.push({ fields: record.record, line: record.info.lines });
    }
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    throw new ValidationError(`${path}${line ? ` line ${line}` : ''}: ${(error as Error).message}`);
  }
  const [header, ...data] = rows;
  if (!header) throw new ValidationError(`${path} is empty`);
  return importTradeRows(db, path, header.fields, data, options);
}

/** Imports trades given as objects (the HTTP API's path), with the same checks and report. */
export async function importTrades(
  db: Database,
  trades: readonly Partial<Record<keyof LiveTrade, unknown>>[],
  options: TradeImportOptions = {},
): Promise<ImportReport> {
  const header = [
    'key',
    'symbol',
    'side',
    'quantity',
    'entryTime',
    'entryPrice',
    'exitTime',
    'exitPrice',
    'fees',
    'pnl',
    'status',
    'modelVersion',
    'account',
  ];
  const cell = (value: unknown) =>
    value === undefined || value === null ? '' : value instanceof Date ? value.toISOString() : String(value);
  const rows = trades.map((trade, index) => ({
    line: index + 1,
    fields: [
      trade.idempotencyKey,
      trade.symbol,
      trade.side,
      trade.quantity,
      trade.entryTime,
      trade.entryPrice,
      trade.exitTime,
      trade.exitPrice,
      trade.fees,
      trade.pnl,
      trade.status,
      trade.modelVersion,
      trade.account,
    ].map(cell),
  }));
  return importTradeRows(db, 'trades', header, rows, options);
}

async function importTradeRows(
  db: Database,
  source: string,
  header: string[],
  rows: { fields: string[]; line: number }[],
  options: TradeImportOptions,
): Promise<ImportReport> {
  const started = performance.now();
  const columns: Partial<Record<TradeField, number>> = {};
  const ignored: string[] = [];
  header.forEach((name, index) => {
    const field = ALIASES[name.toLowerCase().replace(/[^a-z0-9]/g, '')];
    if (field && columns[field] === undefined) columns[field] = index;
    else if (name.trim()) ignored.push(name);
  });
  const missing = REQUIRED.filter((field) => columns[field] === undefined);
  if (missing.length > 0) {
    throw new ValidationError(
      `${source} has no ${missing.join(', ')} column; trade files need a header with idempotency_key, symbol, side, ` +
        'quantity, entry_time, entry_price and optionally exit_time, exit_price, fees, pnl, status, model_version, account',
    );
  }
  const skipped = new SkipTracker();
  const trades: LiveTrade[] = [];
  const lines: number[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  for (const row of rows) {
    const trade = readTrade(row.fields, row.line, columns, header.length, source, options.timeZone ?? 'UTC');
    if ('skip' in trade) {
      if (options.strict)
        throw new ValidationError(`${source} line ${row.line}: ${trade.message} (--strict)`);
      skipped.skip(trade.skip, row.line, trade.message);
    } else if (seen.has(trade.idempotencyKey)) duplicates++;
    else {
      seen.add(trade.idempotencyKey);
      trades.push(trade);
      lines.push(row.line);
    }
  }
  return db.transaction(async (tx) => {
    const versions = [...new Set(trades.map((t) => t.modelVersion).filter((v): v is string => v !== null))];
    const known = await existingVersions(tx, versions);
    const accepted = trades.filter((trade, index) => {
      if (trade.modelVersion === null || known.has(trade.modelVersion)) return true;
      skipped.skip(
        'unknown model version',
        lines[index]!,
        `model version ${trade.modelVersion} does not exist`,
      );
      return false;
    });
    const tests = await listAbTestsOfVersions(tx, [...known]);
    for (const trade of accepted) assignAbArm(trade, tests);
    let inserted = 0;
    let closed = 0;
    for (let i = 0; i < accepted.length; i += BATCH) {
      const stored = await insertTrades(tx, accepted.slice(i, i + BATCH));
      inserted += stored.inserted;
      closed += stored.closed;
    }
    const times = accepted.map((t) => t.entryTime.getTime());
    return {
      source,
      rowsRead: rows.length,
      stored: { inserted, updated: closed, unchanged: accepted.length - inserted - closed },
      duplicates,
      skipped: skipped.toJSON(),
      notes: ignored.length > 0 ? [`columns not imported: ${ignored.join(', ')}`] : [],
      series:
        accepted.length === 0
          ? []
          : [
              {
                symbol: [...new Set(accepted.map((t) => t.symbol))].join(','),
                rows: accepted.length,
                first: new Date(Math.min(...times)),
                last: new Date(Math.max(...times)),
              },
            ],
      durationMs: performance.now() - started,
    };
  });
}

/**
 * A bot reports the version that decided its trade (the prediction's `version`). While a split
 * A/B test runs, that names the arm: the candidate's version is arm B, production's is arm A
 * (every key the router did not send to B). Without this the test would see no trades.
 */
function assignAbArm(trade: LiveTrade, tests: readonly AbTestRow[]): void {
  const entered = trade.entryTime.getTime();
  const test = tests.find(
    (t) =>
      (t.modelAVersion === trade.modelVersion || t.modelBVersion === trade.modelVersion) &&
      t.startTime.getTime() <= entered &&
      (t.endTime === null || entered < t.endTime.getTime()),
  );
  if (!test) return;
  trade.abTestId = test.id;
  trade.arm = trade.modelVersion === test.modelBVersion ? 'B' : 'A';
}

function readTrade(
  fields: string[],
  line: number,
  c: Partial<Record<TradeField, number>>,
  width: number,
  source: string,
  timeZone: string,
): LiveTrade | { skip: string; message: string } {
  const malformed = (field: TradeField, reason: string) =>
    new ValidationError(
      `${source} line ${line}, column ${c[field]! + 1} (${field}): ${reason}; nothing was imported`,
    );
  if (fields.length !== width) {
    throw new ValidationError(
      `${source} line ${line}: has ${fields.length} fields; expected ${width} like the header`,
    );
  }
  const text = (field: TradeField) => (c[field] === undefined ? '' : fields[c[field]]!.trim());
  const number = (
    field: TradeField,
    required: boolean,
  ): number | null | { skip: string; message: string } => {
    if (c[field] === undefined || text(field) === '')
      return required ? { skip: 'missing value', message: `${field} is empty` } : null;
    const parsed = parseNumber(text(field));
    if (parsed.ok) return parsed.value;
    if (parsed.missing)
      return required ? { skip: 'missing value', message: `${field} is "${text(field)}"` } : null;
    throw malformed(field, parsed.reason);
  };
  const instant = (field: TradeField): Date | null => {
    if (c[field] === undefined || text(field) === '') return null;
    const parsed = parseInstant(text(field), undefined, timeZone);
    if (parsed.ok) return parsed.value;
    if (parsed.missing) return null;
    throw malformed(field, parsed.reason);
  };
  const key = text('key');
  if (key === '' || key.length > 200)
    throw malformed('key', 'an idempotency key of 1 to 200 characters is required');
  if (!SYMBOL.test(text('symbol')))
    throw malformed(
      'symbol',
      `"${text('symbol')}" is not a valid symbol; expected 1-32 letters, digits or . _ - ^ = /`,
    );
  // PostgreSQL text cannot hold NUL: refused here, with the line, rather than by the database.
  for (const field of ['key', 'modelVersion', 'account'] as const)
    if (text(field).includes('\u0000')) throw malformed(field, 'contains a NUL character');
  const side = SIDES[text('side').toLowerCase()];
  if (!side) throw malformed('side', `"${text('side')}" is not a side; expected long, short, buy or sell`);
  const quantity = number('quantity', true);
  const entryPrice = number('entryPrice', true);
  const exitPrice = number('exitPrice', false);
  const fees = number('fees', false);
  const pnl = number('pnl', false);
  for (const value of [quantity, entryPrice, exitPrice, fees, pnl])
    if (value !== null && typeof value === 'object') return value;
  const entryTime = instant('entryTime');
  if (!entryTime) return { skip: 'missing value', message: 'entry_time is empty' };
  const exitTime = instant('exitTime');
  if ((quantity as number) <= 0) return { skip: 'non-positive quantity', message: `quantity ${quantity}` };
  if ((fees as number | null) !== null && (fees as number) < 0)
    return { skip: 'negative fees', message: `fees ${fees}` };
  const status = text('status').toLowerCase() || (exitTime && exitPrice !== null ? 'closed' : 'open');
  if (status !== 'open' && status !== 'closed')
    throw malformed('status', `"${text('status')}" is not open or closed`);
  if (status === 'closed' && (!exitTime || exitPrice === null)) {
    return { skip: 'closed without exit', message: 'a closed trade needs exit_time and exit_price' };
  }
  return {
    idempotencyKey: key,
    symbol: text('symbol'),
    side,
    quantity: quantity as number,
    entryTime,
    entryPrice: entryPrice as number,
    exitTime,
    exitPrice: exitPrice as number | null,
    fees: (fees as number | null) ?? 0,
    pnl: pnl as number | null,
    status,
    modelVersion: text('modelVersion') || null,
    abTestId: null,
    arm: null,
    observation: null,
    account: text('account') || null,
  };
}
