import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { raiseAlert } from '../../src/store/alerts.js';
import { createCliDatabase, runRetrain, type CliDatabase } from '../helpers/cli.js';
import { BACKEND } from '../helpers/database.js';

let cli: CliDatabase;
let env: NodeJS.ProcessEnv;
let alertId: string;

beforeEach(async () => {
  cli = await createCliDatabase('retraining-alerts-cli');
  env = cli.env;
  await cli.seed(async (db) => {
    alertId = (
      await raiseAlert(db, {
        type: 'model_drift',
        severity: 'high',
        message: 'PSI 0.31 on rsi_14',
        dedupeKey: 'drift',
      })
    ).alert.id;
    await raiseAlert(db, { type: 'data_quality', severity: 'low', message: 'gaps in ES 1m' });
  });
});
afterEach(async () => {
  await cli.close();
});

describe(
  `retrain alerts (${BACKEND})`,
  // Each test runs several `retrain` processes; under CI's parallel files on a slow machine
  // they have taken 43–76 s, against the default 60 s.
  { timeout: 180_000 },
  () => {
    it('lists open alerts, acknowledges and resolves one, and refuses a bad id or an empty resolution', async () => {
      const open = await runRetrain(['alerts', '--json'], env);
      expect(open.code).toBe(0);
      expect((open.json() as { id: string }[]).map((a) => a.id)).toContain(alertId);
      const human = await runRetrain(['alerts'], env);
      expect(human.stdout).toMatch(/high\s+model_drift/);

      expect((await runRetrain(['alerts', 'ack', alertId], env)).code).toBe(0);
      expect((await runRetrain(['alerts', 'ack', 'not-an-id'], env)).code).toBe(2);
      expect((await runRetrain(['alerts', 'ack', '00000000-0000-0000-0000-000000000000'], env)).code).toBe(1);
      expect((await runRetrain(['alerts', 'resolve', alertId, '--resolution', ' '], env)).code).toBe(2);
      const resolved = await runRetrain(
        ['alerts', 'resolve', alertId, '--resolution', 'retrained on fresh data', '--json'],
        env,
      );
      expect(resolved.code).toBe(0);
      expect(resolved.json()).toMatchObject({
        id: alertId,
        resolution: 'retrained on fresh data',
        acknowledged: true,
      });

      const remaining = (await runRetrain(['alerts', '--json'], env)).json() as { id: string }[];
      expect(remaining.map((a) => a.id)).not.toContain(alertId);
      const all = (await runRetrain(['alerts', '--all', '--json'], env)).json() as { id: string }[];
      expect(all.map((a) => a.id)).toContain(alertId);
    });
  },
);
