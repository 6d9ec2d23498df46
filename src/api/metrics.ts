/**
 * Prometheus metrics (prom-client) in a registry of the server's own: predictions by version and
 * arm, prediction latency, HTTP requests, job durations and outcomes, active alerts by severity.
 * Figures that live in the database (alerts) are read at scrape time.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Database } from '../db/types.js';
import { ALERT_SEVERITIES } from '../store/alerts.js';

export class ApiMetrics {
  readonly registry = new Registry();
  readonly predictions: Counter<'version' | 'arm'>;
  /** The counter's child per `version arm`: `inc` with labels hashes them on every call. */
  readonly #predictionCounters = new Map<string, { inc(): void }>();
  readonly predictionSeconds: Histogram;
  /** Requests by `method route status`, counted in a plain map and handed to prom-client at scrape time. */
  readonly #requests = new Map<string, number>();
  readonly jobSeconds: Histogram<'status'>;
  readonly jobs: Counter<'status'>;

  constructor(db: Database) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'retraining_' });
    this.predictions = new Counter({
      name: 'retraining_predictions_total',
      help: 'Predictions served, by model version and A/B arm (none outside a test)',
      labelNames: ['version', 'arm'],
      registers,
    });
    this.predictionSeconds = new Histogram({
      name: 'retraining_prediction_seconds',
      help: 'Time to decide one prediction request, body parsed to answer ready',
      buckets: [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
      registers,
    });
    const requests = this.#requests;
    new Counter({
      name: 'retraining_http_requests_total',
      help: 'HTTP requests by method, route and status',
      labelNames: ['method', 'route', 'status'],
      registers,
      collect() {
        this.reset();
        for (const [key, count] of requests) {
          const [method, route, status] = key.split(' ') as [string, string, string];
          this.inc({ method, route, status }, count);
        }
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
    const key = `${version} ${arm}`;
    let counter = this.#predictionCounters.get(key);
    if (!counter) {
      counter = this.predictions.labels({ version, arm });
      this.#predictionCounters.set(key, counter);
    }
    counter.inc();
  }

  /** One answered request (on every request: a map update, no label hashing). */
  requestServed(method: string, route: string, status: number): void {
    const key = `${method} ${route} ${status}`;
    this.#requests.set(key, (this.#requests.get(key) ?? 0) + 1);
  }

  /** A job seen finishing (from the event hub). */
  jobFinished(status: string, seconds: number | null): void {
    this.jobs.inc({ status });
    if (seconds !== null && Number.isFinite(seconds)) this.jobSeconds.observe({ status }, seconds);
  }
}
