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
