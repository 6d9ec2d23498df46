import type { Queryable } from '../db/types.js';

/**
 * When the periodic monitoring checks last ran, kept on its own (not read from the metrics they
 * write, which depend on the settings), shared by every process and surviving restarts.
 */
const CHECKS = 'monitoring';

export async function lastMonitoringCheck(db: Queryable): Promise<Date | null> {
  const result = await db.query<{ lastRunAt: Date }>(
    `SELECT last_run_at AS "lastRunAt" FROM monitoring_checks WHERE name = $1`,
    [CHECKS],
  );
  return result.rows[0]?.lastRunAt ?? null;
}

export async function recordMonitoringCheck(db: Queryable, at: Date): Promise<void> {
  await db.query(
    `INSERT INTO monitoring_checks (name, last_run_at) VALUES ($1, $2)
     ON CONFLICT (name) DO UPDATE SET last_run_at = EXCLUDED.last_run_at`,
    [CHECKS, at],
  );
}
