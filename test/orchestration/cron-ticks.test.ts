import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RETRAINING_CONFIG } from '../../src/config/defaults.js';
import { mergeConfig } from '../../src/config/merge.js';
import { migrate } from '../../src/db/migrate.js';
import { Logger } from '../../src/logging/logger.js';
import {
  JobQueue,
  latestTick,
  MONITORING_QUEUE,
  nextRuns,
  RETRAINING_QUEUE,
  TICK_GRACE_SECONDS,
  tickJobId,
} from '../../src/orchestration/jobs.js';
import { BACKEND, createTestDatabase, uniqueName, type TestDatabase } from '../helpers/database.js';

const logger = new Logger({ logToConsole: false });

describe('latestTick', () => {
  // Every minute of a night across each change, as a scheduler checking often would see it.
  const seen = (cronExpression: string, timezone: string, from: string, hours: number) => {
    const ticks = new Set<string>();
    for (let t = Date.parse(from); t < Date.parse(from) + hours * 3_600_000; t += 60_000) {
      const tick = latestTick({ cronExpression, timezone }, new Date(t));
      if (tick && t - tick.getTime() <= TICK_GRACE_SECONDS * 1000) ticks.add(tick.toISOString());
    }
    return [...ticks];
  };

  it('fires an autumn night’s repeated time once, where cron-parser’s prev() finds it twice', () => {
    // Berlin: 02:30 happens at 00:30Z (CEST) and again at 01:30Z (CET) on 2026-10-25.
    expect(seen('30 2 * * *', 'Europe/Berlin', '2026-10-24T22:00:00Z', 6)).toEqual([
      '2026-10-25T00:30:00.000Z',
    ]);
    expect(seen('30 1 * * *', 'America/New_York', '2026-11-01T03:00:00Z', 6)).toEqual([
      '2026-11-01T05:30:00.000Z',
    ]);
  });

  it('fires the instant that stands in for a spring night’s missing time, as the status shows it', () => {
    // New York: 02:30 does not exist on 2026-03-08; the schedule's next run there is 03:30 EDT.
    const shown = nextRuns(
      { cronExpression: '30 2 * * *', timezone: 'America/New_York' },
      new Date('2026-03-08T00:00:00Z'),
      1,
    );
    expect(shown.map((d) => d.toISOString())).toEqual(['2026-03-08T07:30:00.000Z']);
    expect(seen('30 2 * * *', 'America/New_York', '2026-03-08T04:00:00Z', 6)).toEqual([
      '2026-03-08T07:30:00.000Z',
    ]);
  });

  it('counts a tick exactly at the instant, and every real instant of a sub-hourly schedule', () => {
    const schedule = { cronExpression: '*/30 * * * *', timezone: 'America/New_York' };
    expect(latestTick(schedule, new Date('2026-11-01T05:30:00Z'))?.toISOString()).toBe(
      '2026-11-01T05:30:00.000Z',
    );
    expect(latestTick(schedule, new Date('2026-11-01T05:29:59.999Z'))?.toISOString()).toBe(
      '2026-11-01T05:00:00.000Z',
    );
    // The repeated hour's instants are all real, half an hour apart.
    expect(seen('*/30 * * * *', 'America/New_York', '2026-11-01T05:00:00Z', 2)).toEqual([
      '2026-11-01T05:00:00.000Z',
      '2026-11-01T05:30:00.000Z',
      '2026-11-01T06:00:00.000Z',
      '2026-11-01T06:30:00.000Z',
    ]);
  });

  it('derives the same well-formed job id for a tick in every process', () => {
    const tick = new Date('2026-03-08T07:30:00Z');
    expect(tickJobId(RETRAINING_QUEUE, tick)).toBe(tickJobId(RETRAINING_QUEUE, new Date(tick)));
    expect(tickJobId(RETRAINING_QUEUE, tick)).not.toBe(tickJobId(MONITORING_QUEUE, tick));
    expect(tickJobId(RETRAINING_QUEUE, tick)).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});

describe(`two schedulers on one database with a controllable clock (${BACKEND})`, () => {
  let test: TestDatabase;
  const bossSchema = uniqueName('boss');
  let clock = new Date('2026-03-06T12:00:00Z');
  let clockDown = false;
  const queues: JobQueue[] = [];
  // 01:30 in New York, every day: EST (UTC−5) until 2026-03-08, EDT (UTC−4) from then.
  const config = mergeConfig(DEFAULT_RETRAINING_CONFIG, {
    schedule: { enabled: true, cronExpression: '30 1 * * *', timezone: 'America/New_York' },
  });

  beforeAll(async () => {
    test = await createTestDatabase();
    await migrate(test.db);
    for (let i = 0; i < 2; i++) {
      const queue = await JobQueue.start(test.db, {
        ...(test.url ? { url: test.url } : {}),
        schema: bossSchema,
        logger,
        supervise: i === 0,
        // No timer: the test makes every check itself (a timed check could run with an earlier
        // clock while the test sets a new one, and a check asked for meanwhile joins it).
        schedule: false,
        now: async () => {
          if (clockDown) throw new Error('the clock cannot be read');
          return clock;
        },
      });
      await queue.applySchedule(config);
      queues.push(queue);
    }
  }, 60_000);
  afterAll(async () => {
    for (const queue of queues) await queue.stop(5_000);
    if (test.url) await test.db.exec(`DROP SCHEMA IF EXISTS ${bossSchema} CASCADE`);
    await test.close();
  });

  const retrainingJobs = async () =>
    (
      await test.db.query<{ id: string; scheduledFor: string }>(
        `SELECT id, data->>'scheduledFor' AS "scheduledFor" FROM ${bossSchema}.job
         WHERE name = $1 ORDER BY data->>'scheduledFor'`,
        [RETRAINING_QUEUE],
      )
    ).rows;
  /** Both schedulers check (at once, as two processes would) at each instant. */
  const checkAt = async (...instants: string[]) => {
    for (const instant of instants) {
      clock = new Date(instant);
      await Promise.all(queues.map((queue) => queue.fireDueTicks()));
    }
  };

  it('queue one job per tick, at the zone’s wall-clock time across the spring change, and fire a tick missed by a restart within the grace', async () => {
    await checkAt('2026-03-06T12:00:00Z'); // no tick within the grace yet
    expect(await retrainingJobs()).toEqual([]);
    await checkAt(
      '2026-03-07T06:30:00Z',
      '2026-03-07T06:30:05Z',
      '2026-03-07T06:31:00Z',
      '2026-03-07T06:39:59Z',
    );
    await checkAt('2026-03-08T06:29:59Z'); // 01:29:59 EST: not yet
    await checkAt('2026-03-08T06:30:02Z', '2026-03-08T06:30:07Z');
    // 2026-03-09 01:30 EDT is 05:30Z: the schedulers were down then and back 9 minutes later.
    await checkAt('2026-03-09T05:39:00Z', '2026-03-09T05:39:05Z');
    // 2026-03-10: back 11 minutes later, past the grace: that tick is not fired late.
    await checkAt('2026-03-10T05:41:00Z');
    const jobs = await retrainingJobs();
    expect(jobs.map((job) => job.scheduledFor)).toEqual([
      '2026-03-07T06:30:00.000Z',
      '2026-03-08T06:30:00.000Z',
      '2026-03-09T05:30:00.000Z',
    ]);
    expect(jobs.map((job) => job.id)).toEqual(
      jobs.map((job) => tickJobId(RETRAINING_QUEUE, new Date(job.scheduledFor))),
    );
  });

  it('report which scheduler sent a tick: exactly one of them', async () => {
    clock = new Date('2026-03-11T05:30:01Z');
    const fired = await Promise.all(queues.map((queue) => queue.fireDueTicks()));
    const retraining = fired.map((ticks) => ticks.find((tick) => tick.queue === RETRAINING_QUEUE));
    expect(retraining.map((tick) => tick?.tick.toISOString())).toEqual([
      '2026-03-11T05:30:00.000Z',
      '2026-03-11T05:30:00.000Z',
    ]);
    expect(retraining.filter((tick) => tick?.sent).length).toBe(1);
  });

  it('record how their last check went, which health reports: a failed check with its reason', async () => {
    const [queue] = queues;
    clock = new Date('2026-03-12T05:30:01Z');
    const before = Date.now();
    await queue!.fireDueTicks();
    // These schedulers run no timer (the test checks for them), so they do not fire by themselves.
    expect(queue!.schedulerState()).toMatchObject({ firing: false, error: null });
    expect(queue!.schedulerState().lastCheckAt!.getTime()).toBeGreaterThanOrEqual(before);
    clockDown = true;
    try {
      await expect(queue!.fireDueTicks()).rejects.toThrow('the clock cannot be read');
      expect(queue!.schedulerState().error).toBe('the clock cannot be read');
    } finally {
      clockDown = false;
    }
    await queue!.fireDueTicks();
    expect(queue!.schedulerState().error).toBeNull();
  });
});
