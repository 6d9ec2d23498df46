import type { LogEntry } from './logger.js';

/** `HH:MM:SS.mmm LEVEL message key=value ...` on one line (UTC, like the entry's ISO time). */
export function formatPretty(entry: LogEntry): string {
  const parts = [entry.time.slice(11, 23), entry.level.toUpperCase().padEnd(5), oneLine(entry.message)];
  for (const [key, value] of Object.entries(entry.context)) parts.push(pair(key, value));
  for (const [key, value] of Object.entries(entry.data ?? {})) {
    // Stacks span many lines; the JSON format and getLogs() keep them.
    if (key === 'stack' && typeof value === 'string') continue;
    parts.push(pair(key, value));
  }
  return parts.join(' ');
}

function pair(key: string, value: unknown): string {
  return `${key}=${formatValue(value)}`;
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (value === undefined) return 'undefined';
  return JSON.stringify(value) ?? String(value);
}

function oneLine(text: string): string {
  return text.replace(/\r?\n/g, '\\n');
}
