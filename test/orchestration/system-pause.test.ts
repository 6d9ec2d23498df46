import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { Logger } from '../../src/logging/logger.js';
import { RetrainingSystem } from '../../src/orchestration/system.js';
import { getJob } from '../../src/store/retraining-jobs.js';
import { BACKEND, createTestDatabase, type TestDatabase } from '../helpers/database.js';

let test: TestDatabase;
let bossSchema: string;

describe(`pausing and resuming a system's work (${BACKEND})`, () => {
  beforeAll(async () => {
    test = await createTestDatabase();
    await migrate(test.db);
    bossSchema = test.schema ? `${test.schema}_boss` : 'pgboss';
  });
  afterAll(async () => {
    if (test.schema) await test.db.exec(`DROP SCHEMA IF EXISTS ${bossSchema} CASCADE`);
    await test.close();
  });

  it('leaves a queued retraining waiting while paused and runs it after resume', async () => {
    const system = await RetrainingSystem.create(
      { schedule: { enabled: false } },
      {
        db: test.db,
        ...(test.url ? { databaseUrl: test.url } : {}),
        bossSchema,
        logger: new Logger({ logToConsole: false }),
        env: {},
        queue: { pollingIntervalSeconds: 0.5 },
      },
    );
    try {
      await system.start();
      await system.pause();
      expect(system.isRunning).toBe(false);
      const queued = await system.services.retrainingService.startRetraining();
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect((await getJob(test.db, queued.id)).status).toBe('queued');
      await system.resume();
      expect(system.isRunning).toBe(true);
      let status = 'queued';
      for (let i = 0; i < 60 && ['queued', 'running'].includes(status); i++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        status = (await getJob(test.db, queued.id)).status;
      }
      // No market data here: the run ends skipped, which shows a worker took it.
      expect(status).toBe('skipped');
    } finally {
      await system.stop(0);
    }
  });
});
