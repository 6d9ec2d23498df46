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
export {
  DataCollector,
  type TradeData,
  type TrainingSample,
  type CollectedData,
} from './market/data-collector.js';
export { importBars, importBarsFromCsv, type BarImportOptions } from './market/import/bars.js';
export { importTrades, importTradesFromCsv, type TradeImportOptions } from './market/import/trades.js';
export type { ImportReport } from './market/import/report.js';
export { seedDemoData, type DemoReport } from './market/demo.js';
export {
  generateSyntheticMarket,
  simulateLiveTrades,
  type SyntheticMarket,
  type SyntheticMarketOptions,
} from './market/synthetic.js';
export {
  barsToColumns,
  computeFeatures,
  appendPosition,
  FEATURE_NAMES,
  type BarColumns,
  type FeatureMatrix,
  type FeatureOptions,
} from './market/features.js';
export {
  fitNormaliser,
  applyNormaliser,
  normaliseRow,
  parseNormaliser,
  type Normaliser,
} from './market/normaliser.js';
export {
  validateBars,
  validateTrades,
  repairBars,
  type QualityReport,
  type QualityIssue,
} from './market/quality/index.js';
export { parseInterval, periodsPerYear, type BarInterval } from './market/interval.js';
export { Random, createRandom } from './rl/random.js';
export * from './errors.js';
