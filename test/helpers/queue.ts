import { JobQueue, type JobQueueOptions } from '../../src/orchestration/jobs.js';
import type { Logger } from '../../src/logging/logger.js';
import type { TestDatabase } from './database.js';

/**
 * A job queue on a test's database in pg-boss schema `schema`, as a worker process has one: no
 * scheduler, no maintenance, and `settings` over that. Each call is a pg-boss instance of its own,
 * as another process would have.
 */
export function startTestQueue(
  test: TestDatabase,
  schema: string,
  logger: Logger,
  settings: Partial<JobQueueOptions> = {},
): Promise<JobQueue> {
  return JobQueue.start(test.db, {
    ...(test.url ? { url: test.url } : {}),
    schema,
    logger,
    schedule: false,
    supervise: false,
    ...settings,
  });
}
