import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_RETRAINING_CONFIG } from '../../src/config/defaults.js';
import { DeploymentManager } from '../../src/deployment/deployment-manager.js';
import { Random } from '../../src/rl/random.js';
import { insertTrades, type LiveTrade } from '../../src/store/live-trades.js';
import { insertVersion } from '../../src/store/versions.js';
import { startHttpReceiver, type HttpReceiver } from '../monitoring/alerts/servers.js';
import { createCliDatabase, runRetrain, type CliDatabase } from '../helpers/cli.js';
import { BACKEND } from '../helpers/database.js';
import { versionInput } from '../helpers/fixtures.js';

let cli: CliDatabase;
let webhook: HttpReceiver;
const HOUR = 3_600_000;

beforeEach(async () => {
  cli = await createCliDatabase('retraining-monitoring-cli');
  webhook = await startHttpReceiver();
});
afterEach(async () => {
  await webhook.close();
  await cli.close();
});

/** 1.0.0 then 1.1.0 in production; 1.1.0's last 200 trades lose money. */
async function seedDegradedProduction(): Promise<void> {
  await cli.seed(async (db) => {
    const metrics = { winRate: 0.56, profitFactor: 1.6, sharpeRatio: 2.5, maxDrawdown: 0.08 };
    for (const version of ['1.0.0', '1.1.0'])
      await insertVersion(db, versionInput(version, { status: 'validated', metrics }));
    const start = Date.now() - 3 * HOUR;
    await new DeploymentManager(db, DEFAULT_RETRAINING_CONFIG.deployment, {
      now: () => new Date(start),
    }).deploy('1.0.0');
    await new DeploymentManager(db, DEFAULT_RETRAINING_CONFIG.deployment, {
      now: () => new Date(start + HOUR),
    }).deploy('1.1.0', { force: true, reason: 'test' });
    const random = new Random('cli-trades');
    const trades: LiveTrade[] = Array.from({ length: 200 }, (_, i) => {
      const exit = new Date(start + HOUR + (i + 1) * 30_000);
      const r = random.normal(-0.005, 0.01);
      return {
        idempotencyKey: `cli-${i}`,
        symbol: 'AAA',
        side: 'long',
        quantity: 1,
        entryTime: new Date(exit.getTime() - 10_000),
        entryPrice: 100,
        exitTime: exit,
        exitPrice: 100 * (1 + r),
        fees: 0,
        pnl: 100 * r,
        status: 'closed',
        modelVersion: '1.1.0',
        abTestId: null,
        arm: null,
        observation: null,
        account: null,
      };
    });
    await insertTrades(db, trades);
  });
}

describe(`retrain health and retrain monitor (${BACKEND})`, () => {
  it('reports critical with exit 1 when nothing is in production', async () => {
    const result = await runRetrain(['health', '--json'], cli.env);
    expect(result.code).toBe(1);
    expect(result.json()).toMatchObject({
      status: 'critical',
      issues: ['no model version is in production'],
    });
    const human = await runRetrain(['health'], cli.env);
    expect(human.stdout).toMatch(/^status: critical/);
    expect(human.stdout).toMatch(/production_model\s+critical\s+no model version is in production/);
  });

  it('rolls back a degraded model on the second round, tells the webhook, and is healthy after', async () => {
    await seedDegradedProduction();
    const env = { ...cli.env, RETRAINING_ALERT_WEBHOOK_URL: webhook.url };
    const first = await runRetrain(['monitor', '--json'], env);
    expect(first.code).toBe(0);
    expect(first.json()).toMatchObject({
      performance: [{ version: '1.1.0', confirmed: false, action: 'none' }],
    });
    const degraded = await runRetrain(['health', '--json'], env);
    expect(degraded.code).toBe(1);
    expect(degraded.json()).toMatchObject({ status: 'degraded' });

    const second = await runRetrain(['monitor'], env);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(
      /production 1\.1\.0: degraded \(confirmed\), 200 trades.*action: rolled_back/,
    );
    // The high-severity alerts reached the webhook before the command ended; the URL's token never reached the logs.
    const bodies = webhook.requests.map((r) => JSON.parse(r.body) as { type: string; severity: string });
    expect(bodies.map((b) => [b.type, b.severity])).toEqual([
      ['performance_degradation', 'high'],
      ['deployment', 'high'],
    ]);
    expect(second.stderr).not.toContain(webhook.url.split('/').at(-1));

    const healthy = await runRetrain(['health', '--json'], env);
    expect(healthy.code).toBe(0);
    expect(healthy.json()).toMatchObject({ status: 'healthy', issues: [] });
  });
});
