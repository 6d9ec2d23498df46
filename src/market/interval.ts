import { ValidationError } from '../errors.js';

/** Bar intervals as stored in `market_bars.interval`: a count and a unit, e.g. `1m`, `5m`, `1h`, `1d`. */
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const INTERVAL = /^([1-9][0-9]*)(s|m|h|d|w|mo)$/;

export interface BarInterval {
  text: string;
  count: number;
  unit: 's' | 'm' | 'h' | 'd' | 'w' | 'mo';
  /** Nominal length in milliseconds (a month counts as 30 days). */
  ms: number;
  /** Whether bars are within a trading day (intraday) rather than one per day or longer. */
  intraday: boolean;
}

export function parseInterval(text: string): BarInterval {
  const match = INTERVAL.exec(text);
  if (!match) {
    throw new ValidationError(
      `bar interval "${text}" is not valid; expected a count and a unit, e.g. 1m, 5m, 15m, 1h, 1d, 1w, 1mo`,
      'interval',
    );
  }
  const count = Number(match[1]);
  const unit = match[2] as BarInterval['unit'];
  const ms = count * (unit === 'mo' ? 30 * UNIT_MS.d : UNIT_MS[unit]);
  return { text, count, unit, ms, intraday: ms < UNIT_MS.d };
}

/**
 * Bars per year for annualising (Sharpe): 252 trading days; intraday bars assume a 6.5-hour
 * session (US equities) unless the caller knows better from the data.
 */
export function periodsPerYear(interval: BarInterval, sessionHours = 6.5): number {
  if (interval.unit === 'mo') return 12 / interval.count;
  if (interval.unit === 'w') return 52 / interval.count;
  if (!interval.intraday) return 252 / (interval.ms / UNIT_MS.d);
  return (252 * sessionHours * UNIT_MS.h) / interval.ms;
}
