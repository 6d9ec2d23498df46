/**
 * The synthetic market's processes, per symbol and bar t (r = log return from close to close):
 *
 *   regime[t] ~ Markov(transition[regime[t−1]])   (the bar after a crash is always volatile)
 *   r[t]      = drift(regime[t]) + σ(regime[t]) · (√ρ·f[t] + √(1−ρ)·e[t]) + crash[t] · log(1 + crashSize)
 *               + gapVolatility · g[t] at a session's first bar
 *   drift     = trendStrength · m[t−1]            trending: m = EMA of past returns (momentum)
 *             = −reversionSpeed · (x[t−1] − L[t−1])  mean-reverting: x = log close, L = EMA of x (OU pull)
 *             = 0                                    volatile
 *
 * ρ is `correlation`, f a factor common to all symbols, e and g independent standard normals.
 * Because m and L are computed from past closes, the drift is a function of observable prices once
 * the regime is known, and regimes differ in volatility, so a policy that sees only recent bars can
 * learn most of the oracle's edge. The truth is exact:
 * E[r[t+1] | state at t] = Σ_k P(regime[t+1] = k) · drift_k + crashProbability · log(1 + crashSize).
 * Momentum gives trending regimes positive lag-1 autocorrelation
 * (≈ trendStrength · (α + (1−α) · trendStrength · Var m / Var r)); the OU pull gives mean-reverting
 * regimes negative autocorrelation (≈ −reversionSpeed / 2 for a fixed level).
 */
import { Random } from '../../rl/random.js';
import type { MarketBar } from '../../store/market-bars.js';
import { sessionCalendar, type SessionCalendar } from './calendar.js';
import {
  MEAN_REVERTING,
  REGIMES,
  resolveSyntheticOptions,
  TRENDING,
  VOLATILE,
  type SyntheticMarketOptions,
} from './options.js';

/** What the generator knows about each bar of one symbol, index-aligned with that symbol's bars. */
export interface SymbolTruth {
  /** Index into REGIMES of the regime that generated the bar (its return, range and volume). */
  regime: Uint8Array;
  /** E[log(close[t+1] / close[t]) | everything known at the close of bar t], exact by construction. */
  expectedReturn: Float64Array;
  /** −1/0/+1: sign of expectedReturn when |expectedReturn| exceeds `oracleCostBps`, else 0. */
  oraclePosition: Int8Array;
  /** 1 where a crash happened within the bar. */
  crash: Uint8Array;
}

export interface SyntheticMarket {
  /** All symbols, sorted by symbol then ts. */
  bars: MarketBar[];
  truth: Record<string, SymbolTruth>;
  options: SyntheticMarketOptions;
}

/** Volume multiplier of each regime, in REGIMES order: busier when volatile. */
const REGIME_VOLUME = [1.2, 1, 2];
const CRASH_VOLUME = 5;
/** Std of the log-normal noise on volume. */
const VOLUME_NOISE = 0.25;

/**
 * The drift of the next bar's log return in a regime, from observable state only: the EMA of past
 * returns (momentum) and the distance of log price from its slow EMA (the mean-reversion level).
 */
function regimeDrift(
  regime: number,
  momentum: number,
  deviation: number,
  options: SyntheticMarketOptions,
): number {
  if (regime === TRENDING) return options.trendStrength * momentum;
  if (regime === MEAN_REVERTING) return -options.reversionSpeed * deviation;
  return 0;
}

function nextRegime(random: Random, row: readonly number[]): number {
  const u = random.next();
  let cumulative = 0;
  for (let regime = 0; regime < row.length - 1; regime++) {
    cumulative += row[regime] ?? 0;
    if (u < cumulative) return regime;
  }
  return row.length - 1;
}

/** More volume at the session's open and close than at midday (the intraday U shape). */
function sessionVolumeShape(barOfSession: number, barsPerSession: number): number {
  if (barsPerSession === 1) return 1;
  const x = (2 * (barOfSession + 0.5)) / barsPerSession - 1;
  return 1 + 1.5 * x * x;
}

/**
 * Maximum of a Brownian bridge from 0 to `end` with variance `variance` over the bar, by inverting
 * P(max > m) = exp(−2m(m − end) / variance) (reflection principle); the minimum is its mirror.
 */
function bridgeExtreme(end: number, variance: number, uniform: number, sign: 1 | -1): number {
  return (end + sign * Math.sqrt(end * end - 2 * variance * Math.log(1 - uniform))) / 2;
}

