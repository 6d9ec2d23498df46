import { describe } from 'vitest';
import { SERVER_URL } from './database.js';

export const DATABASE_INDEPENDENT_SKIP_REASON = 'database-independent: runs in the embedded pass';

/**
 * `describe` for tests that never open a database (the RL engine, tuning, metrics). `.ci/run` runs
 * the suite twice, embedded then against a PostgreSQL server (TEST_DATABASE_URL set); these tests
 * would give the same result twice, so the server pass skips them and says why in the suite name.
 */
export function describeDatabaseIndependent(name: string, fn: () => void): void {
  if (SERVER_URL) describe.skip(`${name} [skipped: ${DATABASE_INDEPENDENT_SKIP_REASON}]`, fn);
  else describe(name, fn);
}
