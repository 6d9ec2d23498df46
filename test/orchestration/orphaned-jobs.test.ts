/**
 * A retraining job whose process died must not stay `running`: it would block every later
 * retraining (only one runs at a time). The queue takes such a job over while it still holds its
 * delivery; once it does not (retries spent, or the run was outside the queue, as `retrain run`
 * is), the job is ended failed with its reason and an alert. A cron tick's delivery, which names no
 * row, finds the row its first delivery made instead of making a second.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { Logger } from '../../src/logging/logger.js';
import { JobQueue, RETRAINING_QUEUE } from '../../src/orchestration/jobs.js';
import { RetrainingSystem } from '../../src/orchestration/system.js';
import { listAlerts } from '../../src/store/alerts.js';
import { findJob, listJobs, type RetrainingJobRow } from '../../src/store/retraining-jobs.js';
import { findVersion, insertVersion } from '../../src/store/versions.js';
import { BACKEND, createTestDatabase, uniqueName, type TestDatabase } from '../helpers/database.js';

const logger = new Logger({ logToConsole: false });
const DEAD_WORKER = 'gone-host:4242';

let test: TestDatabase;
let queue: JobQueue;
let system: RetrainingSystem;
const bossSchema = uniqueName('boss');

/** A job row as a process that died leaves it: running, its heartbeat `ageSeconds` old. */
async function orphan(
  ageSeconds: number,
  queueJobId: string | null = null,
  trigger = 'api',
): Promise<string> {
  const result = await test.db.query<{ id: string }>(
    `INSERT INTO retraining_jobs (status, stage, trigger, worker, started_at, heartbeat_at, queue_job_id)
     VALUES ('running', 'train', $1, $2, NOW() - make_interval(secs => $3 + 10),
       NOW() - make_interval(secs => $3), $4)
     RETURNING id`,
    [trigger, DEAD_WORKER, ageSeconds, queueJobId],
  );
  return result.rows[0]!.id;
}

async function halfMadeVersion(version: string): Promise<void> {
  await insertVersion(test.db, {
    version,
    modelType: 'ppo',
    trainedOn: new Date(),
    dataPoints: 1,
    metrics: {},
    config: {},
    status: 'training',
  });
}

async function job(id: string): Promise<RetrainingJobRow> {
  return (await findJob(test.db, id))!;
}

