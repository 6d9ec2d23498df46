import { MIGRATIONS, TABLES } from '../../src/db/migrations/index.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openEmbeddedDatabase } from '../../src/db/embedded.js';
import { BACKEND, createTestDatabase, SERVER_URL, type TestDatabase } from '../helpers/database.js';
import { runRetrain } from '../helpers/cli.js';

let dir: string;
let test: TestDatabase | undefined;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'retraining-cli-'));
  if (SERVER_URL) {
    test = await createTestDatabase();
    env = { DATABASE_URL: test.url };
  } else {
    env = { RETRAINING_DATA_DIR: join(dir, 'data') };
  }
});
afterEach(async () => {
  await test?.close();
  test = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('retrain CLI: usage', () => {
  it('prints help for the program and every command with exit code 0', async () => {
    const help = await runRetrain(['--help'], env);
    expect(help.code).toBe(0);
    for (const command of ['start', 'migrate', 'status', 'config']) {
      expect(help.stdout).toContain(command);
      const commandHelp = await runRetrain([command, '--help'], env);
      expect(commandHelp.code).toBe(0);
      expect(commandHelp.stdout).toContain(`Usage: retrain ${command}`);
    }
  });

  it('exits with 2 on an unknown command or option', async () => {
    const unknown = await runRetrain(['retrian'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'retrian'");
    const option = await runRetrain(['status', '--jsn'], env);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("unknown option '--jsn'");
  });
});

describe(
  `retrain CLI on the database (${BACKEND})`,
  // Each test runs several `retrain` processes; under CI's parallel files on a slow machine
  // they have taken 43–76 s, against the default 60 s.
  { timeout: 180_000 },
  () => {
    it('migrates, then reports the schema version and row counts as JSON', async () => {
      const before = await runRetrain(['status', '--json'], env);
      expect(before.code).toBe(0);
      expect(before.json()).toMatchObject({ database: { kind: BACKEND }, schemaVersion: 0, upToDate: false });

      const first = await runRetrain(['migrate', '--json'], env);
      expect(first.code).toBe(0);
      expect(first.json()).toMatchObject({
        applied: MIGRATIONS.map(({ version, name }) => ({ version, name })),
        schemaVersion: MIGRATIONS.length,
      });
      const second = await runRetrain(['migrate', '--json'], env);
      expect(second.json()).toMatchObject({ applied: [], schemaVersion: MIGRATIONS.length });

      const status = await runRetrain(['status', '--json'], env);
      expect(status.code).toBe(0);
      const report = status.json() as { schemaVersion: number; tables: Record<string, number> };
      expect(report.schemaVersion).toBe(MIGRATIONS.length);
      expect(report.tables).toMatchObject({ ml_model_versions: 0, market_bars: 0, live_trades: 0 });
      expect(Object.keys(report.tables)).toHaveLength(TABLES.length);
      // The next scheduled runs: the default is weekly, Sunday 02:00 UTC.
      expect(report).toMatchObject({
        production: null,
        currentJob: null,
        schedule: { enabled: true, cronExpression: '0 2 * * 0', timezone: 'UTC' },
      });
      const next = (report as unknown as { schedule: { nextRuns: string[] } }).schedule.nextRuns;
      expect(next).toHaveLength(3);
      for (const run of next) expect(new Date(run).getUTCDay()).toBe(0);

      const human = await runRetrain(['status'], env);
      expect(human.stdout).toMatch(/^schedule: 0 2 \* \* 0 \(UTC\), next \d{4}-/m);
      expect(human.stdout).toMatch(new RegExp(`schema version ${MIGRATIONS.length} \\(current\\)`));
      expect(human.stdout).toMatch(/ml_model_versions\s+0/);
    });

    it('start validates the configuration before touching the database and exits 2 naming the field', async () => {
      writeFileSync(
        join(dir, 'retraining.config.json'),
        JSON.stringify({ deployment: { abTesting: { trafficSplit: 120 } } }),
      );
      const result = await runRetrain(['start', '--json'], env, dir);
      expect(result.code).toBe(2);
      const body = result.json() as { error: { code: string; message: string } };
      expect(body.error.code).toBe('config_invalid');
      expect(body.error.message).toContain('deployment.abTesting.trafficSplit 120');
      expect(result.stderr).toContain('deployment.abTesting.trafficSplit');
      const status = await runRetrain(['status', '--json'], env);
      expect(status.json()).toMatchObject({ schemaVersion: 0 });
    });

    it('demo stores the demo market idempotently', async () => {
      const first = await runRetrain(['demo', '--json', '--now', '2026-03-02T20:00:00Z'], env);
      expect(first.code).toBe(0);
      expect(first.json()).toMatchObject({ sessions: 41, bars: { stored: { inserted: 3 * 41 * 78 } } });
      const second = await runRetrain(['demo', '--json', '--now', '2026-03-02T20:00:00Z'], env);
      expect(second.json()).toMatchObject({
        bars: { stored: { inserted: 0, updated: 0 } },
        trades: { stored: { inserted: 0 } },
      });
      const early = await runRetrain(['demo', '--now', '2026-01-10T00:00:00Z'], env);
      expect(early.code).toBe(2);
      expect(early.stderr).toContain('needs 40 completed sessions');
    });

    it('import bars prints the report and exits 2 naming the line of a malformed value', async () => {
      writeFileSync(
        join(dir, 'ok.csv'),
        'Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,0.5,1.5,10\n2024-01-03,1.5,2,1,1.8,12\n',
      );
      const ok = await runRetrain(['import', 'bars', join(dir, 'ok.csv'), '--symbol', 'ABC', '--json'], env);
      expect(ok.code).toBe(0);
      expect(ok.json()).toMatchObject({
        rowsRead: 2,
        stored: { inserted: 2 },
        series: [{ symbol: 'ABC', interval: '1d' }],
      });
      writeFileSync(
        join(dir, 'bad.csv'),
        'Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,0.5,1.5,10\n2024-01-03,1.5,two,1,1.8,12\n',
      );
      const bad = await runRetrain(['import', 'bars', join(dir, 'bad.csv'), '--symbol', 'ABC'], env);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('line 3, column 3: "two" is not a number');
    });

    it('config prints the merged configuration and exits 2 on a bad environment value', async () => {
      const good = await runRetrain(['config', '--json'], { ...env, RETRAINING_TIMEZONE: 'Europe/London' });
      expect(good.code).toBe(0);
      expect(good.json()).toMatchObject({
        config: { schedule: { timezone: 'Europe/London', cronExpression: '0 2 * * 0' } },
      });
      const bad = await runRetrain(['config'], { ...env, RETRAINING_TIMEZONE: 'Mars/Olympus' });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('schedule.timezone "Mars/Olympus"');
    });
  },
);

describe('retrain CLI failures', () => {
  it('exits 1 naming an unreachable server without printing its password', async () => {
    const result = await runRetrain(['status', '--json'], {
      DATABASE_URL: 'postgres://bot:hunter2@127.0.0.1:1/db',
    });
    expect(result.code).toBe(1);
    expect((result.json() as { error: { code: string } }).error.code).toBe('database_unavailable');
    expect(result.stdout + result.stderr).not.toContain('hunter2');
    expect(result.stderr).toContain('127.0.0.1:1');
  });

  it.skipIf(!!SERVER_URL)('exits 1 naming the process that holds the embedded database', async () => {
    const holder = await openEmbeddedDatabase({ dataDir: env.RETRAINING_DATA_DIR! });
    try {
      const result = await runRetrain(['status', '--json'], env);
      expect(result.code).toBe(1);
      const body = result.json() as { error: { code: string; message: string } };
      expect(body.error.code).toBe('database_locked');
      expect(body.error.message).toContain(`process ${process.pid}`);
    } finally {
      await holder.close();
    }
  });

  it.skipIf(!SERVER_URL)('two migrators in separate processes apply the schema once', async () => {
    const [a, b] = await Promise.all([
      runRetrain(['migrate', '--json'], env),
      runRetrain(['migrate', '--json'], env),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const applied = [a, b].map((r) => (r.json() as { applied: unknown[] }).applied.length);
    expect(applied.sort()).toEqual([0, MIGRATIONS.length]);
  });
});
