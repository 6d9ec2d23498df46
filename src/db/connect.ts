import { openEmbeddedDatabase } from './embedded.js';
import { openServerDatabase } from './server.js';
import type { Database } from './types.js';

export const DEFAULT_DATA_DIR = './.retraining';

export interface DatabaseOptions {
  /** A PostgreSQL connection string; when absent the embedded database is used. */
  url?: string | undefined;
  /** The embedded database's folder (default `RETRAINING_DATA_DIR` or `./.retraining`). */
  dataDir?: string | undefined;
  /** Server only: a schema of its own (created when missing), first on the search path. */
  schema?: string | undefined;
}

/** Where the database is, from explicit options first, then `DATABASE_URL` / `RETRAINING_DATA_DIR`. */
export function resolveDatabaseOptions(
  options: DatabaseOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): DatabaseOptions {
  const url = options.url ?? (env.DATABASE_URL?.trim() || undefined);
  if (url) return { url, schema: options.schema };
  return { dataDir: options.dataDir ?? (env.RETRAINING_DATA_DIR?.trim() || DEFAULT_DATA_DIR) };
}

/** Opens PostgreSQL: the server of `DATABASE_URL` when set, otherwise the embedded database. */
export async function openDatabase(options: DatabaseOptions = {}): Promise<Database> {
  const resolved = resolveDatabaseOptions(options);
  if (resolved.url) {
    return openServerDatabase({ url: resolved.url, ...(resolved.schema ? { schema: resolved.schema } : {}) });
  }
  return openEmbeddedDatabase({ dataDir: resolved.dataDir ?? DEFAULT_DATA_DIR });
}
