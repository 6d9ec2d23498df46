import type { BarInterval } from '../interval.js';

export const DAY_MS = 86_400_000;

/** How consecutive bars of one series are expected to follow each other. */
export interface Cadence {
  interval: BarInterval;
  /** Exchange local time minus UTC, so that one session falls on one local date (0: UTC dates). */
  utcOffsetMs: number;
  /**
   * Weekdays without a session that still read as holidays, not missing data. 2 covers a weekend
   * plus two closures (Christmas and Boxing Day; New Year and a day of mourning, 2007-01-02;
   * hurricane Sandy, 2012-10-29/30); the four-day closure after 2001-09-11 is reported.
   */
  maxHolidayWeekdays: number;
  /** Days traded by most symbols of the same input (daily bars of ≥ 3 symbols), else null. */
  tradingDays: ReadonlySet<number> | null;
}

/** The step between two bars is a normal one. */
export const STEP_NEXT = 0;
/** The step crosses from one session to the next (overnight, weekend, holiday). */
export const STEP_SESSION = -1;

export function dayKey(ts: number, utcOffsetMs: number): number {
  return Math.floor((ts + utcOffsetMs) / DAY_MS);
}

/** Day 0 (1970-01-01) was a Thursday. */
export function isWeekday(day: number): boolean {
  const weekday = (((day + 4) % 7) + 7) % 7;
  return weekday !== 0 && weekday !== 6;
}

/** Weekdays strictly between two day numbers. */
export function weekdaysBetween(from: number, to: number): number {
  const days = to - from - 1;
  if (days <= 0) return 0;
  const weeks = Math.floor(days / 7);
  let count = weeks * 5;
  for (let day = from + 1 + weeks * 7; day < to; day++) if (isWeekday(day)) count += 1;
  return count;
}

/** Sessions missing between two session days: the calendar's days, or weekdays beyond a holiday run. */
function missingSessions(from: number, to: number, cadence: Cadence): number {
  const weekdays = weekdaysBetween(from, to);
  let calendar = 0;
  const tradingDays = cadence.tradingDays;
  if (tradingDays && to - from <= 40) {
    for (let day = from + 1; day < to; day++) if (tradingDays.has(day)) calendar += 1;
  }
  return Math.max(calendar, weekdays > cadence.maxHolidayWeekdays ? weekdays : 0);
}

/**
 * Classifies the step between two increasing timestamps: STEP_NEXT, STEP_SESSION, or a positive
 * number of missing bars (intraday, within a session) or missing sessions (between sessions).
 */
export function classifyStep(previous: number, ts: number, cadence: Cadence): number {
  const { interval, utcOffsetMs } = cadence;
  if (interval.intraday || (interval.unit === 'd' && interval.count === 1)) {
    const from = dayKey(previous, utcOffsetMs);
    const to = dayKey(ts, utcOffsetMs);
    if (interval.intraday && from === to) {
      const bars = Math.round((ts - previous) / interval.ms);
      return bars >= 2 ? bars - 1 : STEP_NEXT;
    }
    if (to - from <= 1 && !interval.intraday) return STEP_NEXT;
    const missing = missingSessions(from, to, cadence);
    return missing > 0 ? missing : STEP_SESSION;
  }
  // Multi-day, weekly and monthly bars: months vary from 28 to 31 days and a holiday can move a
  // bar's date, so only a step longer than 1.5 intervals plus a long weekend is a gap.
  const step = ts - previous;
  if (step <= interval.ms * 1.5 + 3 * DAY_MS) return STEP_NEXT;
  return Math.max(1, Math.round(step / interval.ms) - 1);
}

/**
 * Days on which most of the series active that day (between their first and last day) have a bar:
 * a daily series missing such a day has lost a session even when the weekday rule would read it
 * as a holiday. Needs at least 3 active series to call a majority; `days` are ascending and unique.
 */
export function majorityCalendar(series: ReadonlyArray<readonly number[]>): Set<number> {
  const calendar = new Set<number>();
  const active = series.filter((days) => days.length > 0);
  if (active.length < 3) return calendar;
  const traded = new Map<number, number>();
  for (const days of active) for (const day of days) traded.set(day, (traded.get(day) ?? 0) + 1);
  for (const [day, count] of traded) {
    let alive = 0;
    for (const days of active) if (days[0]! <= day && day <= days[days.length - 1]!) alive += 1;
    if (alive >= 3 && count * 2 > alive) calendar.add(day);
  }
  return calendar;
}
