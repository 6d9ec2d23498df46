import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  repairBars,
  validateBars,
  validateTrades,
  type QualityReport,
} from '../../../src/market/quality/index.js';
import type { LiveTrade } from '../../../src/store/live-trades.js';
import type { MarketBar } from '../../../src/store/market-bars.js';
import { uniformSource } from '../../../src/rl/random.js';
import { intradayBars } from './synthetic.js';

const OPTIONS = { threshold: 0.7 };
const clean = intradayBars(2);
const cleanScore = validateBars(clean, OPTIONS).score;

type Field = 'open' | 'high' | 'low' | 'close' | 'volume' | 'ts';
type Corruption =
  | { kind: 'nan'; row: number; field: Field }
  | { kind: 'negative'; row: number; field: Exclude<Field, 'ts'> }
  | { kind: 'swap'; row: number }
  | { kind: 'duplicate'; row: number; at: number }
  | { kind: 'shuffle'; seed: number };

const row = fc.nat();
const corruption: fc.Arbitrary<Corruption> = fc.oneof(
  fc.record({
    kind: fc.constant('nan' as const),
    row,
    field: fc.constantFrom<Field>('open', 'high', 'low', 'close', 'volume', 'ts'),
  }),
  fc.record({
    kind: fc.constant('negative' as const),
    row,
    field: fc.constantFrom('open', 'high', 'low', 'close', 'volume' as const),
  }),
  fc.record({ kind: fc.constant('swap' as const), row }),
  fc.record({ kind: fc.constant('duplicate' as const), row, at: fc.nat() }),
  fc.record({ kind: fc.constant('shuffle' as const), seed: fc.integer() }),
);

/** Applies corruptions to copies of the bars; indices wrap around the current length. */
function corrupt(bars: readonly MarketBar[], corruptions: readonly Corruption[]): Record<string, unknown>[] {
  let rows: Record<string, unknown>[] = bars.map((bar) => ({ ...bar }));
  for (const change of corruptions) {
    if (change.kind === 'shuffle') {
      const random = uniformSource(change.seed);
      rows = rows
        .map((value) => ({ value, key: random() }))
        .sort((a, b) => a.key - b.key)
        .map(({ value }) => value);
      continue;
    }
    const target = rows[change.row % rows.length]!;
    if (change.kind === 'nan') target[change.field] = change.field === 'ts' ? new Date(NaN) : NaN;
    if (change.kind === 'negative') target[change.field] = -(Math.abs(target[change.field] as number) + 1);
    if (change.kind === 'swap') [target.high, target.low] = [target.low, target.high];
    if (change.kind === 'duplicate') rows.splice(change.at % (rows.length + 1), 0, { ...target });
  }
  return rows;
}

function expectWellFormed(report: QualityReport, rows: number) {
  expect(report.rows).toBe(rows);
  expect(report.score).toBeGreaterThanOrEqual(0);
  expect(report.score).toBeLessThanOrEqual(1);
  expect(report.issues).toHaveLength(report.details.length);
  for (const detail of report.details) expect(detail.examples.length).toBeLessThanOrEqual(5);
}

describe('validateBars under random corruption of a clean series', () => {
  it('never throws and never scores above the clean series; any change of a value scores below it', () => {
    expect(cleanScore).toBe(1);
    fc.assert(
      fc.property(fc.array(corruption, { minLength: 1, maxLength: 8 }), (corruptions) => {
        const rows = corrupt(clean, corruptions);
        const report = validateBars(rows as unknown as MarketBar[], OPTIONS);
        expectWellFormed(report, rows.length);
        expect(report.score).toBeLessThanOrEqual(cleanScore);
        if (corruptions.some((change) => change.kind !== 'shuffle'))
          expect(report.score).toBeLessThan(cleanScore);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on arrays of anything', () => {
    const barLike = fc.record(
      {
        symbol: fc.oneof(fc.constantFrom('A', 'B'), fc.anything()),
        interval: fc.oneof(fc.constantFrom('1m', '5m', '1d', '1w', '1mo', '3x', ''), fc.anything()),
        ts: fc.oneof(fc.date(), fc.anything()),
        open: fc.oneof(fc.double(), fc.anything()),
        high: fc.oneof(fc.double(), fc.anything()),
        low: fc.oneof(fc.double(), fc.anything()),
        close: fc.oneof(fc.double(), fc.anything()),
        volume: fc.oneof(fc.double(), fc.anything()),
      },
      { requiredKeys: [] },
    );
    const anything = fc.anything({
      withNullPrototype: true,
      withBoxedValues: true,
      withMap: true,
      withSet: true,
      withDate: true,
    });
    fc.assert(
      fc.property(fc.array(fc.oneof(barLike, anything), { maxLength: 60 }), (rows) => {
        expectWellFormed(validateBars(rows as MarketBar[], OPTIONS), rows.length);
        repairBars(rows as MarketBar[], { dropDuplicates: true, forwardFillGaps: 5 });
      }),
      { numRuns: 300 },
    );
  });
});

describe('repairBars under random deletions and duplicates', () => {
  it('leaves no duplicate and no gap when allowed to fill the longest one', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: clean.length - 1 }), { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (deleted, duplicated) => {
          const kept = clean.filter((_, i) => !deleted.includes(i));
          const bars = [...kept, ...duplicated.map((i) => kept[i % kept.length]!)];
          const { bars: repaired, changes } = repairBars(bars, {
            dropDuplicates: true,
            forwardFillGaps: 100,
          });
          expect(changes.dropped).toBe(duplicated.length);
          const codes = validateBars(repaired, OPTIONS).details.map((detail) => detail.code);
          expect(codes).not.toContain('duplicate_timestamp');
          expect(codes).not.toContain('gap');
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('validateTrades', () => {
  it('never throws on arbitrary objects', () => {
    const tradeLike = fc.record(
      {
        idempotencyKey: fc.oneof(fc.constantFrom('a', 'b', 'c'), fc.anything()),
        symbol: fc.oneof(fc.constantFrom('AAPL', 'X'), fc.anything()),
        side: fc.oneof(fc.constantFrom('long', 'short', 'toString', '__proto__'), fc.anything()),
        quantity: fc.oneof(fc.double(), fc.anything()),
        entryTime: fc.oneof(fc.date(), fc.anything()),
        entryPrice: fc.oneof(fc.double(), fc.anything()),
        exitTime: fc.oneof(fc.date(), fc.constant(null), fc.anything()),
        exitPrice: fc.oneof(fc.double(), fc.constant(null), fc.anything()),
        fees: fc.oneof(fc.double(), fc.anything()),
        pnl: fc.oneof(fc.double(), fc.constant(null), fc.anything()),
        status: fc.oneof(fc.constantFrom('open', 'closed'), fc.anything()),
        modelVersion: fc.oneof(fc.constantFrom('v1', null), fc.anything()),
      },
      { requiredKeys: [] },
    );
    const anything = fc.anything({
      withNullPrototype: true,
      withBoxedValues: true,
      withMap: true,
      withDate: true,
    });
    const options = { threshold: 0.7, knownSymbols: new Set(['AAPL']), knownVersions: new Set(['v1']) };
    fc.assert(
      fc.property(fc.array(fc.oneof(tradeLike, anything), { maxLength: 40 }), (rows) => {
        expectWellFormed(validateTrades(rows as LiveTrade[], options), rows.length);
      }),
      { numRuns: 500 },
    );
  });
});
