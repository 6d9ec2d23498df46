import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoData } from '../../src/market/demo.js';
import { createCliDatabase, runRetrain, type CliDatabase } from '../helpers/cli.js';
import { BACKEND } from '../helpers/database.js';

const SMALL = {
  dataCollection: { lookbackDays: 60 },
  training: { epochs: 8, batchSize: 256, hyperparameterOptimization: { enabled: false } },
};

describe('retrain schedule', () => {
  it('prints the next instants in the zone with their offsets, across a daylight-saving change', async () => {
    const result = await runRetrain(
      [
        'schedule',
        '--cron',
        '30 1 * * *',
        '--tz',
        'America/New_York',
        '--from',
        '2026-03-07T00:00:00Z',
        '--count',
        '3',
        '--json',
      ],
      {},
    );
    expect(result.code).toBe(0);
    expect(result.json()).toEqual({
      cronExpression: '30 1 * * *',
      timezone: 'America/New_York',
      enabled: true,
      runs: ['2026-03-07T01:30:00-05:00', '2026-03-08T01:30:00-05:00', '2026-03-09T01:30:00-04:00'],
    });
  });

  it('uses the configured schedule by default and exits 2 naming a bad expression, zone or time', async () => {
    const configured = await runRetrain(['schedule', '--from', '2026-11-25T12:00:00Z', '--count', '2'], {
      RETRAINING_CRON: '0 6 * * 1-5',
      RETRAINING_TIMEZONE: 'Asia/Tokyo',
    });
    expect(configured.stdout.trim().split('\n')).toEqual([
      '0 6 * * 1-5 (Asia/Tokyo)',
      '2026-11-26T06:00:00+09:00',
      '2026-11-27T06:00:00+09:00',
    ]);
    const cron = await runRetrain(['schedule', '--cron', '0 25 * * *'], {});
    expect(cron.code).toBe(2);
    expect(cron.stderr).toMatch(/--cron "0 25 \* \* \*" is not a valid cron expression/);
    const zone = await runRetrain(['schedule', '--tz', 'Europe/Atlantis'], {});
    expect(zone.code).toBe(2);
    expect(zone.stderr).toMatch(/--tz "Europe\/Atlantis" is not an IANA time zone/);
    const from = await runRetrain(['schedule', '--from', 'next tuesday'], {});
    expect(from.code).toBe(2);
    expect(from.stderr).toMatch(/--from "next tuesday" is not an ISO 8601 time/);
  });
});

describe(`retrain run (${BACKEND})`, () => {
  let cli: CliDatabase;
  beforeAll(async () => {
    cli = await createCliDatabase('retraining-run-cli');
    await cli.seed((db) => seedDemoData(db, new Date()).then(() => undefined));
  }, 120_000);
  afterAll(async () => {
    await cli.close();
  });

  it('runs one retraining in the foreground and prints the result; exit 0 when a version was registered', async () => {
    const result = await runRetrain(['run', '--seed', '5', '--json'], {
      ...cli.env,
      RETRAINING_CONFIG_JSON: JSON.stringify(SMALL),
    });
    expect(result.code).toBe(0);
    const body = result.json() as { status: string; version: string; seed: number; stageSeconds: object };
    expect(body).toMatchObject({ status: 'succeeded', version: '1.0.0', seed: 5 });
    expect(Object.keys(body.stageSeconds)).toEqual([
      'collect',
      'validate',
      'features',
      'split',
      'train',
      'evaluate',
      'register',
      'gate',
      'deploy',
    ]);
    const human = await runRetrain(['run', '--seed', '6'], {
      ...cli.env,
      RETRAINING_CONFIG_JSON: JSON.stringify(SMALL),
    });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^succeeded: 1\.1\.0 /);
    expect(human.stdout).toMatch(/held-out metric\s+candidate\s+production/);
  }, 180_000);

  it('exits 0 for a rightly skipped run and 1 for a failed one', async () => {
    const skipped = await runRetrain(['run', '--json'], {
      ...cli.env,
      RETRAINING_CONFIG_JSON: JSON.stringify({
        ...SMALL,
        dataCollection: { lookbackDays: 60, minTradesThreshold: 10_000_000 },
      }),
    });
    expect(skipped.code).toBe(0);
    expect(skipped.json()).toMatchObject({
      status: 'skipped',
      reason: expect.stringMatching(/^too few trades/),
    });
    // A bad tick in the window: one SYNA close 20 % off, an outlier return the quality check flags.
    await cli.seed(async (db) => {
      await db.query(
        `UPDATE market_bars SET close = close * 1.2, high = GREATEST(high, close * 1.2)
         WHERE symbol = 'SYNA' AND ts = (SELECT ts FROM market_bars WHERE symbol = 'SYNA' ORDER BY ts DESC OFFSET 200 LIMIT 1)`,
      );
    });
    const failed = await runRetrain(['run', '--json'], {
      ...cli.env,
      RETRAINING_CONFIG_JSON: JSON.stringify({
        ...SMALL,
        dataCollection: { lookbackDays: 60, dataQualityThreshold: 1 },
      }),
    });
    expect(failed.code).toBe(1);
    expect(failed.json()).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(
        /^data quality of bars SYNA is 0\.9\d*, under dataQualityThreshold 1: .*log return/,
      ),
    });
  }, 180_000);
});
