/**
 * Hostile trade files through the CSV importer (`retrain import trades`), the way into the
 * database that is not the API (whose POST /v1/trades is fuzzed in test/api/fuzz.test.ts): random
 * and adversarial headers and cells, close enough to real files that many rows reach the
 * database. Always a report or a ValidationError; a refused file changes no row, and a file that
 * was read changes nothing when read again.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { ValidationError } from '../../src/errors.js';
import { importTradesFromCsv } from '../../src/market/import/trades.js';
import { createCliDatabase, runRetrain } from '../helpers/cli.js';
import { BACKEND, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { addVersions } from '../helpers/fixtures.js';

const HEADER = [
  'idempotency_key',
  'symbol',
  'side',
  'quantity',
  'entry_time',
  'entry_price',
  'exit_time',
  'exit_price',
  'fees',
  'pnl',
  'status',
  'model_version',
];

const hostile = fc.oneof(
  fc.constantFrom(
    '',
    'NaN',
    'Infinity',
    '-Infinity',
    '1e400',
    '-1e400',
    '-0',
    '0',
    '-5',
    '""',
    "'; DROP TABLE live_trades; --",
    '\u0000',
    'a\u0000b',
    '𝕏𝕐',
    '2024-13-45T25:61:00Z',
    '0000-01-01',
    '+275760-09-13T00:00:00Z',
    '1.0.0',
    '9.9.9',
    'x'.repeat(250),
  ),
  fc.string({ maxLength: 12 }),
  fc.double({ noNaN: false }).map(String),
);

const instant = fc
  .date({ min: new Date('2020-01-01'), max: new Date('2027-01-01'), noInvalidDate: true })
  .map((d) => d.toISOString());
/** A plausible value for each column, so rows get past the parser to the database. */
const plausible: Record<string, fc.Arbitrary<string>> = {
  // A few keys recur across files and within one (replays, an open trade later closed).
  idempotency_key: fc.oneof(
    fc.constantFrom('k1', 'k2', 'k3'),
    fc.integer({ min: 0, max: 1_000_000 }).map((n) => `t${n}`),
  ),
  symbol: fc.constantFrom('ES', 'NQ', 'AAPL'),
  side: fc.constantFrom('long', 'short', 'BUY', 'sell'),
  quantity: fc.double({ min: 0.001, max: 1e6, noNaN: true }).map(String),
  entry_time: instant,
  entry_price: fc.double({ min: 0.01, max: 1e6, noNaN: true }).map(String),
  exit_time: fc.oneof(instant, fc.constant('')),
  exit_price: fc.oneof(fc.double({ min: 0.01, max: 1e6, noNaN: true }).map(String), fc.constant('')),
  fees: fc.oneof(fc.double({ min: 0, max: 100, noNaN: true }).map(String), fc.constant('')),
  pnl: fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }).map(String), fc.constant('')),
  status: fc.constantFrom('open', 'closed', ''),
  model_version: fc.constantFrom('', '1.0.0', '9.9.9'),
};
/** A row whose cells are hostile with odds `hostility` in 24: 0 gives clean rows. */
const row = (hostility: number) =>
  fc.tuple(
    ...HEADER.map((column) =>
      hostility === 0
        ? plausible[column]!
        : fc.oneof({ weight: 24, arbitrary: plausible[column]! }, { weight: hostility, arbitrary: hostile }),
    ),
  );
const quote = (cell: string) => (/[",\n\r]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell);
const header = fc.oneof(
  { weight: 4, arbitrary: fc.constant(HEADER) },
  { weight: 1, arbitrary: fc.shuffledSubarray(HEADER, { minLength: 1 }) },
  { weight: 1, arbitrary: fc.array(hostile, { minLength: 1, maxLength: 12 }) },
);
const file = fc
  .tuple(
    fc.constantFrom(0, 1, 6),
    fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
  )
  .chain(([hostility, raw]) =>
    fc.tuple(header, fc.array(row(hostility), { maxLength: 20 })).map(([head, rows]) =>
      // One file in five unquoted, as a careless export would be: stray quotes and commas included.
      (raw
        ? [head.join(','), ...rows.map((cells) => cells.join(','))]
        : [head.map(quote).join(','), ...rows.map((cells) => cells.map(quote).join(','))]
      ).join('\n'),
    ),
  );

let test: TestDatabase;
let dir: string;
let files = 0;

function write(text: string): string {
  const path = join(dir, `trades-${files++}.csv`);
  writeFileSync(path, text);
  return path;
}

/** Every stored trade, in a fixed order, as text: equal when nothing changed. */
async function snapshot(): Promise<string> {
  const result = await test.db.query<{ all: string | null }>(
    `SELECT string_agg(t::text, E'\\n' ORDER BY idempotency_key) AS "all" FROM live_trades t`,
  );
  return result.rows[0]!.all ?? '';
}

describe(`hostile trade files through the CSV importer (${BACKEND})`, () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trade-fuzz-'));
    test = await createTestDatabase();
    await migrate(test.db);
    await addVersions(test.db, '1.0.0');
  }, 60_000);
  afterAll(async () => {
    await test?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every file with a report or a ValidationError; a refused file changes nothing, a read one reads the same again', async () => {
    let read = 0;
    let refused = 0;
    let stored = 0;
    await fc.assert(
      fc.asyncProperty(file, async (text) => {
        const path = write(text);
        const before = await snapshot();
        let report;
        try {
          report = await importTradesFromCsv(test.db, path);
        } catch (error) {
          expect(error, String(error)).toBeInstanceOf(ValidationError);
          expect((error as Error).message).not.toMatch(/\n\s+at /);
          expect(await snapshot()).toBe(before);
          refused++;
          return;
        }
        read++;
        const { inserted, updated, unchanged } = report.stored;
        stored += inserted;
        expect(inserted + updated + unchanged + report.duplicates + report.skipped.count).toBe(
          report.rowsRead,
        );
        const after = await snapshot();
        const again = await importTradesFromCsv(test.db, path);
        expect(again.stored.inserted + again.stored.updated).toBe(0);
        expect(await snapshot()).toBe(after);
      }),
      {
        numRuns: 200,
        seed: 20261126,
        // Found by this test: a NUL reached PostgreSQL ("invalid byte sequence") instead of being refused.
        examples: [
          [`${HEADER.join(',')}\n\u0000,ES,long,0.001,2020-01-01T00:00:00.000Z,0.01,,0.01,0,0,open,`],
        ],
      },
    );
    console.info(`trade files: ${read} read (${stored} trades stored), ${refused} refused`);
    // The generator reaches both outcomes, so both halves of the property were exercised.
    expect(read).toBeGreaterThan(10);
    expect(refused).toBeGreaterThan(10);
    expect(stored).toBeGreaterThan(10);
  }, 120_000);

  it('refuses a hostile file through `retrain import trades` with exit 2, the line named and no stack trace', async () => {
    const cli = await createCliDatabase('trade-fuzz-cli');
    try {
      const path = write(
        [
          HEADER.join(','),
          'k1,ES,long,1,2024-01-02T14:00:00Z,100,,,,,open,',
          "k2,ES,long,1,2024-01-02T14:00:00Z,'; DROP TABLE live_trades; --,,,,,open,",
        ].join('\n'),
      );
      const result = await runRetrain(['import', 'trades', path], cli.env, cli.dir);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/line 3, column 6 \(entryPrice\)/);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      await cli.seed(async (db) => {
        const count = await db.query<{ n: number }>('SELECT count(*) AS n FROM live_trades');
        expect(count.rows[0]!.n).toBe(0);
      });
    } finally {
      await cli.close();
    }
  }, 60_000);
});
