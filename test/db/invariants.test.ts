import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { raiseAlert } from '../../src/store/alerts.js';
import { insertAbTest } from '../../src/store/ab-tests.js';
import { createJob, startJob } from '../../src/store/retraining-jobs.js';
import { insertVersion, setVersionStatus } from '../../src/store/versions.js';
import { ConflictError } from '../../src/errors.js';
import { BACKEND, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { addVersions, versionInput } from '../helpers/fixtures.js';

let test: TestDatabase;
beforeEach(async () => {
  test = await createTestDatabase();
  await migrate(test.db);
  await addVersions(test.db, '1.0.0', '1.1.0');
});
afterEach(async () => {
  await test.close();
});

/** The SQLSTATE of a rejected statement: 23505 unique, 23514 check, 23503 foreign key. */
async function sqlState(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'the database accepted a row that breaks an invariant').toBeDefined();
  return String((error as { code?: string }).code);
}

describe(`invariants held by the database (${BACKEND})`, () => {
  it('refuses a second production version', async () => {
    await setVersionStatus(test.db, '1.0.0', 'production');
    expect(await sqlState(setVersionStatus(test.db, '1.1.0', 'production'))).toBe('23505');
  });

  it('accepts a swap of production inside one transaction', async () => {
    await setVersionStatus(test.db, '1.0.0', 'production');
    await test.db.transaction(async (tx) => {
      await setVersionStatus(tx, '1.0.0', 'retired');
      await setVersionStatus(tx, '1.1.0', 'production');
    });
    const rows = await test.db.query<{ version: string }>(
      `SELECT version FROM ml_model_versions WHERE status = 'production'`,
    );
    expect(rows.rows).toEqual([{ version: '1.1.0' }]);
  });

  it('refuses a duplicate version string and one that is not MAJOR.MINOR.PATCH', async () => {
    expect(await sqlState(insertVersion(test.db, versionInput('1.0.0')))).toBe('23505');
    expect(await sqlState(insertVersion(test.db, versionInput('v1.2')))).toBe('23514');
    expect(await sqlState(insertVersion(test.db, versionInput('1.02.0')))).toBe('23514');
  });

  it('refuses an unknown status or model type', async () => {
    expect(await sqlState(insertVersion(test.db, versionInput('2.0.0', { status: 'live' as never })))).toBe(
      '23514',
    );
    expect(await sqlState(insertVersion(test.db, versionInput('2.0.1', { modelType: 'dqn' as never })))).toBe(
      '23514',
    );
  });

  it('refuses a traffic split of 120 and of -1', async () => {
    const base = { modelAVersion: '1.0.0', modelBVersion: '1.1.0', startTime: new Date() };
    expect(await sqlState(insertAbTest(test.db, { ...base, trafficSplit: 120 }))).toBe('23514');
    expect(await sqlState(insertAbTest(test.db, { ...base, trafficSplit: -1 }))).toBe('23514');
  });

  it('refuses an A/B test of a version that does not exist', async () => {
    const test2 = { modelAVersion: '1.0.0', modelBVersion: '9.9.9', trafficSplit: 10, startTime: new Date() };
    expect(await sqlState(insertAbTest(test.db, test2))).toBe('23503');
  });

  it('refuses a second active A/B test', async () => {
    await addVersions(test.db, '1.2.0');
    await insertAbTest(test.db, {
      modelAVersion: '1.0.0',
      modelBVersion: '1.1.0',
      trafficSplit: 10,
      startTime: new Date(),
    });
    const second = {
      modelAVersion: '1.0.0',
      modelBVersion: '1.2.0',
      trafficSplit: 10,
      startTime: new Date(),
    };
    expect(await sqlState(insertAbTest(test.db, second))).toBe('23505');
  });

  it("refuses an alert severity of 'urgent' and an unknown alert type", async () => {
    expect(
      await sqlState(raiseAlert(test.db, { type: 'system', severity: 'urgent' as never, message: 'x' })),
    ).toBe('23514');
    expect(
      await sqlState(raiseAlert(test.db, { type: 'weather' as never, severity: 'low', message: 'x' })),
    ).toBe('23514');
  });

  it('refuses a deployment event or metrics row for an unknown version', async () => {
    expect(
      await sqlState(
        test.db.query(
          `INSERT INTO deployment_events (version, action, status) VALUES ('0.0.1', 'deploy', 'success')`,
        ),
      ),
    ).toBe('23503');
    expect(
      await sqlState(
        test.db.query(
          `INSERT INTO model_performance_metrics (version, metrics) VALUES ('0.0.1', '{}'::jsonb)`,
        ),
      ),
    ).toBe('23503');
  });

  it('keeps the deployment ledger append-only', async () => {
    await test.db.query(
      `INSERT INTO deployment_events (version, action, status) VALUES ('1.0.0', 'deploy', 'success')`,
    );
    expect(await sqlState(test.db.query(`UPDATE deployment_events SET reason = 'rewritten'`))).toBe('23000');
    expect(await sqlState(test.db.query(`DELETE FROM deployment_events`))).toBe('23000');
    const rows = await test.db.query<{ n: number }>('SELECT count(*) AS n FROM deployment_events');
    expect(rows.rows[0]!.n).toBe(1);
  });

  it('refuses NaN and infinite prices in bars', async () => {
    for (const bad of ['NaN', 'Infinity', '-Infinity']) {
      expect(
        await sqlState(
          test.db.query(
            `INSERT INTO market_bars (symbol, interval, ts, open, high, low, close, volume)
             VALUES ('X', '1d', now(), $1::float8, 1, 1, 1, 0)`,
            [bad],
          ),
        ),
      ).toBe('23514');
    }
  });

  it('refuses a closed trade without an exit and an arm without an A/B test', async () => {
    const insert = (status: string, exitPrice: number | null, arm: string | null) =>
      test.db.query(
        `INSERT INTO live_trades (idempotency_key, symbol, side, quantity, entry_time, entry_price, exit_time,
           exit_price, status, arm)
         VALUES (gen_random_uuid()::text, 'X', 'long', 1, now(), 10, now(), $2, $1, $3)`,
        [status, exitPrice, arm],
      );
    expect(await sqlState(insert('closed', null, null))).toBe('23514');
    expect(await sqlState(insert('closed', 11, 'A'))).toBe('23514');
  });

  it('allows one running retraining job at a time', async () => {
    const first = await createJob(test.db, { trigger: 'manual' });
    const second = await createJob(test.db, { trigger: 'schedule' });
    await startJob(test.db, first.id, 'worker-1');
    await expect(startJob(test.db, second.id, 'worker-2')).rejects.toBeInstanceOf(ConflictError);
    await expect(startJob(test.db, second.id, 'worker-2')).rejects.toThrow(/already running/);
  });

  it('refuses a job progress outside 0..1', async () => {
    const job = await createJob(test.db, { trigger: 'manual' });
    expect(
      await sqlState(test.db.query(`UPDATE retraining_jobs SET progress = 1.5 WHERE id = $1`, [job.id])),
    ).toBe('23514');
  });
});
