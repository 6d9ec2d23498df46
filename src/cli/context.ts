import { openDatabase } from '../db/connect.js';
import { migrate } from '../db/migrate.js';
import type { Database } from '../db/types.js';

export interface DatabaseFlags {
  dataDir?: string;
}

/**
 * Opens the database the command line and environment point at, brings its schema up to date
 * (unless `migrate` is false, for commands that only report), runs `fn`, and closes it.
 */
export async function withDatabase<T>(
  flags: DatabaseFlags,
  fn: (db: Database) => Promise<T>,
  options: { migrate?: boolean } = {},
): Promise<T> {
  const db = await openDatabase({ dataDir: flags.dataDir });
  try {
    if (options.migrate !== false) await migrate(db);
    return await fn(db);
  } finally {
    await db.close();
  }
}