function generateSymbol(
  symbol: string,
  calendar: SessionCalendar,
  factor: Float64Array,
  random: Random,
  options: SyntheticMarketOptions,
): { bars: MarketBar[]; truth: SymbolTruth } {
  const n = calendar.ts.length;
  const streams = {
    regime: random.fork('regime'),
    shock: random.fork('shock'),
    crash: random.fork('crash'),
    gap: random.fork('gap'),
    range: random.fork('range'),
    volume: random.fork('volume'),
  };
  const truth: SymbolTruth = {
    regime: new Uint8Array(n),
    expectedReturn: new Float64Array(n),
    oraclePosition: new Int8Array(n),
    crash: new Uint8Array(n),
  };
  const bars: MarketBar[] = [];
  const momentumWeight = 2 / (options.momentumSpan + 1);
  const levelWeight = 2 / (options.levelSpan + 1);
  const crashLog = Math.log1p(options.crashSize);
  const idiosyncratic = Math.sqrt(1 - options.correlation);
  const common = Math.sqrt(options.correlation);
  const threshold = options.oracleCostBps / 10_000;
  const volatility = REGIMES.map((regime) => options.volatility[regime]);
  const afterCrash = REGIMES.map((_, regime) => (regime === VOLATILE ? 1 : 0));

  let logClose = Math.log(options.startPrice);
  let momentum = 0;
  let level = logClose;
  let regime = streams.regime.int(REGIMES.length);
  let crashed = false;
  for (let t = 0; t < n; t++) {
    if (t > 0) regime = crashed ? VOLATILE : nextRegime(streams.regime, options.transition[regime] ?? []);
    const sigma = volatility[regime] ?? 0;
    const drift = regimeDrift(regime, momentum, logClose - level, options);
    const sessionOpens = t > 0 && calendar.barOfSession[t] === 0;
    const logOpen = logClose + (sessionOpens ? options.gapVolatility * streams.gap.normal() : 0);
    const shock = common * (factor[t] ?? 0) + idiosyncratic * streams.shock.normal();
    crashed = options.crashProbability > 0 && streams.crash.next() < options.crashProbability;
    const body = drift + sigma * shock + (crashed ? crashLog : 0);

    const open = t === 0 ? options.startPrice : Math.exp(logOpen);
    const close = Math.exp(logOpen + body);
    const variance = sigma * sigma;
    const high = Math.max(
      open,
      close,
      open * Math.exp(bridgeExtreme(body, variance, streams.range.next(), 1)),
    );
    const low = Math.min(
      open,
      close,
      open * Math.exp(bridgeExtreme(body, variance, streams.range.next(), -1)),
    );
    const volume =
      options.baseVolume *
      (REGIME_VOLUME[regime] ?? 1) *
      sessionVolumeShape(calendar.barOfSession[t] ?? 0, calendar.barsPerSession) *
      Math.exp(VOLUME_NOISE * streams.volume.normal() - (VOLUME_NOISE * VOLUME_NOISE) / 2) *
      (crashed ? CRASH_VOLUME : 1);
    bars.push({
      symbol,
      interval: options.interval,
      ts: calendar.ts[t] as Date,
      open,
      high,
      low,
      close,
      volume: Math.max(1, Math.round(volume)),
    });

    const logReturn = logOpen + body - logClose;
    logClose = logOpen + body;
    momentum += momentumWeight * (logReturn - momentum);
    level += levelWeight * (logClose - level);

    // E[r(t+1)] averages the drift over the regime bar t+1 will be drawn in; the gap and shocks have mean 0.
    const nextRegimes = crashed ? afterCrash : (options.transition[regime] ?? []);
    let expected = options.crashProbability * crashLog;
    for (let next = 0; next < REGIMES.length; next++) {
      expected += (nextRegimes[next] ?? 0) * regimeDrift(next, momentum, logClose - level, options);
    }
    truth.regime[t] = regime;
    truth.crash[t] = crashed ? 1 : 0;
    truth.expectedReturn[t] = expected;
    truth.oraclePosition[t] = Math.abs(expected) > threshold ? Math.sign(expected) : 0;
  }
  return { bars, truth };
}

/**
 * A seeded market whose best policy is known: per symbol, a Markov chain of regimes drives a
 * log-price process (momentum when trending, Ornstein–Uhlenbeck reversion to a slow moving level
 * when mean-reverting, noise when volatile), with optional crashes and a common factor.
 */
export function generateSyntheticMarket(options: Partial<SyntheticMarketOptions> = {}): SyntheticMarket {
  const resolved = resolveSyntheticOptions(options);
  const calendar = sessionCalendar(resolved);
  const root = new Random(resolved.seed);
  const factorStream = root.fork('factor');
  const factor = Float64Array.from(calendar.ts, () => factorStream.normal());
  const bars: MarketBar[] = [];
  const truth: Record<string, SymbolTruth> = {};
  for (const symbol of [...resolved.symbols].sort()) {
    const generated = generateSymbol(symbol, calendar, factor, root.fork(`symbol:${symbol}`), resolved);
    bars.push(...generated.bars);
    truth[symbol] = generated.truth;
  }
  return { bars, truth, options: resolved };
}

/** The bars of one symbol in time order, index-aligned with `market.truth[symbol]`. */
export function symbolBars(market: Pick<SyntheticMarket, 'bars'>, symbol: string): MarketBar[] {
  return market.bars.filter((bar) => bar.symbol === symbol);
}
