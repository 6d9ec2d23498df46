import parser from 'cron-parser';
import { z } from 'zod';

export const OPTIMIZATION_METRICS = [
  'sharpe_ratio',
  'sortino_ratio',
  'profit_factor',
  'win_rate',
  'total_return',
  'calmar_ratio',
] as const;

export type OptimizationMetric = (typeof OPTIMIZATION_METRICS)[number];

/** What each setting expects, in plain words; validation messages quote it. */
export const settingExpectations = z.registry<{ expected: string }>();

// Zod methods return new instances and metadata belongs to one instance, so register last.
function expecting<T extends z.ZodType>(schema: T, expected: string): T {
  settingExpectations.add(schema as z.ZodType, { expected });
  return schema;
}

const bool = () => expecting(z.boolean(), 'true or false');
const integer = (min: number, max?: number) =>
  max === undefined
    ? expecting(z.number().int().min(min), `an integer of ${min} or more`)
    : expecting(z.number().int().min(min).max(max), `an integer from ${min} to ${max}`);
const fraction = () => expecting(z.number().min(0).max(1), 'a number from 0 to 1');
const openFraction = () => expecting(z.number().gt(0).lt(1), 'a number greater than 0 and less than 1');
const nonNegative = () => expecting(z.number().min(0), 'a number of 0 or more');
const positive = () => expecting(z.number().gt(0), 'a number greater than 0');

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const CRON_FIELD_NAMES = 'minute hour day month weekday';

/** Why cron-parser (as the scheduler calls it) rejects the expression in `tz`, or undefined. */
export function cronProblem(expression: string, tz = 'UTC'): string | undefined {
  const count = expression.trim().split(/\s+/).filter(Boolean).length;
  if (count !== 5) {
    return `has ${count} ${count === 1 ? 'field' : 'fields'}; expected 5 (${CRON_FIELD_NAMES})`;
  }
  try {
    parser.parseExpression(expression, { tz }).next();
    return undefined;
  } catch (error) {
    return `is not a valid cron expression: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** Custom issue messages are message tails: validation prefixes the field and the value. */
const timezone = expecting(
  z.string().refine(isTimeZone, {
    message: 'is not a known IANA time zone (e.g. "UTC", "Europe/London", "America/New_York")',
  }),
  'an IANA time zone name such as "UTC"',
);

const cronExpression = expecting(
  z.string().superRefine((expression, ctx) => {
    const problem = cronProblem(expression);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  `a cron expression with 5 fields (${CRON_FIELD_NAMES})`,
);

const schedule = z
  .strictObject({
    enabled: bool(),
    cronExpression,
    timezone,
    runOnStartup: bool(),
  })
  // pg-boss fires schedules in the configured zone, so check the pair too. Zod still runs this
  // after the fields' own refinements failed, hence the guard.
  .superRefine(({ cronExpression: expression, timezone: zone }, ctx) => {
    if (!isTimeZone(zone) || cronProblem(expression)) return;
    const problem = cronProblem(expression, zone);
    if (problem) {
      ctx.addIssue({
        code: 'custom',
        path: ['cronExpression'],
        message: `${problem} in time zone "${zone}"`,
      });
    }
  });

const dataCollection = z.strictObject({
  lookbackDays: integer(1),
  minTradesThreshold: integer(0),
  maxTradesPerBatch: integer(1),
  includeIncompleteTrades: bool(),
  dataQualityThreshold: fraction(),
});

const metricList = OPTIMIZATION_METRICS.map((metric) => `"${metric}"`).join(', ');

const training = z.strictObject({
  epochs: integer(1),
  batchSize: integer(1),
  learningRate: openFraction(),
  validationSplit: openFraction(),
  earlyStoppingPatience: integer(0),
  hyperparameterOptimization: z.strictObject({
    enabled: bool(),
    maxTrials: integer(1),
    optimizationMetric: expecting(z.enum(OPTIMIZATION_METRICS), `one of ${metricList}`),
  }),
});

const evaluation = z.strictObject({
  minWinRate: fraction(),
  minProfitFactor: nonNegative(),
  maxDrawdownThreshold: fraction(),
  minTradesForValidation: integer(0),
  performanceDecayThreshold: fraction(),
});

const deployment = z.strictObject({
  autoDeploy: bool(),
  abTesting: z.strictObject({
    enabled: bool(),
    trafficSplit: integer(0, 100),
    // A confidence of 0.5 or less would promote a candidate no better than a coin toss.
    minConfidenceThreshold: expecting(
      z.number().gt(0.5).lt(1),
      'a probability greater than 0.5 and less than 1',
    ),
  }),
  rollbackOnDegradation: bool(),
  cooldownPeriodHours: nonNegative(),
});

const monitoring = z.strictObject({
  alertsEnabled: bool(),
  performanceTracking: bool(),
  modelDriftDetection: z.strictObject({
    enabled: bool(),
    sensitivity: fraction(),
    checkIntervalHours: positive(),
  }),
});

export const retrainingConfigSchema = z.strictObject({
  schedule,
  dataCollection,
  training,
  evaluation,
  deployment,
  monitoring,
});

export type RetrainingConfig = z.infer<typeof retrainingConfigSchema>;

/** Every property optional at every depth; arrays are replaced whole, so they stay as they are. */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

export type RetrainingConfigInput = DeepPartial<RetrainingConfig>;
