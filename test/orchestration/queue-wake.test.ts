import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { Logger } from '../../src/logging/logger.js';
import { type JobQueue, TRIALS_QUEUE, type RetrainingJobData } from '../../src/orchestration/jobs.js';
import type { TrialJobData } from '../../src/training/trial-job.js';
import { BACKEND, createTestDatabase, uniqueName, type TestDatabase } from '../helpers/database.js';
import { startTestQueue } from '../helpers/queue.js';

const logger = new Logger({ logToConsole: false });
/** Far longer than any wait below: a job taken in time was woken for, not found by a poll. */
const POLL_SECONDS = 60;

let test: TestDatabase;
const bossSchema = uniqueName('boss');
const queues: JobQueue[] = [];

async function startQueue(): Promise<JobQueue> {
  const queue = await startTestQueue(test, bossSchema, logger, { pollingIntervalSeconds: POLL_SECONDS });
  queues.push(queue);
  return queue;
}

/** A worker's deliveries, each resolving when it arrives. */
function inbox<T>() {
  const arrived: T[] = [];
  let waiting: ((value: T) => void) | null = null;
  return {
    handler: async (data: T) => {
      arrived.push(data);
      waiting?.(data);
    },
    next: (timeoutMs: number) =>
      new Promise<T | 'timed out'>((resolve) => {
        const timer = setTimeout(() => resolve('timed out'), timeoutMs);
        waiting = (value) => {
          clearTimeout(timer);
          waiting = null;
          resolve(value);
        };
      }),
    arrived,
  };
}

const trial = (number: number) =>
  ({
    trialId: `t${number}`,
    jobId: 'j',
    number,
    attempt: 1,
    params: {},
    seed: number,
  }) as unknown as TrialJobData;

/**
 * A queue working both queues with one slot each, once their first (empty) fetch has ended and
 * their poll interval begun.
 */
async function idleWorker() {
  const queue = await startQueue();
  const retrainings = inbox<RetrainingJobData>();
  const trials = inbox<TrialJobData>();
  await queue.workRetraining(retrainings.handler);
  await queue.workTrials(1, trials.handler);
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  return { queue, retrainings, trials };
}

describe(`queued jobs wake idle workers instead of waiting for their poll (${BACKEND})`, () => {
  beforeAll(async () => {
    test = await createTestDatabase();
    await migrate(test.db);
  });

  afterAll(async () => {
    for (const queue of queues) await queue.stop(5_000);
    if (test.url) await test.db.exec(`DROP SCHEMA IF EXISTS ${bossSchema} CASCADE`);
    await test.close();
  });

  it('takes a job queued in the same process at once', async () => {
    const { queue, retrainings, trials } = await idleWorker();

    const started = performance.now();
    const retraining = retrainings.next(10_000);
    await queue.enqueueRetraining({ trigger: 'api', jobId: 'r1' });
    expect(await retraining).toMatchObject({ jobId: 'r1' });
    const taken = trials.next(10_000);
    await queue.enqueueTrial(trial(1));
    expect(await taken).toMatchObject({ number: 1 });
    expect(performance.now() - started).toBeLessThan(10_000);
    await queue.pauseWork();
    await queue.stopWorkingTrials();
  });

  it.skipIf(BACKEND !== 'server')(
    'takes a job another process queued at once, through LISTEN/NOTIFY (server only: the embedded database has one process)',
    async () => {
      // Two queues with pg-boss instances of their own, as two processes: no in-process wake-up
      // reaches from one to the other.
      const { retrainings, trials } = await idleWorker();
      const sender = await startQueue();

      // The control: a job sent without the notification waits for the next poll.
      const unannounced = trials.next(3_000);
      await sender.boss.send(TRIALS_QUEUE, trial(2));
      expect(await unannounced).toBe('timed out');

      // Queued through the queue, the notification wakes the other process's idle worker; having
      // taken a job, a worker asks again at once, so it takes the trial that was waiting too.
      const started = performance.now();
      await sender.enqueueTrial(trial(3));
      while (trials.arrived.length < 2 && performance.now() - started < 10_000) await trials.next(500);
      expect(trials.arrived.map((t) => t.number).sort()).toEqual([2, 3]);

      const retraining = retrainings.next(10_000);
      await sender.enqueueRetraining({ trigger: 'api', jobId: 'r2' });
      expect(await retraining).toMatchObject({ jobId: 'r2' });
    },
    60_000,
  );
});
