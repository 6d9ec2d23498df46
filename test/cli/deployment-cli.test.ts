import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { insertVersion } from '../../src/store/versions.js';
import { createCliDatabase, runRetrain, type CliDatabase } from '../helpers/cli.js';
import { BACKEND } from '../helpers/database.js';
import { versionInput } from '../helpers/fixtures.js';

let cli: CliDatabase;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  cli = await createCliDatabase('retraining-deploy-cli');
  env = cli.env;
  await cli.seed(async (db) => {
    await insertVersion(
      db,
      versionInput('1.0.0', { status: 'validated', metrics: { sharpeRatio: 1.1, winRate: 0.5 } }),
    );
    await insertVersion(
      db,
      versionInput('1.1.0', { status: 'validated', metrics: { sharpeRatio: 1.6, winRate: 0.55 } }),
    );
  });
});
afterEach(async () => {
  await cli.close();
});

describe(
  `retrain versions, deploy, rollback and ab (${BACKEND})`,
  // Each test runs several `retrain` processes; under CI's parallel files on a slow machine
  // they have taken 43–76 s, against the default 60 s.
  { timeout: 180_000 },
  () => {
    it('deploys, refuses inside the cooldown and unknown versions, and rolls back with a reason', async () => {
      const unknown = await runRetrain(['deploy', '9.9.9'], env);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('model version "9.9.9" does not exist');

      expect((await runRetrain(['deploy', '1.0.0', '--reason', 'first'], env)).code).toBe(0);
      const cooldown = await runRetrain(['deploy', '1.1.0', '--json'], env);
      expect(cooldown.code).toBe(1);
      expect((cooldown.json() as { error: { code: string; message: string } }).error).toMatchObject({
        code: 'conflict',
        message: expect.stringContaining('cooldown'),
      });
      expect((await runRetrain(['deploy', '1.1.0', '--force'], env)).code).toBe(2);
      expect(
        (await runRetrain(['deploy', '1.1.0', '--force', '--reason', 'losses on 1.0.0'], env)).code,
      ).toBe(0);

      expect((await runRetrain(['rollback'], env)).code).toBe(2);
      const rollback = await runRetrain(['rollback', '--reason', 'drift', '--json'], env);
      expect(rollback.code).toBe(0);
      expect(rollback.json()).toMatchObject({ version: '1.0.0', previous: '1.1.0' });

      const versions = await runRetrain(['versions', '--json'], env);
      expect(
        (versions.json() as { version: string; status: string }[]).map((v) => [v.version, v.status]),
      ).toEqual([
        ['1.1.0', 'rolled_back'],
        ['1.0.0', 'production'],
      ]);
      const compare = await runRetrain(['versions', '--compare', '1.0.0', '1.1.0'], env);
      expect(compare.stdout).toMatch(/sharpeRatio\s+1\.1\s+1\.6\s+0\.5/);
    });

    it('starts an A/B test, reports it, stops it, and refuses a bad split', async () => {
      await runRetrain(['deploy', '1.0.0'], env);
      expect((await runRetrain(['ab', 'results'], env)).code).toBe(1);
      const bad = await runRetrain(['ab', 'start', '1.0.0', '1.1.0', '--split', '120'], env);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('trafficSplit 120 is out of range');
      const started = await runRetrain(['ab', 'start', '1.0.0', '1.1.0', '--split', '20', '--json'], env);
      expect(started.code).toBe(0);
      const id = (started.json() as { id: string }).id;
      const results = await runRetrain(['ab', 'results'], env);
      expect(results.stdout).toContain('recommendation: continue');
      expect((await runRetrain(['ab', 'stop', id, '--reason', 'enough'], env)).code).toBe(0);
      expect((await runRetrain(['ab', 'stop', id, '--reason', 'again'], env)).code).toBe(1);
    });
  },
);
