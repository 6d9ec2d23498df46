import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  OPTIMIZATION_METRICS,
  mergeConfig,
  resolveConfig,
  type RetrainingConfigInput,
} from '../../src/config/index.js';
import { jsonErrorOffset } from '../../src/config/json.js';
import { configErrorOf } from './helpers.js';

const bool = fc.boolean();
const int = (min: number, max = 1_000_000) => fc.integer({ min, max });
const fraction = fc.double({ min: 0, max: 1, noNaN: true });
/** A probability strictly above a coin toss: what minConfidenceThreshold accepts. */
const confidence = fc.double({ min: 0.5, max: 1, noNaN: true, minExcluded: true, maxExcluded: true });
const open = fc.double({ min: Number.EPSILON, max: 1 - Number.EPSILON, noNaN: true });
const nonNegative = fc.double({ min: 0, max: 1e6, noNaN: true });
const partial = <T extends Record<string, fc.Arbitrary<unknown>>>(model: T) =>
  fc.record(model, { requiredKeys: [] });

const validPartial: fc.Arbitrary<RetrainingConfigInput> = partial({
  schedule: partial({
    enabled: bool,
    cronExpression: fc.constantFrom('0 2 * * 0', '*/5 * * * *', '30 4 1 * *', '0 0 * * 1-5'),
    timezone: fc.constantFrom('UTC', 'Europe/London', 'America/New_York', 'Asia/Tokyo'),
    runOnStartup: bool,
  }),
  dataCollection: partial({
    lookbackDays: int(1),
    minTradesThreshold: int(0),
    maxTradesPerBatch: int(1),
    includeIncompleteTrades: bool,
    dataQualityThreshold: fraction,
  }),
  training: partial({
    epochs: int(1),
    batchSize: int(1),
    learningRate: open,
    validationSplit: open,
    earlyStoppingPatience: int(0),
    hyperparameterOptimization: partial({
      enabled: bool,
      maxTrials: int(1),
      optimizationMetric: fc.constantFrom(...OPTIMIZATION_METRICS),
    }),
  }),
  evaluation: partial({
    minWinRate: fraction,
    minProfitFactor: nonNegative,
    maxDrawdownThreshold: fraction,
    minTradesForValidation: int(0),
    performanceDecayThreshold: fraction,
  }),
  deployment: partial({
    autoDeploy: bool,
    abTesting: partial({ enabled: bool, trafficSplit: int(0, 100), minConfidenceThreshold: confidence }),
    rollbackOnDegradation: bool,
    cooldownPeriodHours: nonNegative,
  }),
  monitoring: partial({
    alertsEnabled: bool,
    performanceTracking: bool,
    modelDriftDetection: partial({
      enabled: bool,
      sensitivity: fraction,
      checkIntervalHours: fc.double({ min: 0.001, max: 1e4, noNaN: true }),
    }),
  }),
});

describe('configuration properties', () => {
  it('any merge of valid partials validates, the last partial winning', () => {
    fc.assert(
      fc.property(fc.array(validPartial, { maxLength: 4 }), (partials) => {
        const merged = mergeConfig<RetrainingConfigInput>({}, ...partials);
        const config = resolveConfig(merged);
        const split = partials.findLast((p) => p.deployment?.abTesting?.trafficSplit !== undefined);
        expect(config.deployment.abTesting.trafficSplit).toBe(
          split?.deployment?.abTesting?.trafficSplit ?? 10,
        );
      }),
    );
  });

  it('a trafficSplit outside 0..100 always fails, naming the field and the value', () => {
    const outside = fc.oneof(
      fc.integer({ max: -1 }),
      fc.integer({ min: 101 }),
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => x < 0 || x > 100),
      fc.double({ min: 0, max: 100, noNaN: true }).filter((x) => !Number.isInteger(x)),
    );
    fc.assert(
      fc.property(outside, (trafficSplit) => {
        const error = configErrorOf(() => resolveConfig({ deployment: { abTesting: { trafficSplit } } }));
        expect(error.issues).toHaveLength(1);
        expect(error.issues[0]?.field).toBe('deployment.abTesting.trafficSplit');
        expect(error.issues[0]?.message).toContain(`deployment.abTesting.trafficSplit ${trafficSplit} `);
        expect(error.issues[0]?.message).toContain('expected an integer from 0 to 100');
      }),
    );
  });

  it('an unknown top-level key is always reported by name', () => {
    const known = ['schedule', 'dataCollection', 'training', 'evaluation', 'deployment', 'monitoring'];
    const key = fc.string({ minLength: 1 }).filter((k) => !known.includes(k) && !k.includes('.'));
    fc.assert(
      fc.property(key, fc.jsonValue(), (name, value) => {
        const error = configErrorOf(() => resolveConfig(JSON.parse(JSON.stringify({ [name]: value ?? 0 }))));
        expect(error.issues.map((issue) => issue.field)).toEqual([name]);
        expect(error.issues[0]?.message.startsWith(`${name} is not a known setting`)).toBe(true);
      }),
    );
  });

  it('the JSON error locator agrees with JSON.parse', () => {
    const edit = fc.tuple(
      fc.json(),
      fc.nat(),
      fc.constantFrom('insert', 'delete', 'replace'),
      fc.constantFrom('{', '}', '[', ']', ',', ':', '"', '\\', 'x', '0', '-', '.', 'e', ' ', '\n', 't'),
    );
    fc.assert(
      fc.property(edit, ([json, at, kind, char]) => {
        const i = at % (json.length + 1);
        const text =
          json.slice(0, i) + (kind === 'delete' ? '' : char) + json.slice(kind === 'insert' ? i : i + 1);
        let reported: number | undefined;
        try {
          JSON.parse(text);
        } catch (error) {
          const match = /at position (\d+)/.exec((error as Error).message);
          reported = match ? Number(match[1]) : -2;
        }
        const offset = jsonErrorOffset(text);
        if (reported === undefined) expect(offset).toBe(-1);
        else if (reported === -2) expect(offset).toBeGreaterThanOrEqual(0);
        else expect(offset).toBe(reported);
      }),
      { numRuns: 2000 },
    );
  });
});
