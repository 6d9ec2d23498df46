import { describe, expect, it } from 'vitest';
import { validateBars, type QualityReport } from '../../../src/market/quality/index.js';
import type { MarketBar } from '../../../src/store/market-bars.js';
import { BARS_PER_SESSION, dailyBars, intradayBars, withBar } from './synthetic.js';

const OPTIONS = { threshold: 0.7 };

function issue(report: QualityReport, code: string) {
  return report.details.find((detail) => detail.code === code);
}

/** The codes other than session breaks and index-like volume, which clean data has too. */
function defects(report: QualityReport): string[] {
  return report.details.filter((detail) => detail.severity !== 'info').map((detail) => detail.code);
}

/** Asserts the plant is found under `code` alone, with `count` rows, the first at `index`. */
function expectOnly(bars: readonly MarketBar[], code: string, count: number, index: number): QualityReport {
  const report = validateBars(bars, OPTIONS);
  expect(defects(report)).toEqual([code]);
  const found = issue(report, code)!;
  expect(found.count).toBe(count);
  expect(found.examples[0]!.index).toBe(index);
  expect(report.issues).toContain(found.message);
  expect(report.score).toBeLessThan(1);
  return report;
}

describe('validateBars on clean data', () => {
  it('scores a clean 5-minute series over five sessions 1, reporting only the four nights', () => {
    const report = validateBars(intradayBars(), OPTIONS);
    expect(report).toMatchObject({ valid: true, score: 1, rows: 5 * BARS_PER_SESSION });
    expect(defects(report)).toEqual([]);
    const sessions = issue(report, 'session_gap')!;
    expect(sessions).toMatchObject({ severity: 'info', count: 4 });
    expect(sessions.examples.map((example) => example.index)).toEqual([96, 192, 288, 384]);
  });

  it('scores a clean daily series skipping weekends 1', () => {
    const report = validateBars(dailyBars(), OPTIONS);
    expect(report).toMatchObject({ valid: true, score: 1 });
    expect(defects(report)).toEqual([]);
    expect(issue(report, 'session_gap')!.count).toBe(59); // 300 weekdays span 59 weekends
  });

  it('scores an empty input 0 with a no_data error', () => {
    const report = validateBars([], OPTIONS);
    expect(report).toMatchObject({ valid: false, score: 0, rows: 0 });
    expect(report.details[0]).toMatchObject({ code: 'no_data', severity: 'error' });
    expect(report.issues[0]).toMatch(/no bars/);
  });

  it('checks several symbols in one array each on its own', () => {
    const a = intradayBars(3, 1, 'AAA');
    const b = intradayBars(3, 7, 'BBB');
    const interleaved = a.flatMap((bar, i) => [bar, b[i]!]);
    const report = validateBars(interleaved, OPTIONS);
    expect(report.score).toBe(1);
    expect(issue(report, 'session_gap')!.count).toBe(4);
  });

  it('reports an index without volume as information that costs nothing', () => {
    const bars = intradayBars(2).map((bar) => ({ ...bar, volume: 0 }));
    const report = validateBars(bars, OPTIONS);
    expect(report.score).toBe(1);
    expect(issue(report, 'zero_volume')).toMatchObject({ severity: 'info', count: bars.length });
  });
});

