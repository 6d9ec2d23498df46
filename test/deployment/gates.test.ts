import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRAINING_CONFIG } from '../../src/config/defaults.js';
import { evaluateGates } from '../../src/deployment/gates.js';
import { backtestPositions } from '../../src/evaluation/backtest.js';
import { Random } from '../../src/rl/random.js';
import { DEFAULT_COST_MODEL } from '../../src/rl/types.js';

const config = DEFAULT_RETRAINING_CONFIG.evaluation;
const P = 252 * 78;

/**
 * A policy that calls the sign of the next return right with probability `skill`, on the same
 * evaluation bars for every policy (the gates compare models on the same data).
 */
function backtest(skill: number, seed: string, bars = 4000, flatShare = 0.3) {
  const data = new Random('evaluation-bars');
  const returns = Float64Array.from({ length: bars }, () => data.normal(0, 0.002));
  const random = new Random(seed);
  const positions = Float64Array.from(returns, (r) => {
    if (random.next() < flatShare) return 0;
    const right = random.next() < skill;
    return r > 0 === right ? 1 : -1;
  });
  return backtestPositions({ positions, returns, costs: DEFAULT_COST_MODEL, periodsPerYear: P }).summary;
}

describe('deployment gates', () => {
  it('passes a skilled candidate that matches production and beats buy-and-hold', () => {
    const decision = evaluateGates(backtest(0.62, 'good'), backtest(0.6, 'prod'), config);
    expect(decision.verdict).toBe('pass');
    expect(decision.reasons).toEqual([]);
    expect(decision.checks.map((c) => c.name)).toEqual([
      'minTradesForValidation',
      'minWinRate',
      'minProfitFactor',
      'maxDrawdownThreshold',
      'beatsBuyAndHold',
      'notDegenerate',
      'performanceDecayThreshold',
    ]);
    // Each check says what it found: a passed check never reads as a failure.
    const messages = Object.fromEntries(decision.checks.map((c) => [c.name, c.message]));
    expect(messages.minTradesForValidation).toMatch(/^\d+ trades on the evaluation data, enough to judge/);
    expect(messages.minWinRate).toMatch(/^win rate [\d.]+ is at least 0.45$/);
    expect(messages.minProfitFactor).toMatch(/^profit factor [\d.]+ is at least 1.2$/);
    expect(messages.maxDrawdownThreshold).toMatch(/^max drawdown [\d.]+ is within 0.2$/);
    expect(messages.beatsBuyAndHold).toMatch(/^Sharpe [\d.]+ beats buy-and-hold's/);
    expect(messages.notDegenerate).toBe('the policy trades and takes more than one action');
    expect(messages.performanceDecayThreshold).toMatch(/is within 10 % of production's [\d.]+ or above it$/);
  });

  it('fails a candidate that trails production by more than the decay threshold, naming why', () => {
    const decision = evaluateGates(backtest(0.55, 'weaker'), backtest(0.65, 'stronger'), config);
    expect(decision.verdict).toBe('fail');
    expect(decision.reasons.join(' ')).toMatch(/trails production's .* by more than 10 %/);
  });

  it('fails a losing candidate on win rate, profit factor and buy-and-hold', () => {
    const decision = evaluateGates(backtest(0.4, 'bad'), null, config);
    expect(decision.verdict).toBe('fail');
    const failed = decision.checks.filter((c) => !c.passed).map((c) => c.name);
    expect(failed).toEqual(expect.arrayContaining(['minWinRate', 'minProfitFactor', 'beatsBuyAndHold']));
  });

  it('calls too few trades insufficient evidence, never a pass', () => {
    const decision = evaluateGates(backtest(0.9, 'short', 40), null, config);
    expect(decision.verdict).toBe('insufficient_evidence');
    expect(decision.reasons[0]).toMatch(/trades on the evaluation data; at least 30 are needed/);
  });

  it('fails a policy that never trades', () => {
    const flat = backtest(0.6, 'flat', 4000, 1);
    const decision = evaluateGates(flat, null, config);
    expect(decision.verdict).not.toBe('pass');
  });
});
