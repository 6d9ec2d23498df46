import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_MAIN } from '../helpers/cli.js';
import { createTestDatabase, SERVER_URL, type TestDatabase } from '../helpers/database.js';
import { migrate } from '../../src/db/migrate.js';

// Two processes can share a database only on a server; the embedded one belongs to one process.
describe.skipIf(!SERVER_URL)('two scheduler processes on one server database', () => {
  let test: TestDatabase;
  const bossSchema = `boss_${Math.random().toString(36).slice(2, 10)}`;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    test = await createTestDatabase();
    await migrate(test.db);
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await test.db.exec(`DROP SCHEMA IF EXISTS ${bossSchema} CASCADE`);
    await test.close();
  });

  it('fire one retraining per cron tick between them', async () => {
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_URL: test.url!,
      RETRAINING_BOSS_SCHEMA: bossSchema,
      RETRAINING_CONFIG_JSON: JSON.stringify({ schedule: { enabled: true, cronExpression: '* * * * *' } }),
      RETRAINING_QUEUE_POLL_SECONDS: '0.5',
      LOG_LEVEL: 'warn',
    };
    for (let i = 0; i < 2; i++) {
      children.push(
        spawn(process.execPath, [CLI_MAIN, 'worker'], {
          env,
          stdio: ['ignore', 'ignore', 'pipe'],
        }),
      );
    }
    // A tick is the queue job a scheduler sent for it, which names the tick's instant; the run's
    // own row can be made later, when a busy worker takes the job, and names its queue job.
    const ticks = async () =>
      (
        await test.db.query<{ tick: string; runs: number }>(
          `SELECT q.data->>'scheduledFor' AS tick, count(*)::int AS runs
           FROM retraining_jobs r JOIN ${bossSchema}.job q ON q.id = r.queue_job_id
           WHERE r.trigger = 'schedule' GROUP BY 1 ORDER BY 1`,
        )
      ).rows;
    // Each scheduler checks every few seconds: a tick's job appears seconds after it.
    const deadline = Date.now() + 150_000;
    // (Until a worker has started, pg-boss's schema does not exist yet.)
    while (Date.now() < deadline && (await ticks().catch(() => [])).length < 2)
      await new Promise((r) => setTimeout(r, 1000));
    await new Promise((r) => setTimeout(r, 5000));
    const rows = await ticks();
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows.map((row) => row.runs)).toEqual(rows.map(() => 1));
    // Ticks of '* * * * *': whole minutes, each one once.
    for (const { tick } of rows) expect(tick).toMatch(/:00\.000Z$/);
    // Each tick ran (and was rightly skipped: no market data) on one of the two workers.
    const runs = await test.db.query<{ status: string; error: string; queue_job_id: string | null }>(
      `SELECT status, error, queue_job_id FROM retraining_jobs WHERE trigger = 'schedule'`,
    );
    expect(runs.rows.every((run) => run.queue_job_id !== null)).toBe(true);
    expect(runs.rows.length).toBe(rows.reduce((sum, row) => sum + row.runs, 0));
    for (const { queue_job_id: _queueJobId, ...run } of runs.rows)
      expect(run).toMatchObject({ status: 'skipped', error: expect.stringMatching(/^no market bars/) });
  }, 200_000);
});
