import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import {
  appendPosition,
  type BarColumns,
  barsToColumns,
  computeFeatures,
  DEFAULT_FEATURE_OPTIONS,
  FEATURE_NAMES,
  featureNames,
  featureSettlingBars,
  featureWindowWarmup,
  type FeatureMatrix,
} from '../../src/market/features.js';
import { macdHistogram, wilderRsi } from '../../src/market/indicators.js';

/** Columns from plain arrays; high/low default to close ± 1, volume to 1000. */
function columnsOf(close: number[], extra: Partial<Record<keyof BarColumns, number[]>> = {}): BarColumns {
  const n = close.length;
  return {
    ts: Float64Array.from({ length: n }, (_, t) => t * 60_000),
    open: Float64Array.from(extra.open ?? close),
    high: Float64Array.from(extra.high ?? close.map((c) => c + 1)),
    low: Float64Array.from(extra.low ?? close.map((c) => c - 1)),
    close: Float64Array.from(close),
    volume: Float64Array.from(extra.volume ?? close.map(() => 1000)),
  };
}

function cell(matrix: FeatureMatrix, row: number, name: string): number {
  const col = matrix.names.indexOf(name);
  if (col < 0) throw new Error(`no column ${name}`);
  return matrix.values[row * matrix.cols + col]!;
}

function allFinite(values: Float32Array): boolean {
  return values.every((v) => Number.isFinite(v));
}

const linear = (n: number, start = 100): number[] => Array.from({ length: n }, (_, t) => start + t);

