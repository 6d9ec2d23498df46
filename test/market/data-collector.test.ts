import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RETRAINING_CONFIG } from '../../src/config/defaults.js';
import { migrate } from '../../src/db/migrate.js';
import { DataCollector } from '../../src/market/data-collector.js';
import { seedDemoData } from '../../src/market/demo.js';
import { featureSettlingBars, FEATURE_NAMES } from '../../src/market/features.js';
import { importTrades } from '../../src/market/import/trades.js';
import { listTrades, type LiveTrade } from '../../src/store/live-trades.js';
import { BACKEND, createTestDatabase, type TestDatabase } from '../helpers/database.js';

let test: TestDatabase;
const NOW = new Date('2026-03-20T20:00:00Z');
const config = DEFAULT_RETRAINING_CONFIG.dataCollection;

beforeAll(async () => {
  test = await createTestDatabase();
  await migrate(test.db);
  await seedDemoData(test.db, NOW);
});
afterAll(async () => {
  await test?.close();
});

const trade = (key: string, entry: string, exit: string | null, symbol = 'SYNA'): Partial<LiveTrade> => ({
  idempotencyKey: key,
  symbol,
  side: 'long',
  quantity: 1,
  entryTime: new Date(entry),
  entryPrice: 100,
  exitTime: exit ? new Date(exit) : null,
  exitPrice: exit ? 101 : null,
  fees: 0.02,
  pnl: exit ? 0.98 : null,
  status: exit ? 'closed' : 'open',
});

describe(`DataCollector (${BACKEND})`, () => {
  it('returns the closed trades that exited in the window, most recent first', async () => {
    const collector = new DataCollector(test.db, config);
    const week = await collector.collectTradeData('2026-03-13T00:00:00Z', '2026-03-20T00:00:00Z');
    expect(week.length).toBeGreaterThan(20);
    for (const t of week) {
      expect(t.status).toBe('closed');
      expect(t.exitTime!.getTime()).toBeGreaterThanOrEqual(Date.parse('2026-03-13T00:00:00Z'));
      expect(t.exitTime!.getTime()).toBeLessThanOrEqual(Date.parse('2026-03-20T00:00:00Z'));
    }
    const exits = week.map((t) => t.exitTime!.getTime());
    expect(exits).toEqual([...exits].sort((a, b) => b - a));
  });

  it('takes at most maxTradesPerBatch trades, the most recent', async () => {
    const collector = new DataCollector(test.db, { ...config, maxTradesPerBatch: 5 });
    const all = await new DataCollector(test.db, config).collectTradeData('2026-02-01', '2026-03-21');
    const five = await collector.collectTradeData('2026-02-01', '2026-03-21');
    expect(five.map((t) => t.idempotencyKey)).toEqual(all.slice(0, 5).map((t) => t.idempotencyKey));
  });

  it('includes open trades entered in the window only with includeIncompleteTrades', async () => {
    await importTrades(test.db, [trade('open-1', '2026-03-19T14:00:00Z', null)]);
    const closedOnly = await new DataCollector(test.db, config).collectTradeData('2026-03-19', '2026-03-20');
    const withOpen = await new DataCollector(test.db, {
      ...config,
      includeIncompleteTrades: true,
    }).collectTradeData('2026-03-19', '2026-03-20');
    expect(closedOnly.some((t) => t.idempotencyKey === 'open-1')).toBe(false);
    expect(withOpen.some((t) => t.idempotencyKey === 'open-1')).toBe(true);
  });

  it('refuses a window that ends before it starts or is not a date', async () => {
    const collector = new DataCollector(test.db, config);
    await expect(collector.collectTradeData('2026-03-20', '2026-03-13')).rejects.toThrow(
      /ends .* before it starts/,
    );
    await expect(collector.collectTradeData('last week', '2026-03-13')).rejects.toThrow(
      /"last week" is not a date/,
    );
  });

  it('collects the bars of the traded symbols over the window with the warm-up features need', async () => {
    const collector = new DataCollector(test.db, config);
    const data = await collector.collect('2026-03-16T00:00:00Z', '2026-03-20T23:59:59Z');
    expect([...data.bars.keys()].sort()).toEqual(['SYNA', 'SYNB', 'SYNC']);
    const bars = data.bars.get('SYNA')!;
    const before = bars.filter((b) => b.ts < data.window.start);
    expect(before).toHaveLength(featureSettlingBars());
    const inside = bars.filter((b) => b.ts >= data.window.start);
    expect(inside).toHaveLength(5 * 78);
    expect(bars.map((b) => b.ts.getTime())).toEqual(bars.map((b) => b.ts.getTime()).sort((a, b) => a - b));
  });

  it('turns trades into the features of the bar they were decided on', async () => {
    const collector = new DataCollector(test.db, config);
    const trades = await collector.collectTradeData('2026-03-16', '2026-03-21');
    const samples = await collector.generateFeatureVectors(trades);
    expect(samples.length).toBe(trades.length);
    for (const sample of samples.slice(0, 20)) {
      const source = trades.find((t) => t.idempotencyKey === sample.tradeKey)!;
      expect(sample.ts.getTime()).toBeLessThanOrEqual(source.entryTime.getTime());
      expect(sample.features).toHaveLength(FEATURE_NAMES.length);
      expect(sample.features.every(Number.isFinite)).toBe(true);
      expect(sample.position).toBe(source.side === 'long' ? 1 : -1);
      expect(sample.reward).toBeCloseTo(source.pnl! / (source.entryPrice * source.quantity), 12);
    }
  });

  it('scores the quality of the collected trades and flags unknown versions and symbols', async () => {
    const collector = new DataCollector(test.db, config);
    const trades = await collector.collectTradeData('2026-03-13', '2026-03-21');
    const clean = await collector.validateDataQuality(trades);
    expect(clean.valid).toBe(true);
    expect(clean.score).toBeGreaterThan(0.95);
    const bad = trades.map((t, i) => (i % 2 === 0 ? { ...t, symbol: 'NOPE', modelVersion: '9.9.9' } : t));
    const report = await collector.validateDataQuality(bad);
    expect(report.score).toBeLessThan(clean.score);
    expect(report.details.map((d) => d.code)).toEqual(
      expect.arrayContaining(['unknown_symbol', 'unknown_version']),
    );
    expect(report.issues.length).toBeGreaterThan(0);
  });

  it('scores the quality of collected bars', async () => {
    const collector = new DataCollector(test.db, config);
    const data = await collector.collect('2026-03-16', '2026-03-21');
    const report = await collector.validateBarQuality(data.bars.get('SYNB')!);
    expect(report.valid).toBe(true);
    expect(report.details.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('stores the demo data idempotently and extends it with new sessions only', async () => {
    const again = await seedDemoData(test.db, NOW);
    expect(again.bars.stored).toMatchObject({ inserted: 0, updated: 0 });
    expect(again.trades.stored.inserted).toBe(0);
    const later = await seedDemoData(test.db, new Date('2026-03-23T20:00:00Z'));
    expect(later.bars.stored).toMatchObject({ inserted: 3 * 78, updated: 0 });
    expect((await listTrades(test.db, { limit: 100_000 })).length).toBeGreaterThan(0);
  });
});
