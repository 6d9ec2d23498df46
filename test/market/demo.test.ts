import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRAINING_CONFIG } from '../../src/config/defaults.js';
import { backtestPositions } from '../../src/evaluation/backtest.js';
import { completedSessions, DEMO_START, demoMarket } from '../../src/market/demo.js';
import { parseInterval, periodsPerYear } from '../../src/market/interval.js';
import { symbolBars } from '../../src/market/synthetic.js';
import { FIRST_MODEL_LOOKBACK_DAYS } from '../../src/orchestration/pipeline.js';
import { DEFAULT_TRAINING_CONFIG } from '../../src/rl/train.js';
import { splitHeldOut } from '../../src/training/model-trainer.js';

const DAY_MS = 86_400_000;

/**
 * The known best policy of the demo market on the bars a first model started at `now` is judged
 * on: the last `validationSplit` of its year, split as the pipeline splits it, with the default costs.
 */
function bestPolicyOnHeldOut(now: Date) {
  const market = demoMarket(completedSessions(DEMO_START, now));
  const from = now.getTime() - FIRST_MODEL_LOOKBACK_DAYS * DAY_MS;
  const bars = Object.fromEntries(
    market.options.symbols.map((symbol) => [
      symbol,
      symbolBars(market, symbol).filter((bar) => bar.ts.getTime() >= from && bar.ts <= now),
    ]),
  );
  const split = splitHeldOut(bars, DEFAULT_RETRAINING_CONFIG.training.validationSplit);
  const positions: number[] = [];
  const returns: number[] = [];
  for (const symbol of market.options.symbols) {
    const all = symbolBars(market, symbol);
    const test = split.test[symbol]!;
    const offset = all.findIndex((bar) => bar.ts.getTime() === test[0]!.ts.getTime());
    for (let i = split.testFirstRow[symbol]!; i < test.length - 1; i++) {
      positions.push(market.truth[symbol]!.oraclePosition[offset + i]!);
      returns.push(test[i + 1]!.close / test[i]!.close - 1);
    }
  }
  return backtestPositions({
    positions,
    returns,
    costs: DEFAULT_TRAINING_CONFIG.environment.costs,
    periodsPerYear: periodsPerYear(parseInterval('5m')),
  }).summary;
}

describe('the demo market', () => {
  // A first model can only pass the default gates where the best policy clears them with room to
  // spare; with the generator's defaults it won fewer than 45 % of its trades on some of these dates.
  it.each(['2026-09-01', '2026-11-26', '2026-12-15', '2027-03-01', '2027-06-01'])(
    "lets the best policy clear the default gates on a first model's held-out bars (%s)",
    (day) => {
      const summary = bestPolicyOnHeldOut(new Date(`${day}T21:00:00Z`));
      const gates = DEFAULT_RETRAINING_CONFIG.evaluation;
      expect(summary.metrics.tradeCount).toBeGreaterThan(5 * gates.minTradesForValidation);
      expect(summary.metrics.winRate).toBeGreaterThan(gates.minWinRate + 0.15);
      expect(summary.metrics.profitFactor).toBeGreaterThan(2 * gates.minProfitFactor);
      expect(summary.metrics.maxDrawdown).toBeLessThan(gates.maxDrawdownThreshold / 2);
      expect(summary.flags.alwaysSameAction).toBe(false);
    },
  );
});