describe('validateBars finds each planted defect under its own code', () => {
  const clean = intradayBars();
  const k = 100; // inside the second session

  it('missing_value: a field that is undefined or a ts that is not a Date', () => {
    expectOnly(withBar(clean, k, { volume: undefined }), 'missing_value', 1, k);
    // A bar without a valid time cannot take its place in the series, which then lacks it too.
    const report = validateBars(withBar(clean, k, { ts: '2024-03-05T09:20:00Z' }), OPTIONS);
    expect(defects(report)).toEqual(['missing_value', 'gap']);
    expect(issue(report, 'missing_value')!.examples[0]).toEqual({ index: k, fields: ['ts'] });
  });

  it('non_finite: NaN and infinite values', () => {
    expectOnly(withBar(clean, k, { open: NaN }), 'non_finite', 1, k);
    expectOnly(withBar(clean, k, { volume: Infinity }), 'non_finite', 1, k);
  });

  it('non_positive_price', () => {
    expectOnly(withBar(clean, k, { low: 0 }), 'non_positive_price', 1, k);
  });

  it('high_below_low, without also calling open and close out of range', () => {
    const bar = clean[k]!;
    expectOnly(withBar(clean, k, { high: bar.low, low: bar.high }), 'high_below_low', 1, k);
  });

  it('open_outside_range and close_outside_range', () => {
    const bar = clean[k]!;
    expectOnly(withBar(clean, k, { open: bar.high * 1.001 }), 'open_outside_range', 1, k);
    expectOnly(withBar(clean, k, { close: bar.low * (1 - 1e-4) }), 'close_outside_range', 1, k);
  });

  it('tolerates float rounding at the edge of the range', () => {
    const bar = clean[k]!;
    expect(validateBars(withBar(clean, k, { open: bar.high * (1 + 1e-12) }), OPTIONS).score).toBe(1);
  });

  it('negative_volume', () => {
    expectOnly(withBar(clean, k, { volume: -5 }), 'negative_volume', 1, k);
  });

  it('duplicate_timestamp: the repeat is the row reported', () => {
    const bars = [...clean.slice(0, k + 1), { ...clean[k]! }, ...clean.slice(k + 1)];
    const report = expectOnly(bars, 'duplicate_timestamp', 1, k + 1);
    expect(issue(report, 'duplicate_timestamp')!.examples[0]!.firstRow).toBe(k);
  });

  it('out_of_order: two swapped bars make one descent', () => {
    const bars = [...clean];
    [bars[k], bars[k + 1]] = [bars[k + 1]!, bars[k]!];
    expectOnly(bars, 'out_of_order', 1, k + 1);
  });

  it('gap: three bars missing inside a session', () => {
    const bars = [...clean.slice(0, k), ...clean.slice(k + 3)];
    const report = expectOnly(bars, 'gap', 1, k);
    expect(issue(report, 'gap')!.examples[0]).toMatchObject({ missing: 3, from: '2024-03-05T09:15:00.000Z' });
  });

  it('stale_price: twelve identical flat bars', () => {
    const price = clean[k - 1]!.close;
    const bars = clean.map((bar, i) =>
      i >= k && i < k + 12 ? { ...bar, open: price, high: price, low: price, close: price } : bar,
    );
    const report = expectOnly(bars, 'stale_price', 12, k);
    expect(issue(report, 'stale_price')!.examples[0]).toMatchObject({ runStart: k, runLength: 12, price });
  });

  it('does not call nine identical flat bars stale (a quiet stretch)', () => {
    const price = clean[k - 1]!.close;
    const bars = clean.map((bar, i) =>
      i >= k && i < k + 9 ? { ...bar, open: price, high: price, low: price, close: price } : bar,
    );
    expect(validateBars(bars, OPTIONS).score).toBe(1);
    expect(defects(validateBars(bars, { ...OPTIONS, staleRun: 9 }))).toEqual(['stale_price']);
  });

  it('outlier_return: a level shift of 20% is one outlier, a one-bar spike two', () => {
    const shifted = clean.map((bar, i) =>
      i < k
        ? bar
        : { ...bar, open: bar.open * 1.2, high: bar.high * 1.2, low: bar.low * 1.2, close: bar.close * 1.2 },
    );
    const report = expectOnly(shifted, 'outlier_return', 1, k);
    expect(issue(report, 'outlier_return')!.examples[0]!.logReturn).toBeCloseTo(Math.log(1.2), 1);
    const bar = clean[k]!;
    const spike = withBar(clean, k, { close: bar.close * 1.2, high: bar.close * 1.2 });
    expectOnly(spike, 'outlier_return', 2, k);
  });

  it('does not compare an opening jump with bar-to-bar moves', () => {
    const opening = 2 * BARS_PER_SESSION;
    const jumped = clean.map((bar, i) =>
      i < opening
        ? bar
        : { ...bar, open: bar.open * 1.2, high: bar.high * 1.2, low: bar.low * 1.2, close: bar.close * 1.2 },
    );
    expect(validateBars(jumped, OPTIONS).score).toBe(1);
  });

  it('zero_volume_bars: a bar without volume among traded bars', () => {
    expectOnly(withBar(clean, k, { volume: 0 }), 'zero_volume_bars', 1, k);
  });

  it('unknown_interval: an interval that does not parse', () => {
    const bars = clean.map((bar) => ({ ...bar, interval: '5 minutes' }));
    const report = validateBars(bars, OPTIONS);
    expect(issue(report, 'unknown_interval')!.count).toBe(clean.length);
    expect(report.valid).toBe(false);
  });

  it('counts a row once per code and each code it has', () => {
    const bars = withBar(clean, k, { open: NaN, close: NaN, volume: -1 });
    const report = validateBars(bars, OPTIONS);
    expect(issue(report, 'non_finite')!.count).toBe(1);
    expect(issue(report, 'non_finite')!.examples[0]!.fields).toEqual(['open', 'close']);
    expect(report.score).toBeCloseTo(1 - 2 / clean.length, 12);
  });

  it('weighs warnings a quarter of errors', () => {
    const missing = [...clean.slice(0, k), ...clean.slice(k + 1)];
    expect(validateBars(missing, OPTIONS).score).toBeCloseTo(1 - 0.25 / missing.length, 12);
  });

  it('names the rows in the sentence, the five lowest first', () => {
    const bars = clean.map((bar, i) => (i % 50 === 7 ? { ...bar, high: bar.low, low: bar.high } : bar));
    const report = validateBars(bars, OPTIONS);
    expect(report.issues).toContain('10 bars have high < low (rows 7, 57, 107, 157, 207, …)');
  });

  it('is invalid below the threshold', () => {
    const bars = clean.map((bar, i) => (i % 3 === 0 ? { ...bar, volume: -1 } : bar));
    const report = validateBars(bars, OPTIONS);
    expect(report.score).toBeCloseTo(2 / 3, 2);
    expect(report.valid).toBe(false);
  });
});

