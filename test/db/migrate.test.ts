import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, schemaVersion } from '../../src/db/migrate.js';
import { MIGRATIONS, TABLES } from '../../src/db/migrations/index.js';
import { openServerDatabase } from '../../src/db/server.js';
import { MigrationError } from '../../src/errors.js';
import { BACKEND, createTestDatabase, SERVER_URL, type TestDatabase } from '../helpers/database.js';

let test: TestDatabase;
beforeEach(async () => {
  test = await createTestDatabase();
});
afterEach(async () => {
  await test.close();
});

async function existingTables(): Promise<string[]> {
  const result = await test.db.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1`,
  );
  return result.rows.map((row) => row.name);
}

describe(`migrations (${BACKEND})`, () => {
  it('creates every table from an empty database and records the schema version', async () => {
    expect(await schemaVersion(test.db)).toBe(0);
    const report = await migrate(test.db);
    expect(report.applied).toEqual(MIGRATIONS.map(({ version, name }) => ({ version, name })));
    expect(report.schemaVersion).toBe(MIGRATIONS.length);
    expect(await schemaVersion(test.db)).toBe(MIGRATIONS.length);
    expect(await existingTables()).toEqual([...TABLES, 'schema_migrations'].sort());
  });

  it('has exactly the product README columns on its five tables', async () => {
    await migrate(test.db);
    const readme: Record<string, string[]> = {
      ml_model_versions: [
        'id',
        'version',
        'model_type',
        'created_at',
        'trained_on',
        'data_points',
        'metrics',
        'config',
        'hyperparameters',
        'status',
        'deployed_at',
        'rollback_reason',
        'performance_score',
        'file_url',
        'checksum',
      ],
      ab_tests: [
        'id',
        'model_a_version',
        'model_b_version',
        'traffic_split',
        'start_time',
        'end_time',
        'status',
        'winner',
        'metrics',
      ],
      performance_alerts: [
        'id',
        'type',
        'severity',
        'timestamp',
        'message',
        'details',
        'acknowledged',
        'resolved_at',
        'resolution',
      ],
      deployment_events: ['id', 'version', 'action', 'status', 'details', 'timestamp'],
      model_performance_metrics: ['id', 'version', 'timestamp', 'metrics'],
    };
    for (const [table, columns] of Object.entries(readme)) {
      const result = await test.db.query<{ name: string }>(
        `SELECT column_name AS name FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = $1`,
        [table],
      );
      expect(result.rows.map((row) => row.name)).toEqual(expect.arrayContaining(columns));
    }
  });

  it('does nothing when applied a second time', async () => {
    await migrate(test.db);
    await test.db.query(`INSERT INTO market_bars (symbol, interval, ts, open, high, low, close, volume)
      VALUES ('X', '1d', now(), 1, 1, 1, 1, 0)`);
    const second = await migrate(test.db);
    expect(second.applied).toEqual([]);
    const history = await test.db.query<{ n: number }>('SELECT count(*) AS n FROM schema_migrations');
    expect(history.rows[0]!.n).toBe(MIGRATIONS.length);
    const bars = await test.db.query<{ n: number }>('SELECT count(*) AS n FROM market_bars');
    expect(bars.rows[0]!.n).toBe(1);
  });

  it('applies each migration once when two migrators run at the same time', async () => {
    // On the server: two pools, i.e. two independent sessions, racing on the advisory lock.
    // Embedded: the single connection serialises them; the folder lock keeps other processes out.
    const other = SERVER_URL
      ? await openServerDatabase({ url: SERVER_URL, schema: test.schema!, maxConnections: 2 })
      : test.db;
    try {
      const reports = await Promise.all([migrate(test.db), migrate(other), migrate(test.db)]);
      const appliedCount = reports.reduce((sum, report) => sum + report.applied.length, 0);
      expect(appliedCount).toBe(MIGRATIONS.length);
      const history = await test.db.query<{ version: number }>('SELECT version FROM schema_migrations');
      expect(history.rows.map((row) => row.version)).toEqual(MIGRATIONS.map((m) => m.version));
      expect(await existingTables()).toHaveLength(TABLES.length + 1);
    } finally {
      if (other !== test.db) await other.close();
    }
  });

  it('rolls back every migration of a run when one fails', async () => {
    const broken = [
      ...MIGRATIONS,
      { version: MIGRATIONS.length + 1, name: 'broken', sql: 'CREATE TABLE x (id int); SELECT 1/0;' },
    ];
    await expect(migrate(test.db, broken)).rejects.toThrow(
      new RegExp(`migration ${MIGRATIONS.length + 1} \\(broken\\) failed: division by zero`),
    );
    expect(await schemaVersion(test.db)).toBe(0);
    expect(await existingTables()).toEqual([]);
  });

  it('upgrades a database of an earlier release by the migrations it lacks', async () => {
    await migrate(test.db, MIGRATIONS.slice(0, 1));
    const report = await migrate(test.db);
    expect(report.applied.map((m) => m.version)).toEqual(MIGRATIONS.slice(1).map((m) => m.version));
    expect(await existingTables()).toEqual([...TABLES, 'schema_migrations'].sort());
  });

  it('refuses a database whose applied migration was edited afterwards', async () => {
    await migrate(test.db);
    const edited = [{ ...MIGRATIONS[0]!, sql: `${MIGRATIONS[0]!.sql}\n-- edited` }];
    const error = await migrate(test.db, edited).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect(String(error)).toMatch(/migration 1 \(initial\) differs from the one applied/);
  });

  it('refuses a database migrated by a newer release', async () => {
    await migrate(test.db, [
      ...MIGRATIONS,
      { version: MIGRATIONS.length + 1, name: 'future', sql: 'CREATE TABLE future (id int)' },
    ]);
    await expect(migrate(test.db)).rejects.toThrow(
      new RegExp(`has migration ${MIGRATIONS.length + 1}, which this release does not know`),
    );
  });

  it('refuses migrations that are not numbered 1, 2, 3 in order', async () => {
    const gap = [MIGRATIONS[0]!, { version: 3, name: 'skips', sql: 'SELECT 1' }];
    await expect(migrate(test.db, gap)).rejects.toThrow(/has version 3; expected 2/);
  });
});
