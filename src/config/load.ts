import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { DEFAULT_RETRAINING_CONFIG } from './defaults.js';
import { CONFIG_FILE_ENV, readEnvLayers, type ConfigLayer } from './env.js';
import { parseJsonObject } from './json.js';
import { isPlainObject, mergeConfig } from './merge.js';
import type { RetrainingConfig, RetrainingConfigInput } from './schema.js';
import { checkConfig } from './validate.js';

export const DEFAULT_CONFIG_FILE = 'retraining.config.json';

export interface LoadConfigOptions {
  /** Directory relative file paths resolve against; default `process.cwd()`. */
  cwd?: string;
  /** Configuration file to read; it must exist. */
  file?: string;
  /** Environment to read; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Highest-precedence settings, e.g. from CLI flags. */
  overrides?: RetrainingConfigInput;
}

export interface LoadedConfig {
  config: RetrainingConfig;
  /** What contributed, lowest precedence first: `defaults`, `file <path>`, `env <NAME>`, `overrides`. */
  sources: string[];
}

/**
 * Resolves the configuration: defaults < file < environment < overrides. Throws a ConfigError
 * whose issues say which file or variable set each bad value.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const layers: ConfigLayer[] = [];

  const file = await readFileLayer(cwd, options.file, env);
  if (file) layers.push(file);
  layers.push(...readEnvLayers(env));
  if (options.overrides !== undefined) {
    layers.push({ source: 'overrides', values: options.overrides as Record<string, unknown> });
  }

  const merged = mergeConfig<unknown>(DEFAULT_RETRAINING_CONFIG, ...layers.map((layer) => layer.values));
  const result = checkConfig(merged);
  if (!result.ok) throw attributed(result.issues, layers);
  return { config: result.config, sources: ['defaults', ...layers.map((layer) => layer.source)] };
}

async function readFileLayer(
  cwd: string,
  explicit: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<ConfigLayer | undefined> {
  const fromEnv = env[CONFIG_FILE_ENV]?.trim() || undefined;
  const named = explicit ?? fromEnv;
  const path = resolve(cwd, named ?? DEFAULT_CONFIG_FILE);
  const source = `file ${path}`;
  const what = `configuration file "${path}"`;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && named === undefined) return undefined;
    const namedBy = explicit === undefined ? ` (named by ${CONFIG_FILE_ENV})` : '';
    const problem = code === 'ENOENT' ? 'does not exist' : `cannot be read: ${(error as Error).message}`;
    throw new ConfigError([{ field: '', value: path, message: `${what}${namedBy} ${problem}` }], source);
  }
  return { source, values: parseJsonObject(text, what, source) };
}

function has(values: unknown, path: readonly string[]): boolean {
  let current = values;
  for (const key of path) {
    if (!isPlainObject(current) || !Object.hasOwn(current, key)) return false;
    current = current[key];
  }
  return current !== undefined;
}

/** Names, on each issue, the highest-precedence layer that set the offending field. */
function attributed(issues: ConfigIssue[], layers: readonly ConfigLayer[]): ConfigError {
  const sources = new Set<string>();
  const named = issues.map((issue) => {
    const path = issue.field === '' ? [] : issue.field.split('.');
    const layer = layers.findLast((candidate) => path.length > 0 && has(candidate.values, path));
    if (!layer) return issue;
    sources.add(layer.source);
    return { ...issue, message: `${issue.message} (from ${layer.source})` };
  });
  return new ConfigError(named, sources.size > 0 ? [...sources].join(', ') : undefined);
}
