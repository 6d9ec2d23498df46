import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { wrapPGlite } from '../../src/db/embedded.js';
import { openServerDatabase } from '../../src/db/server.js';
import type { Database } from '../../src/db/types.js';

/** Set by `.ci/run` for the second pass: the same tests against a PostgreSQL server. */
export const SERVER_URL = process.env.TEST_DATABASE_URL?.trim() || undefined;
export const BACKEND: Database['kind'] = SERVER_URL ? 'server' : 'embedded';

export interface TestDatabase {
  db: Database;
  /** Server only: the schema this test owns (dropped at the end). */
  schema: string | undefined;
  /** A connection string that reaches this test's database (server only). */
  url: string | undefined;
  close(): Promise<void>;
}

let template: Promise<PGlite> | undefined;

export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/**
 * A clean database for one test: on the server a schema of its own, embedded a clone of an empty
 * in-memory PGlite (cloning is about twice as fast as starting a new one).
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (SERVER_URL) {
    const schema = uniqueName('t');
    const db = await openServerDatabase({ url: SERVER_URL, schema, maxConnections: 4 });
    const url = withSearchPath(SERVER_URL, schema);
    return {
      db,
      schema,
      url,
      close: async () => {
        // Concurrent DROP SCHEMA … CASCADE of other tests can deadlock on shared catalogs: retry.
        for (let attempt = 1; ; attempt++) {
          try {
            await db.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
            break;
          } catch (error) {
            if ((error as { code?: string }).code !== '40P01' || attempt === 5) throw error;
            await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
          }
        }
        await db.close();
      },
    };
  }
  template ??= PGlite.create();
  const pglite = (await (await template).clone()) as PGlite;
  const db = wrapPGlite(pglite, 'memory://');
  return { db, schema: undefined, url: undefined, close: () => db.close() };
}

/** The server URL with a search path, so a child process (the CLI) uses this test's schema. */
export function withSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}
