import type { Queryable } from '../../src/db/types.js';
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
