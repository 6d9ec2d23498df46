/**
 * Seeded synthetic market data with known ground truth, for demos and tests without a download:
 * the generator, the scoring helpers and a live-trade simulator. See `synthetic/generate.ts` for
 * the processes.
 */
export {
  REGIMES,
  DEFAULT_SYNTHETIC_OPTIONS,
  resolveSyntheticOptions,
  type Regime,
  type SyntheticMarketOptions,
} from './synthetic/options.js';
export { sessionCalendar, type SessionCalendar } from './synthetic/calendar.js';
export {
  generateSyntheticMarket,
  symbolBars,
  type SymbolTruth,
  type SyntheticMarket,
} from './synthetic/generate.js';
export { policyReturns, sharpe } from './synthetic/scoring.js';
export {
  simulateLiveTrades,
  type LiveTradeSimulationOptions,
  type TradeDirection,
  type TradingPolicyFunction,
} from './synthetic/live-trades.js';
