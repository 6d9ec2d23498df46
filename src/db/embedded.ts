import { accessSync, constants, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { DatabaseUnavailableError } from '../errors.js';
import { acquireFolderLock, type FolderLock } from './folder-lock.js';
import type { Database, Queryable, QueryResult } from './types.js';

export interface EmbeddedDatabaseOptions {
  /** Folder the data lives in; created when missing. `memory://` keeps it in memory (tests). */
  dataDir: string;
}

export const IN_MEMORY = 'memory://';

export async function openEmbeddedDatabase(options: EmbeddedDatabaseOptions): Promise<Database> {
  if (options.dataDir === IN_MEMORY) {
    const pglite = await startPGlite(undefined, 'memory');
    return new EmbeddedDatabase(pglite, IN_MEMORY, null);
  }
  const dir = resolve(options.dataDir);
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK | constants.R_OK);
  } catch (error) {
    throw new DatabaseUnavailableError(
      `cannot use the embedded database folder ${dir}: ${(error as Error).message}. ` +
        'Make it writable, choose another folder with RETRAINING_DATA_DIR, or set DATABASE_URL to use a PostgreSQL server.',
      { cause: error },
    );
  }
  const lock = acquireFolderLock(dir);
  try {
    const pglite = await startPGlite(dir, dir);
    return new EmbeddedDatabase(pglite, dir, lock);
  } catch (error) {
    lock.release();
    throw error;
  }
}

async function startPGlite(dir: string | undefined, location: string): Promise<PGlite> {
  try {
    const pglite = new PGlite(dir);
    await pglite.waitReady;
    return pglite;
  } catch (error) {
    throw new DatabaseUnavailableError(
      `cannot open the embedded database in ${location}: ${(error as Error).message}. ` +
        'If the folder was written by another PostgreSQL or PGlite version, move it aside and start again.',
      { cause: error },
    );
  }
}

class EmbeddedDatabase implements Database {
  readonly kind = 'embedded' as const;
  private closed = false;

  constructor(
    private readonly pglite: PGlite,
    readonly location: string,
    private readonly lock: FolderLock | null,
  ) {}

  async query<Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
    this.assertOpen();
    const result = toResult(await this.storage(this.pglite.query<Row>(sql, params as unknown[] | undefined)));
    await yieldToEventLoop();
    return result;
  }

  async exec(sql: string): Promise<void> {
    this.assertOpen();
    await this.storage(this.pglite.exec(sql));
    await yieldToEventLoop();
  }

  async copyFrom(table: string, columns: readonly string[], data: string | Uint8Array): Promise<void> {
    this.assertOpen();
    await this.storage(this.pglite.query(copySql(table, columns, data), [], { blob: blobOf(data) }));
    await yieldToEventLoop();
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    this.assertOpen();
    // PGlite's transaction holds its single connection exclusively and rolls back on a throw.
    const result = await this.storage(this.pglite.transaction((tx) => fn(wrapTransaction(tx))));
    await yieldToEventLoop();
    return result;
  }

  async listen(channel: string, handler: (payload: string) => void): Promise<() => Promise<void>> {
    this.assertOpen();
    const stop = await this.pglite.listen(channel, handler);
    return async () => {
      if (!this.closed) await stop();
    };
  }

  /** The PGlite instance, for adapters (pg-boss) that need the raw connection. */
  get raw(): PGlite {
    return this.pglite;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.pglite.close();
    } finally {
      this.lock?.release();
    }
  }

  /**
   * PostgreSQL reports a data file it may not open or create (a folder made read-only, a full
   * disk) as a query error; it is the folder that is unusable, not the query, so say which.
   */
  private storage<T>(work: Promise<T>): Promise<T> {
    return work.catch((error: unknown) => {
      const code = (error as { code?: unknown }).code;
      const message = error instanceof Error ? error.message : String(error);
      const fileError = code === '42501' && /could not \w+ file/.test(message);
      if (!fileError && !(typeof code === 'string' && /^(58|53100)/.test(code))) throw error;
      throw new DatabaseUnavailableError(
        `the embedded database in ${this.location} cannot use its files: ${message}. ` +
          'Check that the folder is writable by this user and the disk has space, then restart.',
        { cause: error },
      );
    });
  }

  private assertOpen(): void {
    if (this.closed)
      throw new DatabaseUnavailableError(`the embedded database in ${this.location} is closed`);
  }
}

/**
 * PGlite runs PostgreSQL on this thread, and its queries resolve through promise jobs alone, so a
 * chain of them (a retraining loading months of bars) held the event loop for their whole sum:
 * predictions waited 0.6 s behind one collect stage. A turn of the event loop after each lets
 * requests in between; the longest single query is then the longest wait.
 */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function wrapTransaction(tx: Transaction): Queryable {
  return {
    query: async <Row>(sql: string, params?: readonly unknown[]) =>
      toResult(await tx.query<Row>(sql, params as unknown[] | undefined)),
    exec: async (sql: string) => {
      await tx.exec(sql);
    },
    copyFrom: async (table, columns, data) => {
      await tx.query(copySql(table, columns, data), [], { blob: blobOf(data) });
    },
  };
}

// PGlite has no STDIN: COPY reads the blob passed with the query from the virtual file /dev/blob.
function copySql(table: string, columns: readonly string[], data: string | Uint8Array): string {
  const format = typeof data === 'string' ? '' : ' WITH (FORMAT binary)';
  return `COPY ${table} (${columns.join(', ')}) FROM '/dev/blob'${format}`;
}

function toResult<Row>(result: { rows: Row[]; affectedRows?: number }): QueryResult<Row> {
  // PGlite reports 0 affected rows for a SELECT where pg reports the rows returned.
  return { rows: result.rows, rowCount: Math.max(result.affectedRows ?? 0, result.rows.length) };
}

/** Wraps a PGlite instance the caller started (tests clone one template per test). */
export function wrapPGlite(pglite: PGlite, location: string): Database & { raw: PGlite } {
  return new EmbeddedDatabase(pglite, location, null);
}

export function isEmbedded(db: Database): db is Database & { raw: PGlite } {
  return db.kind === 'embedded' && 'raw' in db;
}

/** COPY data as a Blob; Node's Blob takes any byte view (the DOM typing wants an ArrayBuffer-backed one). */
function blobOf(data: string | Uint8Array): Blob {
  return new Blob([data as string | Uint8Array<ArrayBuffer>]);
}