describe('computeFeatures', () => {
  it('names its columns with their parameters and keeps one row per bar', () => {
    const matrix = computeFeatures(columnsOf(linear(40)));
    expect(matrix.names).toEqual([...FEATURE_NAMES]);
    expect(featureNames(DEFAULT_FEATURE_OPTIONS)).toEqual([...FEATURE_NAMES]);
    expect(matrix.cols).toBe(FEATURE_NAMES.length);
    expect(matrix.rows).toBe(40);
    expect(matrix.values.length).toBe(40 * FEATURE_NAMES.length);
  });

  it('needs 33 bars of warm-up by default (MACD 26 + signal 9 − 2) and leaves those rows 0', () => {
    expect(featureWindowWarmup()).toBe(33);
    expect(featureWindowWarmup({ returnHorizons: [1, 60] })).toBe(60);
    const matrix = computeFeatures(columnsOf(linear(40)));
    expect(matrix.warmup).toBe(33);
    expect(matrix.values.subarray(0, 33 * matrix.cols).every((v) => v === 0)).toBe(true);
    expect(cell(matrix, 33, 'log_return_1')).not.toBe(0);
  });

  it('computes hand-checked values on a linear 40-bar series (close = 100 + t)', () => {
    const close = linear(40);
    const volume = close.map((_, t) => 1000 + 10 * t);
    const matrix = computeFeatures(columnsOf(close, { volume }));
    const t = 39; // close 139
    const f32 = Math.fround;
    expect(cell(matrix, t, 'log_return_1')).toBeCloseTo(Math.log(139 / 138), 9);
    expect(cell(matrix, t, 'log_return_5')).toBeCloseTo(Math.log(139 / 134), 7);
    expect(cell(matrix, t, 'log_return_20')).toBeCloseTo(Math.log(139 / 119), 7);
    // 20 consecutive integers: mean = close − 9.5, population σ = √((20² − 1)/12) = √33.25.
    expect(cell(matrix, t, 'bollinger_20_2')).toBeCloseTo(9.5 / (2 * Math.sqrt(33.25)), 6);
    expect(cell(matrix, t, 'volume_z_20')).toBeCloseTo(95 / (10 * Math.sqrt(33.25)), 6);
    expect(cell(matrix, t, 'rsi_14')).toBe(1); // every change a gain: RSI 100
    // EMA_N of a line with slope 1 lags it by (N − 1)/2 once seeded with an SMA, so the MACD line is a
    // constant (26 − 12)/2 = 7, its signal the same 7, and the histogram 0.
    expect(cell(matrix, t, 'macd_12_26_9')).toBeCloseTo(0, 6);
    expect(cell(matrix, t, 'range')).toBe(f32(2 / 139));
    const returns = Array.from({ length: 20 }, (_, k) => Math.log((120 + k) / (119 + k)));
    const mean = returns.reduce((a, b) => a + b) / 20;
    const sigma = Math.sqrt(returns.reduce((a, r) => a + (r - mean) ** 2, 0) / 20);
    expect(cell(matrix, t, 'volatility_20')).toBeCloseTo(sigma, 8);
  });

  it('is neutral on a flat series: every feature except range is 0', () => {
    const matrix = computeFeatures(columnsOf(Array<number>(50).fill(20)));
    for (const name of FEATURE_NAMES.filter((n) => n !== 'range')) expect(cell(matrix, 45, name)).toBe(0);
    expect(cell(matrix, 45, 'range')).toBe(Math.fround(0.1));
  });

  it('gives a volume z-score of 0, not NaN, when volume is always 0 (an index)', () => {
    const matrix = computeFeatures(columnsOf(linear(60), { volume: Array<number>(60).fill(0) }));
    for (let t = 0; t < 60; t++) expect(cell(matrix, t, 'volume_z_20')).toBe(0);
  });

  it('matches the RSI hand calculation on the StockCharts example closes', () => {
    // prettier-ignore
    const closes = [44.34, 44.09, 44.15, 43.61, 44.33, 44.83, 45.10, 45.42, 45.84, 46.08, 45.89, 46.03, 45.61,
      46.28, 46.28, 46.00];
    const rsi = wilderRsi(Float64Array.from(closes), 14);
    // Changes 1..14: gains sum 3.34, losses sum 1.40, so (G − L)/(G + L) = 1.94/4.74.
    expect(rsi[14]).toBeCloseTo(1.94 / 4.74, 10);
    // Then −0.28: G = (3.34/14·13)/14, L = (1.40/14·13 + 0.28)/14; RSI 66.25.
    const gain = ((3.34 / 14) * 13) / 14;
    const loss = ((1.4 / 14) * 13 + 0.28) / 14;
    expect(rsi[15]).toBeCloseTo((gain - loss) / (gain + loss), 10);
    expect(50 + 50 * rsi[15]!).toBeCloseTo(66.25, 2);
  });

  it('gives RSI near 0 for alternating equal ups and downs', () => {
    const close = Array.from({ length: 60 }, (_, t) => (t % 2 === 0 ? 10 : 11));
    const rsi = wilderRsi(Float64Array.from(close), 14);
    expect(rsi[14]).toBe(0); // 7 gains of 1 and 7 losses of 1
    for (let t = 14; t < 60; t++) expect(Math.abs(rsi[t]!)).toBeLessThan(0.08);
  });

  it('matches a direct transcription of Appel’s MACD definition', () => {
    const close = Array.from({ length: 80 }, (_, t) => 50 + 10 * Math.sin(t / 7) + t / 3);
    const ema = (x: number[], n: number): number[] => {
      const out: number[] = [x.slice(0, n).reduce((a, b) => a + b) / n];
      for (const v of x.slice(n)) out.push(out[out.length - 1]! + (2 / (n + 1)) * (v - out[out.length - 1]!));
      return out; // out[k] belongs to x[k + n − 1]
    };
    const fast = ema(close, 12).slice(26 - 12);
    const slow = ema(close, 26);
    const line = slow.map((s, k) => fast[k]! - s); // line[k] belongs to bar k + 25
    const signal = ema(line, 9); // signal[k] belongs to bar k + 33
    const hist = macdHistogram(Float64Array.from(close), 12, 26, 9);
    for (let k = 0; k < signal.length; k++) {
      expect(hist[k + 33]).toBeCloseTo((line[k + 8]! - signal[k]!) / close[k + 33]!, 12);
    }
  });

  it('rejects a bad price or volume with a ValidationError naming the bar and column', () => {
    for (const [column, value] of [
      ['close', 0],
      ['low', -1],
      ['high', Number.NaN],
      ['open', Infinity],
      ['volume', -5],
    ] as const) {
      const columns = columnsOf(linear(30));
      columns[column][17] = value;
      expect(() => computeFeatures(columns)).toThrow(ValidationError);
      expect(() => computeFeatures(columns)).toThrow(new RegExp(`bar 17: ${column} is ${value}`));
    }
  });

  it('rejects invalid options naming the option', () => {
    expect(() => computeFeatures(columnsOf(linear(5)), { rsiPeriod: 0 })).toThrow(/rsiPeriod/);
    expect(() => computeFeatures(columnsOf(linear(5)), { macdFast: 30 })).toThrow(/macdSlow/);
  });

  it('converts MarketBar objects to columns', () => {
    const ts = new Date('2024-01-02T15:30:00Z');
    const bar = { symbol: 'ORCL', interval: '1d', ts, open: 1, high: 3, low: 0.5, close: 2, volume: 7 };
    const columns = barsToColumns([bar]);
    expect(Array.from(columns.ts)).toEqual([ts.getTime()]);
    expect([columns.open[0], columns.high[0], columns.low[0], columns.close[0], columns.volume[0]]).toEqual([
      1, 3, 0.5, 2, 7,
    ]);
  });
});

/** Valid bars with wild prices in [1e-6, 1e9], flat stretches and zero volumes; mostly longer than the warm-up. */
const barSeries = fc
  .array(
    fc.record({
      close: fc.oneof(fc.double({ min: 1e-6, max: 1e9, noNaN: true }), fc.constant(100)),
      spread: fc.double({ min: 0, max: 0.5, noNaN: true }),
      volume: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1e12, noNaN: true })),
    }),
    { minLength: 1, maxLength: 150, size: 'max' },
  )
  .map((bars) => ({
    close: bars.map((b) => b.close),
    high: bars.map((b) => b.close * (1 + b.spread)),
    low: bars.map((b) => b.close / (1 + b.spread)),
    volume: bars.map((b) => b.volume),
  }));

