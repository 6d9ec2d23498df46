/**
 * Prometheus metrics (prom-client) in a registry of the server's own: predictions by version and
 * arm, prediction latency, HTTP requests, job durations and outcomes, active alerts by severity.
 * Figures that live in the database (alerts) are read at scrape time.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import type { Database } from '../db/types.js';
import { ALERT_SEVERITIES } from '../store/alerts.js';

export class ApiMetrics {
  readonly registry = new Registry();
  /** Predictions by version, then arm: counted in plain maps, handed to prom-client at scrape time. */
  readonly #predictions = new Map<string, Map<string, number>>();
  readonly predictionSeconds: BucketHistogram;
  /**
   * Requests by route, method and status, counted in plain maps (no key string built per request)
   * and handed to prom-client at scrape time.
   */
  readonly #requests = new Map<string, Map<string, Map<number, number>>>();
  readonly jobSeconds: Histogram<'status'>;
  readonly jobs: Counter<'status'>;

  constructor(db: Database) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'retraining_' });
    const predictions = this.#predictions;
    new Counter({
      name: 'retraining_predictions_total',
      help: 'Predictions served, by model version and A/B arm (none outside a test)',
      labelNames: ['version', 'arm'],
      registers,
      collect() {
        this.reset();
        for (const [version, arms] of predictions)
          for (const [arm, count] of arms) this.inc({ version, arm }, count);
      },
    });
    this.predictionSeconds = new BucketHistogram(
      'retraining_prediction_seconds',
      'Time to decide one prediction request, body parsed to answer ready',
      [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
    );
    this.registry.registerMetric(this.predictionSeconds as unknown as Metric);
    const requests = this.#requests;
    new Counter({
      name: 'retraining_http_requests_total',
      help: 'HTTP requests by method, route and status',
      labelNames: ['method', 'route', 'status'],
      registers,
      collect() {
        this.reset();
        for (const [route, methods] of requests)
          for (const [method, statuses] of methods)
            for (const [status, count] of statuses)
              this.inc({ method, route, status: String(status) }, count);
      },
    });
    this.jobSeconds = new Histogram({
      name: 'retraining_job_duration_seconds',
      help: 'Wall time of finished retraining jobs, by outcome',
      labelNames: ['status'],
      buckets: [10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200],
      registers,
    });
    this.jobs = new Counter({
      name: 'retraining_jobs_total',
      help: 'Retraining jobs seen finishing by this server, by outcome',
      labelNames: ['status'],
      registers,
    });
    new Gauge({
      name: 'retraining_active_alerts',
      help: 'Alerts not resolved, by severity',
      labelNames: ['severity'],
      registers,
      async collect() {
        const result = await db.query<{ severity: string; count: string | number }>(
          `SELECT severity, COUNT(*) AS count FROM performance_alerts WHERE resolved_at IS NULL GROUP BY severity`,
        );
        const counts = new Map(result.rows.map((row) => [row.severity, Number(row.count)]));
        for (const severity of ALERT_SEVERITIES) this.set({ severity }, counts.get(severity) ?? 0);
      },
    });
  }

  /** Counts one prediction of `version` (arm `none` outside an A/B test). */
  predicted(version: string, arm: string): void {
    let arms = this.#predictions.get(version);
    if (!arms) this.#predictions.set(version, (arms = new Map()));
    arms.set(arm, (arms.get(arm) ?? 0) + 1);
  }

  /** One answered request (on every request: three map look-ups, no label hashing). */
  requestServed(method: string, route: string, status: number): void {
    let methods = this.#requests.get(route);
    if (!methods) this.#requests.set(route, (methods = new Map()));
    let statuses = methods.get(method);
    if (!statuses) methods.set(method, (statuses = new Map()));
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
  }

  /** A job seen finishing (from the event hub). */
  jobFinished(status: string, seconds: number | null): void {
    this.jobs.inc({ status });
    if (seconds !== null && Number.isFinite(seconds)) this.jobSeconds.observe({ status }, seconds);
  }
}

/**
 * A Prometheus histogram without labels whose `observe` is a bucket search and three additions
 * (prom-client's hashes its labels and validates on every call: a twentieth of a prediction's
 * time). Registered in the registry as a metric of its own; it gives prom-client the same
 * values its Histogram would: cumulative `_bucket{le}` counts, `+Inf`, `_sum` and `_count`.
 */
export class BucketHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #counts: Float64Array;
  #sum = 0;
  #count = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly upperBounds: readonly number[],
  ) {
    this.#counts = new Float64Array(upperBounds.length);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    const bounds = this.upperBounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    if (i < bounds.length) this.#counts[i]!++;
    this.#sum += value;
    this.#count++;
  }

  reset(): void {
    this.#counts.fill(0);
    this.#sum = 0;
    this.#count = 0;
  }

  get(): Promise<{
    name: string;
    help: string;
    type: 'histogram';
    aggregator: 'sum';
    values: { labels: Record<string, string | number>; value: number; metricName: string }[];
  }> {
    let cumulative = 0;
    const bucket = `${this.name}_bucket`;
    const values = this.upperBounds.map((le, i) => ({
      labels: { le } as Record<string, string | number>,
      value: (cumulative += this.#counts[i]!),
      metricName: bucket,
    }));
    values.push(
      { labels: { le: '+Inf' }, value: this.#count, metricName: bucket },
      { labels: {}, value: this.#sum, metricName: `${this.name}_sum` },
      { labels: {}, value: this.#count, metricName: `${this.name}_count` },
    );
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values,
    });
  }
}
