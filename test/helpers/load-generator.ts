/**
 * Open-loop HTTP load at a fixed rate, from a worker thread: requests leave on the schedule
 * whatever the server does, so a server that stalls (training on its event loop, a deployment
 * swap) shows up as latency instead of slowing the load down (no coordinated omission). Every
 * request is recorded; phases are cut afterwards by send time. Used by the load test and the
 * `load` benchmark.
 */
import { Worker } from 'node:worker_threads';

export interface RequestRecord {
  /** Epoch milliseconds the request was due to leave (its place in the schedule). */
  dueAt: number;
  /** Milliseconds from due time to the whole response read; includes any wait to be sent. */
  latencyMs: number;
  status: number;
  /** The `version` field of a JSON answer, when it has one. */
  version: string | null;
  /** Network error or timeout, when there was no answer. */
  error: string | null;
}

export interface LoadOptions {
  url: string;
  /** Requests per second. */
  rate: number;
  body: string;
  headers: Record<string, string>;
  /** A request without an answer after this long counts as failed. Default 10 s. */
  timeoutMs?: number;
}

// Plain JavaScript, so the thread needs no TypeScript loader.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { url, rate, body, headers, timeoutMs } = workerData;
const records = [];
const pending = new Set();
let stopping = false;
const interval = 1000 / rate;
const start = Date.now();
let sent = 0;

function fire(dueAt) {
  const request = fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(timeoutMs) })
    .then(async (response) => {
      const text = await response.text();
      let version = null;
      try { version = JSON.parse(text).version ?? null; } catch {}
      records.push({ dueAt, latencyMs: Date.now() - dueAt, status: response.status, version, error: null });
    })
    .catch((error) => {
      records.push({ dueAt, latencyMs: Date.now() - dueAt, status: 0, version: null, error: String(error && error.message || error) });
    });
  pending.add(request);
  request.finally(() => pending.delete(request));
}

function tick() {
  if (stopping) return;
  const now = Date.now();
  // Every request due by now leaves now, each stamped with its own due time.
  while (start + sent * interval <= now) fire(start + sent++ * interval);
  setTimeout(tick, Math.max(0, start + sent * interval - Date.now()));
}

parentPort.on('message', async (message) => {
  if (message !== 'stop') return;
  stopping = true;
  await Promise.all([...pending]);
  parentPort.postMessage(records);
});
tick();
`;

export class LoadGenerator {
  private constructor(private readonly worker: Worker) {}

  static start(options: LoadOptions): LoadGenerator {
    const worker = new Worker(WORKER, {
      eval: true,
      workerData: { timeoutMs: 10_000, ...options },
    });
    return new LoadGenerator(worker);
  }

  /** Stops sending, waits for the answers still due, and returns every request in due order. */
  async stop(): Promise<RequestRecord[]> {
    const records = await new Promise<RequestRecord[]>((resolve, reject) => {
      this.worker.once('message', resolve);
      this.worker.once('error', reject);
      this.worker.postMessage('stop');
    });
    await this.worker.terminate();
    return records.sort((a, b) => a.dueAt - b.dueAt);
  }
}

export interface LatencySummary {
  requests: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Nearest-rank percentiles of the latencies; failed = no answer or a status other than 200. */
export function summarise(records: RequestRecord[]): LatencySummary {
  const latencies = records.map((r) => r.latencyMs).sort((a, b) => a - b);
  const rank = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)] ?? NaN;
  return {
    requests: records.length,
    failed: records.filter((r) => r.status !== 200).length,
    p50Ms: rank(0.5),
    p99Ms: rank(0.99),
    maxMs: latencies.at(-1) ?? NaN,
  };
}
