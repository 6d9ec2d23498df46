import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MarketBar } from '../../../src/store/market-bars.js';

/** The real files described in ../shared/data/README.md; tests skip when the folder is absent. */
export const DATA_DIR = new URL('../../../../shared/data/', import.meta.url);
export const hasRealData = existsSync(fileURLToPath(DATA_DIR));
export const SKIP_MESSAGE = `real market data not found at ${fileURLToPath(DATA_DIR)}: skipping the real-data checks`;

function dataRows(name: string): string[][] {
  const text = readFileSync(new URL(name, DATA_DIR), 'utf8');
  return text
    .split(/\r?\n/)
    .slice(1) // header
    .filter((line) => line.trim() !== '')
    .map((line) => line.split(','));
}

function bar(symbol: string, interval: string, ts: Date, values: string[]): MarketBar {
  const [open, high, low, close, volume] = values.map(Number);
  return { symbol, interval, ts, open: open!, high: high!, low: low!, close: close!, volume: volume! };
}

/** `Date,Open,High,Low,Close,Adj Close,Volume`, ascending (Yahoo layout). */
export function yahooDaily(name: string, symbol: string): MarketBar[] {
  return dataRows(name).map(([date, open, high, low, close, , volume]) =>
    bar(symbol, '1d', new Date(`${date}T00:00:00Z`), [open!, high!, low!, close!, volume!]),
  );
}

/**
 * `,Date,Open,High,Low,Close,Volume,…,Stock`: a leading index column, dates descending, the symbol
 * last. Returned ascending per symbol, symbols one after the other.
 */
export function fiveStocks(): MarketBar[] {
  const bars = dataRows('five-stocks-2015-2017-daily.csv').map((cells) =>
    bar(cells[cells.length - 1]!, '1d', new Date(`${cells[1]}T00:00:00Z`), cells.slice(2, 7)),
  );
  return bars.sort((a, b) => a.symbol.localeCompare(b.symbol) || a.ts.getTime() - b.ts.getTime());
}

/**
 * `Date,Time,Open,High,Low,Close,Volume,OpenInterest` with date and time in separate columns; the
 * futures file's header names 7 columns but its rows have these 8, so the header is ignored.
 */
export function dateTimeBars(name: string, symbol: string, interval: string): MarketBar[] {
  return dataRows(name).map(([date, time, ...values]) =>
    bar(symbol, interval, new Date(`${date}T${time}Z`), values.slice(0, 5)),
  );
}

export const REAL_FILES = {
  orcl: () => yahooDaily('orcl-1995-2014-daily.csv', 'ORCL'),
  nvda: () => yahooDaily('nvda-1999-2014-daily.csv', 'NVDA'),
  fiveStocks,
  index: () => dateTimeBars('index-2006-01-5min.csv', 'INDEX', '5m'),
  futures: () => dateTimeBars('futures-2006-01-02-1min.csv', 'FUT', '1m'),
} as const;