describe('validateBars on daily calendars', () => {
  const clean = dailyBars();
  const without = (bars: MarketBar[], ...dates: string[]) =>
    bars.filter((bar) => !dates.includes(bar.ts.toISOString().slice(0, 10)));

  it('reads a missing weekday or two as holidays', () => {
    const report = validateBars(without(clean, '2023-01-16', '2023-12-25', '2023-12-26'), OPTIONS);
    expect(report.score).toBe(1);
  });

  it('reports three missing weekdays as a gap', () => {
    const bars = without(clean, '2023-03-07', '2023-03-08', '2023-03-09');
    const report = expectOnly(bars, 'gap', 1, 46);
    expect(issue(report, 'gap')!.examples[0]).toMatchObject({ missing: 3, to: '2023-03-10T00:00:00.000Z' });
  });

  it('reports a day that most other symbols traded as a gap', () => {
    const a = dailyBars(100, 2, 'AAA');
    const b = dailyBars(100, 3, 'BBB');
    const c = without(dailyBars(100, 4, 'CCC'), '2023-02-15');
    const report = expectOnly([...a, ...b, ...c], 'gap', 1, 200 + 32);
    expect(issue(report, 'gap')!.examples[0]).toMatchObject({ missing: 1 });
  });

  it('uses the interval option over the bars’ own', () => {
    const bars = clean.map((bar) => ({ ...bar, interval: 'garbage' }));
    expect(validateBars(bars, { ...OPTIONS, interval: '1d' }).score).toBe(1);
  });

  it('rejects invalid options with an error naming the option', () => {
    expect(() => validateBars(clean, { threshold: 1.5 })).toThrow(/threshold 1.5/);
    expect(() => validateBars(clean, { ...OPTIONS, interval: '5x' })).toThrow(/interval "5x"/);
    expect(() => validateBars(clean, { ...OPTIONS, staleRun: 0 })).toThrow(/staleRun/);
  });
});