describe('computeFeatures properties', () => {
  it('never outputs NaN or Infinity for valid bars', () => {
    fc.assert(
      fc.property(barSeries, (s) => {
        expect(allFinite(computeFeatures(columnsOf(s.close, s)).values)).toBe(true);
      }),
    );
  });

  it('never looks ahead: changing bars after t leaves rows 0..t unchanged', () => {
    fc.assert(
      fc.property(barSeries, barSeries, fc.nat(), (s, other, cut) => {
        const t = cut % s.close.length;
        const changed = {
          close: [...s.close.slice(0, t + 1), ...other.close],
          high: [...s.high.slice(0, t + 1), ...other.high],
          low: [...s.low.slice(0, t + 1), ...other.low],
          volume: [...s.volume.slice(0, t + 1), ...other.volume],
        };
        const a = computeFeatures(columnsOf(s.close, s));
        const b = computeFeatures(columnsOf(changed.close, changed));
        const prefix = (t + 1) * a.cols;
        expect(Array.from(b.values.subarray(0, prefix))).toEqual(Array.from(a.values.subarray(0, prefix)));
      }),
    );
  });
});

describe('featureSettlingBars', () => {
  it('gives a live window that reproduces the training row of the same bar to 1e-4', () => {
    const n = 2000;
    const close = Array.from(
      { length: n },
      (_, t) => 50 * Math.exp(0.3 * Math.sin(t / 9) + 0.05 * Math.sin(t * 1.7)),
    );
    const volume = close.map((_, t) => 1000 + 500 * Math.sin(t * 2.3));
    const training = computeFeatures(columnsOf(close, { volume }));
    const bars = featureSettlingBars() + 1; // the history plus the bar itself
    expect(bars - 1).toBe(153);
    const live = computeFeatures(columnsOf(close.slice(n - bars), { volume: volume.slice(n - bars) }));
    for (let c = 0; c < training.cols; c++) {
      const last = live.values[(bars - 1) * live.cols + c]!;
      expect(Math.abs(last - training.values[(n - 1) * training.cols + c]!)).toBeLessThan(1e-4);
    }
    const short = computeFeatures(columnsOf(close.slice(n - 34), { volume: volume.slice(n - 34) }));
    expect(Math.abs(cell(short, 33, 'rsi_14') - cell(training, n - 1, 'rsi_14'))).toBeGreaterThan(1e-3);
  });
});

describe('appendPosition', () => {
  const matrix = computeFeatures(columnsOf(linear(40)));

  it('adds a last column "position" from one value per row or a constant', () => {
    const positions = Float32Array.from({ length: 40 }, (_, t) => (t % 3) - 1);
    const withPosition = appendPosition(matrix, positions);
    expect(withPosition.names).toEqual([...FEATURE_NAMES, 'position']);
    expect(withPosition.cols).toBe(matrix.cols + 1);
    expect(cell(withPosition, 35, 'position')).toBe(positions[35]);
    expect(cell(withPosition, 35, 'rsi_14')).toBe(cell(matrix, 35, 'rsi_14'));
    expect(cell(appendPosition(matrix, 0.5), 39, 'position')).toBe(0.5);
  });

  it('rejects a positions array of the wrong length or a second position column', () => {
    expect(() => appendPosition(matrix, new Float32Array(3))).toThrow(
      /3 values; expected one per feature row \(40\)/,
    );
    expect(() => appendPosition(appendPosition(matrix, 0), 0)).toThrow(ValidationError);
  });
});

const ORCL = new URL('../../../shared/data/orcl-1995-2014-daily.csv', import.meta.url);
const haveOrcl = existsSync(ORCL);
if (!haveOrcl) console.warn(`skipping real-data feature test: ${fileURLToPath(ORCL)} is absent`);

describe.skipIf(!haveOrcl)('computeFeatures on ORCL daily bars 1995–2014 (../shared/data)', () => {
  it('gives one finite row per bar', () => {
    const lines = readFileSync(ORCL, 'utf8').trim().split('\n').slice(1);
    const rows = lines.map((line) => line.split(',').map(Number)); // Date,Open,High,Low,Close,Adj Close,Volume
    const column = (i: number): Float64Array => Float64Array.from(rows, (r) => r[i]!);
    const columns: BarColumns = {
      ts: Float64Array.from(lines, (line) => Date.parse(line.split(',')[0]!)),
      open: column(1),
      high: column(2),
      low: column(3),
      close: column(4),
      volume: column(6),
    };
    const matrix = computeFeatures(columns);
    expect(matrix.rows).toBe(lines.length);
    expect(allFinite(matrix.values)).toBe(true);
    const rsi = matrix.values.filter((_, i) => i % matrix.cols === matrix.names.indexOf('rsi_14'));
    expect(Math.max(...rsi)).toBeLessThanOrEqual(1);
    expect(Math.min(...rsi)).toBeGreaterThanOrEqual(-1);
  });
});
