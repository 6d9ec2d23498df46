/**
 * Parsing of CSV cell values into numbers and instants. Each parser returns a value or a reason;
 * the importer turns a reason into an error naming the line and column, or a skipped row.
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; missing: boolean; reason: string };

const MISSING = new Set(['', 'null', 'nan', 'na', 'n/a', '-', 'none']);

export function parseNumber(text: string): Parsed<number> {
  const trimmed = text.trim();
  if (MISSING.has(trimmed.toLowerCase()))
    return { ok: false, missing: true, reason: `missing value "${text}"` };
  const value = Number(trimmed);
  if (!Number.isFinite(value) || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(trimmed)) {
    return { ok: false, missing: false, reason: `"${text}" is not a number` };
  }
  return { ok: true, value };
}

const DATE = /^(\d{4})-?(\d{2})-?(\d{2})$/;
const SLASH_DATE = /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/;
const TIME = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?)(Z|[+-]\d{2}:?\d{2})?$/;

interface Civil {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  ms: number;
}

/**
 * An instant from a date cell and an optional time cell. Times without an offset are read in
 * `timeZone` (IANA); a date alone is midnight UTC (daily bars are labelled by their date).
 */
export function parseInstant(dateText: string, timeText: string | undefined, timeZone: string): Parsed<Date> {
  const date = dateText.trim();
  if (MISSING.has(date.toLowerCase())) return { ok: false, missing: true, reason: 'missing date' };
  const combined = DATE_TIME.exec(date);
  if (combined) {
    if (combined[3]) {
      const instant = new Date(`${combined[1]}T${padTime(combined[2]!)}${normaliseOffset(combined[3])}`);
      return Number.isNaN(instant.getTime())
        ? { ok: false, missing: false, reason: `"${dateText}" is not a valid date and time` }
        : { ok: true, value: instant };
    }
    return parseInstant(combined[1]!, combined[2], timeZone);
  }
  const civilDate = DATE.exec(date) ?? SLASH_DATE.exec(date);
  if (!civilDate) {
    return {
      ok: false,
      missing: false,
      reason: `"${dateText}" is not a date; expected YYYY-MM-DD, YYYYMMDD, YYYY/MM/DD or an ISO 8601 date and time`,
    };
  }
  const civil: Civil = {
    year: Number(civilDate[1]),
    month: Number(civilDate[2]),
    day: Number(civilDate[3]),
    hour: 0,
    minute: 0,
    second: 0,
    ms: 0,
  };
  if (timeText !== undefined) {
    const time = TIME.exec(timeText.trim());
    if (!time)
      return { ok: false, missing: false, reason: `"${timeText}" is not a time; expected HH:MM or HH:MM:SS` };
    civil.hour = Number(time[1]);
    civil.minute = Number(time[2]);
    civil.second = Number(time[3] ?? 0);
    civil.ms = Number((time[4] ?? '0').padEnd(3, '0'));
  }
  if (!isValidCivil(civil))
    return {
      ok: false,
      missing: false,
      reason: `"${dateText}${timeText ? ` ${timeText}` : ''}" is not a real date and time`,
    };
  const utc = Date.UTC(
    civil.year,
    civil.month - 1,
    civil.day,
    civil.hour,
    civil.minute,
    civil.second,
    civil.ms,
  );
  if (timeText === undefined || timeZone === 'UTC') return { ok: true, value: new Date(utc) };
  return { ok: true, value: new Date(zonedToUtc(utc, timeZone)) };
}

function isValidCivil(c: Civil): boolean {
  if (c.month < 1 || c.month > 12 || c.day < 1 || c.hour > 23 || c.minute > 59 || c.second > 59) return false;
  const check = new Date(Date.UTC(c.year, c.month - 1, c.day));
  return check.getUTCDate() === c.day;
}

function padTime(time: string): string {
  const [h, m, rest] = time.split(':');
  return `${h!.padStart(2, '0')}:${m}${rest ? `:${rest}` : ':00'}`;
}

function normaliseOffset(offset: string): string {
  if (offset === 'Z') return 'Z';
  return offset.includes(':') ? offset : `${offset.slice(0, 3)}:${offset.slice(3)}`;
}

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's offset from UTC at an instant, in ms, from Intl (no time zone database of our own). */
function zoneOffset(instant: number, timeZone: string): number {
  let format = offsetFormatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    offsetFormatters.set(timeZone, format);
  }
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(new Date(instant))) parts[part.type] = Number(part.value);
  const asUtc = Date.UTC(
    parts.year!,
    parts.month! - 1,
    parts.day!,
    parts.hour!,
    parts.minute!,
    parts.second!,
  );
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/** Wall-clock time in a zone (given as if it were UTC) to the real instant; two passes settle DST edges. */
export function zonedToUtc(wallClockAsUtc: number, timeZone: string): number {
  let guess = wallClockAsUtc - zoneOffset(wallClockAsUtc, timeZone);
  guess = wallClockAsUtc - zoneOffset(guess, timeZone);
  return guess;
}
