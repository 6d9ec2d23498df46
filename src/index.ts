/**
 * ai-trading-retraining: the public API. Built so far: configuration, logging, database, schema,
 * repositories, market data, the RL engine, registry, deployment and monitoring. The remaining
 * services of the product README (RetrainingService, ModelTrainer, quickStartRetraining,
 * RetrainingFactory) are added here as they are built.
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
export { tradingMetrics, sharpeRatio, maxDrawdown, type TradingMetrics } from './evaluation/metrics.js';
export { backtestPositions, type BacktestReport, type BacktestSummary } from './evaluation/backtest.js';
export { initTensorFlow, type TfBackend } from './rl/backend.js';
export { DEFAULT_COST_MODEL, type CostModel, type MarketSeries } from './rl/types.js';
export {
  createTradingEnvironment,
  evaluatePolicy,
  checkNoLookAhead,
  type EnvironmentConfig,
} from './rl/environment.js';
export { buildMarketSeries, splitChronologically } from './rl/market-series.js';
export { DEFAULT_PPO_CONFIG, type PpoConfig, type AgentWeights } from './rl/ppo.js';
export { DEFAULT_CPPO_CONFIG, type CppoConfig } from './rl/cppo.js';
export {
  DEFAULT_TRAINING_CONFIG,
  trainPolicy,
  type TrainingConfig,
  type TrainingResult,
} from './rl/train.js';
export { TradingPolicy, type InferenceMode } from './rl/policy.js';
export { packModel, unpackModel, ARTIFACT_CONTENT_TYPE, type ModelArtifact } from './rl/artifact.js';
export * from './errors.js';
export {
  registerVersion,
  loadVersion,
  compareVersionRows,
  DRIFT_REFERENCE_ROWS,
} from './registry/registry.js';
export {
  DeploymentManager,
  type DeployOptions,
  type DeploymentResult,
} from './deployment/deployment-manager.js';
export { AbTestManager, type AbTestResults } from './deployment/ab-test-manager.js';
export { compareArms, type AbDecision, type AbRecommendation } from './deployment/ab-statistics.js';
export { evaluateGates, type GateDecision, type GateVerdict } from './deployment/gates.js';
export {
  MonitoringService,
  returnChangeSettings,
  type MonitoringOptions,
  type MonitoringReport,
  type PerformanceCheck,
  type DriftCheck,
} from './monitoring/monitoring-service.js';
export {
  systemHealth,
  type SystemHealth,
  type HealthCheck,
  type HealthStatus,
  type HealthProbes,
} from './monitoring/health.js';
export {
  liveMetrics,
  judgeDegradation,
  type LiveMetrics,
  type DegradationReport,
  type DegradationSettings,
} from './monitoring/performance.js';
export {
  psi,
  ksTest,
  wasserstein1,
  pageHinkley,
  featureDrift,
  driftThresholds,
  type FeatureDriftReport,
} from './monitoring/drift.js';
export * from './monitoring/alerts/index.js';
export { Predictor, type Prediction, type PredictorOptions } from './deployment/predictor.js';
