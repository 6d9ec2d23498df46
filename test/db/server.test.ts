import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connect.js';
import { DatabaseUnavailableError, ValidationError } from '../../src/errors.js';
import { BACKEND, createTestDatabase, SERVER_URL } from '../helpers/database.js';

describe('PostgreSQL server connection', () => {
  it('names the unreachable server and hides the password', async () => {
    const error = await openDatabase({ url: 'postgres://trader:s3cret-pw@127.0.0.1:1/prod' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    const message = String(error);
    expect(message).toContain('127.0.0.1:1');
    expect(message).toContain('ECONNREFUSED');
    expect(message).not.toContain('s3cret-pw');
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await expect(
      openDatabase({ url: 'postgres://postgres@127.0.0.1:5432/test', schema: 'x; DROP TABLE y' }),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it('runs several statements in one exec on either backend', async () => {
    const test = await createTestDatabase();
    try {
      await test.db.exec('CREATE TABLE several (id int); INSERT INTO several VALUES (1), (2);');
      const rows = await test.db.query<{ n: number }>('SELECT count(*)::int AS n FROM several');
      expect(rows.rows[0]!.n).toBe(2);
    } finally {
      await test.close();
    }
  });

  it.skipIf(!SERVER_URL)(
    'listens again after its connection is dropped, says so, and gets the notifications after',
    async () => {
      const test = await createTestDatabase();
      const channel = `relisten_${process.pid}`;
      const payloads: string[] = [];
      const stop = await test.db.listen(channel, (payload) => payloads.push(payload));
      try {
        await test.db.query('SELECT pg_notify($1, $2)', [channel, 'before']);
        await waitUntil(() => payloads.includes('before'));
        // The server ends the listening session, as a restart or an idle-timeout proxy would.
        const ended = await test.db.query<{ ended: boolean }>(
          `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE query = $1`,
          [`LISTEN ${channel}`],
        );
        expect(ended.rows).toEqual([{ ended: true }]);
        await waitUntil(() => payloads.includes(''), 10_000);
        await test.db.query('SELECT pg_notify($1, $2)', [channel, 'after']);
        await waitUntil(() => payloads.includes('after'));
        expect(payloads).toEqual(['before', '', 'after']);
      } finally {
        await stop();
        await test.close();
      }
    },
    30_000,
  );

  it.skipIf(!SERVER_URL)(
    'rolls back a failed transaction and returns the connection to the pool',
    async () => {
      const test = await createTestDatabase();
      try {
        await test.db.exec('CREATE TABLE t (id int PRIMARY KEY)');
        for (let i = 0; i < 10; i++) {
          await expect(
            test.db.transaction(async (tx) => {
              await tx.query('INSERT INTO t VALUES (1)');
              await tx.query('INSERT INTO t VALUES (1)');
            }),
          ).rejects.toThrow(/duplicate key/);
        }
        const rows = await test.db.query<{ n: number }>('SELECT count(*) AS n FROM t');
        expect(rows.rows[0]!.n).toBe(0);
        expect(test.db.kind).toBe(BACKEND);
      } finally {
        await test.close();
      }
    },
  );
});

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
