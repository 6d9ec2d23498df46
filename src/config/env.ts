import { ConfigError, type ConfigIssue } from '../errors.js';
import { parseJsonObject } from './json.js';
import { formatValue } from './validate.js';

export interface ConfigEnvVariable {
  /** Dotted setting the variable sets; absent for the two that carry whole configurations. */
  path?: string;
  type: 'string' | 'boolean' | 'file path' | 'JSON object';
  description: string;
}

export const CONFIG_FILE_ENV = 'RETRAINING_CONFIG';
export const CONFIG_JSON_ENV = 'RETRAINING_CONFIG_JSON';

/**
 * Every environment variable the configuration reads. Precedence: defaults < file <
 * RETRAINING_CONFIG_JSON < the single-setting variables < programmatic overrides.
 * Unset or empty variables are ignored.
 */
export const CONFIG_ENV_VARIABLES = {
  [CONFIG_FILE_ENV]: {
    type: 'file path',
    description:
      'Configuration file to read instead of retraining.config.json in the working directory; it must exist.',
  },
  [CONFIG_JSON_ENV]: {
    type: 'JSON object',
    description: 'Partial configuration as JSON, applied over the configuration file.',
  },
  RETRAINING_CRON: {
    path: 'schedule.cronExpression',
    type: 'string',
    description: 'When retraining runs: a 5-field cron expression (minute hour day month weekday).',
  },
  RETRAINING_TIMEZONE: {
    path: 'schedule.timezone',
    type: 'string',
    description: 'IANA time zone the cron expression is read in, e.g. "Europe/London".',
  },
  RETRAINING_SCHEDULE_ENABLED: {
    path: 'schedule.enabled',
    type: 'boolean',
    description: 'Whether scheduled retraining runs at all (true/false/1/0).',
  },
  RETRAINING_RUN_ON_STARTUP: {
    path: 'schedule.runOnStartup',
    type: 'boolean',
    description: 'Whether to retrain once as soon as the service starts (true/false/1/0).',
  },
  RETRAINING_AUTO_DEPLOY: {
    path: 'deployment.autoDeploy',
    type: 'boolean',
    description:
      'Whether a retrained model that passes evaluation is deployed without approval (true/false/1/0).',
  },
} as const satisfies Record<string, ConfigEnvVariable>;

export type ConfigEnvVariableName = keyof typeof CONFIG_ENV_VARIABLES;

/** One contribution to the configuration and where it came from. */
export interface ConfigLayer {
  source: string;
  values: Record<string, unknown>;
}

export const envSource = (name: string): string => `env ${name}`;

const BOOLEANS = new Map([
  ['true', true],
  ['false', false],
  ['1', true],
  ['0', false],
]);

function setAt(path: string, value: unknown): Record<string, unknown> {
  let nested = value;
  for (const key of path.split('.').reverse()) nested = { [key]: nested };
  return nested as Record<string, unknown>;
}

/** The layers the environment contributes, lowest precedence first. */
export function readEnvLayers(env: NodeJS.ProcessEnv): ConfigLayer[] {
  const layers: ConfigLayer[] = [];
  const issues: ConfigIssue[] = [];
  const sources: string[] = [];
  const fail = (name: string, error: unknown) => {
    if (!(error instanceof ConfigError)) throw error;
    issues.push(...error.issues);
    sources.push(envSource(name));
  };

  const json = env[CONFIG_JSON_ENV]?.trim();
  if (json) {
    try {
      layers.push({
        source: envSource(CONFIG_JSON_ENV),
        values: parseJsonObject(json, CONFIG_JSON_ENV, envSource(CONFIG_JSON_ENV)),
      });
    } catch (error) {
      fail(CONFIG_JSON_ENV, error);
    }
  }

  for (const [name, spec] of Object.entries(CONFIG_ENV_VARIABLES)) {
    const raw = env[name]?.trim();
    if (!raw || !('path' in spec)) continue;
    let value: unknown = raw;
    if (spec.type === 'boolean') {
      value = BOOLEANS.get(raw.toLowerCase());
      if (value === undefined) {
        const message = `${name} ${formatValue(raw)} is not a boolean; expected true, false, 1 or 0 (it sets ${spec.path})`;
        fail(name, new ConfigError([{ field: spec.path, value: raw, message }]));
        continue;
      }
    }
    layers.push({ source: envSource(name), values: setAt(spec.path, value) });
  }

  if (issues.length > 0) throw new ConfigError(issues, sources.join(', '));
  return layers;
}
