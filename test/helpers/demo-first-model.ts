import { DEFAULT_RETRAINING_CONFIG } from '../../src/config/defaults.js';
import { backtestPositions, type BacktestSummary } from '../../src/evaluation/backtest.js';
import { completedSessions, DEMO_START, demoMarket } from '../../src/market/demo.js';
import { parseInterval, periodsPerYear } from '../../src/market/interval.js';
import { symbolBars, type SyntheticMarket } from '../../src/market/synthetic.js';
import { FIRST_MODEL_LOOKBACK_DAYS } from '../../src/orchestration/pipeline.js';
import { DEFAULT_TRAINING_CONFIG } from '../../src/rl/train.js';
import { type HeldOutSplit, splitHeldOut } from '../../src/training/model-trainer.js';

const DAY_MS = 86_400_000;
export const FIVE_MINUTE_YEAR = periodsPerYear(parseInterval('5m'));

/** The demo market as stored at `now`, and the year a first model reads split as the pipeline splits it. */
export function firstModelData(now: Date): { market: SyntheticMarket; split: HeldOutSplit } {
  const market = demoMarket(completedSessions(DEMO_START, now));
  const from = now.getTime() - FIRST_MODEL_LOOKBACK_DAYS * DAY_MS;
  const bars = Object.fromEntries(
    market.options.symbols.map((symbol) => [
      symbol,
      symbolBars(market, symbol).filter((bar) => bar.ts.getTime() >= from && bar.ts <= now),
    ]),
  );
  return { market, split: splitHeldOut(bars, DEFAULT_RETRAINING_CONFIG.training.validationSplit) };
}

/** The generator's known best policy on the held-out bars of `firstModelData`, with the default costs. */
export function bestPolicyOnHeldOut({ market, split }: ReturnType<typeof firstModelData>): BacktestSummary {
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
    periodsPerYear: FIVE_MINUTE_YEAR,
  }).summary;
}
