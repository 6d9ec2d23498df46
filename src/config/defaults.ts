import type { RetrainingConfig } from './schema.js';

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** The product defaults. Frozen: copy (e.g. with `mergeConfig`) before changing anything. */
export const DEFAULT_RETRAINING_CONFIG: RetrainingConfig = deepFreeze<RetrainingConfig>({
  schedule: { enabled: true, cronExpression: '0 2 * * 0', timezone: 'UTC', runOnStartup: false },
  dataCollection: {
    lookbackDays: 7,
    minTradesThreshold: 50,
    maxTradesPerBatch: 1000,
    includeIncompleteTrades: false,
    dataQualityThreshold: 0.7,
  },
  training: {
    epochs: 100,
    batchSize: 32,
    learningRate: 0.001,
    validationSplit: 0.2,
    earlyStoppingPatience: 10,
    hyperparameterOptimization: { enabled: true, maxTrials: 20, optimizationMetric: 'sharpe_ratio' },
  },
  evaluation: {
    minWinRate: 0.45,
    minProfitFactor: 1.2,
    maxDrawdownThreshold: 0.2,
    minTradesForValidation: 30,
    performanceDecayThreshold: 0.1,
  },
  deployment: {
    autoDeploy: true,
    abTesting: { enabled: true, trafficSplit: 10, minConfidenceThreshold: 0.8 },
    rollbackOnDegradation: true,
    cooldownPeriodHours: 24,
  },
  monitoring: {
    alertsEnabled: true,
    performanceTracking: true,
    modelDriftDetection: { enabled: true, sensitivity: 0.1, checkIntervalHours: 6 },
  },
});
