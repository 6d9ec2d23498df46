import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { importBars, importBarsFromCsv } from '../../src/market/import/bars.js';
import { importTrades, importTradesFromCsv } from '../../src/market/import/trades.js';
import { listBars } from '../../src/store/market-bars.js';
import { endAbTest, insertAbTest } from '../../src/store/ab-tests.js';
import { listTrades } from '../../src/store/live-trades.js';
import { ValidationError } from '../../src/errors.js';
import { BACKEND, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { addVersions } from '../helpers/fixtures.js';

let test: TestDatabase;
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'retraining-import-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(async () => {
  test = await createTestDatabase();
  await migrate(test.db);
});
afterEach(async () => {
  await test.close();
});

let fileCount = 0;
function csv(text: string): string {
  const path = join(dir, `f${fileCount++}.csv`);
  writeFileSync(path, text);
  return path;
}

const count = async (table: string) =>
  (await test.db.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n;

const dailyRows = (n: number) =>
  Array.from({ length: n }, (_, i) => {
    const day = new Date(Date.UTC(2024, 0, 1 + i)).toISOString().slice(0, 10);
    return `${day},${10 + i},${11 + i},${9 + i},${10.5 + i},${1000 + i}`;
  });

describe(`bar import edge cases (${BACKEND})`, () => {
  it('reads hostile CSV text as a report or a clear error, and stores nothing when it refuses', async () => {
    const cell = fc.oneof(
      fc.constantFrom(
        'NaN',
        '-1',
        '0',
        '1e400',
        '',
        '"',
        '""',
        "'; DROP TABLE market_bars; --",
        '2024-13-45',
        '𝕏',
        '\u0000',
      ),
      fc.double({ noNaN: false }).map(String),
      fc.string({ maxLength: 12 }),
      fc
        .date({ min: new Date('1990-01-01'), max: new Date('2030-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString()),
    );
    const header = fc.oneof(
      fc.constant('Date,Open,High,Low,Close,Volume'),
      fc.constant('timestamp,symbol,open,high,low,close,volume'),
      fc.array(fc.string({ maxLength: 8 }), { minLength: 1, maxLength: 8 }).map((h) => h.join(',')),
    );
    const file = fc.tuple(
      header,
      fc.array(fc.array(cell, { minLength: 1, maxLength: 8 }), { maxLength: 30 }),
    );
    await fc.assert(
      fc.asyncProperty(file, async ([head, rows]) => {
        const before = await count('market_bars');
        const path = csv([head, ...rows.map((r) => r.join(','))].join('\n'));
        try {
          await importBarsFromCsv(test.db, path, { symbol: 'FUZZ', interval: '1d' });
        } catch (error) {
          expect(error, String(error)).toBeInstanceOf(ValidationError);
          expect(await count('market_bars')).toBe(before);
        }
      }),
      { numRuns: 80, seed: 20261126 },
    );
  });

  it('names the line and column of a malformed value and stores nothing, even from earlier batches', async () => {
    const rows = dailyRows(30);
    rows[25] = rows[25]!.replace(/,[^,]+,(\d+)$/, ',abc,$1');
    const path = csv(['Date,Open,High,Low,Close,Volume', ...rows].join('\n'));
    const error = await importBarsFromCsv(test.db, path, { symbol: 'X', batchSize: 10 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect(String(error)).toContain('line 27, column 5: "abc" is not a number');
    expect(await count('market_bars')).toBe(0);
  });

  it('refuses a row with the wrong number of fields and an unclosed quote, naming the line', async () => {
    const short = csv(['Date,Open,High,Low,Close,Volume', ...dailyRows(3), '2024-02-01,1,2,3'].join('\n'));
    await expect(importBarsFromCsv(test.db, short, { symbol: 'X' })).rejects.toThrow(
      /line 5: has 4 fields; expected 6/,
    );
    const quote = csv(
      ['Date,Open,High,Low,Close,Volume', ...dailyRows(3), '2024-02-01,"1,2,3,4,5'].join('\n'),
    );
    await expect(importBarsFromCsv(test.db, quote, { symbol: 'X' })).rejects.toThrow(/line 5/);
    expect(await count('market_bars')).toBe(0);
  });

  it('skips rows that cannot be bars and says why, with their lines', async () => {
    const rows = dailyRows(10);
    rows[2] = '2024-01-03,null,null,null,null,null';
    rows[5] = '2024-01-06,0,1,0,1,10';
    rows[7] = '2024-01-08,10,11,9,10,-5';
    const report = await importBarsFromCsv(
      test.db,
      csv(['Date,Open,High,Low,Close,Volume', ...rows].join('\n')),
      { symbol: 'X' },
    );
    expect(report.rowsRead).toBe(10);
    expect(report.stored.inserted).toBe(7);
    expect(report.skipped.count).toBe(3);
    expect(report.skipped.reasons['missing value']!.examples[0]!.line).toBe(4);
    expect(report.skipped.reasons['non-positive price']!.examples[0]!.line).toBe(7);
    expect(report.skipped.reasons['negative volume']!.examples[0]!.line).toBe(9);
    await expect(
      importBarsFromCsv(test.db, csv(['Date,Open,High,Low,Close,Volume', ...rows].join('\n')), {
        symbol: 'Y',
        strict: true,
      }),
    ).rejects.toThrow(/line 4: .*--strict/);
  });

  it('keeps the last of duplicate rows and counts the duplicates', async () => {
    const rows = dailyRows(5);
    const path = csv(['Date,Open,High,Low,Close,Volume', ...rows, '2024-01-02,1,2,0.5,1.5,7'].join('\n'));
    const report = await importBarsFromCsv(test.db, path, { symbol: 'X', interval: '1d' });
    expect(report.duplicates).toBe(1);
    expect(report.stored.inserted).toBe(5);
    const bars = await listBars(test.db, { symbol: 'X', interval: '1d' });
    expect(bars[1]).toMatchObject({ open: 1, close: 1.5, volume: 7 });
  });

  it('reads times without an offset in the given time zone, across a daylight-saving change', async () => {
    const path = csv(
      'Date,Time,Open,High,Low,Close,Volume\n2024-03-08,09:30,1,2,0.5,1.5,1\n2024-03-11,09:30,1,2,0.5,1.5,1\n',
    );
    await importBarsFromCsv(test.db, path, { symbol: 'NY', interval: '1d', timeZone: 'America/New_York' });
    const bars = await listBars(test.db, { symbol: 'NY', interval: '1d' });
    expect(bars.map((b) => b.ts.toISOString())).toEqual([
      '2024-03-08T14:30:00.000Z',
      '2024-03-11T13:30:00.000Z',
    ]);
  });

  it('refuses a file without a symbol unless --symbol is given, and a header without prices', async () => {
    await expect(
      importBarsFromCsv(test.db, csv(['Date,Open,High,Low,Close,Volume', ...dailyRows(3)].join('\n'))),
    ).rejects.toThrow(/no symbol column; pass the symbol/);
    await expect(
      importBarsFromCsv(test.db, csv('Date,Price\n2024-01-01,1\n'), { symbol: 'X' }),
    ).rejects.toThrow(/has no open, high, low, close column; name the columns with --columns/);
  });

  it('imports bars given as objects with the same checks', async () => {
    const report = await importBars(test.db, [
      {
        symbol: 'API',
        interval: '1h',
        ts: new Date('2024-01-01T10:00:00Z'),
        open: 1,
        high: 2,
        low: 0.5,
        close: 1.5,
        volume: 3,
      },
      {
        symbol: 'API',
        interval: '1h',
        ts: new Date('2024-01-01T11:00:00Z'),
        open: Number.NaN,
        high: 2,
        low: 0.5,
        close: 1.5,
        volume: 3,
      },
    ]);
    expect(report.stored.inserted).toBe(1);
    expect(report.skipped.reasons['missing value']!.count).toBe(1);
    await expect(
      importBars(test.db, [{ symbol: 'bad symbol!', ts: new Date(), open: 1, high: 1, low: 1, close: 1 }], {
        interval: '1h',
      }),
    ).rejects.toThrow(/not a valid symbol/);
  });

  it('is idempotent for any set of valid bars (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 0, max: 5000 }), { minLength: 2, maxLength: 40 }),
        fc.double({ min: 0.01, max: 1e6, noNaN: true }),
        async (minutes, price) => {
          await test.db.exec('DELETE FROM market_bars');
          const bars = minutes.map((m) => ({
            symbol: 'P',
            interval: '1m',
            ts: new Date(Date.UTC(2024, 0, 1) + m * 60_000),
            open: price,
            high: price * 1.01,
            low: price * 0.99,
            close: price,
            volume: m,
          }));
          const first = await importBars(test.db, bars);
          const second = await importBars(test.db, bars);
          expect(first.stored.inserted).toBe(bars.length);
          expect(second.stored).toEqual({ inserted: 0, updated: 0, unchanged: bars.length });
        },
      ),
      { numRuns: 15 },
    );
  });
});

describe(`trade import (${BACKEND})`, () => {
  const header =
    'idempotency_key,symbol,side,quantity,entry_time,entry_price,exit_time,exit_price,fees,pnl,status,model_version';

  it('stores trades once per idempotency key and skips unknown model versions', async () => {
    await addVersions(test.db, '1.0.0');
    const path = csv(
      [
        header,
        't1,ES,long,2,2024-01-02T14:00:00Z,100,2024-01-02T15:00:00Z,101,0.2,1.8,closed,1.0.0',
        't2,ES,sell,1,2024-01-02T16:00:00Z,101,,,,,open,',
        't3,ES,long,1,2024-01-02T17:00:00Z,101,2024-01-02T18:00:00Z,100,0,-1,closed,9.9.9',
      ].join('\n'),
    );
    const report = await importTradesFromCsv(test.db, path);
    expect(report.stored.inserted).toBe(2);
    expect(report.skipped.reasons['unknown model version']!.examples[0]!.line).toBe(4);
    const again = await importTradesFromCsv(test.db, path);
    expect(again.stored).toEqual({ inserted: 0, updated: 0, unchanged: 2 });
    const trades = await listTrades(test.db, { includeOpen: true });
    expect(trades.map((t) => [t.idempotencyKey, t.side, t.status])).toEqual([
      ['t2', 'short', 'open'],
      ['t1', 'long', 'closed'],
    ]);
  });

  it('names the line and column of a bad side and stores nothing', async () => {
    const path = csv(
      [
        header,
        't1,ES,long,2,2024-01-02T14:00:00Z,100,,,,,,',
        't2,ES,up,2,2024-01-02T14:00:00Z,100,,,,,,',
      ].join('\n'),
    );
    await expect(importTradesFromCsv(test.db, path)).rejects.toThrow(
      /line 3, column 3 \(side\): "up" is not a side/,
    );
    expect(await count('live_trades')).toBe(0);
  });

  it('gives a reported trade the A/B arm its version had when it was entered, and none outside the test', async () => {
    await addVersions(test.db, '1.0.0', '1.1.0');
    const ab = await insertAbTest(test.db, {
      modelAVersion: '1.0.0',
      modelBVersion: '1.1.0',
      trafficSplit: 50,
      startTime: new Date('2024-01-02T00:00:00Z'),
    });
    const trade = (key: string, modelVersion: string, day: number) => ({
      idempotencyKey: key,
      symbol: 'ES',
      side: 'long' as const,
      quantity: 1,
      entryTime: new Date(Date.UTC(2024, 0, day, 15)),
      entryPrice: 10,
      modelVersion,
    });
    await importTrades(test.db, [
      trade('before', '1.0.0', 1),
      trade('a', '1.0.0', 2),
      trade('b', '1.1.0', 3),
    ]);
    const arms = async () =>
      (
        await test.db.query<{ key: string; test: string | null; arm: string | null }>(
          'SELECT idempotency_key AS key, ab_test_id AS test, arm FROM live_trades ORDER BY idempotency_key',
        )
      ).rows;
    expect(await arms()).toEqual([
      { key: 'a', test: ab.id, arm: 'A' },
      { key: 'b', test: ab.id, arm: 'B' },
      { key: 'before', test: null, arm: null },
    ]);
    await endAbTest(test.db, ab.id, {
      status: 'stopped',
      winner: null,
      endTime: new Date('2024-01-04T00:00:00Z'),
      reason: 'test',
    });
    await importTrades(test.db, [trade('after', '1.1.0', 5)]);
    expect((await arms()).find((row) => row.key === 'after')).toEqual({
      key: 'after',
      test: null,
      arm: null,
    });
  });

  it('imports trades given as objects', async () => {
    const report = await importTrades(test.db, [
      {
        idempotencyKey: 'a',
        symbol: 'ES',
        side: 'long',
        quantity: 1,
        entryTime: new Date('2024-01-01T00:00:00Z'),
        entryPrice: 10,
      },
      {
        idempotencyKey: 'b',
        symbol: 'ES',
        side: 'long',
        quantity: -1,
        entryTime: new Date('2024-01-01T00:00:00Z'),
        entryPrice: 10,
      },
    ]);
    expect(report.stored.inserted).toBe(1);
    expect(report.skipped.reasons['non-positive quantity']!.count).toBe(1);
  });
});
