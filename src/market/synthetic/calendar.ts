import { ValidationError } from '../../errors.js';
import { parseInterval } from '../interval.js';
import type { SyntheticMarketOptions } from './options.js';

const DAY_MS = 86_400_000;

/** The bar timestamps shared by every symbol, and where each bar sits in its session. */
export interface SessionCalendar {
  ts: Date[];
  /** Position of the bar in its session: 0 is the bar at the session open. */
  barOfSession: Int32Array;
  barsPerSession: number;
}

function isWeekend(dayStartMs: number): boolean {
  const weekday = new Date(dayStartMs).getUTCDay();
  return weekday === 0 || weekday === 6;
}

/**
 * Weekday sessions from `start`: intraday intervals give floor(sessionMinutes / interval) bars
 * from the session open; `1d` gives one bar per weekday stamped at midnight UTC. Bars before
 * `start` are skipped, so a start inside a session begins with a partial session.
 */
export function sessionCalendar(
  options: Pick<
    SyntheticMarketOptions,
    'interval' | 'start' | 'sessions' | 'bars' | 'sessionOpen' | 'sessionMinutes'
  >,
): SessionCalendar {
  const interval = parseInterval(options.interval);
  let barsPerSession: number;
  let firstBarOffsetMs: number;
  if (interval.intraday) {
    barsPerSession = Math.floor((options.sessionMinutes * 60_000) / interval.ms);
    firstBarOffsetMs = (options.sessionOpen.hour * 60 + options.sessionOpen.minute) * 60_000;
    if (barsPerSession < 1) {
      throw new ValidationError(
        `synthetic market interval "${options.interval}" is longer than the ${options.sessionMinutes}-minute session; expected a shorter interval or a longer session`,
        'interval',
      );
    }
  } else if (interval.ms === DAY_MS) {
    barsPerSession = 1;
    firstBarOffsetMs = 0;
  } else {
    throw new ValidationError(
      `synthetic market interval "${options.interval}" is not supported; expected an intraday interval or 1d`,
      'interval',
    );
  }

  const startMs = options.start.getTime();
  const wanted = options.bars ?? Number.POSITIVE_INFINITY;
  const ts: Date[] = [];
  const barOfSession: number[] = [];
  let sessions = 0;
  for (let day = Math.floor(startMs / DAY_MS) * DAY_MS; ts.length < wanted; day += DAY_MS) {
    if (options.bars === null && sessions === options.sessions) break;
    if (isWeekend(day)) continue;
    let inSession = 0;
    for (let bar = 0; bar < barsPerSession && ts.length < wanted; bar++) {
      const barMs = day + firstBarOffsetMs + bar * interval.ms;
      if (barMs < startMs) continue;
      ts.push(new Date(barMs));
      barOfSession.push(bar);
      inSession++;
    }
    if (inSession > 0) sessions++;
  }
  return { ts, barOfSession: Int32Array.from(barOfSession), barsPerSession };
}
