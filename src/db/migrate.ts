import { createHash } from 'node:crypto';
import { MigrationError } from '../errors.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';
import type { Database, Queryable } from './types.js';

export interface MigrationReport {
  /** Migrations this call applied, in order; empty when the schema was already current. */
  applied: { version: number; name: string }[];
  schemaVersion: number;
}

const HISTORY_TABLE = 'schema_migrations';

/**
 * Applies pending migrations in one transaction under an advisory lock (per schema), so two
 * processes migrating at once apply each migration exactly once and a failure leaves nothing half
 * applied. Refuses a database that a newer release migrated, or whose applied migrations differ
 * from this release's.
 */
export async function migrate(
  db: Database,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<MigrationReport> {
  assertOrdered(migrations);
  return db.transaction(async (tx) => {
    await tx.query(
      `SELECT pg_advisory_xact_lock(hashtext('ai-trading-retraining.migrate.' || current_schema()))`,
    );
    await tx.exec(`CREATE TABLE IF NOT EXISTS ${HISTORY_TABLE} (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      checksum CHAR(64) NOT NULL,
      applied_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW()
    )`);
    const done = await appliedMigrations(tx);
    checkHistory(done, migrations);

    const applied: MigrationReport['applied'] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      try {
        await tx.exec(migration.sql);
      } catch (error) {
        throw new MigrationError(
          `migration ${migration.version} (${migration.name}) failed: ${(error as Error).message}; nothing was applied`,
          { cause: error },
        );
      }
      await tx.query(`INSERT INTO ${HISTORY_TABLE} (version, name, checksum) VALUES ($1, $2, $3)`, [
        migration.version,
        migration.name,
        checksum(migration),
      ]);
      applied.push({ version: migration.version, name: migration.name });
    }
    const latest = migrations.at(-1)?.version ?? 0;
    return { applied, schemaVersion: Math.max(latest, ...done.keys()) };
  });
}

/** The highest applied migration, or 0 for a database that was never migrated. */
export async function schemaVersion(db: Queryable): Promise<number> {
  const exists = await db.query<{ present: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS present`, [
    HISTORY_TABLE,
  ]);
  if (!exists.rows[0]?.present) return 0;
  const result = await db.query<{ version: number | null }>(
    `SELECT max(version) AS version FROM ${HISTORY_TABLE}`,
  );
  return result.rows[0]?.version ?? 0;
}

export function latestSchemaVersion(migrations: readonly Migration[] = MIGRATIONS): number {
  return migrations.at(-1)?.version ?? 0;
}

async function appliedMigrations(tx: Queryable): Promise<Map<number, string>> {
  const result = await tx.query<{ version: number; checksum: string }>(
    `SELECT version, checksum FROM ${HISTORY_TABLE} ORDER BY version`,
  );
  return new Map(result.rows.map((row) => [row.version, row.checksum]));
}

function checkHistory(done: Map<number, string>, migrations: readonly Migration[]): void {
  const known = new Map(migrations.map((migration) => [migration.version, migration]));
  for (const [version, sum] of done) {
    const migration = known.get(version);
    if (!migration) {
      throw new MigrationError(
        `the database has migration ${version}, which this release does not know: it was migrated by a newer ` +
          'release of ai-trading-retraining; upgrade this one',
      );
    }
    if (checksum(migration) !== sum) {
      throw new MigrationError(
        `migration ${version} (${migration.name}) differs from the one applied to this database; ` +
          'a shipped migration must never change: add a new migration instead',
      );
    }
  }
}

function assertOrdered(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new MigrationError(
        `migration "${migration.name}" has version ${migration.version}; expected ${index + 1} (versions are 1, 2, 3, … in order)`,
      );
    }
  });
}

function checksum(migration: Migration): string {
  return createHash('sha256').update(migration.sql).digest('hex');
}
