import type { Queryable } from '../db/types.js';
import { BinaryCopyWriter } from './copy-binary.js';

export interface MarketBar {
  symbol: string;
  interval: string;
  ts: Date;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export interface UpsertReport {
  inserted: number;
  updated: number;
  unchanged: number;
}

export async function listBars(
  db: Queryable,
  query: { symbol: string; interval: string; from?: Date; to?: Date; limit?: number },
): Promise<MarketBar[]> {
  const result = await db.query<MarketBar>(
    `SELECT symbol, interval, ts, open, high, low, close, volume FROM market_bars
     WHERE symbol = $1 AND interval = $2 AND ($3::timestamptz IS NULL OR ts >= $3)
       AND ($4::timestamptz IS NULL OR ts <= $4)
     ORDER BY ts ASC LIMIT $5`,
    [query.symbol, query.interval, query.from ?? null, query.to ?? null, query.limit ?? 1_000_000],
  );
  return result.rows;
}

export interface BarSeriesSummary {
  symbol: string;
  interval: string;
  bars: number;
  first: Date;
  last: Date;
}

export async function summariseBars(db: Queryable): Promise<BarSeriesSummary[]> {
  const result = await db.query<BarSeriesSummary>(
    `SELECT symbol, interval, count(*) AS bars, min(ts) AS first, max(ts) AS last
     FROM market_bars GROUP BY symbol, interval ORDER BY symbol, interval`,
  );
  return result.rows;
}

/*
 * Bulk import: rows are COPYed into a temporary staging table, then merged into market_bars in
 * one statement. Call all three inside one transaction; the staging table drops at commit.
 */
const STAGING = 'bar_staging';
export const BAR_STAGING_COLUMNS = [
  'symbol',
  'interval',
  'ts',
  'open',
  'high',
  'low',
  'close',
  'volume',
  'line',
];

export async function createBarStaging(tx: Queryable): Promise<void> {
  await tx.exec(`CREATE TEMP TABLE ${STAGING} (
    symbol TEXT NOT NULL, interval TEXT NOT NULL, ts TIMESTAMPTZ NOT NULL, open FLOAT8 NOT NULL,
    high FLOAT8 NOT NULL, low FLOAT8 NOT NULL, close FLOAT8 NOT NULL, volume FLOAT8 NOT NULL, line BIGINT NOT NULL
  ) ON COMMIT DROP`);
}

/** Copies bars (one interval) into the staging table in binary COPY format. */
export async function copyBarsToStaging(
  tx: Queryable,
  rows: readonly { bar: Omit<MarketBar, 'interval'>; line: number }[],
  interval: string,
): Promise<void> {
  if (rows.length === 0) return;
  const writer = new BinaryCopyWriter(rows.length * 110 + 64);
  for (const { bar, line } of rows) {
    writer
      .row(BAR_STAGING_COLUMNS.length)
      .text(bar.symbol)
      .text(interval)
      .timestampMs(bar.ts.getTime())
      .float8(bar.open)
      .float8(bar.high)
      .float8(bar.low)
      .float8(bar.close)
      .float8(bar.volume)
      .int8(line);
  }
  await tx.copyFrom(STAGING, BAR_STAGING_COLUMNS, writer.finish());
}

export interface BarMergeReport extends UpsertReport {
  /** Rows that repeated a symbol, interval and time already in the same import (the last one wins). */
  duplicates: number;
  series: BarSeriesSummary[];
}

/**
 * Merges the staging table: new bars inserted, changed bars updated, identical ones untouched.
 * Writers of the same symbols are serialised by an advisory lock, so when no stored bar falls in
 * the imported time ranges (the usual case: appending new data) a plain INSERT is safe and about
 * twice as fast as INSERT … ON CONFLICT; otherwise changed rows are updated and new ones inserted
 * with an anti-join. `mayHaveDuplicates` false skips the DISTINCT ON sort.
 */
export async function mergeBarStaging(tx: Queryable, mayHaveDuplicates: boolean): Promise<BarMergeReport> {
  const series = await tx.query<BarSeriesSummary & { distinct: number }>(
    `SELECT symbol, interval, count(*) AS bars, ${mayHaveDuplicates ? 'count(DISTINCT ts)' : 'count(*)'} AS distinct,
       min(ts) AS first, max(ts) AS last
     FROM ${STAGING} GROUP BY symbol, interval ORDER BY symbol, interval`,
  );
  await lockSymbols(
    tx,
    series.rows.map((row) => row.symbol),
  );
  let overlaps = false;
  for (const row of series.rows) {
    const stored = await tx.query(
      `SELECT 1 FROM market_bars WHERE symbol = $1 AND interval = $2 AND ts BETWEEN $3 AND $4 LIMIT 1`,
      [row.symbol, row.interval, row.first, row.last],
    );
    if (stored.rows.length > 0) overlaps = true;
  }
  const source = mayHaveDuplicates
    ? `SELECT DISTINCT ON (symbol, interval, ts) symbol, interval, ts, open, high, low, close, volume
       FROM ${STAGING} ORDER BY symbol, interval, ts, line DESC`
    : `SELECT symbol, interval, ts, open, high, low, close, volume FROM ${STAGING}`;
  let inserted: number;
  let updated = 0;
  if (!overlaps) {
    inserted = (
      await tx.query(
        `INSERT INTO market_bars (symbol, interval, ts, open, high, low, close, volume) ${source}`,
      )
    ).rowCount;
  } else {
    updated = (
      await tx.query(
        `UPDATE market_bars AS m
         SET open = s.open, high = s.high, low = s.low, close = s.close, volume = s.volume
         FROM (${source}) AS s
         WHERE m.symbol = s.symbol AND m.interval = s.interval AND m.ts = s.ts
           AND (m.open, m.high, m.low, m.close, m.volume) IS DISTINCT FROM (s.open, s.high, s.low, s.close, s.volume)`,
      )
    ).rowCount;
    inserted = (
      await tx.query(
        `INSERT INTO market_bars (symbol, interval, ts, open, high, low, close, volume)
         SELECT * FROM (${source}) AS s
         WHERE NOT EXISTS (
           SELECT 1 FROM market_bars AS m WHERE m.symbol = s.symbol AND m.interval = s.interval AND m.ts = s.ts
         )`,
      )
    ).rowCount;
  }
  const total = series.rows.reduce((sum, row) => sum + row.bars, 0);
  const distinct = series.rows.reduce((sum, row) => sum + row.distinct, 0);
  return {
    inserted,
    updated,
    unchanged: distinct - inserted - updated,
    duplicates: total - distinct,
    series: series.rows.map(({ symbol, interval, distinct: bars, first, last }) => ({
      symbol,
      interval,
      bars,
      first,
      last,
    })),
  };
}

/** Serialises writers of these symbols' bars until the transaction ends; sorted to avoid deadlocks. */
async function lockSymbols(tx: Queryable, symbols: readonly string[]): Promise<void> {
  for (const symbol of [...new Set(symbols)].sort()) {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('ai-trading-retraining.bars.' || $1::text))`, [
      symbol,
    ]);
  }
}

/**
 * Bars of a symbol in [from, to] plus the `warmup` bars before `from` that features need, in
 * time order: warm-up by count, not by time, so weekends and holidays do not shorten it.
 */
export async function listBarsWithWarmup(
  db: Queryable,
  query: { symbol: string; interval: string; from: Date; to: Date; warmup: number },
): Promise<MarketBar[]> {
  const result = await db.query<MarketBar>(
    `SELECT * FROM (
       (SELECT symbol, interval, ts, open, high, low, close, volume FROM market_bars
        WHERE symbol = $1 AND interval = $2 AND ts < $3 ORDER BY ts DESC LIMIT $5)
       UNION ALL
       (SELECT symbol, interval, ts, open, high, low, close, volume FROM market_bars
        WHERE symbol = $1 AND interval = $2 AND ts >= $3 AND ts <= $4)
     ) AS window_bars ORDER BY ts`,
    [query.symbol, query.interval, query.from, query.to, query.warmup],
  );
  return result.rows;
}

/** The intervals stored for each of the given symbols. */
export async function listIntervals(
  db: Queryable,
  symbols: readonly string[],
): Promise<{ symbol: string; interval: string }[]> {
  if (symbols.length === 0) return [];
  const result = await db.query<{ symbol: string; interval: string }>(
    `SELECT DISTINCT symbol, interval FROM market_bars WHERE symbol = ANY($1::text[]) ORDER BY symbol, interval`,
    [symbols],
  );
  return result.rows;
}

/** Every stored symbol with the finest interval it has bars in, and its newest bar time. */
export async function listStoredSymbols(
  db: Queryable,
): Promise<{ symbol: string; interval: string; newest: Date; bars: number }[]> {
  const result = await db.query<{ symbol: string; interval: string; newest: Date; bars: number }>(
    `SELECT symbol, interval, max(ts) AS newest, count(*)::int AS bars FROM market_bars
     GROUP BY symbol, interval ORDER BY symbol, interval`,
  );
  return result.rows;
}
