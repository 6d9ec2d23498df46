import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_RETRAINING_CONFIG } from '../../src/config/defaults.js';
import { mergeConfig } from '../../src/config/merge.js';
import { migrate } from '../../src/db/migrate.js';
import { DeploymentManager } from '../../src/deployment/deployment-manager.js';
import { schedulePeriodMs, systemHealth, type HealthProbes } from '../../src/monitoring/health.js';
import { raiseAlert } from '../../src/store/alerts.js';
import { recordDriftReport } from '../../src/store/drift.js';
import { recordPerformanceMetrics } from '../../src/store/performance-metrics.js';
import { createJob, finishJob, startJob } from '../../src/store/retraining-jobs.js';
import { insertVersion } from '../../src/store/versions.js';
import { BACKEND, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { versionInput } from '../helpers/fixtures.js';

let test: TestDatabase;
const config = DEFAULT_RETRAINING_CONFIG;
const DAY = 86_400_000;

beforeEach(async () => {
  test = await createTestDatabase();
  await migrate(test.db);
  await insertVersion(test.db, versionInput('1.0.0', { status: 'validated' }));
  await new DeploymentManager(test.db, config.deployment).deploy('1.0.0');
});
afterEach(async () => {
  await test.close();
});

const alive: HealthProbes = {
  scheduler: async () => ({ alive: true, nextRunAt: new Date('2026-11-29T02:00:00Z') }),
};

async function runJob(status: 'succeeded' | 'failed', error?: string): Promise<void> {
  const job = await createJob(test.db, { trigger: 'schedule' });
  await startJob(test.db, job.id, 'test-worker');
  await finishJob(test.db, job.id, { status, ...(error ? { error } : {}) });
}

describe(`systemHealth (${BACKEND})`, () => {
  it('is healthy with a production model, a live scheduler and nothing wrong', async () => {
    await runJob('succeeded');
    const health = await systemHealth(test.db, config, { probes: alive });
    expect(health).toMatchObject({ status: 'healthy', issues: [] });
    expect(health.checks.map((c) => c.name)).toEqual([
      'database',
      'scheduler',
      'last_run',
      'production_model',
      'performance',
      'drift',
      'alerts',
    ]);
  });

  it('is critical without a production model', async () => {
    await test.db.query(`UPDATE ml_model_versions SET status = 'retired'`);
    const health = await systemHealth(test.db, config);
    expect(health.status).toBe('critical');
    expect(health.issues).toEqual(['no model version is in production']);
  });

  it('is critical when the database is unreachable, naming it', async () => {
    const other = await createTestDatabase();
    await other.close();
    const health = await systemHealth(other.db, config);
    expect(health.status).toBe('critical');
    expect(health.issues[0]).toMatch(/^the database is unreachable: /);
    expect(health.checks).toHaveLength(1);
  });

  it('is degraded when the scheduler is down, has no next run, or cannot be asked', async () => {
    const probes = (state: Awaited<ReturnType<HealthProbes['scheduler']>> | Error): HealthProbes => ({
      scheduler: async () => {
        if (state instanceof Error) throw state;
        return state;
      },
    });
    const down = await systemHealth(test.db, config, {
      probes: probes({ alive: false, nextRunAt: null, detail: 'no worker holds the schedule' }),
    });
    expect(down).toMatchObject({
      status: 'degraded',
      issues: ['the scheduler is not running: no worker holds the schedule'],
    });
    const idle = await systemHealth(test.db, config, { probes: probes({ alive: true, nextRunAt: null }) });
    expect(idle.issues).toEqual(['the scheduler has no next run planned']);
    const unknown = await systemHealth(test.db, config, { probes: probes(new Error('queue table missing')) });
    expect(unknown.issues).toEqual(["the scheduler's state is unknown: queue table missing"]);
    // A disabled schedule is not judged.
    const disabled = mergeConfig(config, { schedule: { enabled: false } });
    const off = await systemHealth(test.db, disabled, { probes: probes({ alive: false, nextRunAt: null }) });
    expect(off.status).toBe('healthy');
  });

  it('is degraded when the last retraining failed, with its error', async () => {
    await runJob('succeeded');
    await runJob('failed', 'training diverged: NaN loss at iteration 12');
    const health = await systemHealth(test.db, config);
    expect(health.status).toBe('degraded');
    expect(health.issues[0]).toMatch(
      /^the last retraining failed at .*: training diverged: NaN loss at iteration 12$/,
    );
  });

  it('is degraded when the last success is older than two schedule periods', async () => {
    await runJob('succeeded');
    const fresh = await systemHealth(test.db, config, { now: new Date(Date.now() + 13 * DAY) });
    expect(fresh.status).toBe('healthy');
    const stale = await systemHealth(test.db, config, { now: new Date(Date.now() + 15 * DAY) });
    expect(stale.status).toBe('degraded');
    expect(stale.issues[0]).toMatch(
      /^the last successful retraining was 15\.0 days ago .*; the schedule "0 2 \* \* 0" expects one every 7\.0 days$/,
    );
  });

  it('is degraded when the production model is degraded or drifting', async () => {
    await recordPerformanceMetrics(test.db, {
      version: '1.0.0',
      metrics: {
        verdict: 'degraded',
        reasons: ['live win rate 0.3 over 80 trades is significantly below 0.5'],
      },
    });
    await recordDriftReport(test.db, {
      version: '1.0.0',
      kind: 'returns',
      verdict: 'drift',
      settings: {},
      details: {},
      liveSamples: 500,
      referenceSamples: null,
    });
    const health = await systemHealth(test.db, config);
    expect(health.status).toBe('degraded');
    expect(health.issues).toEqual([
      'production model 1.0.0 is degraded: live win rate 0.3 over 80 trades is significantly below 0.5',
      'production model 1.0.0 is drifting: its trade returns',
    ]);
  });

  it('is critical while a critical alert is open, and healthy again once it is resolved', async () => {
    const { alert } = await raiseAlert(test.db, {
      type: 'system',
      severity: 'critical',
      message: 'artifact checksum mismatch for 1.0.0',
    });
    await raiseAlert(test.db, { type: 'system', severity: 'high', message: 'not critical' });
    const open = await systemHealth(test.db, config);
    expect(open).toMatchObject({
      status: 'critical',
      issues: ['1 open critical alert, newest: artifact checksum mismatch for 1.0.0'],
    });
    await test.db.query(
      `UPDATE performance_alerts SET resolved_at = NOW(), resolution = 'fixed' WHERE id = $1`,
      [alert.id],
    );
    expect((await systemHealth(test.db, config)).status).toBe('healthy');
  });
});

describe('schedulePeriodMs', () => {
  it('is a week for a weekly cron and a day for a daily one, in any time zone', () => {
    const now = new Date('2026-11-25T12:00:00Z');
    expect(schedulePeriodMs(config.schedule, now)).toBe(7 * DAY);
    expect(
      schedulePeriodMs({ ...config.schedule, cronExpression: '30 6 * * *', timezone: 'Asia/Tokyo' }, now),
    ).toBe(DAY);
    // Weekdays only: the longest gap is the weekend.
    expect(schedulePeriodMs({ ...config.schedule, cronExpression: '0 9 * * 1-5' }, now)).toBe(3 * DAY);
  });
});
