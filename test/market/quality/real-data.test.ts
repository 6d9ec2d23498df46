import { describe, expect, it } from 'vitest';
import { validateBars, type QualityReport } from '../../../src/market/quality/index.js';
import { hasRealData, REAL_FILES, SKIP_MESSAGE } from './real-data.js';

if (!hasRealData) console.warn(SKIP_MESSAGE);

const OPTIONS = { threshold: 0.7 };

function codes(report: QualityReport, severity: string): string[] {
  return report.details.filter((detail) => detail.severity === severity).map((detail) => detail.code);
}

function issue(report: QualityReport, code: string) {
  return report.details.find((detail) => detail.code === code)!;
}

function days(report: QualityReport, code: string): string[] {
  return issue(report, code).examples.map((example) => String(example.ts ?? example.to).slice(0, 10));
}

describe.skipIf(!hasRealData)('validateBars on the real files in ../shared/data', () => {
  it('ORCL daily 1995–2014: valid; weekends and holidays are session breaks, 9/11 a gap, four crash days outliers', () => {
    const report = validateBars(REAL_FILES.orcl(), OPTIONS);
    expect(report.valid).toBe(true);
    expect(report.score).toBeGreaterThan(0.999);
    expect(codes(report, 'error')).toEqual([]);
    // The exchange was closed 2001-09-11..14: four weekdays, more than holidays ever take.
    expect(issue(report, 'gap')).toMatchObject({
      count: 1,
      examples: [{ from: '2001-09-10T00:00:00.000Z', missing: 4 }],
    });
    // Earnings collapses and jumps of 24–34%, real moves rather than bad ticks: reported, cheap.
    expect(days(report, 'outlier_return')).toEqual(['1997-12-09', '1999-03-12', '1999-06-16', '2001-03-02']);
    expect(issue(report, 'session_gap').count).toBeGreaterThan(1_000);
  });

  it('NVDA daily 1999–2014: valid, the same closure and four outlier days', () => {
    const report = validateBars(REAL_FILES.nvda(), OPTIONS);
    expect(report.valid).toBe(true);
    expect(report.score).toBeGreaterThan(0.999);
    expect(codes(report, 'error')).toEqual([]);
    expect(issue(report, 'gap')).toMatchObject({
      count: 1,
      examples: [{ from: '2001-09-10T00:00:00.000Z' }],
    });
    expect(days(report, 'outlier_return')).toEqual(['2000-03-07', '2002-07-31', '2004-08-06', '2008-07-03']);
  });

  it('five stocks 2015–2017, sorted ascending: valid; AAPL lacks 2017-08-07, which the other four traded', () => {
    const report = validateBars(REAL_FILES.fiveStocks(), OPTIONS);
    expect(report.valid).toBe(true);
    expect(report.score).toBeGreaterThan(0.999);
    expect(codes(report, 'error')).toEqual([]);
    expect(issue(report, 'gap')).toMatchObject({
      count: 1,
      examples: [{ from: '2017-08-04T00:00:00.000Z', to: '2017-08-08T00:00:00.000Z', missing: 1 }],
    });
    // COKE −16% on 2015-11-04 and GOOGL +15% on 2015-07-17 (earnings).
    expect(days(report, 'outlier_return').sort()).toEqual(['2015-07-17', '2015-11-04']);
  });

  it('five stocks in the file’s descending order: every bar out of order, invalid', () => {
    const bars = REAL_FILES.fiveStocks().reverse();
    const report = validateBars(bars, OPTIONS);
    expect(issue(report, 'out_of_order').count).toBe(bars.length - 5);
    expect(report.valid).toBe(false);
  });

  it('5-minute index, January 2006: clean; no volume at all (info) and 20 nights between 21 sessions', () => {
    const report = validateBars(REAL_FILES.index(), OPTIONS);
    expect(report).toMatchObject({ valid: true, score: 1, rows: 2_142 });
    expect(codes(report, 'error')).toEqual([]);
    expect(codes(report, 'warning')).toEqual([]);
    expect(issue(report, 'zero_volume')).toMatchObject({ severity: 'info', count: 2_142 });
    expect(issue(report, 'session_gap')).toMatchObject({ severity: 'info', count: 20 });
  });

  it('1-minute future, January–February 2006: valid; minutes without trades are gap warnings, 40 nights', () => {
    const report = validateBars(REAL_FILES.futures(), OPTIONS);
    expect(report.valid).toBe(true);
    expect(codes(report, 'error')).toEqual([]);
    expect(issue(report, 'session_gap').count).toBe(40);
    // 725 steps of 2 to 14 minutes inside sessions: a thin market prints no bar when nothing
    // trades. Quiet flat minutes (runs of up to 8 identical bars) are not called stale.
    const gap = issue(report, 'gap');
    expect(gap).toMatchObject({ severity: 'warning', count: 725 });
    expect(codes(report, 'warning')).toEqual(['gap']);
    expect(report.score).toBeCloseTo(1 - (0.25 * 725) / 30_889, 12);
  });
});
