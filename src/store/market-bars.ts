import type { Queryable } from '../db/types.js';

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

/**
 * Stores bars in one set-based statement: new bars are inserted, bars whose values changed are
 * updated (a vendor's correction), identical bars are left alone, so a re-import changes nothing.
 */
export async function upsertBars(db: Queryable, bars: readonly MarketBar[]): Promise<UpsertReport> {
  if (bars.length === 0) return { inserted: 0, updated: 0, unchanged: 0 };
  const result = await db.query<{ inserted: boolean }>(
    `INSERT INTO market_bars (symbol, interval, ts, open, high, low, close, volume)
     SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::float8[], $5::float8[], $6::float8[],
                          $7::float8[], $8::float8[])
     ON CONFLICT (symbol, interval, ts) DO UPDATE
       SET open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,
           volume = EXCLUDED.volume
       WHERE (market_bars.open, market_bars.high, market_bars.low, market_bars.close, market_bars.volume)
         IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume)
     RETURNING (xmax = 0) AS inserted`,
    [
      bars.map((bar) => bar.symbol),
      bars.map((bar) => bar.interval),
      bars.map((bar) => bar.ts.toISOString()),
      bars.map((bar) => bar.open),
      bars.map((bar) => bar.high),
      bars.map((bar) => bar.low),
      bars.map((bar) => bar.close),
      bars.map((bar) => bar.volume),
    ],
  );
  const inserted = result.rows.filter((row) => row.inserted).length;
  const updated = result.rows.length - inserted;
  return { inserted, updated, unchanged: bars.length - inserted - updated };
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

/** One staging row in COPY text format; symbols and intervals are validated before they get here. */
export function barCopyLine(bar: MarketBar, line: number): string {
  return `${bar.symbol}\t${bar.interval}\t${bar.ts.toISOString()}\t${bar.open}\t${bar.high}\t${bar.low}\t${bar.close}\t${bar.volume}\t${line}\n`;
}

export async function copyBarsToStaging(tx: Queryable, text: string): Promise<void> {
  if (text.length > 0) await tx.copyFrom(STAGING, BAR_STAGING_COLUMNS, text);
}

export interface BarMergeReport extends UpsertReport {
  /** Rows that repeated a symbol, interval and time already in the same import (the last one wins). */
  duplicates: number;
  series: BarSeriesSummary[];
}

/**
 * Merges the staging table: new bars inserted, changed bars updated, identical ones untouched.
 * `mayHaveDuplicates` false skips the DISTINCT ON sort when the caller saw strictly ordered times.
 */
export async function mergeBarStaging(tx: Queryable, mayHaveDuplicates: boolean): Promise<BarMergeReport> {
  const source = mayHaveDuplicates
    ? `SELECT DISTINCT ON (symbol, interval, ts) symbol, interval, ts, open, high, low, close, volume
       FROM ${STAGING} ORDER BY symbol, interval, ts, line DESC`
    : `SELECT symbol, interval, ts, open, high, low, close, volume FROM ${STAGING}`;
  const merged = await tx.query<{ inserted: number; updated: number }>(
    `WITH merged AS (
       INSERT INTO market_bars (symbol, interval, ts, open, high, low, close, volume) ${source}
       ON CONFLICT (symbol, interval, ts) DO UPDATE
         SET open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,
             volume = EXCLUDED.volume
         WHERE (market_bars.open, market_bars.high, market_bars.low, market_bars.close, market_bars.volume)
           IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume)
       RETURNING (xmax = 0) AS inserted
     )
     SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated FROM merged`,
  );
  const series = await tx.query<BarSeriesSummary & { distinct: number }>(
    `SELECT symbol, interval, count(*) AS bars, ${mayHaveDuplicates ? 'count(DISTINCT ts)' : 'count(*)'} AS distinct,
       min(ts) AS first, max(ts) AS last
     FROM ${STAGING} GROUP BY symbol, interval ORDER BY symbol, interval`,
  );
  const total = series.rows.reduce((sum, row) => sum + row.bars, 0);
  const distinct = series.rows.reduce((sum, row) => sum + row.distinct, 0);
  const { inserted, updated } = merged.rows[0]!;
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
