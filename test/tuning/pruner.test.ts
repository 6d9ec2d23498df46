import { expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { MedianPruner, type LearningCurve } from '../../src/tuning/pruner.js';
import { describeDatabaseIndependent } from '../helpers/database-independent.js';

function curve(...values: number[]): LearningCurve {
  return values.map((value, step) => ({ step, value }));
}

/** Five completed trials; at every step their median is 3. */
const COMPLETED: LearningCurve[] = [
  curve(1, 1, 1, 1, 1, 1, 1, 1),
  curve(2, 2, 2, 2, 2, 2, 2, 2),
  curve(3, 3, 3, 3, 3, 3, 3, 3),
  curve(4, 4, 4, 4, 4, 4, 4, 4),
  curve(5, 5, 5, 5, 5, 5, 5, 5),
];

describeDatabaseIndependent('MedianPruner', () => {
  it('prunes a trial whose value is below the median of the completed trials at that step', () => {
    const pruner = new MedianPruner({ warmupSteps: 2 });
    expect(pruner.shouldPrune(2, 2.9, COMPLETED)).toBe(true);
    expect(pruner.shouldPrune(2, 3, COMPLETED)).toBe(false);
    expect(pruner.shouldPrune(2, 3.1, COMPLETED)).toBe(false);
  });

  it('takes the median between the two middle values of an even count', () => {
    const pruner = new MedianPruner({ warmupSteps: 0, startupTrials: 4 });
    const four = COMPLETED.slice(0, 4);
    expect(pruner.shouldPrune(0, 2.4, four)).toBe(true);
    expect(pruner.shouldPrune(0, 2.5, four)).toBe(false);
  });

  it('does not prune during the warm-up', () => {
    const pruner = new MedianPruner({ warmupSteps: 5 });
    for (let step = 0; step < 5; step++) expect(pruner.shouldPrune(step, -100, COMPLETED)).toBe(false);
    expect(pruner.shouldPrune(5, -100, COMPLETED)).toBe(true);
  });

  it('does not prune before startupTrials trials have completed', () => {
    const pruner = new MedianPruner({ startupTrials: 5, warmupSteps: 0 });
    expect(pruner.shouldPrune(3, -100, COMPLETED.slice(0, 4))).toBe(false);
    expect(pruner.shouldPrune(3, -100, COMPLETED)).toBe(true);
    expect(new MedianPruner({ startupTrials: 0, warmupSteps: 0 }).shouldPrune(3, -100, [])).toBe(false);
  });

  it('does not prune at a step no completed trial reported', () => {
    const pruner = new MedianPruner({ warmupSteps: 0 });
    expect(pruner.shouldPrune(20, -100, COMPLETED)).toBe(false);
  });

  it('compares the best value so far, as Optuna does, when given the earlier points', () => {
    const pruner = new MedianPruner({ warmupSteps: 3 });
    const earlier = curve(0.5, 3.5, 2);
    expect(pruner.shouldPrune(3, 1, COMPLETED, earlier)).toBe(false);
    expect(pruner.shouldPrune(3, 1, COMPLETED, curve(0.5, 2.5, 2))).toBe(true);
  });

  it('prunes above the median when minimizing', () => {
    const pruner = new MedianPruner({ warmupSteps: 1, direction: 'minimize' });
    expect(pruner.shouldPrune(1, 3.1, COMPLETED)).toBe(true);
    expect(pruner.shouldPrune(1, 2.9, COMPLETED)).toBe(false);
    expect(pruner.shouldPrune(2, 3.1, COMPLETED, curve(9, 2.5))).toBe(false);
  });

  it('checks at the first report of each interval after the warm-up', () => {
    const pruner = new MedianPruner({ warmupSteps: 2, intervalSteps: 3 });
    const checked = [2, 3, 4, 5, 6, 7].filter((step) => pruner.shouldPrune(step, -100, COMPLETED));
    expect(checked).toEqual([2, 5]);
    // Reported at steps 0 and 1, then 4: step 4 is the first report in the interval from step 2 …
    expect(pruner.shouldPrune(4, -100, COMPLETED, curve(-100, -100))).toBe(true);
    // … but not after a report at step 2, which was that interval's check.
    expect(pruner.shouldPrune(4, -100, COMPLETED, curve(-100, -100, -100))).toBe(false);
  });

  it('ignores NaN values of the completed trials and prunes a trial that reported only NaN', () => {
    const pruner = new MedianPruner({ warmupSteps: 0 });
    const withNaN = [...COMPLETED, curve(Number.NaN), curve(Number.NaN)];
    expect(pruner.shouldPrune(0, 2.9, withNaN)).toBe(true);
    expect(pruner.shouldPrune(0, 3, withNaN)).toBe(false);
    expect(pruner.shouldPrune(0, Number.NaN, COMPLETED)).toBe(true);
    expect(pruner.shouldPrune(1, Number.NaN, COMPLETED, curve(4))).toBe(false);
  });

  it('rejects settings and steps it cannot use', () => {
    expect(() => new MedianPruner({ intervalSteps: 0 })).toThrow(ValidationError);
    expect(() => new MedianPruner({ warmupSteps: -1 })).toThrow(/warmupSteps -1/);
    expect(() => new MedianPruner({ startupTrials: 1.5 })).toThrow(ValidationError);
    expect(() => new MedianPruner().shouldPrune(1.5, 0, COMPLETED)).toThrow(/pruning step 1.5/);
  });
});
