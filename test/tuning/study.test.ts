import { expect, it } from 'vitest';
import { CancelledError, ValidationError } from '../../src/errors.js';
import { MedianPruner } from '../../src/tuning/pruner.js';
import type { Params, SearchSpace } from '../../src/tuning/search-space.js';
import {
  completedTrial,
  runStudy,
  trialSeed,
  type Objective,
  type TrialRecord,
} from '../../src/tuning/study.js';
import { TpeSampler, randomSampler, type CompletedTrial, type Sampler } from '../../src/tuning/tpe.js';
import { describeDatabaseIndependent } from '../helpers/database-independent.js';

const SPACE: SearchSpace = {
  learningRate: { kind: 'float', low: 1e-5, high: 1e-1, log: true },
  hiddenWidth: { kind: 'categorical', choices: [32, 64, 128] },
};

/** Final score of a parameter set: best at learningRate 1e-3 and width 64. */
function quality(params: Params): number {
  return 10 - (Math.log10(params.learningRate as number) + 3) ** 2 - (params.hiddenWidth === 64 ? 0 : 1);
}

/** Learns towards its quality over 10 evaluations, stopping when told to. */
const learningObjective: Objective = async (params, trial) => {
  const target = quality(params);
  let value = 0;
  for (let step = 0; step < 10; step++) {
    value = (target * (step + 1)) / 10;
    if (trial.report(step, value) === 'prune') return value;
  }
  return value;
};

function fakeClock(): () => number {
  let time = 0;
  return () => (time += 5);
}

