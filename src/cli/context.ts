import { openDatabase } from '../db/connect.js';
import type { Database } from '../db/types.js';

export interface DatabaseFlags {
  dataDir?: string;
}

/** Opens the database the command line and environment point at, runs `fn`, and closes it. */
export async function withDatabase<T>(flags: DatabaseFlags, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase({ dataDir: flags.dataDir });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}
