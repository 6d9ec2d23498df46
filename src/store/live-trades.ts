import type { Queryable } from '../db/types.js';
import { toJson } from './json.js';

export type TradeSide = 'long' | 'short';
export type TradeStatus = 'open' | 'closed';
export type AbArm = 'A' | 'B';

export interface LiveTrade {
  idempotencyKey: string;
  symbol: string;
  side: TradeSide;
  quantity: number;
  entryTime: Date;
  entryPrice: number;
  exitTime: Date | null;
  exitPrice: number | null;
  fees: number;
  pnl: number | null;
  status: TradeStatus;
  modelVersion: string | null;
  abTestId: string | null;
  arm: AbArm | null;
  /** The observation the model saw when it decided. */
  observation: number[] | null;
  account: string | null;
}

export interface LiveTradeRow extends LiveTrade {
  id: string;
  createdAt: Date;
  updatedAt: Date;
}

const COLUMNS = `id, idempotency_key AS "idempotencyKey", symbol, side, quantity, entry_time AS "entryTime",
  entry_price AS "entryPrice", exit_time AS "exitTime", exit_price AS "exitPrice", fees, pnl, status,
  model_version AS "modelVersion", ab_test_id AS "abTestId", arm, observation, account,
  created_at AS "createdAt", updated_at AS "updatedAt"`;

/**
 * Stores trades in one statement, idempotently by key: a new key is inserted; a stored open trade
 * that arrives closed is closed (exit, fees, pnl); anything else about a stored trade is left as
 * it is, so a closed trade is immutable and a replayed batch changes nothing.
 */
export async function insertTrades(
  db: Queryable,
  trades: readonly LiveTrade[],
): Promise<{ inserted: number; closed: number }> {
  if (trades.length === 0) return { inserted: 0, closed: 0 };
  const pick = <T>(fn: (trade: LiveTrade) => T) => trades.map(fn);
  const result = await db.query<{ inserted: number; closed: number }>(
    `WITH stored AS (
     INSERT INTO live_trades (idempotency_key, symbol, side, quantity, entry_time, entry_price, exit_time,
       exit_price, fees, pnl, status, model_version, ab_test_id, arm, observation, account)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::timestamptz[], $6::float8[],
       $7::timestamptz[], $8::float8[], $9::float8[], $10::float8[], $11::text[], $12::text[], $13::uuid[],
       $14::text[], $15::jsonb[], $16::text[])
     ON CONFLICT (idempotency_key) DO UPDATE
       SET exit_time = EXCLUDED.exit_time, exit_price = EXCLUDED.exit_price, fees = EXCLUDED.fees,
           pnl = EXCLUDED.pnl, status = 'closed', updated_at = NOW()
       WHERE live_trades.status = 'open' AND EXCLUDED.status = 'closed'
     RETURNING (xmax = 0) AS inserted
     )
     SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS closed FROM stored`,
    [
      pick((t) => t.idempotencyKey),
      pick((t) => t.symbol),
      pick((t) => t.side),
      pick((t) => t.quantity),
      pick((t) => t.entryTime.toISOString()),
      pick((t) => t.entryPrice),
      pick((t) => t.exitTime?.toISOString() ?? null),
      pick((t) => t.exitPrice),
      pick((t) => t.fees),
      pick((t) => t.pnl),
      pick((t) => t.status),
      pick((t) => t.modelVersion),
      pick((t) => t.abTestId),
      pick((t) => t.arm),
      pick((t) => toJson(t.observation)),
      pick((t) => t.account),
    ],
  );
  return result.rows[0]!;
}

export interface TradeQuery {
  /** Trades that closed (or, with `includeOpen`, opened) at or after this instant. */
  from?: Date;
  to?: Date;
  includeOpen?: boolean;
  modelVersion?: string;
  abTestId?: string;
  limit?: number;
}