describeDatabaseIndependent('runStudy', () => {
  it('records every trial with its parameters, seed, whole learning curve, score and duration', async () => {
    const result = await runStudy({
      space: SPACE,
      objective: learningObjective,
      trials: 4,
      sampler: randomSampler({ space: SPACE, seed: 1 }),
      seed: 'study',
      now: fakeClock(),
    });
    expect(result.trials.map((trial) => trial.number)).toEqual([0, 1, 2, 3]);
    for (const trial of result.trials) {
      expect(trial.state).toBe('complete');
      expect(trial.seed).toBe(trialSeed('study', trial.number));
      expect(trial.curve.map((point) => point.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(trial.curve.at(-1)!.value).toBeCloseTo(quality(trial.params), 12);
      expect(trial.value).toBeCloseTo(quality(trial.params), 12);
      expect(trial.durationMs).toBe(5);
    }
    const best = result.trials.reduce((a, b) => (b.value! > a.value! ? b : a));
    expect(result.best).toBe(best);
  });

  it('stops weak trials after the warm-up and keeps their curve so far as a pruned trial', async () => {
    const result = await runStudy({
      space: SPACE,
      objective: learningObjective,
      trials: 30,
      sampler: new TpeSampler({ space: SPACE, seed: 2 }),
      pruner: new MedianPruner({ startupTrials: 3, warmupSteps: 2 }),
      seed: 2,
    });
    const pruned = result.trials.filter((trial) => trial.state === 'pruned');
    expect(pruned.length).toBeGreaterThan(0);
    for (const trial of result.trials.slice(0, 3)) expect(trial.state).toBe('complete');
    for (const trial of pruned) {
      expect(trial.curve.length).toBeGreaterThanOrEqual(3);
      expect(trial.curve.length).toBeLessThan(10);
      expect(trial.value).toBe(trial.curve.at(-1)!.value);
    }
    const complete = result.trials.filter((trial) => trial.state === 'complete');
    expect(result.best!.value).toBe(Math.max(...complete.map((trial) => trial.value!)));
    expect(result.best!.value).toBeGreaterThan(9);
  });

  it('shows the sampler pruned trials with the step they reached, and failed ones as failed', async () => {
    const seen: CompletedTrial[][] = [];
    const inner = randomSampler({ space: SPACE, seed: 3 });
    const spy: Sampler = {
      space: SPACE,
      direction: 'maximize',
      suggest: (history, number) => {
        seen.push([...history]);
        return inner.suggest(history, number);
      },
    };
    let calls = 0;
    const objective: Objective = async (params, trial) => {
      calls++;
      if (calls === 2) throw new Error('policy diverged: NaN loss');
      for (let step = 0; step < 10; step++) {
        const value = calls >= 4 ? -step - 1 : step;
        if (trial.report(step, value) === 'prune') return value;
      }
      return 9;
    };
    const result = await runStudy({
      space: SPACE,
      objective,
      trials: 5,
      sampler: spy,
      pruner: new MedianPruner({ startupTrials: 2, warmupSteps: 1 }),
      seed: 3,
    });
    expect(result.trials.map((trial) => trial.state)).toEqual([
      'complete',
      'failed',
      'complete',
      'pruned',
      'pruned',
    ]);
    expect(result.trials[1]!.error).toBe('policy diverged: NaN loss');
    expect(result.trials[1]!.value).toBeNull();
    expect(result.trials[3]!.curve).toEqual([
      { step: 0, value: -1 },
      { step: 1, value: -2 },
    ]);
    expect(seen[4]![3]).toEqual({ params: result.trials[3]!.params, value: -2, state: 'pruned', step: 1 });
    expect(seen[4]![1]).toEqual({ params: result.trials[1]!.params, value: null, state: 'failed' });
  });

  it('marks a trial failed when it returns a non-finite score or reports steps out of order', async () => {
    const objective: Objective = async (params, trial) => {
      if (trial.number === 0) return Number.NaN;
      trial.report(3, 1);
      trial.report(2, 1);
      return 1;
    };
    const result = await runStudy({
      space: SPACE,
      objective,
      trials: 2,
      sampler: randomSampler({ space: SPACE, seed: 4 }),
      seed: 4,
    });
    expect(result.trials.map((trial) => trial.state)).toEqual(['failed', 'failed']);
    expect(result.trials[0]!.error).toBe('objective returned NaN; expected a finite number');
    expect(result.trials[1]!.error).toBe(
      'trial 1 reported step 2 after step 3; expected an increasing integer ≥ 0',
    );
    expect(result.best).toBeNull();
  });

  it('is reproducible when run sequentially with the same seeds', async () => {
    const run = async (): Promise<TrialRecord[]> =>
      (
        await runStudy({
          space: SPACE,
          objective: learningObjective,
          trials: 15,
          sampler: new TpeSampler({ space: SPACE, seed: 'repro', startupTrials: 5 }),
          pruner: new MedianPruner({ startupTrials: 3, warmupSteps: 2 }),
          seed: 'repro',
          now: fakeClock(),
        })
      ).trials;
    expect(await run()).toEqual(await run());
  });

  it('stops the whole study when a trial is cancelled', async () => {
    const objective: Objective = async () => {
      throw new CancelledError('job cancelled');
    };
    await expect(
      runStudy({
        space: SPACE,
        objective,
        trials: 3,
        sampler: randomSampler({ space: SPACE, seed: 5 }),
        seed: 5,
      }),
    ).rejects.toThrow(CancelledError);
  });

  it('rejects a pruner that optimises the other way from the sampler, and a trial count below 1', async () => {
    const base = { space: SPACE, objective: learningObjective, seed: 6 };
    await expect(
      runStudy({
        ...base,
        trials: 3,
        sampler: randomSampler({ space: SPACE, seed: 6 }),
        pruner: new MedianPruner({ direction: 'minimize' }),
      }),
    ).rejects.toThrow(/pruner direction "minimize" differs from sampler direction "maximize"/);
    await expect(
      runStudy({ ...base, trials: 0, sampler: randomSampler({ space: SPACE, seed: 6 }) }),
    ).rejects.toThrow(ValidationError);
  });
});

describeDatabaseIndependent('completedTrial', () => {
  it('passes a pruned trial on with the step of its last report', () => {
    const record: TrialRecord = {
      number: 0,
      params: { learningRate: 1e-3, hiddenWidth: 64 },
      seed: 1,
      curve: [
        { step: 0, value: 1 },
        { step: 4, value: 2 },
      ],
      value: 2,
      state: 'pruned',
      durationMs: 1,
    };
    expect(completedTrial(record)).toEqual({ params: record.params, value: 2, state: 'pruned', step: 4 });
    expect(completedTrial({ ...record, state: 'complete' })).toEqual({
      params: record.params,
      value: 2,
      state: 'complete',
    });
  });
});
