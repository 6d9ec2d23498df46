import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyStream } from 'pg-copy-streams';
import { ValidationError } from '../errors.js';
import { describeConnectionError } from './errors.js';
import type { Database, Queryable, QueryResult } from './types.js';
import { redactDatabaseUrl } from './url.js';

export interface ServerDatabaseOptions {
  url: string;
  /** Schema to create (if missing) and put first on the search path; tests use one per test. */
  schema?: string;
  /** Pool size; pg-boss takes its own connections on top of these. */
  maxConnections?: number;
  connectTimeoutMs?: number;
}

const INT8_OID = 20;

// Both backends return the same JavaScript types: PGlite parses int8 (counts) as numbers, so pg
// does too; per pool, so pg-boss's own pool keeps the driver's defaults.
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
};

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export async function openServerDatabase(options: ServerDatabaseOptions): Promise<Database> {
  const location = redactDatabaseUrl(options.url);
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
    throw new ValidationError(
      `database schema "${options.schema}" is not a valid name; expected lower-case letters, digits and _`,
      'schema',
    );
  }
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    application_name: 'ai-trading-retraining',
    types,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', () => {});

  try {
    if (options.schema) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${options.schema}`);
    else await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => {});
    throw describeConnectionError(error, location);
  }
  return new ServerDatabase(pool, location);
}

class ServerDatabase implements Database {
  readonly kind = 'server' as const;

  constructor(
    private readonly pool: pg.Pool,
    readonly location: string,
  ) {}

  async query<Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
    try {
      const result = await this.pool.query(sql, params as unknown[] | undefined);
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length };
    } catch (error) {
      throw describeConnectionError(error, this.location);
    }
  }

  /** Runs one or several statements; pg answers several with an array of results, not read here. */
  async exec(sql: string): Promise<void> {
    try {
      await this.pool.query(sql);
    } catch (error) {
      throw describeConnectionError(error, this.location);
    }
  }

  async copyFrom(table: string, columns: readonly string[], data: string | Uint8Array): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw describeConnectionError(error, this.location);
    }
    try {
      await copyInto(client, table, columns, data);
    } catch (error) {
      throw describeConnectionError(error, this.location);
    } finally {
      client.release();
    }
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw describeConnectionError(error, this.location);
    }
    const tx: Queryable = {
      query: async <Row>(sql: string, params?: readonly unknown[]) => {
        const result = await client.query(sql, params as unknown[] | undefined);
        return { rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length };
      },
      exec: async (sql: string) => {
        await client.query(sql);
      },
      copyFrom: (table, columns, data) => copyInto(client, table, columns, data),
    };
    let broken: unknown;
    try {
      await client.query('BEGIN');
      const value = await fn(tx);
      await client.query('COMMIT');
      return value;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        broken = rollbackError;
      }
      throw describeConnectionError(error, this.location);
    } finally {
      // A client whose ROLLBACK failed is in an unknown state: destroy it rather than reuse it.
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  /**
   * LISTEN on a client of its own, taken out of the pool for as long as it listens. A lost
   * connection is reported through `onError`; callers keep a polling fallback.
   */
  async listen(channel: string, handler: (payload: string) => void): Promise<() => Promise<void>> {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) throw new Error(`invalid channel name ${channel}`);
    let stopped = false;
    let client: pg.PoolClient | null = null;
    let retry: NodeJS.Timeout | null = null;
    const onNotification = (message: pg.Notification) => {
      if (message.channel === channel) handler(message.payload ?? '');
    };
    const subscribe = async (): Promise<void> => {
      let connected: pg.PoolClient;
      try {
        connected = await this.pool.connect();
      } catch (error) {
        throw describeConnectionError(error, this.location);
      }
      let released = false;
      const drop = () => {
        if (released) return false;
        released = true;
        connected.off('notification', onNotification);
        connected.release(true);
        if (client === connected) client = null;
        return true;
      };
      connected.on('notification', onNotification);
      // A dropped connection (a restarted server, a proxy timeout) loses the subscription and
      // every notification until it is back: listen again, and tell the handler it may have missed some.
      connected.once('error', () => {
        if (drop() && !stopped) resubscribe(1_000);
      });
      try {
        await connected.query(`LISTEN ${channel}`);
      } catch (error) {
        drop();
        throw error;
      }
      client = connected;
    };
    const resubscribe = (delayMs: number) => {
      retry = setTimeout(() => {
        retry = null;
        subscribe().then(
          () => handler(''),
          () => {
            if (!stopped) resubscribe(Math.min(delayMs * 2, 30_000));
          },
        );
      }, delayMs);
      retry.unref();
    };
    await subscribe();
    return async () => {
      if (stopped) return;
      stopped = true;
      if (retry) clearTimeout(retry);
      const current = client;
      client = null;
      if (!current) return;
      current.off('notification', onNotification);
      try {
        await current.query(`UNLISTEN ${channel}`);
        current.release();
      } catch (error) {
        current.release(error instanceof Error ? error : true);
      }
    };
  }

  async close(): Promise<void> {
    if (!this.pool.ending) await this.pool.end();
  }
}

async function copyInto(
  client: pg.PoolClient,
  table: string,
  columns: readonly string[],
  data: string | Uint8Array,
): Promise<void> {
  const format = typeof data === 'string' ? '' : ' WITH (FORMAT binary)';
  const sink = client.query(copyStream(`COPY ${table} (${columns.join(', ')}) FROM STDIN${format}`));
  await pipeline(
    Readable.from([
      typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength),
    ]),
    sink,
  );
}
