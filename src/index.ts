/**
 * ai-trading-retraining: the public API. What exists so far is the foundation (configuration,
 * logging, database, schema, repositories); the services of the product README
 * (RetrainingService, DataCollector, ModelTrainer, DeploymentManager, MonitoringService,
 * quickStartRetraining, RetrainingFactory) are added here as they are built.
 */
export * from './config/index.js';
export {
  Logger,
  LOG_LEVELS,
  type LogEntry,
  type LoggerOptions,
  type LogLevel,
  type LogFilter,
} from './logging/index.js';
export { redact, redactString } from './logging/index.js';
export {
  openDatabase,
  resolveDatabaseOptions,
  DEFAULT_DATA_DIR,
  type DatabaseOptions,
} from './db/connect.js';
export type { Database, DatabaseKind, Queryable, QueryResult } from './db/types.js';
export { migrate, schemaVersion, latestSchemaVersion, type MigrationReport } from './db/migrate.js';
export { TABLES, type TableName } from './db/migrations/index.js';
export { pgliteBossDb, bossConnectionOptions, type BossDb } from './db/boss-adapter.js';
export * as store from './store/index.js';
export * from './errors.js';
