import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { Logger } from '../../src/logging/logger.js';
import { RetrainingSystem } from '../../src/orchestration/system.js';
import { BACKEND, createTestDatabase, type TestDatabase } from '../helpers/database.js';

const logger = new Logger({ logToConsole: false });
const START = new Date('2026-11-25T12:00:00Z');
const MINUTE = 60_000;

let test: TestDatabase;

/** A system as a worker process would build it, its clock at `now`, its checks counted instead of run. */
async function system(clock: { now: Date }) {
  const built = await RetrainingSystem.create(
    {
      monitoring: {
        performanceTracking: false,
        modelDriftDetection: { enabled: true, sensitivity: 0.1, checkIntervalHours: 6 },
      },
    },
    { db: test.db, jobs: false, logger, now: () => clock.now, env: {} },
  );
  const runChecks = vi
    .spyOn(built.services.monitoringService, 'runChecks')
    .mockResolvedValue({ performance: [], abTest: null, drift: null });
  return { service: built.services.retrainingService, runChecks, stop: () => built.stop() };
}

describe(`the monitoring tick (${BACKEND})`, () => {
  beforeAll(async () => {
    test = await createTestDatabase();
    await migrate(test.db);
  });
  afterAll(async () => {
    await test.close();
  });

  it('runs the checks every checkIntervalHours without performance tracking, also across a restart', async () => {
    const clock = { now: START };
    const first = await system(clock);
    const at = async (minutes: number) => {
      clock.now = new Date(START.getTime() + minutes * MINUTE);
      return first.service.monitoringTick();
    };
    // No metrics row is written with performanceTracking off: the tick used to check every 5 minutes.
    expect(await at(0)).toBe(true);
    expect(await at(5)).toBe(false);
    expect(await at(355)).toBe(false);
    expect(await at(360)).toBe(true);
    expect(first.runChecks).toHaveBeenCalledTimes(2);
    await first.stop();

    // Another process (or this one restarted) keeps the pace from the time in the database.
    clock.now = new Date(START.getTime() + 365 * MINUTE);
    const second = await system(clock);
    expect(await second.service.monitoringTick()).toBe(false);
    clock.now = new Date(START.getTime() + 720 * MINUTE);
    expect(await second.service.monitoringTick()).toBe(true);
    expect(second.runChecks).toHaveBeenCalledTimes(1);
    await second.stop();
  });

  it('tries a failed check again on the next tick', async () => {
    const clock = { now: new Date(START.getTime() + 100 * 60 * MINUTE) };
    const { service, runChecks, stop } = await system(clock);
    runChecks.mockRejectedValueOnce(new Error('database went away'));
    await expect(service.monitoringTick()).rejects.toThrow('database went away');
    clock.now = new Date(clock.now.getTime() + 5 * MINUTE);
    expect(await service.monitoringTick()).toBe(true);
    await stop();
  });
});
