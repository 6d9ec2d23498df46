/**
 * `first_model`: how often a first model on the demo market passes the default gates. For each
 * date (the demo market grows by a session a day, so the year a first model reads and its held-out
 * stretch move) and seed, the pipeline's first training without the search (default config, a
 * year of bars, the last 20 % held out), on two training threads. Also the known best policy's
 * figures on the same held-out bars, the ceiling any model is judged against.
 * `FIRST_MODEL_DATES` (comma-separated days) and `FIRST_MODEL_SEEDS` (a count) change the grid.
 */
import { DEFAULT_RETRAINING_CONFIG } from '../src/config/defaults.js';
import { mergeConfig } from '../src/config/merge.js';
import { evaluateGates } from '../src/deployment/gates.js';
import { TrainingThread } from '../src/training/training-thread.js';
import { bestPolicyOnHeldOut, FIVE_MINUTE_YEAR, firstModelData } from '../test/helpers/demo-first-model.js';

const DEFAULT_DATES = '2026-10-01,2026-11-26,2026-12-15,2027-01-15';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export async function benchFirstModel(): Promise<Record<string, number>> {
  const dates = (process.env.FIRST_MODEL_DATES ?? DEFAULT_DATES).split(',').map((d) => d.trim());
  const seeds = Number(process.env.FIRST_MODEL_SEEDS ?? 5);
  const config = mergeConfig(DEFAULT_RETRAINING_CONFIG, {
    training: { hyperparameterOptimization: { enabled: false } },
  });
  const data = new Map(dates.map((day) => [day, firstModelData(new Date(`${day}T21:00:00Z`))]));
  const best = [...data.values()].map(bestPolicyOnHeldOut);
  const runs = dates.flatMap((day) => Array.from({ length: seeds }, (_, i) => ({ day, seed: i + 1 })));
  const results: { passed: boolean; seconds: number; iterations: number }[] = [];
  const threads = [new TrainingThread(), new TrainingThread()];
  try {
    await Promise.all(
      threads.map(async (thread) => {
        for (let run = runs.shift(); run; run = runs.shift()) {
          const { split } = data.get(run.day)!;
          const started = performance.now();
          const model = await thread.train(split.train, config, { interval: '5m', seed: run.seed });
          const seconds = (performance.now() - started) / 1000;
          const evaluation = await thread.evaluate(
            model,
            { bars: split.test, firstRow: split.testFirstRow },
            { periodsPerYear: FIVE_MINUTE_YEAR, seed: run.seed },
          );
          const gates = evaluateGates(evaluation.summary, null, config.evaluation);
          const m = evaluation.summary.metrics;
          results.push({ passed: gates.verdict === 'pass', seconds, iterations: model.result.iterationsRun });
          process.stderr.write(
            `${run.day} seed ${run.seed}: ${gates.verdict} after ${model.result.iterationsRun} iterations (${seconds.toFixed(0)} s); ` +
              `win rate ${(m.winRate ?? NaN).toFixed(2)}, profit factor ${(m.profitFactor ?? NaN).toFixed(2)}, Sharpe ${(m.sharpeRatio ?? 0).toFixed(2)}, ${m.tradeCount} trades` +
              `${gates.reasons.length ? `; ${gates.reasons.join('; ')}` : ''}\n`,
          );
        }
      }),
    );
  } finally {
    await Promise.all(threads.map((thread) => thread.close()));
  }
  const passed = results.filter((r) => r.passed).length;
  return {
    runs: results.length,
    passed,
    pass_rate: passed / results.length,
    median_train_s: Number(median(results.map((r) => r.seconds)).toFixed(1)),
    median_iterations: median(results.map((r) => r.iterations)),
    best_policy_min_win_rate: Number(Math.min(...best.map((s) => s.metrics.winRate ?? 0)).toFixed(3)),
    best_policy_min_sharpe: Number(Math.min(...best.map((s) => s.metrics.sharpeRatio ?? 0)).toFixed(2)),
  };
}
