export { DEFAULT_RETRAINING_CONFIG } from './defaults.js';
export {
  CONFIG_ENV_VARIABLES,
  CONFIG_FILE_ENV,
  CONFIG_JSON_ENV,
  type ConfigEnvVariable,
  type ConfigEnvVariableName,
} from './env.js';
export { DEFAULT_CONFIG_FILE, loadConfig, type LoadConfigOptions, type LoadedConfig } from './load.js';
export { mergeConfig, resolveConfig } from './merge.js';
export {
  OPTIMIZATION_METRICS,
  isTimeZone,
  retrainingConfigSchema,
  type DeepPartial,
  type OptimizationMetric,
  type RetrainingConfig,
  type RetrainingConfigInput,
} from './schema.js';
export { checkConfig, validateConfig, type ConfigCheck } from './validate.js';
