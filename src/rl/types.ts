/** Contracts between the trading environment, the PPO/CPPO learners and the backtest. */

/** Transaction costs, versioned with the model: a policy is trained and judged with the same ones. */
export interface CostModel {
  /** Commission per unit of position traded, basis points of notional. */
  commissionBps: number;
  /** Slippage per unit of position traded, basis points of notional. */
  slippageBps: number;
  /** Fixed fee per trade (any change of position), as a fraction of the notional of one unit. */
  fixedFee: number;
}

export const DEFAULT_COST_MODEL: Readonly<CostModel> = Object.freeze({
  commissionBps: 1,
  slippageBps: 0.5,
  fixedFee: 0,
});

/**
 * One market series the environment trades: the normalised observations of each bar (without
 * the position column, which the environment appends) and the simple return of each bar to the
 * next. Row t of `features` is what is known at the close of bar t; `returns[t]` is
 * close[t + 1] / close[t] − 1, earned by the position chosen at t. The last bar has no return.
 */
export interface MarketSeries {
  symbol: string;
  /** rows × featureCount, row-major. */
  features: Float32Array;
  featureCount: number;
  /** Length rows − 1. */
  returns: Float64Array;
  /** First row an episode may start at (rows before are feature warm-up). */
  firstRow: number;
  /** Bar timestamps (epoch ms), for reports. */
  ts?: Float64Array;
}

/** N environments stepped as one batch. Observations are row-major numEnvs × observationSize. */
export interface VectorEnvironment {
  readonly numEnvs: number;
  /** Feature count + 1 (the position held, last). */
  readonly observationSize: number;
  /** Number of discrete actions; action a means target position `positions[a]`. */
  readonly actionCount: number;
  readonly positions: readonly number[];
  /** Starts every environment on a new random episode; returns the first observations. */
  reset(): Float32Array;
  /**
   * Applies one action per environment. An environment whose episode ended is reset at once:
   * its returned observation is the first of the next episode and `dones` marks the boundary.
   */
  step(actions: Int32Array): StepResult;
}

export interface StepResult {
  observations: Float32Array;
  rewards: Float32Array;
  dones: Uint8Array;
}
