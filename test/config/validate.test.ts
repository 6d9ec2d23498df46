import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRAINING_CONFIG, resolveConfig, validateConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';
import { configErrorOf, messagesFor } from './helpers.js';

describe('validateConfig', () => {
  it('reports a cron expression with the wrong number of fields', () => {
    expect(messagesFor({ schedule: { cronExpression: '0 2 * *' } })).toEqual([
      'schedule.cronExpression "0 2 * *" has 4 fields; expected 5 (minute hour day month weekday)',
    ]);
    expect(messagesFor({ schedule: { cronExpression: '0 0 2 * * 0' } })[0]).toContain('has 6 fields');
    expect(messagesFor({ schedule: { cronExpression: '@weekly' } })[0]).toContain('has 1 field;');
  });

  it('reports a cron expression cron-parser rejects, with its reason', () => {
    expect(messagesFor({ schedule: { cronExpression: '0 25 * * 0' } })).toEqual([
      'schedule.cronExpression "0 25 * * 0" is not a valid cron expression: Constraint error, got value 25 expected range 0-23',
    ]);
    expect(messagesFor({ schedule: { cronExpression: '0 2 30 2 *' } })[0]).toMatch(
      /^schedule\.cronExpression "0 2 30 2 \*" is not a valid cron expression: /,
    );
  });

  it('accepts cron expressions pg-boss accepts', () => {
    for (const cronExpression of ['*/15 * * * *', '0 2 * * MON', '0 0 L * *', '30 4 1,15 * 1-5']) {
      expect(resolveConfig({ schedule: { cronExpression } }).schedule.cronExpression).toBe(cronExpression);
    }
  });

  it('reports an unknown time zone and accepts real ones', () => {
    expect(messagesFor({ schedule: { timezone: 'Mars/Olympus' } })).toEqual([
      'schedule.timezone "Mars/Olympus" is not a known IANA time zone (e.g. "UTC", "Europe/London", "America/New_York")',
    ]);
    expect(messagesFor({ schedule: { timezone: '' } })[0]).toContain('schedule.timezone ""');
    for (const timezone of ['Europe/London', 'America/New_York', 'Asia/Kolkata']) {
      expect(resolveConfig({ schedule: { timezone } }).schedule.timezone).toBe(timezone);
    }
  });

  it.each([
    [120, 'deployment.abTesting.trafficSplit 120 is out of range; expected an integer from 0 to 100'],
    [-1, 'deployment.abTesting.trafficSplit -1 is out of range; expected an integer from 0 to 100'],
    [10.5, 'deployment.abTesting.trafficSplit 10.5 is not an integer; expected an integer from 0 to 100'],
  ])('reports trafficSplit %s', (trafficSplit, message) => {
    expect(messagesFor({ deployment: { abTesting: { trafficSplit } } })).toEqual([message]);
  });

  it('reports negative thresholds', () => {
    expect(
      messagesFor({
        evaluation: { minProfitFactor: -1, maxDrawdownThreshold: -0.2, minTradesForValidation: -5 },
        dataCollection: { minTradesThreshold: -1, dataQualityThreshold: -0.5 },
        deployment: { cooldownPeriodHours: -24 },
      }),
    ).toEqual([
      'dataCollection.minTradesThreshold -1 is out of range; expected an integer of 0 or more',
      'dataCollection.dataQualityThreshold -0.5 is out of range; expected a number from 0 to 1',
      'evaluation.minProfitFactor -1 is out of range; expected a number of 0 or more',
      'evaluation.maxDrawdownThreshold -0.2 is out of range; expected a number from 0 to 1',
      'evaluation.minTradesForValidation -5 is out of range; expected an integer of 0 or more',
      'deployment.cooldownPeriodHours -24 is out of range; expected a number of 0 or more',
    ]);
    expect(messagesFor({ evaluation: { minWinRate: -0.1 } })).toEqual([
      'evaluation.minWinRate -0.1 is out of range; expected a number from 0 to 1',
    ]);
  });

  it('reports a win rate above 1', () => {
    expect(messagesFor({ evaluation: { minWinRate: 1.5 } })).toEqual([
      'evaluation.minWinRate 1.5 is out of range; expected a number from 0 to 1',
    ]);
  });

  it('treats validationSplit and learningRate bounds as exclusive', () => {
    expect(messagesFor({ training: { validationSplit: 0, learningRate: 1 } })).toEqual([
      'training.learningRate 1 is out of range; expected a number greater than 0 and less than 1',
      'training.validationSplit 0 is out of range; expected a number greater than 0 and less than 1',
    ]);
    expect(messagesFor({ monitoring: { modelDriftDetection: { checkIntervalHours: 0 } } })).toEqual([
      'monitoring.modelDriftDetection.checkIntervalHours 0 is out of range; expected a number greater than 0',
    ]);
  });

  it('reports unknown keys, suggesting a near known one', () => {
    expect(messagesFor({ training: { hyperparamterOptimization: { enabled: false } } })).toEqual([
      'training.hyperparamterOptimization is not a known setting; did you mean "hyperparameterOptimization"?',
    ]);
    expect(messagesFor({ monitoring: { slackWebhook: 'https://x' } })).toEqual([
      'monitoring.slackWebhook is not a known setting',
    ]);
    expect(messagesFor({ schedul: {} })).toEqual([
      'schedul is not a known setting; did you mean "schedule"?',
    ]);
  });

  it('reports wrong types', () => {
    expect(messagesFor({ training: { epochs: '100' } })).toEqual([
      'training.epochs "100" has the wrong type; expected an integer of 1 or more',
    ]);
    expect(messagesFor({ schedule: { enabled: 'yes' } })).toEqual([
      'schedule.enabled "yes" has the wrong type; expected true or false',
    ]);
    expect(messagesFor({ deployment: { abTesting: null } })).toEqual([
      'deployment.abTesting null has the wrong type; expected an object',
    ]);
    expect(messagesFor({ training: { learningRate: Number.NaN } })[0]).toContain('training.learningRate NaN');
    expect(configErrorOf(() => validateConfig([])).issues[0]?.message).toBe(
      'configuration [] has the wrong type; expected an object',
    );
  });

  it('reports an optimization metric outside the list', () => {
    expect(
      messagesFor({ training: { hyperparameterOptimization: { optimizationMetric: 'sharpe' } } }),
    ).toEqual([
      'training.hyperparameterOptimization.optimizationMetric "sharpe" is not an allowed value; expected one of "sharpe_ratio", "sortino_ratio", "profit_factor", "win_rate", "total_return", "calmar_ratio"',
    ]);
  });

  it('reports missing settings when validating a bare object', () => {
    const input = structuredClone(DEFAULT_RETRAINING_CONFIG) as Record<string, Record<string, unknown>>;
    delete input.training?.epochs;
    expect(configErrorOf(() => validateConfig(input)).issues).toEqual([
      {
        field: 'training.epochs',
        value: undefined,
        message: 'training.epochs is missing; expected an integer of 1 or more',
      },
    ]);
  });

  it('reports every problem at once, each with its field and value', () => {
    const error = configErrorOf(() =>
      validateConfig(
        {
          ...DEFAULT_RETRAINING_CONFIG,
          schedule: {
            ...DEFAULT_RETRAINING_CONFIG.schedule,
            cronExpression: '0 2 * *',
            timezone: 'Mars/Olympus',
          },
          deployment: {
            ...DEFAULT_RETRAINING_CONFIG.deployment,
            abTesting: { ...DEFAULT_RETRAINING_CONFIG.deployment.abTesting, trafficSplit: 120 },
          },
          evaluation: { ...DEFAULT_RETRAINING_CONFIG.evaluation, minWinRate: 1.5, extra: 1 },
        },
        'test.json',
      ),
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.code).toBe('config_invalid');
    expect(error.exitCode).toBe(2);
    expect(error.issues.map(({ field, value }) => ({ field, value }))).toEqual([
      { field: 'schedule.cronExpression', value: '0 2 * *' },
      { field: 'schedule.timezone', value: 'Mars/Olympus' },
      { field: 'evaluation.minWinRate', value: 1.5 },
      { field: 'evaluation.extra', value: 1 },
      { field: 'deployment.abTesting.trafficSplit', value: 120 },
    ]);
    expect(error.message).toMatch(/^invalid configuration \(test\.json\):\n {2}- schedule\.cronExpression/);
    for (const issue of error.issues) expect(error.message).toContain(issue.message);
  });

  it('checks the cron expression in the configured zone only once both are valid on their own', () => {
    const messages = messagesFor({ schedule: { cronExpression: '0 25 * * 0', timezone: 'Mars/Olympus' } });
    expect(messages).toHaveLength(2);
    expect(resolveConfig({ schedule: { timezone: 'America/New_York' } }).schedule.timezone).toBe(
      'America/New_York',
    );
  });
});

describe('A/B confidence', () => {
  it('refuses a minConfidenceThreshold of 0.5 or less, or of 1', () => {
    for (const value of [0.5, 0.2, 1]) {
      expect(() => resolveConfig({ deployment: { abTesting: { minConfidenceThreshold: value } } })).toThrow(
        `deployment.abTesting.minConfidenceThreshold ${value} is out of range; expected a probability greater than 0.5 and less than 1`,
      );
    }
  });
});
