import { describe, expect, it } from 'vitest';
import { repairBars, validateBars } from '../../../src/market/quality/index.js';
import { intradayBars } from './synthetic.js';

describe('repairBars', () => {
  const clean = intradayBars(2);
  const k = 120;

  it('drops repeated bars, keeping the first, without touching the input', () => {
    const bars = [...clean.slice(0, k + 1), { ...clean[k]!, close: 1 }, ...clean.slice(k + 1)];
    const before = structuredClone(bars);
    const { bars: repaired, changes } = repairBars(bars, { dropDuplicates: true });
    expect(bars).toEqual(before);
    expect(repaired).toEqual(clean);
    expect(changes).toEqual({
      dropped: 1,
      filled: 0,
      examples: [{ index: k + 1, action: 'dropped', ts: clean[k]!.ts.toISOString() }],
    });
  });

  it('fills a short gap inside a session with flat untraded bars at the previous close', () => {
    const bars = [...clean.slice(0, k), ...clean.slice(k + 3)];
    const { bars: repaired, changes } = repairBars(bars, { forwardFillGaps: 3 });
    expect(changes).toMatchObject({ dropped: 0, filled: 3 });
    expect(changes.examples[0]).toEqual({
      index: k - 1,
      action: 'filled',
      ts: clean[k - 1]!.ts.toISOString(),
      bars: 3,
    });
    expect(repaired.map((bar) => bar.ts.getTime())).toEqual(clean.map((bar) => bar.ts.getTime()));
    const price = clean[k - 1]!.close;
    expect(repaired[k + 1]).toEqual({
      ...clean[k + 1]!,
      open: price,
      high: price,
      low: price,
      close: price,
      volume: 0,
    });
    const report = validateBars(repaired, { threshold: 0.7 });
    expect(report.details.map((detail) => detail.code).sort()).toEqual(['session_gap', 'zero_volume_bars']);
  });

  it('leaves gaps longer than the limit, and nights, alone', () => {
    const bars = [...clean.slice(0, k), ...clean.slice(k + 3)];
    expect(repairBars(bars, { forwardFillGaps: 2 }).changes.filled).toBe(0);
    expect(repairBars(clean, { forwardFillGaps: 1_000 }).bars).toEqual(clean);
  });

  it('changes nothing unless asked', () => {
    const bars = [...clean, clean[0]!];
    expect(repairBars(bars).bars).toEqual(bars);
  });
});
