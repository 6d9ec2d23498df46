import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONFIG_ENV_VARIABLES, DEFAULT_RETRAINING_CONFIG, loadConfig } from '../../src/config/index.js';
import { configErrorOfAsync } from './helpers.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'retraining-config-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const write = async (name: string, content: unknown) => {
  const path = join(dir, name);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
};

describe('loadConfig', () => {
  it('returns the defaults when there is no file and no environment', async () => {
    const { config, sources } = await loadConfig({ cwd: dir, env: {} });
    expect(config).toStrictEqual(DEFAULT_RETRAINING_CONFIG);
    expect(sources).toEqual(['defaults']);
  });

  it('reads retraining.config.json from cwd', async () => {
    const path = await write('retraining.config.json', { training: { epochs: 5 } });
    const { config, sources } = await loadConfig({ cwd: dir, env: {} });
    expect(config.training.epochs).toBe(5);
    expect(config.training.batchSize).toBe(32);
    expect(sources).toEqual(['defaults', `file ${path}`]);
  });

  it('reads the file named by options.file, else by RETRAINING_CONFIG', async () => {
    await write('retraining.config.json', { training: { epochs: 5 } });
    await write('a.json', { training: { epochs: 6 } });
    await write('b.json', { training: { epochs: 7 } });
    const env = { RETRAINING_CONFIG: 'b.json' };
    expect((await loadConfig({ cwd: dir, env })).config.training.epochs).toBe(7);
    expect((await loadConfig({ cwd: dir, env, file: 'a.json' })).config.training.epochs).toBe(6);
    expect((await loadConfig({ cwd: dir, env, file: join(dir, 'a.json') })).config.training.epochs).toBe(6);
  });

  it('lets the environment override the file and overrides override the environment', async () => {
    await write('retraining.config.json', {
      schedule: { cronExpression: '0 3 * * *', timezone: 'Europe/London' },
      deployment: { autoDeploy: true, cooldownPeriodHours: 12 },
    });
    const env = {
      RETRAINING_CONFIG_JSON: '{"schedule": {"cronExpression": "0 4 * * *", "runOnStartup": true}}',
      RETRAINING_CRON: '0 5 * * *',
      RETRAINING_AUTO_DEPLOY: 'false',
      RETRAINING_SCHEDULE_ENABLED: '0',
    };
    const fromEnv = await loadConfig({ cwd: dir, env });
    expect(fromEnv.config.schedule).toStrictEqual({
      enabled: false,
      cronExpression: '0 5 * * *',
      timezone: 'Europe/London',
      runOnStartup: true,
    });
    expect(fromEnv.config.deployment.autoDeploy).toBe(false);
    expect(fromEnv.config.deployment.cooldownPeriodHours).toBe(12);
    expect(fromEnv.sources).toEqual([
      'defaults',
      `file ${join(dir, 'retraining.config.json')}`,
      'env RETRAINING_CONFIG_JSON',
      'env RETRAINING_CRON',
      'env RETRAINING_SCHEDULE_ENABLED',
      'env RETRAINING_AUTO_DEPLOY',
    ]);

    const overridden = await loadConfig({
      cwd: dir,
      env,
      overrides: { schedule: { cronExpression: '0 6 * * *' }, deployment: { autoDeploy: true } },
    });
    expect(overridden.config.schedule.cronExpression).toBe('0 6 * * *');
    expect(overridden.config.deployment.autoDeploy).toBe(true);
    expect(overridden.config.schedule.enabled).toBe(false);
    expect(overridden.sources.at(-1)).toBe('overrides');
  });

  it('accepts true/false/1/0 in any case and ignores empty variables', async () => {
    const { config } = await loadConfig({
      cwd: dir,
      env: { RETRAINING_RUN_ON_STARTUP: ' TRUE ', RETRAINING_SCHEDULE_ENABLED: '1', RETRAINING_CRON: '' },
    });
    expect(config.schedule).toMatchObject({ runOnStartup: true, enabled: true, cronExpression: '0 2 * * 0' });
  });

  it('reports a bad boolean naming the variable', async () => {
    const error = await configErrorOfAsync(() =>
      loadConfig({ cwd: dir, env: { RETRAINING_SCHEDULE_ENABLED: 'yes', RETRAINING_AUTO_DEPLOY: 'nope' } }),
    );
    expect(error.issues.map((issue) => issue.message)).toEqual([
      'RETRAINING_SCHEDULE_ENABLED "yes" is not a boolean; expected true, false, 1 or 0 (it sets schedule.enabled)',
      'RETRAINING_AUTO_DEPLOY "nope" is not a boolean; expected true, false, 1 or 0 (it sets deployment.autoDeploy)',
    ]);
    expect(error.message).toContain('(env RETRAINING_SCHEDULE_ENABLED, env RETRAINING_AUTO_DEPLOY)');
  });

  it('names the variable that set an invalid value', async () => {
    await write('retraining.config.json', { deployment: { abTesting: { trafficSplit: 120 } } });
    const error = await configErrorOfAsync(() =>
      loadConfig({ cwd: dir, env: { RETRAINING_CRON: '0 25 * * 0', RETRAINING_TIMEZONE: 'Mars/Olympus' } }),
    );
    const messages = error.issues.map((issue) => issue.message);
    expect(messages).toHaveLength(3);
    expect(messages[0]).toMatch(
      /^schedule\.cronExpression "0 25 \* \* 0" is not a valid cron expression: .*\(from env RETRAINING_CRON\)$/,
    );
    expect(messages[1]).toMatch(/^schedule\.timezone "Mars\/Olympus" .*\(from env RETRAINING_TIMEZONE\)$/);
    expect(messages[2]).toBe(
      `deployment.abTesting.trafficSplit 120 is out of range; expected an integer from 0 to 100 (from file ${join(dir, 'retraining.config.json')})`,
    );
  });

  it('reports unknown keys in overrides and in RETRAINING_CONFIG_JSON', async () => {
    const error = await configErrorOfAsync(() =>
      loadConfig({
        cwd: dir,
        env: { RETRAINING_CONFIG_JSON: '{"monitoring": {"alertEnabled": false}}' },
        overrides: { training: { epochz: 1 } } as never,
      }),
    );
    expect(error.issues.map((issue) => issue.message)).toEqual([
      'training.epochz is not a known setting; did you mean "epochs"? (from overrides)',
      'monitoring.alertEnabled is not a known setting; did you mean "alertsEnabled"? (from env RETRAINING_CONFIG_JSON)',
    ]);
  });

  it('reports invalid JSON in the file with its line and column', async () => {
    const path = await write('retraining.config.json', '{\n  "training": {\n    "epochs": 5,\n  }\n}\n');
    const error = await configErrorOfAsync(() => loadConfig({ cwd: dir, env: {} }));
    expect(error.issues[0]?.message).toBe(
      `configuration file "${path}" is not valid JSON at line 4, column 3: Expected double-quoted property name`,
    );
    expect(error.message).toContain(`(file ${path})`);
  });

  it('locates JSON errors V8 reports without a position', async () => {
    const path = await write('bad.json', '{\n  "schedule": {\n    "enabled": tru\n  }\n}');
    const error = await configErrorOfAsync(() => loadConfig({ cwd: dir, env: {}, file: 'bad.json' }));
    expect(error.issues[0]?.message).toBe(
      `configuration file "${path}" is not valid JSON at line 3, column 19: Unexpected token '\\n'`,
    );
  });

  it('reports a file that holds something other than an object', async () => {
    await write('retraining.config.json', '[1, 2]');
    const error = await configErrorOfAsync(() => loadConfig({ cwd: dir, env: {} }));
    expect(error.issues[0]?.message).toContain('must hold a JSON object of settings; found an array');
  });

  it('reports invalid RETRAINING_CONFIG_JSON naming the variable', async () => {
    const error = await configErrorOfAsync(() =>
      loadConfig({ cwd: dir, env: { RETRAINING_CONFIG_JSON: '{"training": }' } }),
    );
    expect(error.issues[0]?.message).toBe(
      "RETRAINING_CONFIG_JSON is not valid JSON at line 1, column 14: Unexpected token '}'",
    );
    expect(error.message).toContain('(env RETRAINING_CONFIG_JSON)');
  });

  it('reports a missing file that was named explicitly', async () => {
    const missing = join(dir, 'nope.json');
    const fromOption = await configErrorOfAsync(() => loadConfig({ cwd: dir, env: {}, file: 'nope.json' }));
    expect(fromOption.issues[0]?.message).toBe(`configuration file "${missing}" does not exist`);
    const fromEnv = await configErrorOfAsync(() =>
      loadConfig({ cwd: dir, env: { RETRAINING_CONFIG: missing } }),
    );
    expect(fromEnv.issues[0]?.message).toBe(
      `configuration file "${missing}" (named by RETRAINING_CONFIG) does not exist`,
    );
  });
});

describe('CONFIG_ENV_VARIABLES', () => {
  it('describes every variable and maps setting variables to real settings', () => {
    for (const [name, spec] of Object.entries(CONFIG_ENV_VARIABLES)) {
      expect(name).toMatch(/^RETRAINING_/);
      expect(spec.description.length).toBeGreaterThan(10);
      if ('path' in spec) {
        const value = spec.path
          .split('.')
          .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], DEFAULT_RETRAINING_CONFIG);
        expect(value, name).toBeDefined();
      }
    }
    expect(CONFIG_ENV_VARIABLES.RETRAINING_CRON.path).toBe('schedule.cronExpression');
  });
});
