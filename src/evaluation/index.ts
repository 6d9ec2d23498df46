export * from './backtest.js';
export * from './metrics.js';
export { replayPositions, unitCost, type PositionReplay, type Trade } from './trades.js';
