import { createRequire } from 'node:module';
import type { PGlite } from '@electric-sql/pglite';
import type PgBoss from 'pg-boss';
import type { Database } from './types.js';
import { isEmbedded } from './embedded.js';

/** What pg-boss 10 accepts as its `db` option. */
export interface BossDb {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number }>;
}

// pg-boss wraps schema changes and maintenance in "BEGIN; …; COMMIT;" strings (plans.locked).
const WRAPPED_TRANSACTION = /^\s*BEGIN\s*;([\s\S]*);?\s*COMMIT\s*;?\s*$/i;

/**
 * Runs pg-boss on PGlite's single connection. PGlite's extended protocol takes one statement, so
 * parameterless strings go through `exec()`; pg-boss's own "BEGIN; …; COMMIT;" strings run inside
 * a PGlite transaction so a failure rolls back atomically instead of leaving the one connection
 * aborted; calls are serialised so pg-boss's timers never interleave on that connection; and any
 * failed statement that leaves a transaction open is rolled back.
 */
export function pgliteBossDb(pglite: PGlite): BossDb {
  let queue: Promise<unknown> = Promise.resolve();

  const run = async (text: string, values?: unknown[]) => {
    const wrapped = !values?.length ? WRAPPED_TRANSACTION.exec(text) : null;
    try {
      if (wrapped) {
        const results = await pglite.transaction((tx) => tx.exec(wrapped[1]!));
        return lastResult(results);
      }
      if (!values?.length) return lastResult(await pglite.exec(text));
      const result = await pglite.query(text, values);
      return { rows: result.rows, rowCount: Math.max(result.affectedRows ?? 0, result.rows.length) };
    } catch (error) {
      if (pglite.isInTransaction()) await pglite.exec('ROLLBACK').catch(() => {});
      throw error;
    }
  };

  return {
    executeSql(text, values) {
      const next = queue.then(() => run(text, values));
      queue = next.catch(() => {});
      return next;
    },
  };
}

function lastResult(results: { rows: unknown[]; affectedRows?: number }[]) {
  const last = results.at(-1);
  return { rows: last?.rows ?? [], rowCount: Math.max(last?.affectedRows ?? 0, last?.rows.length ?? 0) };
}

/**
 * pg-boss constructor options for a database: on a server, its own pool from the connection
 * string; embedded, the adapter above.
 */
export function bossConnectionOptions(
  db: Database,
  serverUrl: string | undefined,
): { db: BossDb } | { connectionString: string } {
  if (isEmbedded(db)) return { db: pgliteBossDb(db.raw) };
  if (!serverUrl) throw new Error('a server database needs its connection string for pg-boss');
  return { connectionString: serverUrl };
}

// pg-boss's own statement builders, so the guarded statements are matched exactly, not by a pattern.
const bossPlans = createRequire(import.meta.url)('pg-boss/src/plans.js') as {
  completeJobs(schema: string): string;
  failJobsById(schema: string): string;
};

/**
 * pg-boss 10 records the end of a job its worker ran (`complete`, `fail`) without awaiting it
 * (manager.js, `watch`): when the database is gone at that moment the write rejects a promise that
 * nobody holds, and TF.js's WebAssembly module turns every unhandled rejection into a crash of the
 * process. Those two writes report their failure to `onLost` instead. The job then stays active
 * until pg-boss's expiry hands it out again, and the worker that takes it finds from the job row
 * how the run ended (a finished run is not repeated; a dead one is taken over).
 */
export function guardJobEndWrites(db: PgBoss.Db, schema: string, onLost: (error: unknown) => void): void {
  const ends = new Set([bossPlans.completeJobs(schema), bossPlans.failJobsById(schema)]);
  const executeSql = db.executeSql.bind(db);
  db.executeSql = async (text, values) => {
    if (!ends.has(text)) return executeSql(text, values);
    try {
      return await executeSql(text, values);
    } catch (error) {
      onLost(error);
      return { rows: [{ count: 0 }], rowCount: 0 };
    }
  };
}