/** Most recent first: closed trades by exit time, open ones by entry time. */
export async function listTrades(db: Queryable, query: TradeQuery = {}): Promise<LiveTradeRow[]> {
  const result = await db.query<LiveTradeRow>(
    `SELECT ${COLUMNS} FROM live_trades
     WHERE (status = 'closed' OR $3::boolean)
       AND ($1::timestamptz IS NULL OR COALESCE(exit_time, entry_time) >= $1)
       AND ($2::timestamptz IS NULL OR COALESCE(exit_time, entry_time) <= $2)
       AND ($4::text IS NULL OR model_version = $4)
       AND ($5::uuid IS NULL OR ab_test_id = $5)
     ORDER BY COALESCE(exit_time, entry_time) DESC, id
     LIMIT $6`,
    [
      query.from ?? null,
      query.to ?? null,
      query.includeOpen ?? false,
      query.modelVersion ?? null,
      query.abTestId ?? null,
      query.limit ?? 10_000,
    ],
  );
  return result.rows;
}

export async function findTrade(db: Queryable, idempotencyKey: string): Promise<LiveTradeRow | null> {
  const result = await db.query<LiveTradeRow>(
    `SELECT ${COLUMNS} FROM live_trades WHERE idempotency_key = $1`,
    [idempotencyKey],
  );
  return result.rows[0] ?? null;
}

/** Closed trades' net returns in exit order, as columns (cheap to move and to compute on). */
export interface TradeReturnSeries {
  /** Net return on the entry notional: pnl / (entry price × quantity). */
  returns: Float64Array;
  /** Exit times, epoch milliseconds, ascending. */
  exitTimes: Float64Array;
}

/**
 * Net per-trade returns of closed trades. A trade without a reported pnl is valued from its
 * prices: side × quantity × (exit − entry) − fees. Trades with a non-positive entry price have no
 * return on notional and are left out.
 */
export async function closedTradeReturns(
  db: Queryable,
  query: { modelVersion?: string; abTestId?: string; arm?: AbArm; from?: Date; to?: Date },
): Promise<TradeReturnSeries> {
  const result = await db.query<{ returns: number[] | null; times: number[] | null }>(
    `SELECT array_agg(r ORDER BY exit_time, id) AS returns, array_agg(t ORDER BY exit_time, id) AS times FROM (
       SELECT id, exit_time, extract(epoch FROM exit_time)::float8 * 1000 AS t,
         COALESCE(pnl, CASE side WHEN 'long' THEN 1 ELSE -1 END * quantity * (exit_price - entry_price) - fees)
           / (entry_price * quantity) AS r
       FROM live_trades
       WHERE status = 'closed' AND entry_price > 0
         AND ($1::text IS NULL OR model_version = $1) AND ($2::uuid IS NULL OR ab_test_id = $2)
         AND ($3::text IS NULL OR arm = $3)
         AND ($4::timestamptz IS NULL OR exit_time >= $4) AND ($5::timestamptz IS NULL OR exit_time <= $5)
     ) closed`,
    [
      query.modelVersion ?? null,
      query.abTestId ?? null,
      query.arm ?? null,
      query.from ?? null,
      query.to ?? null,
    ],
  );
  const row = result.rows[0];
  return {
    returns: Float64Array.from(row?.returns ?? []),
    exitTimes: Float64Array.from(row?.times ?? []),
  };
}

/** The versions with closed trades that exited at or after `since`, most trades first. */
export async function versionsWithClosedTrades(
  db: Queryable,
  since: Date,
  limit: number,
): Promise<{ version: string; trades: number }[]> {
  const result = await db.query<{ version: string; trades: number }>(
    `SELECT model_version AS version, count(*)::int AS trades FROM live_trades
     WHERE status = 'closed' AND model_version IS NOT NULL AND exit_time >= $1
     GROUP BY model_version ORDER BY count(*) DESC, model_version LIMIT $2`,
    [since, limit],
  );
  return result.rows;
}
