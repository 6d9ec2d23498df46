import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { importBarsFromCsv } from '../../src/market/import/bars.js';
import { listBars } from '../../src/store/market-bars.js';
import { ValidationError } from '../../src/errors.js';
import { BACKEND, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { HAS_SHARED_DATA, sharedFile } from '../helpers/shared-data.js';

let test: TestDatabase;
beforeAll(async () => {
  test = await createTestDatabase();
  await migrate(test.db);
});
afterAll(async () => {
  await test?.close();
});

const at = (iso: string) => new Date(iso);

describe.skipIf(!HAS_SHARED_DATA)(`importing the real files of ../shared/data (${BACKEND})`, () => {
  it('reads the Yahoo daily layout (ORCL) and stores every bar as in the file', async () => {
    const report = await importBarsFromCsv(test.db, sharedFile('orcl-1995-2014-daily.csv'), {
      symbol: 'ORCL',
    });
    expect(report).toMatchObject({ rowsRead: 5036, stored: { inserted: 5036 }, skipped: { count: 0 } });
    expect(report.series).toEqual([
      {
        symbol: 'ORCL',
        interval: '1d',
        rows: 5036,
        first: at('1995-01-03T00:00:00Z'),
        last: at('2014-12-31T00:00:00Z'),
      },
    ]);
    const bars = await listBars(test.db, { symbol: 'ORCL', interval: '1d' });
    expect(bars).toHaveLength(5036);
    // 1995-01-03,2.179012,2.191358,2.117284,2.117284,1.883304,36301200
    expect(bars[0]).toEqual({
      symbol: 'ORCL',
      interval: '1d',
      ts: at('1995-01-03T00:00:00Z'),
      open: 2.179012,
      high: 2.191358,
      low: 2.117284,
      close: 2.117284,
      volume: 36301200,
    });
    expect(bars.at(-1)!.ts).toEqual(at('2014-12-31T00:00:00Z'));
  });

  it('uses adjusted prices on request (NVDA), scaling open, high and low by Adj Close / Close', async () => {
    const report = await importBarsFromCsv(test.db, sharedFile('nvda-1999-2014-daily.csv'), {
      symbol: 'NVDA',
      prices: 'adjusted',
    });
    expect(report.stored.inserted).toBe(4012);
    const [first] = await listBars(test.db, { symbol: 'NVDA', interval: '1d', limit: 1 });
    // 1999-01-22,1.750000,1.953125,1.552083,1.640625,1.518424,67867200
    const ratio = 1.518424 / 1.640625;
    expect(first!.close).toBeCloseTo(1.518424, 9);
    expect(first!.open).toBeCloseTo(1.75 * ratio, 9);
    expect(first!.high).toBeCloseTo(1.953125 * ratio, 9);
  });

  it('reads the leading index column, descending dates and the symbol column of the five-stock file', async () => {
    const report = await importBarsFromCsv(test.db, sharedFile('five-stocks-2015-2017-daily.csv'));
    expect(report.rowsRead).toBe(3634);
    expect(report.stored.inserted).toBe(3634);
    expect(report.series.map((s) => [s.symbol, s.rows])).toEqual([
      ['AAPL', 753],
      ['COKE', 754],
      ['GOOGL', 754],
      ['TSLA', 754],
      ['YHOO', 619],
    ]);
    expect(report.series.find((s) => s.symbol === 'YHOO')!.last).toEqual(at('2017-06-16T00:00:00Z'));
    const aapl = await listBars(test.db, {
      symbol: 'AAPL',
      interval: '1d',
      from: at('2017-12-29T00:00:00Z'),
    });
    // 0,2017-12-29,170.52,170.59,169.22,169.23,25643711.0,…,AAPL
    expect(aapl).toEqual([
      {
        symbol: 'AAPL',
        interval: '1d',
        ts: at('2017-12-29T00:00:00Z'),
        open: 170.52,
        high: 170.59,
        low: 169.22,
        close: 169.23,
        volume: 25643711,
      },
    ]);
  });

  it('imports one symbol of a multi-symbol file with --symbol and reports the rest as skipped', async () => {
    const report = await importBarsFromCsv(test.db, sharedFile('five-stocks-2015-2017-daily.csv'), {
      symbol: 'TSLA',
    });
    expect(report.stored).toEqual({ inserted: 0, updated: 0, unchanged: 754 });
    expect(report.skipped.reasons['other symbol']!.count).toBe(3634 - 754);
  });

  it('combines separate date and time columns of the 5-minute index file', async () => {
    const report = await importBarsFromCsv(test.db, sharedFile('index-2006-01-5min.csv'), { symbol: 'IDX' });
    expect(report.series).toEqual([
      {
        symbol: 'IDX',
        interval: '5m',
        rows: 2142,
        first: at('2006-01-02T09:05:00Z'),
        last: at('2006-01-30T17:30:00Z'),
      },
    ]);
    expect(report.notes.join(' ')).toContain('OpenInterest');
  });

  it('refuses the futures file whose header is wrong and says how to map its columns', async () => {
    const error = await importBarsFromCsv(test.db, sharedFile('futures-2006-01-02-1min.csv'), {
      symbol: 'ES',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(String(error)).toMatch(/header names 7 columns .* line 2 has 8 fields/);
    expect(String(error)).toContain('--columns date,time,open,high,low,close,volume,openinterest');
    expect((await listBars(test.db, { symbol: 'ES', interval: '1m' })).length).toBe(0);
  });

  it('reads the futures file with the suggested mapping', async () => {
    const report = await importBarsFromCsv(test.db, sharedFile('futures-2006-01-02-1min.csv'), {
      symbol: 'ES',
      columns: 'date,time,open,high,low,close,volume,openinterest',
    });
    expect(report.rowsRead).toBe(30889);
    expect(report.stored.inserted).toBe(30889);
    expect(report.series[0]).toMatchObject({ interval: '1m', first: at('2006-01-02T09:01:00Z') });
    const [first] = await listBars(test.db, { symbol: 'ES', interval: '1m', limit: 1 });
    // 2006-01-02,09:01:00,3602.00,3603.00,3597.00,3599.00,5699,0
    expect(first).toMatchObject({ open: 3602, high: 3603, low: 3597, close: 3599, volume: 5699 });
  });

  it('changes nothing when a file is imported again', async () => {
    const before = await test.db.query<{ n: number }>('SELECT count(*) AS n FROM market_bars');
    const report = await importBarsFromCsv(test.db, sharedFile('index-2006-01-5min.csv'), { symbol: 'IDX' });
    expect(report.stored).toEqual({ inserted: 0, updated: 0, unchanged: 2142 });
    const after = await test.db.query<{ n: number }>('SELECT count(*) AS n FROM market_bars');
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
  });
});
