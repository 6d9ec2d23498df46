/** Numbers and times as the dashboard shows them; a missing value is an en dash. */
const DASH = '–';

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

export function percent(value: unknown, digits = 1): string {
  return isNumber(value) ? `${(value * 100).toFixed(digits)} %` : DASH;
}

export function decimal(value: unknown, digits = 2): string {
  return isNumber(value) ? value.toFixed(digits) : DASH;
}

export function integer(value: unknown): string {
  return isNumber(value) ? Math.round(value).toLocaleString('en') : DASH;
}

export function dateTime(value: string | null | undefined): string {
  if (!value) return DASH;
  const date = new Date(value);
  return Number.isNaN(date.getTime())
    ? DASH
    : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** "in 3 h", "5 min ago". */
export function relative(value: string | null | undefined, now = Date.now()): string {
  if (!value) return DASH;
  const ms = new Date(value).getTime() - now;
  if (Number.isNaN(ms)) return DASH;
  const minutes = Math.round(Math.abs(ms) / 60_000);
  const text =
    minutes < 1
      ? 'less than a minute'
      : minutes < 90
        ? `${minutes} min`
        : minutes < 36 * 60
          ? `${Math.round(minutes / 60)} h`
          : `${Math.round(minutes / 1440)} days`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

/** The metrics a person compares versions by, in order, with how each is shown. */
export const KEY_METRICS: readonly { name: string; label: string; format: (value: unknown) => string }[] = [
  { name: 'sharpeRatio', label: 'Sharpe', format: (v) => decimal(v) },
  { name: 'totalReturn', label: 'Total return', format: (v) => percent(v) },
  { name: 'maxDrawdown', label: 'Max drawdown', format: (v) => percent(v) },
  { name: 'winRate', label: 'Win rate', format: (v) => percent(v) },
  { name: 'profitFactor', label: 'Profit factor', format: (v) => decimal(v) },
  { name: 'tradeCount', label: 'Trades', format: (v) => integer(v) },
];

/** snake_case and camelCase names as words: `rolled_back` → "rolled back". */
export function words(name: string): string {
  return name
    .replace(/_/g, ' ')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
}