describe(`jobs a dead process left running (${BACKEND})`, () => {
  beforeAll(async () => {
    test = await createTestDatabase();
    await migrate(test.db);
    system = await RetrainingSystem.create(
      { schedule: { enabled: false }, deployment: { abTesting: { enabled: false } } },
      { db: test.db, jobs: false, logger, env: {} },
    );
    queue = await JobQueue.start(test.db, {
      ...(test.url ? { url: test.url } : {}),
      schema: bossSchema,
      logger,
      schedule: false,
      supervise: false,
    });
  }, 60_000);
  afterAll(async () => {
    await queue?.stop(5_000);
    await system?.stop();
    if (test?.schema) await test.db.exec(`DROP SCHEMA IF EXISTS ${bossSchema} CASCADE`);
    await test?.close();
  });
  beforeEach(async () => {
    system.services.retrainingService.useQueue(null);
    await test.db.exec(`UPDATE retraining_jobs SET status = 'failed' WHERE status = 'running'`);
  });

  it('a foreground run whose process died: ended failed with where it stood, its half-made version failed, an alert raised; the next retraining runs', async () => {
    const service = system.services.retrainingService;
    const id = await orphan(120);
    await halfMadeVersion('9.0.1');
    // A retraining is not refused as "already running" behind a dead run.
    const { job: next } = await service.runRetraining();
    expect(next.id).not.toBe(id);
    expect(next.status).not.toBe('running');

    const ended = await job(id);
    expect(ended).toMatchObject({ status: 'failed' });
    expect(ended.error).toBe(
      `its process ${DEAD_WORKER} stopped without finishing (at train, attempt 1); a run outside the job queue is not retried`,
    );
    expect(ended.finishedAt).not.toBeNull();
    expect(ended.logs.at(-1)).toMatchObject({ level: 'error', message: ended.error });
    expect((await findVersion(test.db, '9.0.1'))!.status).toBe('failed');
    const alerts = await listAlerts(test.db, { active: true });
    expect(alerts.find((a) => a.message.includes(id))).toMatchObject({
      type: 'training_failure',
      severity: 'high',
    });
    expect(alerts.find((a) => a.message.includes(id))!.message).toContain('half-made 9.0.1 failed');
  });

  it('a run of another process whose heartbeat is recent: left alone on a server (the process may be alive), ended at once embedded (the folder lock proves it is not)', async () => {
    const service = system.services.retrainingService;
    const id = await orphan(5);
    if (BACKEND === 'server') {
      expect(await service.sweepOrphanedJobs()).toEqual([]);
      await expect(service.startRetraining()).rejects.toThrow(
        `retraining job ${id} is already running (train)`,
      );
      expect((await job(id)).status).toBe('running');
    } else {
      expect((await service.sweepOrphanedJobs()).map((j) => j.id)).toEqual([id]);
      expect((await job(id)).status).toBe('failed');
    }
  });

  it('a queued run: left to the queue while it holds the delivery, ended once the delivery is spent or gone', async () => {
    const service = system.services.retrainingService;
    service.useQueue(queue);
    const pending = await queue.boss.send(RETRAINING_QUEUE, { jobId: 'x', trigger: 'api' });
    const id = await orphan(600, pending);
    // pg-boss will hand it out again: the take-over path's business.
    expect(await service.sweepOrphanedJobs()).toEqual([]);
    expect((await job(id)).status).toBe('running');

    // Still held by the dead process: handed back at once (pg-boss would wait for its expiry), to be taken over.
    const [taken] = await queue.boss.fetch(RETRAINING_QUEUE);
    expect(taken!.id).toBe(pending);
    expect(await queue.retrainingDelivery(pending!)).toBe('taken');
    expect(await service.sweepOrphanedJobs()).toEqual([]);
    expect(await queue.retrainingDelivery(pending!)).toBe('waiting');
    expect((await job(id)).status).toBe('running');

    await queue.boss.cancel(RETRAINING_QUEUE, pending!);
    const [ended] = await service.sweepOrphanedJobs();
    expect(ended).toMatchObject({ id, status: 'failed' });
    expect(ended!.error).toBe(
      `its worker ${DEAD_WORKER} stopped without finishing (at train, attempt 1) and the queue's retries are spent`,
    );

    // A delivery pg-boss no longer has at all (archived, deleted) counts as spent too.
    const deleted = await queue.boss.send(RETRAINING_QUEUE, { jobId: 'y', trigger: 'api' });
    await queue.boss.deleteJob(RETRAINING_QUEUE, deleted!);
    const gone = await orphan(600, deleted);
    expect((await service.sweepOrphanedJobs()).map((j) => j.id)).toEqual([gone]);
  });

  it("a cron tick's retry takes over the row its first delivery made instead of making a second one", async () => {
    const service = system.services.retrainingService;
    service.useQueue(queue);
    const tick = (await queue.boss.send(RETRAINING_QUEUE, { trigger: 'schedule' }))!;
    const id = await orphan(600, tick, 'schedule');
    const before = (await listJobs(test.db, 1000)).length;
    await service.processQueueJob({ trigger: 'schedule' }, tick);
    const resumed = await job(id);
    expect(resumed.attempt).toBe(2);
    expect(resumed.status).not.toBe('running');
    expect(resumed.logs.map((l) => l.message)).toContain(
      `taken over by ${service.worker}: ${DEAD_WORKER} stopped without finishing`,
    );
    expect((await listJobs(test.db, 1000)).length).toBe(before);
    // A further delivery of the same tick finds the row finished: nothing runs twice.
    expect(await service.processQueueJob({ trigger: 'schedule' }, tick)).toBeNull();
    expect((await listJobs(test.db, 1000)).length).toBe(before);

    // A new tick makes its own row, linked to its delivery.
    const next = (await queue.boss.send(RETRAINING_QUEUE, { trigger: 'schedule' }))!;
    await service.processQueueJob({ trigger: 'schedule' }, next);
    const [made] = await listJobs(test.db, 1);
    expect(made).toMatchObject({ trigger: 'schedule', queueJobId: next, attempt: 1 });
  });
});
