import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignArm, bucketOf } from '../../src/deployment/router.js';

describe('A/B traffic router', () => {
  it('always sends a key to the same arm of a test', () => {
    fc.assert(
      fc.property(fc.string(), fc.uuid(), fc.integer({ min: 0, max: 100 }), (key, testId, split) => {
        expect(assignArm(key, testId, split)).toBe(assignArm(key, testId, split));
        const bucket = bucketOf(key, testId);
        expect(bucket).toBeGreaterThanOrEqual(0);
        expect(bucket).toBeLessThan(100);
      }),
    );
  });

  it('sends a share of keys to B within one point of the split over 100,000 keys', () => {
    for (const [testId, split] of [
      ['t-1', 10],
      ['t-2', 50],
      ['t-3', 1],
      ['t-4', 99],
    ] as const) {
      let b = 0;
      for (let i = 0; i < 100_000; i++) if (assignArm(`account-${i}`, testId, split) === 'B') b++;
      expect(Math.abs((b / 100_000) * 100 - split)).toBeLessThan(1);
    }
    expect(assignArm('anyone', 't', 0)).toBe('A');
    expect(assignArm('anyone', 't', 100)).toBe('B');
  });

  it('assigns independently between tests', () => {
    let same = 0;
    for (let i = 0; i < 20_000; i++)
      if (bucketOf(`k${i}`, 'test-a') < 50 === bucketOf(`k${i}`, 'test-b') < 50) same++;
    expect(Math.abs(same / 20_000 - 0.5)).toBeLessThan(0.02);
  });
});
