import { expect, it } from 'vitest';
import { backtestPositions } from '../../src/evaluation/backtest.js';
import { sharpeRatio } from '../../src/evaluation/metrics.js';
import { generateSyntheticMarket, symbolBars } from '../../src/market/synthetic.js';
import { evaluatePolicy } from '../../src/rl/environment.js';
import { buildMarketSeries } from '../../src/rl/market-series.js';
import { TradingPolicy } from '../../src/rl/policy.js';
import { Random } from '../../src/rl/random.js';
import { DEFAULT_TRAINING_CONFIG, trainPolicy } from '../../src/rl/train.js';
import { DEFAULT_COST_MODEL } from '../../src/rl/types.js';
import { describeDatabaseIndependent } from '../helpers/database-independent.js';

const PERIODS_5M = 252 * 78;
const WARMUP = 200;
/** 90 sessions to train on (the last 20 % of them validate), 110 held out: ≈25,700 test bars. */
const TRAIN_SESSIONS = 90;
const SESSIONS = 200;

describeDatabaseIndependent('the agent learns a market whose best policy is known', () => {
  it(
    'reaches 70 % of the best policy’s held-out Sharpe, far above a random policy, and keeps trading to the end',
    {
      // ≈ 90-120 s alone; CI runs three files at once on two cores, beside other training suites.
      timeout: 420_000,
    },
    async () => {
      const market = generateSyntheticMarket({ seed: 11, sessions: SESSIONS });
      const symbols = ['SYNA', 'SYNB', 'SYNC'];
      const train: Record<string, ReturnType<typeof symbolBars>> = {};
      const test: Record<string, ReturnType<typeof symbolBars>> = {};
      const oracleReturns: number[] = [];
      for (const symbol of symbols) {
        const bars = symbolBars(market, symbol);
        const cut = TRAIN_SESSIONS * 78;
        train[symbol] = bars.slice(0, cut);
        test[symbol] = bars.slice(cut - WARMUP);
      }
      const result = await trainPolicy({
        bars: train,
        config: {
          ...DEFAULT_TRAINING_CONFIG,
          iterations: 250,
          patience: 1000,
          seed: 3,
          periodsPerYear: PERIODS_5M,
          // The defaults are what reaches the goal (docs/benchmarks.md, "Learning quality"): a
          // mean-variance reward (riskAversion 0.3), as the agent is judged by its Sharpe ratio; a
          // credit horizon of ~20 bars (γ 0.95, GAE λ 0.9), not ~100; and the latest checkpoint within
          // one standard error of the best validation Sharpe (selectionTolerance 1).
        },
      });
      const { series } = buildMarketSeries(test, { normaliser: result.normaliser, firstRow: WARMUP });
      const agent = new TradingPolicy(result.weights.actor, 'greedy');
      const random = new Random('random-policy');
      const agentReturns: number[] = [];
      const randomReturns: number[] = [];
      for (const s of series) {
        const bars = test[s.symbol]!;
        const evaluation = evaluatePolicy(s, (observation) => agent.act(observation));
        agentReturns.push(...evaluation.returns);
        randomReturns.push(...evaluatePolicy(s, () => random.int(3)).returns);
        // The known best policy on the same bars, with the same costs, from the generator's truth.
        const truth = market.truth[s.symbol]!.oraclePosition;
        const offset = symbolBars(market, s.symbol).length - bars.length;
        const oracle = evaluatePolicy(s, (_, row) => truth[offset + row]! + 1);
        oracleReturns.push(...oracle.returns);

        const report = backtestPositions({
          positions: evaluation.positions,
          returns: s.returns.subarray(s.firstRow),
          costs: DEFAULT_COST_MODEL,
          periodsPerYear: PERIODS_5M,
          actions: evaluation.actions,
          actionCount: 3,
        });
        expect(report.summary.flags.neverTrades).toBe(false);
        expect(report.summary.flags.alwaysSameAction).toBe(false);
        // A greedy policy that stops trading after a while still changes position in the last quarter.
        const lastQuarter = evaluation.positions.subarray(Math.floor(evaluation.positions.length * 0.75));
        expect(new Set(lastQuarter).size).toBeGreaterThan(1);
      }
      const oracleSharpe = sharpeRatio(oracleReturns, PERIODS_5M)!;
      const agentSharpe = sharpeRatio(agentReturns, PERIODS_5M)!;
      const randomSharpe = sharpeRatio(randomReturns, PERIODS_5M) ?? 0;
      console.info(
        `held-out Sharpe: best known policy ${oracleSharpe.toFixed(2)}, agent ${agentSharpe.toFixed(2)} ` +
          `(${((agentSharpe / oracleSharpe) * 100).toFixed(0)} %), random ${randomSharpe.toFixed(2)}`,
      );
      expect(oracleSharpe).toBeGreaterThan(5);
      // Issue 4: 70 % of the best policy. Measured on these bars: 72 % with this seed, 69 / 77 / 72 %
      // with seeds 1 / 2 / 4; 24 % for seed 1 with the old defaults (risk-neutral, γ 0.99, GAE λ
      // 0.95, best validation score; docs/benchmarks.md).
      expect(agentSharpe).toBeGreaterThan(0.7 * oracleSharpe);
      // A random policy changes position on 2 bars of 3 and pays for it: its Sharpe is far below 0.
      expect(agentSharpe).toBeGreaterThan(randomSharpe + 5);
    },
  );
});
