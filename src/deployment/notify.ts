import type { Queryable } from '../db/types.js';

/** Serving instances LISTEN here; the payload is the new production version. */
export const DEPLOYMENT_CHANNEL = 'ai_trading_deployment';

/** Delivered to listeners when the transaction commits, never for one that rolls back. */
export async function notifyDeployment(tx: Queryable, version: string): Promise<void> {
  await tx.query(`SELECT pg_notify($1, $2)`, [DEPLOYMENT_CHANNEL, version]);
}
