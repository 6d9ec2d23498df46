import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RetrainingConfigInput } from '../../src/config/schema.js';
import { migrate } from '../../src/db/migrate.js';
import { Logger } from '../../src/logging/logger.js';
import { seedDemoData } from '../../src/market/demo.js';
import { nextRuns } from '../../src/orchestration/jobs.js';
import { quickStartRetraining, RetrainingFactory, RetrainingSystem } from '../../src/orchestration/system.js';
import type { RetrainingJobRow } from '../../src/store/retraining-jobs.js';
import { BACKEND, createTestDatabase, type TestDatabase } from '../helpers/database.js';

const SMALL: RetrainingConfigInput = {
  schedule: { cronExpression: '0 2 * * 0', timezone: 'Europe/Berlin' },
  dataCollection: { lookbackDays: 60 },
  training: { epochs: 10, batchSize: 256, hyperparameterOptimization: { enabled: false } },
};

let test: TestDatabase;
let bossSchema: string;

/** A system on the test database and its own pg-boss schema. */
const createSystem = (options: Partial<Parameters<typeof RetrainingSystem.create>[1]>) =>
  RetrainingSystem.create(SMALL, {
    db: test.db,
    ...(test.url ? { databaseUrl: test.url } : {}),
    bossSchema,
    logger: new Logger({ logToConsole: false }),
    env: {},
    ...options,
  });

describe(`the retraining system with its job queue (${BACKEND})`, () => {
  beforeAll(async () => {
    test = await createTestDatabase();
    await migrate(test.db);
    await seedDemoData(test.db, new Date());
    bossSchema = test.schema ? `${test.schema}_boss` : 'pgboss';
  }, 120_000);
  afterAll(async () => {
    if (test.schema) await test.db.exec(`DROP SCHEMA IF EXISTS ${bossSchema} CASCADE`);
    await test.close();
  });

  it('queues a retraining, runs it on its worker and reports status with the next runs', async () => {
    const system = await createSystem({ queue: { pollingIntervalSeconds: 0.5 } });
    try {
      await system.start();
      const service = system.services.retrainingService;
      const queued = await service.startRetraining();
      expect(queued.status).toBe('queued');
      let job: RetrainingJobRow = queued;
      for (let i = 0; i < 240 && !['succeeded', 'failed', 'skipped'].includes(job.status); i++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        job = await service.getJob(queued.id);
      }
      expect(job).toMatchObject({ status: 'succeeded', progress: 1 });
      expect(job.worker).toBe(service.worker);

      const status = await system.getStatus();
      expect(status.running).toBe(true);
      expect(status.currentJob).toBeNull();
      expect(status.nextRuns).toHaveLength(3);
      // Sunday 02:00 in Berlin is 01:00 UTC in winter.
      expect(status.nextRuns[0]!.toISOString()).toMatch(/T01:00:00\.000Z$/);
      expect(status.nextRuns[0]!.getUTCDay()).toBe(0);
      expect(status.health.checks.find((c) => c.name === 'scheduler')).toMatchObject({ status: 'healthy' });
      if (job.resultVersion && status.productionVersion) {
        expect(status.productionVersion.version).toBe(job.resultVersion);
      }
    } finally {
      await system.stop();
    }
  }, 180_000);

  it('says when this process does not fire the schedule, instead of calling the scheduler healthy', async () => {
    const system = await createSystem({ scheduler: false, worker: false });
    try {
      await system.start();
      const health = await system.services.retrainingService.checkSystemHealth();
      expect(health.checks.find((c) => c.name === 'scheduler')).toMatchObject({
        status: 'degraded',
        message: expect.stringMatching(/this process does not fire the schedule/),
      });
    } finally {
      await system.stop();
    }
  }, 60_000);
});

describe(`quickStartRetraining and RetrainingFactory (${BACKEND})`, () => {
  it('start a system whose services the README reaches, with a status, and stop it', async () => {
    const own = await createTestDatabase();
    const schema = own.schema ? `${own.schema}_boss` : 'pgboss';
    try {
      const { system, stop, getStatus } = await quickStartRetraining(
        { schedule: { enabled: false } },
        {
          db: own.db,
          ...(own.url ? { databaseUrl: own.url } : {}),
          bossSchema: schema,
          logger: new Logger({ logToConsole: false }),
          env: {},
        },
      );
      expect(RetrainingFactory.getInstance()).toBe(RetrainingFactory.getInstance());
      expect(system._services.retrainingService).toBe(system.services.retrainingService);
      expect(Object.keys(system._services).sort()).toEqual([
        'abTestManager',
        'alerter',
        'dataCollector',
        'deploymentManager',
        'modelTrainer',
        'monitoringService',
        'retrainingService',
      ]);
      const status = await getStatus();
      expect(status).toMatchObject({
        running: true,
        currentJob: null,
        productionVersion: null,
        nextRuns: [],
      });
      expect(status.health.issues).toContain('no model version is in production');
      await expect(system._services.retrainingService.rollbackModel(' ')).rejects.toThrow(
        'a rollback needs a reason',
      );
      await stop();
      expect(system.isRunning).toBe(false);
    } finally {
      if (own.schema) await own.db.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await own.close();
    }
  }, 60_000);
});

describe('nextRuns', () => {
  it('keeps the wall-clock time in its zone across a daylight-saving change', () => {
    // New York springs forward on 2026-03-08 at 02:00: 01:30 is EST (UTC−5) that night, EDT (UTC−4) after.
    const runs = nextRuns(
      { cronExpression: '30 1 * * *', timezone: 'America/New_York' },
      new Date('2026-03-07T00:00:00Z'),
      3,
    );
    expect(runs.map((d) => d.toISOString())).toEqual([
      '2026-03-07T06:30:00.000Z',
      '2026-03-08T06:30:00.000Z',
      '2026-03-09T05:30:00.000Z',
    ]);
    // A time that does not exist on the change day (02:30) is not invented twice or skipped silently.
    const skipped = nextRuns(
      { cronExpression: '30 2 * * *', timezone: 'America/New_York' },
      new Date('2026-03-07T12:00:00Z'),
      2,
    );
    expect(skipped.map((d) => d.toISOString())).toEqual([
      '2026-03-08T07:30:00.000Z',
      '2026-03-09T06:30:00.000Z',
    ]);
  });

  it('falls back in autumn without running twice', () => {
    // Berlin falls back on 2026-10-25 at 03:00 → 02:00: a 02:30 job runs once.
    const runs = nextRuns(
      { cronExpression: '30 2 * * *', timezone: 'Europe/Berlin' },
      new Date('2026-10-24T12:00:00Z'),
      3,
    );
    expect(runs.map((d) => d.toISOString())).toEqual([
      '2026-10-25T00:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
      '2026-10-27T01:30:00.000Z',
    ]);
  });
});
