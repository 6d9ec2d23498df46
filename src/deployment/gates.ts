import type { RetrainingConfig } from '../config/schema.js';
import type { BacktestSummary } from '../evaluation/backtest.js';

/**
 * The gates a candidate passes before any deployment, judged on the same held-out bars as the
 * production model: the configured thresholds, no worse than production by more than
 * `performanceDecayThreshold`, better than buy-and-hold, and not degenerate. Too little evidence
 * (fewer trades than `minTradesForValidation`) is its own verdict, never a pass.
 */
export type GateVerdict = 'pass' | 'fail' | 'insufficient_evidence';

export interface GateCheck {
  name: string;
  passed: boolean;
  value: number | boolean | null;
  threshold: number | boolean | null;
  message: string;
}

export interface GateDecision {
  verdict: GateVerdict;
  checks: GateCheck[];
  /** One sentence per failed check (or the missing evidence). */
  reasons: string[];
}

export function evaluateGates(
  candidate: BacktestSummary,
  production: BacktestSummary | null,
  config: RetrainingConfig['evaluation'],
): GateDecision {
  const m = candidate.metrics;
  const trades = m.tradeCount ?? 0;
  const checks: GateCheck[] = [];
  const check = (
    name: string,
    passed: boolean,
    value: GateCheck['value'],
    threshold: GateCheck['threshold'],
    /** What the check found: the sentence for a pass, then the one for a failure. */
    [ifPassed, ifFailed]: [string, string],
  ) => checks.push({ name, passed, value, threshold, message: passed ? ifPassed : ifFailed });

  check(
    'minTradesForValidation',
    trades >= config.minTradesForValidation,
    trades,
    config.minTradesForValidation,
    [
      `${trades} trades on the evaluation data, enough to judge (at least ${config.minTradesForValidation})`,
      `${trades} trades on the evaluation data; at least ${config.minTradesForValidation} are needed to judge`,
    ],
  );
  check('minWinRate', (m.winRate ?? 0) >= config.minWinRate, m.winRate, config.minWinRate, [
    `win rate ${fmt(m.winRate)} is at least ${config.minWinRate}`,
    `win rate ${fmt(m.winRate)} is below ${config.minWinRate}`,
  ]);
  check(
    'minProfitFactor',
    (m.profitFactor ?? 0) >= config.minProfitFactor,
    m.profitFactor,
    config.minProfitFactor,
    [
      `profit factor ${fmt(m.profitFactor)} is at least ${config.minProfitFactor}`,
      `profit factor ${fmt(m.profitFactor)} is below ${config.minProfitFactor}`,
    ],
  );
  check(
    'maxDrawdownThreshold',
    m.maxDrawdown <= config.maxDrawdownThreshold,
    m.maxDrawdown,
    config.maxDrawdownThreshold,
    [
      `max drawdown ${fmt(m.maxDrawdown)} is within ${config.maxDrawdownThreshold}`,
      `max drawdown ${fmt(m.maxDrawdown)} exceeds ${config.maxDrawdownThreshold}`,
    ],
  );
  const buyAndHold = candidate.buyAndHold.sharpeRatio;
  check(
    'beatsBuyAndHold',
    (m.sharpeRatio ?? -Infinity) > (buyAndHold ?? -Infinity),
    m.sharpeRatio,
    buyAndHold,
    [
      `Sharpe ${fmt(m.sharpeRatio)} beats buy-and-hold's ${fmt(buyAndHold)} on the same bars`,
      `Sharpe ${fmt(m.sharpeRatio)} does not beat buy-and-hold's ${fmt(buyAndHold)} on the same bars`,
    ],
  );
  const degenerate = candidate.flags.neverTrades || candidate.flags.alwaysSameAction;
  check('notDegenerate', !degenerate, degenerate, false, [
    'the policy trades and takes more than one action',
    candidate.flags.neverTrades ? 'the policy never trades' : 'the policy takes one action almost always',
  ]);
  if (production) {
    const ours = m.sharpeRatio ?? -Infinity;
    const theirs = production.metrics.sharpeRatio ?? -Infinity;
    // Relative decay on Sharpe: the candidate may trail production by at most the threshold's share.
    const floor = theirs - config.performanceDecayThreshold * Math.abs(theirs);
    check('performanceDecayThreshold', ours >= floor, m.sharpeRatio, Number.isFinite(floor) ? floor : null, [
      `Sharpe ${fmt(m.sharpeRatio)} is within ${config.performanceDecayThreshold * 100} % of production's ${fmt(production.metrics.sharpeRatio)} or above it`,
      `Sharpe ${fmt(m.sharpeRatio)} trails production's ${fmt(production.metrics.sharpeRatio)} by more than ${config.performanceDecayThreshold * 100} %`,
    ]);
  }

  const evidence = checks[0]!;
  const failed = checks.filter((c) => !c.passed);
  if (!evidence.passed) return { verdict: 'insufficient_evidence', checks, reasons: [evidence.message] };
  return { verdict: failed.length === 0 ? 'pass' : 'fail', checks, reasons: failed.map((c) => c.message) };
}

function fmt(value: number | null): string {
  return value === null ? 'n/a' : Number(value.toFixed(4)).toString();
}
