import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRAINING_CONFIG } from '../../src/config/defaults.js';
import { bestPolicyOnHeldOut, firstModelData } from '../helpers/demo-first-model.js';

describe('the demo market', () => {
  // A first model can only pass the default gates where the best policy clears them with room to
  // spare; with the generator's defaults it won fewer than 45 % of its trades on some of these dates.
  it.each(['2026-09-01', '2026-11-26', '2026-12-15', '2027-03-01', '2027-06-01'])(
    "lets the best policy clear the default gates on a first model's held-out bars (%s)",
    (day) => {
      const summary = bestPolicyOnHeldOut(firstModelData(new Date(`${day}T21:00:00Z`)));
      const gates = DEFAULT_RETRAINING_CONFIG.evaluation;
      expect(summary.metrics.tradeCount).toBeGreaterThan(5 * gates.minTradesForValidation);
      expect(summary.metrics.winRate).toBeGreaterThan(gates.minWinRate + 0.15);
      expect(summary.metrics.profitFactor).toBeGreaterThan(2 * gates.minProfitFactor);
      expect(summary.metrics.maxDrawdown).toBeLessThan(gates.maxDrawdownThreshold / 2);
      expect(summary.flags.alwaysSameAction).toBe(false);
    },
  );
});
