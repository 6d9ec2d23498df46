import { Histogram, Registry, type Metric } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BucketHistogram } from '../../src/api/metrics.js';

describe('BucketHistogram', () => {
  it("exposes exactly what prom-client's Histogram exposes for the same observations", async () => {
    const buckets = [0.001, 0.01, 0.1, 1];
    const ours = new Registry();
    const theirs = new Registry();
    const histogram = new BucketHistogram('latency_seconds', 'Latency', buckets);
    ours.registerMetric(histogram as unknown as Metric);
    const reference = new Histogram({
      name: 'latency_seconds',
      help: 'Latency',
      buckets,
      registers: [theirs],
    });
    // On the bounds (le is inclusive), between them, past the last, zero, and refused values.
    for (const value of [0, 0.001, 0.0011, 0.01, 0.05, 0.1, 0.5, 1, 2, 30, 0.001, 1e-9]) {
      histogram.observe(value);
      reference.observe(value);
    }
    histogram.observe(Number.NaN);
    histogram.observe(Number.POSITIVE_INFINITY);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.metrics()).toContain('latency_seconds_bucket{le="0.01"} 6');
    expect(await ours.metrics()).toContain('latency_seconds_count 12');
    histogram.reset();
    reference.reset();
    expect(await ours.metrics()).toContain('latency_seconds_count 0');
  });
});
