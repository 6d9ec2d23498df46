import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connect.js';
import { openEmbeddedDatabase } from '../../src/db/embedded.js';
import { LOCK_FILE_NAME } from '../../src/db/folder-lock.js';
import { migrate } from '../../src/db/migrate.js';
import { TSX_LOADER } from '../helpers/cli.js';
import { DatabaseLockedError, DatabaseUnavailableError } from '../../src/errors.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'retraining-embedded-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A second Node process that opens the folder and holds it until killed. */
function holdInChild(dataDir: string): Promise<ChildProcess> {
  const script = `
    const { openEmbeddedDatabase } = await import(${JSON.stringify(new URL('../../src/db/embedded.ts', import.meta.url).href)});
    await openEmbeddedDatabase({ dataDir: ${JSON.stringify(dataDir)} });
    console.log('holding');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--import', TSX_LOADER, '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    child.stdout!.on('data', (chunk) => {
      if (String(chunk).includes('holding')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`holder exited with ${code}: ${stderr}`)));
  });
}

describe('embedded database folder', () => {
  it('keeps rows across close and reopen', async () => {
    const first = await openEmbeddedDatabase({ dataDir: dir });
    await migrate(first);
    await first.query(
      `INSERT INTO market_bars (symbol, interval, ts, open, high, low, close) VALUES ('A', '1d', now(), 1, 2, 0.5, 1.5)`,
    );
    await first.close();
    expect(existsSync(join(dir, LOCK_FILE_NAME))).toBe(false);
    const second = await openEmbeddedDatabase({ dataDir: dir });
    const rows = await second.query<{ n: number }>('SELECT count(*) AS n FROM market_bars');
    expect(rows.rows[0]!.n).toBe(1);
    await second.close();
  });

  it('refuses a second open of the same folder in this process', async () => {
    const db = await openEmbeddedDatabase({ dataDir: dir });
    try {
      const error = await openEmbeddedDatabase({ dataDir: dir }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DatabaseLockedError);
      expect(String(error)).toMatch(/this process already has it open/);
    } finally {
      await db.close();
    }
  });

  it('refuses a second process and names the process that holds the folder', async () => {
    const holder = await holdInChild(dir);
    try {
      const error = await openEmbeddedDatabase({ dataDir: dir }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DatabaseLockedError);
      expect((error as DatabaseLockedError).holderPid).toBe(holder.pid);
      expect(String(error)).toContain(`process ${holder.pid}`);
      expect(String(error)).toContain('DATABASE_URL');
    } finally {
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('exit', resolve));
    }
    // SIGKILL leaves the lock file behind; the next process sees its owner is gone and takes over.
    expect(existsSync(join(dir, LOCK_FILE_NAME))).toBe(true);
    const db = await openEmbeddedDatabase({ dataDir: dir });
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE_NAME), 'utf8')).pid).toBe(process.pid);
    await db.close();
  });

  it('takes over a lock whose owner no longer exists, and one that is unreadable', async () => {
    writeFileSync(
      join(dir, LOCK_FILE_NAME),
      JSON.stringify({ pid: 2 ** 22 + 17, hostname: (await import('node:os')).hostname(), startedAt: 'x' }),
    );
    const db = await openEmbeddedDatabase({ dataDir: dir });
    await db.close();
    writeFileSync(join(dir, LOCK_FILE_NAME), 'garbage that is not JSON');
    const again = await openEmbeddedDatabase({ dataDir: dir });
    await again.close();
  });

  it('names the folder when it cannot be created or written', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a folder');
    const error = await openEmbeddedDatabase({ dataDir: join(file, 'data') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect(String(error)).toContain(join(file, 'data'));
    expect(String(error)).toContain('RETRAINING_DATA_DIR');
  });

  it('uses RETRAINING_DATA_DIR when DATABASE_URL is unset', async () => {
    const saved = { url: process.env.DATABASE_URL, dir: process.env.RETRAINING_DATA_DIR };
    delete process.env.DATABASE_URL;
    process.env.RETRAINING_DATA_DIR = join(dir, 'from-env');
    try {
      const db = await openDatabase();
      expect(db.kind).toBe('embedded');
      expect(db.location).toBe(join(dir, 'from-env'));
      await db.close();
    } finally {
      if (saved.url !== undefined) process.env.DATABASE_URL = saved.url;
      if (saved.dir === undefined) delete process.env.RETRAINING_DATA_DIR;
      else process.env.RETRAINING_DATA_DIR = saved.dir;
    }
  });

  it('rolls back a failed transaction and leaves the connection usable', async () => {
    const db = await openEmbeddedDatabase({ dataDir: 'memory://' });
    try {
      await db.exec('CREATE TABLE t (id int PRIMARY KEY)');
      await expect(
        db.transaction(async (tx) => {
          await tx.query('INSERT INTO t VALUES (1)');
          await tx.query('INSERT INTO t VALUES (1)');
        }),
      ).rejects.toThrow(/duplicate key/);
      const rows = await db.query<{ n: number }>('SELECT count(*) AS n FROM t');
      expect(rows.rows[0]!.n).toBe(0);
    } finally {
      await db.close();
    }
  });
});
