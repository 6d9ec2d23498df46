/**
 * A retraining that cannot start says why on its row and leaves nothing waiting: refused by the
 * job queue, it ends `failed` with the queue's reason (not `queued` for a delivery that never
 * comes); refused because another one runs, it ends `skipped`. A repeated delivery of a run still
 * going in this process waits for that run instead of starting it a second time.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { ConflictError } from '../../src/errors.js';
import { Logger } from '../../src/logging/logger.js';
import { JobQueue, RETRAINING_QUEUE } from '../../src/orchestration/jobs.js';
import { PAUSE_AT_STAGE_VARIABLE } from '../../src/orchestration/pipeline.js';
import { RetrainingSystem } from '../../src/orchestration/system.js';
import { findJob, listJobs, type RetrainingJobRow } from '../../src/store/retraining-jobs.js';
import { BACKEND, createTestDatabase, uniqueName, type TestDatabase } from '../helpers/database.js';

const logger = new Logger({ logToConsole: false });
const CONFIG = { schedule: { enabled: false }, deployment: { abTesting: { enabled: false } } } as const;

let test: TestDatabase;

async function job(id: string): Promise<RetrainingJobRow> {
  return (await findJob(test.db, id))!;
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe(`retrainings that cannot start (${BACKEND})`, () => {
  beforeAll(async () => {
    test = await createTestDatabase();
    await migrate(test.db);
  }, 60_000);
  afterAll(async () => {
    await test?.close();
  });
  afterEach(() => {
    delete process.env[PAUSE_AT_STAGE_VARIABLE];
  });

  it('refused by the job queue: the error reaches the caller and the row ends failed with it, not queued', async () => {
    const system = await RetrainingSystem.create(CONFIG, { db: test.db, jobs: false, logger, env: {} });
    const schema = uniqueName('boss');
    const queue = await JobQueue.start(test.db, {
      ...(test.url ? { url: test.url } : {}),
      schema,
      logger,
      schedule: false,
      supervise: false,
    });
    try {
      // pg-boss inserts nothing into a queue it does not have, and says so with a null id.
      await queue.boss.deleteQueue(RETRAINING_QUEUE);
      const service = system.services.retrainingService;
      service.useQueue(queue);
      await expect(service.startRetraining({ trigger: 'api' })).rejects.toThrow(
        'the job queue refused the retraining job',
      );
      const [row] = await listJobs(test.db, 1);
      expect(row).toMatchObject({
        status: 'failed',
        trigger: 'api',
        error: 'could not queue the retraining: the job queue refused the retraining job',
      });
      expect(row!.finishedAt).not.toBeNull();
      // Nothing is left blocking the next retraining.
      service.useQueue(null);
      expect(
        (await listJobs(test.db, 10)).filter((j) => j.status === 'running' || j.status === 'queued'),
      ).toEqual([]);
    } finally {
      await system.stop(0);
      await queue.stop(5_000);
      if (test.schema) await test.db.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    }
  });

  it('while another runs in this process: a foreground run is refused and its row skipped; a repeated delivery of the running one waits for it', async () => {
    // The first run waits at collect until cancelled, so it is certainly running while the others ask.
    process.env[PAUSE_AT_STAGE_VARIABLE] = 'collect';
    const system = await RetrainingSystem.create(CONFIG, { db: test.db, jobs: false, logger, env: {} });
    const service = system.services.retrainingService;
    let repeat: Promise<unknown> | null = null;
    try {
      const first = await service.startRetraining({ trigger: 'api' });
      await until('the first run to pause at collect', async () =>
        (await job(first.id)).logs.some((line) => line.message.startsWith('paused at collect')),
      );

      const refused = service.runRetraining({ trigger: 'manual' });
      await expect(refused).rejects.toThrow(ConflictError);
      await expect(refused).rejects.toThrow(
        'another retraining job is already running; only one runs at a time',
      );
      const [skipped] = await listJobs(test.db, 1);
      expect(skipped!.id).not.toBe(first.id);
      expect(skipped).toMatchObject({
        status: 'skipped',
        trigger: 'manual',
        error: 'another retraining job is already running; only one runs at a time',
      });
      // The sweep did not take the live run for an orphan, embedded or not.
      expect(await job(first.id)).toMatchObject({ status: 'running', stage: 'collect' });

      // A queued start is refused before any row is made.
      const rows = (await listJobs(test.db, 1000)).length;
      await expect(service.startRetraining()).rejects.toThrow(
        `retraining job ${first.id} is already running (collect)`,
      );
      expect((await listJobs(test.db, 1000)).length).toBe(rows);

      // pg-boss hands the running job out again (its expiry passed): the delivery is held, not run twice.
      let settled = false;
      repeat = service
        .processQueueJob({ jobId: first.id, trigger: 'api' }, 'repeated-delivery')
        .finally(() => {
          settled = true;
        });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(settled).toBe(false);
      expect(await job(first.id)).toMatchObject({ status: 'running', attempt: 1 });

      // Cancelling the run ends the held delivery too, with nothing run a second time.
      await system.stop(0);
      expect(await repeat).toBeNull();
      const ended = await job(first.id);
      expect(ended).toMatchObject({ status: 'cancelled', attempt: 1 });
      expect(ended.logs.filter((line) => line.message.startsWith('paused at collect'))).toHaveLength(1);
    } finally {
      await system.stop(0);
      await repeat?.catch(() => undefined);
    }
  });
});
