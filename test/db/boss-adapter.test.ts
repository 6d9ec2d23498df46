import PgBoss from 'pg-boss';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bossConnectionOptions, pgliteBossDb } from '../../src/db/boss-adapter.js';
import { isEmbedded } from '../../src/db/embedded.js';
import { BACKEND, createTestDatabase, type TestDatabase } from '../helpers/database.js';

let test: TestDatabase;
beforeEach(async () => {
  test = await createTestDatabase();
});
afterEach(async () => {
  await test.close();
});

describe(`pg-boss 10 on the system's database (${BACKEND})`, () => {
  it('creates its schema, sends, fetches and completes a job, and keeps a cron schedule with a time zone', async () => {
    const schema = test.schema ? `${test.schema}_boss` : 'pgboss';
    const boss = new PgBoss({
      ...bossConnectionOptions(test.db, test.url),
      schema,
      supervise: false,
      schedule: false,
    } as PgBoss.ConstructorOptions);
    const errors: unknown[] = [];
    boss.on('error', (error) => errors.push(error));
    await boss.start();
    try {
      await boss.createQueue('retraining');
      const id = await boss.send('retraining', { trigger: 'manual' });
      const [job] = await boss.fetch<{ trigger: string }>('retraining');
      expect(job?.id).toBe(id);
      expect(job?.data).toEqual({ trigger: 'manual' });
      await boss.complete('retraining', id!);
      expect((await boss.getJobById('retraining', id!))?.state).toBe('completed');

      await boss.schedule('retraining', '0 2 * * 0', { trigger: 'schedule' }, { tz: 'America/New_York' });
      const schedules = await boss.getSchedules();
      expect(schedules).toMatchObject([
        { name: 'retraining', cron: '0 2 * * 0', timezone: 'America/New_York' },
      ]);
      expect(errors).toEqual([]);
    } finally {
      await boss.stop({ graceful: false, wait: true, close: true });
      if (test.schema) await test.db.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    }
  });
});

describe.skipIf(BACKEND !== 'embedded')('PGlite adapter for pg-boss', () => {
  it('rolls back a failed BEGIN…COMMIT string so the single connection stays usable', async () => {
    if (!isEmbedded(test.db)) throw new Error('embedded only');
    const adapter = pgliteBossDb(test.db.raw);
    await adapter.executeSql('CREATE TABLE t (id int PRIMARY KEY)');
    await expect(
      adapter.executeSql(`BEGIN;
        SET LOCAL lock_timeout = '30s';
        INSERT INTO t VALUES (1);
        SELECT 1/0;
        COMMIT;`),
    ).rejects.toThrow(/division by zero/);
    expect(test.db.raw.isInTransaction()).toBe(false);
    const { rows } = await adapter.executeSql('SELECT count(*)::int AS n FROM t', []);
    expect(rows).toEqual([{ n: 0 }]);
  });

  it('rolls back after a failed statement inside a transaction it did not open', async () => {
    if (!isEmbedded(test.db)) throw new Error('embedded only');
    const adapter = pgliteBossDb(test.db.raw);
    await adapter.executeSql('BEGIN');
    await expect(adapter.executeSql('SELECT $1::int / 0', [1])).rejects.toThrow(/division by zero/);
    const { rows } = await adapter.executeSql('SELECT $1::int AS one', [1]);
    expect(rows).toEqual([{ one: 1 }]);
  });

  it('serialises concurrent calls and runs parameterless multi-statement strings', async () => {
    if (!isEmbedded(test.db)) throw new Error('embedded only');
    const adapter = pgliteBossDb(test.db.raw);
    await adapter.executeSql('CREATE TABLE c (n int); CREATE INDEX c_n ON c (n);');
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => adapter.executeSql('INSERT INTO c VALUES ($1)', [i])),
    );
    const { rows } = await adapter.executeSql('SELECT count(*)::int AS n, sum(n)::int AS s FROM c');
    expect(rows).toEqual([{ n: 50, s: 1225 }]);
  });
});
