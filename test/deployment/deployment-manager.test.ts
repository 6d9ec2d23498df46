import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_RETRAINING_CONFIG } from '../../src/config/defaults.js';
import { migrate } from '../../src/db/migrate.js';
import { DeploymentManager } from '../../src/deployment/deployment-manager.js';
import { ConflictError, NotFoundError, ValidationError } from '../../src/errors.js';
import { listDeploymentEvents } from '../../src/store/deployment-events.js';
import { insertVersion, listVersions } from '../../src/store/versions.js';
import { BACKEND, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { versionInput } from '../helpers/fixtures.js';

let test: TestDatabase;
let clock: Date;
let manager: DeploymentManager;
const HOUR = 3_600_000;

beforeEach(async () => {
  test = await createTestDatabase();
  await migrate(test.db);
  for (const version of ['1.0.0', '1.1.0', '1.2.0']) {
    await insertVersion(
      test.db,
      versionInput(version, { status: 'validated', metrics: { sharpeRatio: Number(version.split('.')[1]) } }),
    );
  }
  await insertVersion(test.db, versionInput('1.3.0', { status: 'training' }));
  clock = new Date('2026-11-22T03:00:00Z');
  manager = new DeploymentManager(test.db, DEFAULT_RETRAINING_CONFIG.deployment, { now: () => clock });
});
afterEach(async () => {
  await test.close();
});

const later = (hours: number) => {
  clock = new Date(clock.getTime() + hours * HOUR);
};
const statuses = async () =>
  Object.fromEntries((await listVersions(test.db)).map((row) => [row.version, row.status]));

describe(`DeploymentManager (${BACKEND})`, () => {
  it('deploys a validated version, retiring the previous one, with the event in the ledger', async () => {
    await manager.deploy('1.0.0', { reason: 'first model' });
    later(25);
    const result = await manager.deploy('1.1.0', { reason: 'weekly retrain', actor: 'scheduler' });
    expect(result).toMatchObject({ version: '1.1.0', previous: '1.0.0' });
    expect(await statuses()).toMatchObject({ '1.0.0': 'retired', '1.1.0': 'production' });
    expect((await manager.getProductionVersion())?.deployedAt).toEqual(clock);
    const [event] = await listDeploymentEvents(test.db, { version: '1.1.0' });
    expect(event).toMatchObject({
      action: 'deploy',
      status: 'success',
      fromVersion: '1.0.0',
      reason: 'weekly retrain',
      actor: 'scheduler',
      details: { metrics: { sharpeRatio: 1 }, forced: false },
    });
  });

  it('refuses an unknown version, one still training, and one already in production, changing nothing', async () => {
    await manager.deploy('1.0.0');
    later(25);
    await expect(manager.deploy('9.9.9')).rejects.toBeInstanceOf(NotFoundError);
    await expect(manager.deploy('1.3.0')).rejects.toThrow(/1\.3\.0 is training and cannot become production/);
    await expect(manager.deploy('1.0.0')).rejects.toThrow(/already in production/);
    expect(await statuses()).toMatchObject({
      '1.0.0': 'production',
      '1.1.0': 'validated',
      '1.3.0': 'training',
    });
    expect(await listDeploymentEvents(test.db)).toHaveLength(1);
  });

  it('honours the cooldown, and lets a forced deployment with a reason through', async () => {
    await manager.deploy('1.0.0');
    later(2);
    const error = await manager.deploy('1.1.0').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(String(error)).toContain('cooldown until 2026-11-23T03:00:00.000Z');
    await expect(manager.deploy('1.1.0', { force: true })).rejects.toBeInstanceOf(ValidationError);
    await manager.deploy('1.1.0', { force: true, reason: 'live losses on 1.0.0' });
    expect(await statuses()).toMatchObject({ '1.1.0': 'production' });
    later(1);
    await expect(manager.deploy('1.2.0')).rejects.toBeInstanceOf(ConflictError);
    later(24);
    await manager.deploy('1.2.0');
  });

  it('rolls back to the last version that was good in production by the ledger, not the previous number', async () => {
    await manager.deploy('1.0.0');
    later(25);
    await manager.deploy('1.2.0');
    later(25);
    await manager.deploy('1.1.0');
    // 1.1.0 degrades: back to 1.2.0 (the last good one in production), not to 1.0.0 by number.
    const first = await manager.rollback({ reason: 'live Sharpe fell below 0' });
    expect(first).toMatchObject({ version: '1.2.0', previous: '1.1.0' });
    expect(await statuses()).toMatchObject({ '1.1.0': 'rolled_back', '1.2.0': 'production' });
    expect((await listVersions(test.db, { status: 'rolled_back' }))[0]!.rollbackReason).toBe(
      'live Sharpe fell below 0',
    );
    // Rolling back again skips 1.1.0, which was rolled back, and returns to 1.0.0.
    const second = await manager.rollback({ reason: 'drift' });
    expect(second).toMatchObject({ version: '1.0.0', previous: '1.2.0' });
    const story = (await listDeploymentEvents(test.db))
      .reverse()
      .map((e) => `${e.action} ${e.fromVersion ?? '-'}→${e.version}`);
    expect(story).toEqual([
      'deploy -→1.0.0',
      'deploy 1.0.0→1.2.0',
      'deploy 1.2.0→1.1.0',
      'rollback 1.1.0→1.2.0',
      'rollback 1.2.0→1.0.0',
    ]);
  });

  it('rolls back to a named version, needs a reason, and needs something in production', async () => {
    await expect(manager.rollback({ reason: 'x' })).rejects.toThrow(/no production version/);
    await manager.deploy('1.0.0');
    await expect(manager.rollback({ reason: ' ' })).rejects.toBeInstanceOf(ValidationError);
    await expect(manager.rollback({ reason: 'no earlier version' })).rejects.toThrow(
      /no earlier version that was good/,
    );
    const named = await manager.rollback({ reason: 'use the validated one', toVersion: '1.2.0' });
    expect(named.version).toBe('1.2.0');
    await expect(manager.rollback({ reason: 'bad', toVersion: '1.3.0' })).rejects.toThrow(
      /training and cannot become production/,
    );
  });

  it('leaves exactly one production version when two deployments race', async () => {
    const results = await Promise.allSettled([
      manager.deploy('1.0.0', { force: true, reason: 'race a' }),
      manager.deploy('1.1.0', { force: true, reason: 'race b' }),
      manager.deploy('1.2.0', { force: true, reason: 'race c' }),
    ]);
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    const production = await listVersions(test.db, { status: 'production' });
    expect(production).toHaveLength(1);
    const events = await listDeploymentEvents(test.db);
    expect(events).toHaveLength(3);
    // The events form one chain, each deployment replacing the one before it.
    expect(events[0]!.version).toBe(production[0]!.version);
    expect(events[0]!.fromVersion).toBe(events[1]!.version);
    expect(events[1]!.fromVersion).toBe(events[2]!.version);
    expect(events[2]!.fromVersion).toBeNull();
  });
});

describe(`the product README's A/B calls on the DeploymentManager (${BACKEND})`, () => {
  it('starts a test and reads its recommendation', async () => {
    await manager.deploy('1.0.0');
    const rollout = await manager.startABTest('1.0.0', '1.1.0', 20);
    const results = await manager.getABTestResults(rollout.id);
    expect(results.recommendation).toBe('continue');
    expect(results.test.trafficSplit).toBe(20);
  });
});
