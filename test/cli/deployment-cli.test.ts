import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openEmbeddedDatabase } from '../../src/db/embedded.js';
import { migrate } from '../../src/db/migrate.js';
import type { Database } from '../../src/db/types.js';
import { insertVersion } from '../../src/store/versions.js';
import { runRetrain } from '../helpers/cli.js';
import { BACKEND, createTestDatabase, SERVER_URL, type TestDatabase } from '../helpers/database.js';
import { versionInput } from '../helpers/fixtures.js';

let dir: string;
let server: TestDatabase | undefined;
let env: NodeJS.ProcessEnv;

/** Seeds versions through a connection of the test's own, closed before the CLI runs. */
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
  dir = mkdtempSync(join(tmpdir(), 'retraining-deploy-cli-'));
  if (SERVER_URL) {
    server = await createTestDatabase();
    env = { DATABASE_URL: server.url };
  } else {
    env = { RETRAINING_DATA_DIR: join(dir, 'data') };
  }
  await seed(async (db) => {
    await migrate(db);
    await insertVersion(
      db,
      versionInput('1.0.0', { status: 'validated', metrics: { sharpeRatio: 1.1, winRate: 0.5 } }),
    );
    await insertVersion(
      db,
      versionInput('1.1.0', { status: 'validated', metrics: { sharpeRatio: 1.6, winRate: 0.55 } }),
    );
  });
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe(`retrain versions, deploy, rollback and ab (${BACKEND})`, () => {
  it('deploys, refuses inside the cooldown and unknown versions, and rolls back with a reason', async () => {
    const unknown = await runRetrain(['deploy', '9.9.9'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('model version "9.9.9" does not exist');

    expect((await runRetrain(['deploy', '1.0.0', '--reason', 'first'], env)).code).toBe(0);
    const cooldown = await runRetrain(['deploy', '1.1.0', '--json'], env);
    expect(cooldown.code).toBe(1);
    expect((cooldown.json() as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('cooldown'),
    });
    expect((await runRetrain(['deploy', '1.1.0', '--force'], env)).code).toBe(2);
    expect((await runRetrain(['deploy', '1.1.0', '--force', '--reason', 'losses on 1.0.0'], env)).code).toBe(
      0,
    );

    expect((await runRetrain(['rollback'], env)).code).toBe(2);
    const rollback = await runRetrain(['rollback', '--reason', 'drift', '--json'], env);
    expect(rollback.code).toBe(0);
    expect(rollback.json()).toMatchObject({ version: '1.0.0', previous: '1.1.0' });

    const versions = await runRetrain(['versions', '--json'], env);
    expect(
      (versions.json() as { version: string; status: string }[]).map((v) => [v.version, v.status]),
    ).toEqual([
      ['1.1.0', 'rolled_back'],
      ['1.0.0', 'production'],
    ]);
    const compare = await runRetrain(['versions', '--compare', '1.0.0', '1.1.0'], env);
    expect(compare.stdout).toMatch(/sharpeRatio\s+1\.1\s+1\.6\s+0\.5/);
  });

  it('starts an A/B test, reports it, stops it, and refuses a bad split', async () => {
    await runRetrain(['deploy', '1.0.0'], env);
    expect((await runRetrain(['ab', 'results'], env)).code).toBe(1);
    const bad = await runRetrain(['ab', 'start', '1.0.0', '1.1.0', '--split', '120'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('trafficSplit 120 is out of range');
    const started = await runRetrain(['ab', 'start', '1.0.0', '1.1.0', '--split', '20', '--json'], env);
    expect(started.code).toBe(0);
    const id = (started.json() as { id: string }).id;
    const results = await runRetrain(['ab', 'results'], env);
    expect(results.stdout).toContain('recommendation: continue');
    expect((await runRetrain(['ab', 'stop', id, '--reason', 'enough'], env)).code).toBe(0);
    expect((await runRetrain(['ab', 'stop', id, '--reason', 'again'], env)).code).toBe(1);
  });
});
