import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRAINING_CONFIG, validateConfig } from '../../src/config/index.js';

// The object from the product README, written out literally.
const README_DEFAULTS = {
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
};

describe('DEFAULT_RETRAINING_CONFIG', () => {
  it('equals the README object field by field', () => {
    expect(DEFAULT_RETRAINING_CONFIG).toStrictEqual(README_DEFAULTS);
  });

  it('has the documented key values', () => {
    expect(DEFAULT_RETRAINING_CONFIG.schedule.cronExpression).toBe('0 2 * * 0');
    expect(DEFAULT_RETRAINING_CONFIG.schedule.timezone).toBe('UTC');
    expect(DEFAULT_RETRAINING_CONFIG.dataCollection.dataQualityThreshold).toBe(0.7);
    expect(DEFAULT_RETRAINING_CONFIG.training.learningRate).toBe(0.001);
    expect(DEFAULT_RETRAINING_CONFIG.training.hyperparameterOptimization.optimizationMetric).toBe(
      'sharpe_ratio',
    );
    expect(DEFAULT_RETRAINING_CONFIG.evaluation.minProfitFactor).toBe(1.2);
    expect(DEFAULT_RETRAINING_CONFIG.deployment.abTesting.trafficSplit).toBe(10);
    expect(DEFAULT_RETRAINING_CONFIG.deployment.cooldownPeriodHours).toBe(24);
    expect(DEFAULT_RETRAINING_CONFIG.monitoring.modelDriftDetection.checkIntervalHours).toBe(6);
  });

  it('is deeply frozen', () => {
    expect(Object.isFrozen(DEFAULT_RETRAINING_CONFIG)).toBe(true);
    expect(Object.isFrozen(DEFAULT_RETRAINING_CONFIG.deployment.abTesting)).toBe(true);
    expect(() => {
      (DEFAULT_RETRAINING_CONFIG.training as { epochs: number }).epochs = 1;
    }).toThrow(TypeError);
  });

  it('passes its own validation, returning an unfrozen copy', () => {
    const config = validateConfig(DEFAULT_RETRAINING_CONFIG);
    expect(config).toStrictEqual(README_DEFAULTS);
    expect(config).not.toBe(DEFAULT_RETRAINING_CONFIG);
    expect(Object.isFrozen(config)).toBe(false);
  });
});
