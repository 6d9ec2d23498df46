import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openEmbeddedDatabase } from '../../src/db/embedded.js';
import { migrate } from '../../src/db/migrate.js';
import type { Database } from '../../src/db/types.js';
import { raiseAlert } from '../../src/store/alerts.js';
import { runRetrain } from '../helpers/cli.js';
import { BACKEND, createTestDatabase, SERVER_URL, type TestDatabase } from '../helpers/database.js';

let dir: string;
let server: TestDatabase | undefined;
let env: NodeJS.ProcessEnv;
let alertId: string;

async function seed(fn: (db: Database) => Promise<void>): Promise<void> {
  if (server) return fn(server.db);
  const db = await openEmbeddedDatabase({ dataDir: env.RETRAINING_DATA_DIR! });
  try {
    await fn(db);
  } finally {
    await db.close();
  }
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'retraining-alerts-cli-'));
  if (SERVER_URL) {
    server = await createTestDatabase();
    env = { DATABASE_URL: server.url };
  } else {
    env = { RETRAINING_DATA_DIR: join(dir, 'data') };
  }
  await seed(async (db) => {
    await migrate(db);
    alertId = (
      await raiseAlert(db, {
        type: 'model_drift',
        severity: 'high',
        message: 'PSI 0.31 on rsi_14',
        dedupeKey: 'drift',
      })
    ).alert.id;
    await raiseAlert(db, { type: 'data_quality', severity: 'low', message: 'gaps in ES 1m' });
  });
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe(`retrain alerts (${BACKEND})`, () => {
  it('lists open alerts, acknowledges and resolves one, and refuses a bad id or an empty resolution', async () => {
    const open = await runRetrain(['alerts', '--json'], env);
    expect(open.code).toBe(0);
    expect((open.json() as { id: string }[]).map((a) => a.id)).toContain(alertId);
    const human = await runRetrain(['alerts'], env);
    expect(human.stdout).toMatch(/high\s+model_drift/);

    expect((await runRetrain(['alerts', 'ack', alertId], env)).code).toBe(0);
    expect((await runRetrain(['alerts', 'ack', 'not-an-id'], env)).code).toBe(2);
    expect((await runRetrain(['alerts', 'ack', '00000000-0000-0000-0000-000000000000'], env)).code).toBe(1);
    expect((await runRetrain(['alerts', 'resolve', alertId, '--resolution', ' '], env)).code).toBe(2);
    const resolved = await runRetrain(
      ['alerts', 'resolve', alertId, '--resolution', 'retrained on fresh data', '--json'],
      env,
    );
    expect(resolved.code).toBe(0);
    expect(resolved.json()).toMatchObject({
      id: alertId,
      resolution: 'retrained on fresh data',
      acknowledged: true,
    });

    const remaining = (await runRetrain(['alerts', '--json'], env)).json() as { id: string }[];
    expect(remaining.map((a) => a.id)).not.toContain(alertId);
    const all = (await runRetrain(['alerts', '--all', '--json'], env)).json() as { id: string }[];
    expect(all.map((a) => a.id)).toContain(alertId);
  });
});
