import fc from 'fast-check';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { Logger } from '../../src/logging/index.js';
import { AlertDispatcher, Alerter, webhookChannel } from '../../src/monitoring/alerts/index.js';
import { ArtifactChecksumError, ConflictError, ValidationError } from '../../src/errors.js';
import { assertTransition, canTransition } from '../../src/registry/lifecycle.js';
import {
  compareVersionRows,
  loadVersion,
  registerVersion,
  type RegistrationInput,
} from '../../src/registry/registry.js';
import { compareVersions, nextVersion, parseVersion } from '../../src/registry/semver.js';
import { initTensorFlow } from '../../src/rl/backend.js';
import { PpoAgent } from '../../src/rl/ppo.js';
import { Random } from '../../src/rl/random.js';
import { listAlerts } from '../../src/store/alerts.js';
import { listDeploymentEvents } from '../../src/store/deployment-events.js';
import { BACKEND, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { identityNormaliser } from '../helpers/fixtures.js';
import { startHttpReceiver } from '../monitoring/alerts/servers.js';

let test: TestDatabase;
beforeAll(async () => {
  await initTensorFlow();
});
beforeEach(async () => {
  test = await createTestDatabase();
  await migrate(test.db);
});
afterEach(async () => {
  await test.close();
});

function registration(seed: string, parentVersion: string | null = null): RegistrationInput {
  const agent = PpoAgent.create(10, 3, [8, 8], new Random(seed));
  const weights = agent.readWeights();
  agent.dispose();
  return {
    modelType: 'ppo',
    trainedOn: new Date('2026-11-22T02:00:00Z'),
    dataPoints: 5000,
    metrics: { sharpeRatio: 1.4, winRate: 0.52 },
    config: { training: { epochs: 3 } },
    parentVersion,
    artifact: {
      weights,
      normaliser: identityNormaliser(),
      config: { positions: [-1, 0, 1], inference: 'greedy' },
      metadata: {},
    },
    dataWindow: { start: new Date('2026-11-15T00:00:00Z'), end: new Date('2026-11-22T00:00:00Z') },
    dataHash: 'd'.repeat(64),
    seed: 7,
  };
}

describe('semantic versions and the lifecycle', () => {
  it('bumps versions and refuses what is not MAJOR.MINOR.PATCH', () => {
    expect(nextVersion(null)).toBe('1.0.0');
    expect(nextVersion('1.4.2')).toBe('1.5.0');
    expect(nextVersion('1.4.2', 'major')).toBe('2.0.0');
    expect(nextVersion('1.4.2', 'patch')).toBe('1.4.3');
    expect(compareVersions('1.10.0', '1.9.3')).toBeGreaterThan(0);
    expect(() => parseVersion('v1.2')).toThrow(ValidationError);
    fc.assert(
      fc.property(
        fc.nat(1000),
        fc.nat(1000),
        fc.nat(1000),
        (a, b, c) => compareVersions(nextVersion(`${a}.${b}.${c}`), `${a}.${b}.${c}`) > 0,
      ),
    );
  });

  it('allows the documented transitions and names the allowed ones when refusing', () => {
    expect(canTransition('training', 'validated')).toBe(true);
    expect(canTransition('production', 'rolled_back')).toBe(true);
    expect(canTransition('rejected', 'production')).toBe(false);
    expect(() => assertTransition('1.2.0', 'training', 'production')).toThrow(ConflictError);
    expect(() => assertTransition('1.2.0', 'training', 'production')).toThrow(
      /1\.2\.0 is training and cannot become production; from training it can become validated, rejected, failed/,
    );
  });
});

describe(`model registry (${BACKEND})`, () => {
  it('registers versions in order with their artifact, checksum, provenance and event, in one transaction', async () => {
    const first = await registerVersion(test.db, registration('a'));
    const second = await registerVersion(test.db, registration('b', first.version));
    expect([first.version, second.version]).toEqual(['1.0.0', '1.1.0']);
    expect(second.parentVersion).toBe('1.0.0');
    expect(second.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(second.config).toMatchObject({
      provenance: { dataHash: 'd'.repeat(64), seed: 7, tfjsVersion: expect.any(String) },
    });
    const events = await listDeploymentEvents(test.db, { version: '1.1.0' });
    expect(events).toMatchObject([{ action: 'register', status: 'success', fromVersion: '1.0.0' }]);
    const loaded = await loadVersion(test.db, '1.1.0');
    expect(loaded.row.version).toBe('1.1.0');
    expect(loaded.artifact.config).toEqual({ positions: [-1, 0, 1], inference: 'greedy' });
    expect(
      Buffer.from(loaded.artifact.weights.actor[0]!.kernel.buffer).equals(
        Buffer.from(registration('b').artifact.weights.actor[0]!.kernel.buffer),
      ),
    ).toBe(true);
  });

  it('gives concurrent registrations distinct versions', async () => {
    const rows = await Promise.all([1, 2, 3, 4].map((i) => registerVersion(test.db, registration(`c${i}`))));
    expect(rows.map((r) => r.version).sort()).toEqual(['1.0.0', '1.1.0', '1.2.0', '1.3.0']);
  });

  it('refuses a corrupted artifact on load with an ArtifactChecksumError and a critical alert', async () => {
    const row = await registerVersion(test.db, registration('corrupt'));
    await test.db.query(
      `UPDATE model_artifacts SET data = overlay(data placing '\\x00ff'::bytea from 100 for 2) WHERE version = $1`,
      [row.version],
    );
    await expect(loadVersion(test.db, row.version)).rejects.toBeInstanceOf(ArtifactChecksumError);
    const alerts = await listAlerts(test.db, { active: true });
    expect(alerts).toMatchObject([{ type: 'deployment', severity: 'critical', version: row.version }]);
  });

  it("delivers a corrupt artifact's critical alert on the system's channels when given its alerter", async () => {
    const row = await registerVersion(test.db, registration('corrupt-delivered'));
    await test.db.query(
      `UPDATE model_artifacts SET data = overlay(data placing '\\x00ff'::bytea from 100 for 2) WHERE version = $1`,
      [row.version],
    );
    const receiver = await startHttpReceiver();
    const logger = new Logger({ logToConsole: false });
    const alerts = new Alerter({
      db: test.db,
      logger,
      dispatcher: new AlertDispatcher({
        channels: [webhookChannel({ url: receiver.url, severities: new Set(['critical'] as const) })],
        logger,
      }),
    });
    try {
      await expect(loadVersion(test.db, row.version, { alerts })).rejects.toBeInstanceOf(
        ArtifactChecksumError,
      );
      await alerts.flush();
      const delivered = receiver.requests.map(
        (r) => JSON.parse(r.body) as { severity: string; message: string },
      );
      expect(delivered).toHaveLength(1);
      expect(delivered[0]).toMatchObject({ severity: 'critical' });
      expect(delivered[0]!.message).toContain(`model version ${row.version} has a corrupt artifact`);
    } finally {
      await alerts.close();
      await receiver.close();
    }
  });

  it('compares two versions metric by metric', async () => {
    await registerVersion(test.db, registration('x'));
    await registerVersion(test.db, {
      ...registration('y'),
      metrics: { sharpeRatio: 1.9, winRate: 0.5, note: 'text' },
    });
    const comparison = await compareVersionRows(test.db, '1.0.0', '1.1.0');
    expect(comparison.metrics.sharpeRatio!.difference).toBeCloseTo(0.5, 12);
    expect(Object.keys(comparison.metrics).sort()).toEqual(['sharpeRatio', 'winRate']);
    await expect(compareVersionRows(test.db, '1.0.0', '7.0.0')).rejects.toThrow(/"7.0.0" does not exist/);
  });
});
