/**
 * What the dashboard's event stream carries: job progress, deployment changes and alerts. Jobs run
 * in any worker process, so the hub reads the database (one poll per server, however many
 * clients), from cursors on each table's change time; it starts at "now", so a client gets what
 * changes after it connects and reads the current state through the REST routes.
 */
import type { Database } from '../db/types.js';
import type { Logger } from '../logging/logger.js';

export type ServerEventType = 'job' | 'deployment' | 'alert';

export interface ServerEvent {
  type: ServerEventType;
  data: Record<string, unknown>;
}

type Listener = (event: ServerEvent) => void;

interface Cursor {
  at: Date;
  /** Keys already sent with the change time `at` (rows can share a timestamp). */
  seen: Set<string>;
}

interface Source {
  type: ServerEventType;
  sql: string;
  key: (row: Record<string, unknown>) => string;
  time: (row: Record<string, unknown>) => Date;
  cursor: Cursor;
}

const FINISHED = new Set(['succeeded', 'failed', 'skipped', 'cancelled']);

export class EventHub {
  readonly #listeners = new Set<Listener>();
  readonly #sources: Source[];
  #timer: NodeJS.Timeout | null = null;
  #polling: Promise<void> | null = null;
  #failures = 0;
  readonly #finishedJobs = new Set<string>();

  constructor(
    private readonly db: Database,
    private readonly options: {
      logger: Logger;
      pollMs?: number;
      /** Called once per job seen reaching a final status (for the job metrics). */
      onJobFinished?: (status: string, seconds: number | null) => void;
    },
  ) {
    const start = (): Cursor => ({ at: new Date(), seen: new Set() });
    this.#sources = [
      {
        type: 'job',
        sql: `SELECT id, status, stage, progress, error, trigger, result_version AS "resultVersion",
                started_at AS "startedAt", finished_at AS "finishedAt", updated_at AS "updatedAt",
                logs -> -1 AS "lastLog"
              FROM retraining_jobs WHERE updated_at >= $1 ORDER BY updated_at LIMIT 500`,
        key: (row) => `${String(row.id)}@${(row.updatedAt as Date).getTime()}`,
        time: (row) => row.updatedAt as Date,
        cursor: start(),
      },
      {
        type: 'deployment',
        sql: `SELECT id, version, action, status, details, timestamp, from_version AS "fromVersion", reason, actor
              FROM deployment_events WHERE timestamp >= $1 ORDER BY timestamp LIMIT 500`,
        key: (row) => String(row.id),
        time: (row) => row.timestamp as Date,
        cursor: start(),
      },
      {
        type: 'alert',
        sql: `SELECT id, type, severity, message, version, acknowledged, resolved_at AS "resolvedAt",
                occurrences, last_seen_at AS "lastSeenAt", timestamp
              FROM performance_alerts
              WHERE GREATEST(last_seen_at, COALESCE(acknowledged_at, last_seen_at), COALESCE(resolved_at, last_seen_at)) >= $1
              ORDER BY GREATEST(last_seen_at, COALESCE(acknowledged_at, last_seen_at), COALESCE(resolved_at, last_seen_at))
              LIMIT 500`,
        key: (row) =>
          `${String(row.id)}@${(row.lastSeenAt as Date).getTime()}:${String(row.acknowledged)}:${String(row.resolvedAt)}`,
        time: (row) => {
          const times = [row.lastSeenAt, row.resolvedAt].filter((t): t is Date => t instanceof Date);
          return new Date(Math.max(...times.map((t) => t.getTime())));
        },
        cursor: start(),
      },
    ];
  }

  get clients(): number {
    return this.#listeners.size;
  }

  start(): void {
    if (this.#timer) return;
    const pollMs = this.options.pollMs ?? 1000;
    this.#timer = setInterval(() => {
      if (!this.#polling) this.#polling = this.poll().finally(() => (this.#polling = null));
    }, pollMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#polling;
    this.#listeners.clear();
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** One round over the tables; errors are logged once per outage, not per poll. */
  async poll(): Promise<void> {
    try {
      for (const source of this.#sources) {
        const result = await this.db.query<Record<string, unknown>>(source.sql, [source.cursor.at]);
        for (const row of result.rows) this.#deliver(source, row);
      }
      if (this.#failures > 0) this.options.logger.info('event stream reading the database again');
      this.#failures = 0;
    } catch (error) {
      if (this.#failures++ === 0)
        this.options.logger.warn('event stream cannot read the database', error as Error);
    }
  }

  #deliver(source: Source, row: Record<string, unknown>): void {
    const key = source.key(row);
    const at = source.time(row);
    const cursor = source.cursor;
    if (cursor.seen.has(key)) return;
    if (at.getTime() > cursor.at.getTime()) {
      cursor.at = at;
      cursor.seen = new Set();
    }
    cursor.seen.add(key);
    if (
      source.type === 'job' &&
      FINISHED.has(String(row.status)) &&
      !this.#finishedJobs.has(String(row.id))
    ) {
      this.#finishedJobs.add(String(row.id));
      if (this.#finishedJobs.size > 10_000) this.#finishedJobs.clear();
      const started = row.startedAt instanceof Date ? row.startedAt.getTime() : null;
      const finished = row.finishedAt instanceof Date ? row.finishedAt.getTime() : null;
      this.options.onJobFinished?.(
        String(row.status),
        started !== null && finished !== null ? (finished - started) / 1000 : null,
      );
    }
    const event: ServerEvent = { type: source.type, data: row };
    for (const listener of this.#listeners) listener(event);
  }
}

/** One event in the text/event-stream format. */
export function formatServerEvent(event: ServerEvent, id: number): string {
  return `id: ${id}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`;
}
