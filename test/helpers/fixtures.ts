import { importBars } from '../../src/market/import/bars.js';
import type { Database, Queryable } from '../../src/db/types.js';
import { insertVersion, type NewModelVersion } from '../../src/store/versions.js';

export function versionInput(version: string, overrides: Partial<NewModelVersion> = {}): NewModelVersion {
  return {
    version,
    modelType: 'ppo',
    trainedOn: new Date('2026-11-22T02:00:00Z'),
    dataPoints: 1234,
    metrics: { sharpeRatio: 1.25, winRate: 0.55, nested: { drawdowns: [0.1, 0.05] } },
    config: { training: { epochs: 100 } },
    ...overrides,
  };
}

export async function addVersions(db: Queryable, ...versions: string[]): Promise<void> {
  for (const version of versions) await insertVersion(db, versionInput(version));
}

/** An identity normaliser over `count` features named f0, f1, … (artifacts in tests and benches). */
export function identityNormaliser(count = 9): {
  names: string[];
  mean: number[];
  std: number[];
  clip: number;
} {
  return {
    names: Array.from({ length: count }, (_, i) => `f${i}`),
    mean: Array<number>(count).fill(0),
    std: Array<number>(count).fill(1),
    clip: 5,
  };
}

/**
 * Bars of two symbols in two different intervals: a retraining on them fails at once (at the
 * features stage) and raises a high alert, which reaches every channel with default severities.
 */
export async function seedFailingMarket(db: Database): Promise<void> {
  const bar = (symbol: string, minutes: number) => ({
    symbol,
    ts: new Date(Date.UTC(2026, 10, 2, 14, 30) + minutes * 60_000),
    open: 100,
    high: 101,
    low: 99,
    close: 100.5,
    volume: 1000,
  });
  await importBars(
    db,
    [0, 5, 10].map((m) => bar('AAA', m)),
    { interval: '5m' },
  );
  await importBars(
    db,
    [0, 60, 120].map((m) => bar('BBB', m)),
    { interval: '1h' },
  );
}
