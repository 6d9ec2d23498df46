import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRAINING_CONFIG,
  mergeConfig,
  resolveConfig,
  type RetrainingConfigInput,
} from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';

describe('mergeConfig', () => {
  it('overlays nested values and keeps the other defaults', () => {
    const merged = mergeConfig(DEFAULT_RETRAINING_CONFIG, {
      deployment: { abTesting: { trafficSplit: 25 } },
      schedule: { timezone: 'Europe/London' },
    });
    expect(merged.deployment.abTesting).toStrictEqual({
      enabled: true,
      trafficSplit: 25,
      minConfidenceThreshold: 0.8,
    });
    expect(merged.deployment.cooldownPeriodHours).toBe(24);
    expect(merged.schedule).toStrictEqual({
      enabled: true,
      cronExpression: '0 2 * * 0',
      timezone: 'Europe/London',
      runOnStartup: false,
    });
    expect(merged.training).toStrictEqual(DEFAULT_RETRAINING_CONFIG.training);
  });

  it('never mutates its inputs and shares no objects with them', () => {
    const base = { a: { b: 1, c: [1, 2] }, d: 'x' };
    const partial = { a: { b: 2 } };
    const merged = mergeConfig(base, partial);
    expect(base).toStrictEqual({ a: { b: 1, c: [1, 2] }, d: 'x' });
    expect(partial).toStrictEqual({ a: { b: 2 } });
    expect(merged).toStrictEqual({ a: { b: 2, c: [1, 2] }, d: 'x' });
    expect(merged.a).not.toBe(base.a);
    expect(merged.a.c).not.toBe(base.a.c);
    merged.a.c.push(3);
    expect(base.a.c).toStrictEqual([1, 2]);
  });

  it('works on the frozen defaults and returns something mutable', () => {
    const merged = mergeConfig(DEFAULT_RETRAINING_CONFIG);
    merged.training.epochs = 5;
    expect(DEFAULT_RETRAINING_CONFIG.training.epochs).toBe(100);
  });

  it('replaces arrays and scalars, skips undefined, applies partials left to right', () => {
    const merged = mergeConfig<Record<string, unknown>>(
      { list: [1, 2, 3], n: 1, keep: true },
      { list: [9], n: undefined },
      undefined,
      { n: 3 },
      { n: 4, keep: undefined },
    );
    expect(merged).toStrictEqual({ list: [9], n: 4, keep: true });
  });

  it('lets an object replace a scalar and a scalar replace an object', () => {
    const merged = mergeConfig<Record<string, unknown>>({ a: 1, b: { c: 1 } }, { a: { x: 1 }, b: null });
    expect(merged).toStrictEqual({ a: { x: 1 }, b: null });
  });

  it('keeps unknown keys, including "__proto__" from JSON, as ordinary keys', () => {
    const partial = JSON.parse('{"training": {"epochz": 3}, "__proto__": {"polluted": true}}');
    const merged = mergeConfig<Record<string, unknown>>({ training: { epochs: 1 } }, partial);
    expect(Object.keys(merged)).toEqual(['training', '__proto__']);
    expect(merged.training).toStrictEqual({ epochs: 1, epochz: 3 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
  });
});

describe('resolveConfig', () => {
  it('returns the defaults without a partial', () => {
    expect(resolveConfig()).toStrictEqual(DEFAULT_RETRAINING_CONFIG);
  });

  it('validates the merged result', () => {
    const config = resolveConfig({ training: { epochs: 7 } });
    expect(config.training.epochs).toBe(7);
    expect(config.training.batchSize).toBe(32);
  });

  it('reports unknown keys that came in through the partial', () => {
    const partial = { training: { epochz: 3 } } as RetrainingConfigInput;
    expect(() => resolveConfig(partial)).toThrow(ConfigError);
    expect(() => resolveConfig(partial)).toThrow(
      /training\.epochz is not a known setting; did you mean "epochs"\?/,
    );
  });
});
