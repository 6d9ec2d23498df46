import fc from 'fast-check';
import { expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import {
  barsToColumns,
  computeFeatures,
  featureSettlingBars,
  featureWindowWarmup,
  type FeatureMatrix,
} from '../../src/market/features.js';
import { applyNormaliser, fitNormaliser } from '../../src/market/normaliser.js';
import { generateSyntheticMarket, symbolBars } from '../../src/market/synthetic.js';
import { buildMarketSeries, splitChronologically } from '../../src/rl/market-series.js';
import type { MarketBar } from '../../src/store/market-bars.js';
import { describeDatabaseIndependent } from '../helpers/database-independent.js';

const market = generateSyntheticMarket({ sessions: 20 });
const syna = symbolBars(market, 'SYNA');
const synb = symbolBars(market, 'SYNB');
const warmup = featureWindowWarmup();

/** Bars with closes scaled by `factor` from index `from` on, to show what a later change reaches. */
function scaledFrom(bars: readonly MarketBar[], from: number, factor: number): MarketBar[] {
  return bars.map((bar, t) =>
    t < from
      ? bar
      : {
          ...bar,
          open: bar.open * factor,
          high: bar.high * factor,
          low: bar.low * factor,
          close: bar.close * factor,
        },
  );
}

describeDatabaseIndependent('buildMarketSeries', () => {
  it('returns each bar’s simple return to the next close, the bar times and firstRow = warmup', () => {
    const { series } = buildMarketSeries({ SYNA: syna });
    const [s] = series;
    expect(s!.symbol).toBe('SYNA');
    expect(s!.firstRow).toBe(warmup);
    expect(s!.returns.length).toBe(syna.length - 1);
    s!.returns.forEach((r, t) => expect(r).toBe(syna[t + 1]!.close / syna[t]!.close - 1));
    expect(Array.from(s!.ts!)).toEqual(syna.map((bar) => bar.ts.getTime()));
    expect(s!.features.length).toBe(syna.length * s!.featureCount);
  });

  it('normalises with a normaliser fitted on the training rows after warm-up', () => {
    const { series, normaliser } = buildMarketSeries({ SYNA: syna });
    const matrix = computeFeatures(barsToColumns(syna));
    expect(normaliser).toEqual(fitNormaliser(matrix, { from: warmup, to: syna.length }));
    expect(series[0]!.features).toEqual(applyNormaliser(normaliser, matrix).values);
  });

  it('fits one normaliser on the pooled rows of all symbols, sorted by symbol', () => {
    const fromMap = buildMarketSeries(
      new Map([
        ['SYNB', synb],
        ['SYNA', syna],
      ]),
    );
    const fromRecord = buildMarketSeries({ SYNA: syna, SYNB: synb });
    expect(fromMap.series.map((s) => s.symbol)).toEqual(['SYNA', 'SYNB']);
    expect(fromMap.normaliser).toEqual(fromRecord.normaliser);
    const a = computeFeatures(barsToColumns(syna));
    const b = computeFeatures(barsToColumns(synb));
    const rowsOf = (m: FeatureMatrix) => m.values.subarray(warmup * m.cols);
    const values = Float32Array.from([...rowsOf(a), ...rowsOf(b)]);
    const pooled: FeatureMatrix = { ...a, values, rows: values.length / a.cols, warmup: 0 };
    const expected = fitNormaliser(pooled, { from: 0, to: pooled.rows });
    fromMap.normaliser.mean.forEach((m, c) => expect(m).toBeCloseTo(expected.mean[c]!, 10));
    fromMap.normaliser.std.forEach((s, c) => expect(s).toBeCloseTo(expected.std[c]!, 10));
  });

  it('fits on training bars only: changing the validation bars leaves the normaliser unchanged', () => {
    const trainCount = splitChronologically(syna, 0.3).train.length;
    const fit = (bars: MarketBar[]) =>
      buildMarketSeries({ SYNA: splitChronologically(bars, 0.3).train }).normaliser;
    expect(fit(scaledFrom(syna, trainCount, 1.5))).toEqual(fit(syna));
    expect(fit(scaledFrom(syna, trainCount - 1, 1.5))).not.toEqual(fit(syna));
  });

  it('uses a given normaliser as is and honours fitRange and a per-symbol firstRow', () => {
    const { normaliser } = buildMarketSeries({ SYNA: syna.slice(0, 200) });
    const reused = buildMarketSeries({ SYNA: syna, SYNB: synb }, { normaliser, firstRow: { SYNB: 300 } });
    expect(reused.normaliser).toBe(normaliser);
    expect(reused.series.map((s) => s.firstRow)).toEqual([warmup, 300]);
    const ranged = buildMarketSeries({ SYNA: syna }, { fitRange: { to: 200 } });
    expect(ranged.normaliser).toEqual(normaliser);
  });

  it('rejects too few bars, unordered bars and no symbols, naming what is wrong', () => {
    expect(() => buildMarketSeries({ SYNA: syna.slice(0, warmup + 1) })).toThrow(
      /SYNA has 34 bars; expected at least 35/,
    );
    expect(() => buildMarketSeries({ SYNA: [syna[1]!, syna[0]!, ...syna.slice(2)] })).toThrow(
      /bar 1 at .* is not after bar 0/,
    );
    expect(() => buildMarketSeries({})).toThrow(ValidationError);
  });
});

describeDatabaseIndependent('splitChronologically', () => {
  it('puts the last fraction by time in validation, preceded by the settling bars as warm-up', () => {
    const { train, validation, validationFirstRow } = splitChronologically(syna, 0.2);
    const validationCount = Math.round(syna.length * 0.2);
    expect(train).toEqual(syna.slice(0, syna.length - validationCount));
    expect(validationFirstRow).toBe(featureSettlingBars());
    expect(validation.length - validationFirstRow).toBe(validationCount);
    expect(validation[validationFirstRow]).toBe(syna[train.length]);
    expect(validation.slice(0, validationFirstRow)).toEqual(train.slice(-validationFirstRow));
  });

  it('keeps every bar exactly once on either side for any length and fraction', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: syna.length }),
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        fc.nat(200),
        (n, split, warmupBars) => {
          const bars = syna.slice(0, n);
          const validationCount = Math.round(n * split);
          fc.pre(validationCount > 0 && validationCount < n);
          const { train, validation, validationFirstRow } = splitChronologically(bars, split, warmupBars);
          expect(validationFirstRow).toBe(Math.min(warmupBars, train.length));
          expect([...train, ...validation.slice(validationFirstRow)]).toEqual(bars);
          expect(validation.slice(0, validationFirstRow)).toEqual(
            train.slice(train.length - validationFirstRow),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('scores validation from its first bar with features that match the full history’s', () => {
    const split = splitChronologically(syna, 0.25);
    const { normaliser } = buildMarketSeries({ SYNA: split.train });
    const options = { normaliser, firstRow: { SYNA: split.validationFirstRow } };
    const [validation] = buildMarketSeries({ SYNA: split.validation }, options).series;
    const [full] = buildMarketSeries({ SYNA: syna }, { normaliser }).series;
    expect(validation!.firstRow).toBe(split.validationFirstRow);
    const cols = validation!.featureCount;
    const shift = split.train.length - split.validationFirstRow;
    for (let t = validation!.firstRow; t < split.validation.length; t++) {
      expect(validation!.returns[t - 1]).toBe(full!.returns[t - 1 + shift]);
      for (let c = 0; c < cols; c++) {
        expect(validation!.features[t * cols + c]).toBeCloseTo(full!.features[(t + shift) * cols + c]!, 3);
      }
    }
  });

  it('rejects a fraction that leaves one side empty', () => {
    expect(() => splitChronologically(syna, 0)).toThrow(/validationSplit is 0/);
    expect(() => splitChronologically(syna.slice(0, 3), 0.1)).toThrow(/leaves 3 training and 0 validation/);
  });
});
