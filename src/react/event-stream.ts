/**
 * `GET /v1/events` read with fetch, since the browser's EventSource cannot send the Authorization
 * header: the text/event-stream format parsed as it arrives, and a lost connection opened again
 * with exponential backoff. The server starts each stream at "now", so a listener should re-read
 * what it shows when the connection comes back (`onConnectionChange` says when).
 */
import { ApiError, apiErrorOf } from './errors.js';
import type { ServerEvent, ServerEventType } from './types.js';

export type ConnectionState =
  | { connected: true }
  | {
      connected: false;
      /** Why the last attempt ended; null when the server closed the stream. */
      error: ApiError | null;
      /** When the next attempt starts; null when there is none (the key was refused, or closed). */
      retryInMs: number | null;
    };

export interface EventStreamOptions {
  /** The full URL of `/v1/events`. */
  url: string;
  key: string;
  fetch: typeof fetch;
  onEvent: (event: ServerEvent) => void;
  onConnectionChange?: (state: ConnectionState) => void;
  /** First wait before reconnecting; doubled after each failure up to `maxDelayMs`. Default 1 s. */
  minDelayMs?: number;
  /** Default 30 s. */
  maxDelayMs?: number;
  /** A stream silent this long is taken as dead (the server sends a comment every 15 s). Default 45 s. */
  idleTimeoutMs?: number;
}

const EVENT_TYPES: ReadonlySet<string> = new Set<ServerEventType>(['job', 'deployment', 'alert']);

export interface RawServerEvent {
  event: string;
  data: string;
  id: string | null;
}

/** The text/event-stream format (HTML Living Standard, §9.2.6), fed chunk by chunk. */
export class EventStreamParser {
  #buffer = '';
  #event = '';
  #data: string[] = [];
  #id: string | null = null;

  push(text: string): RawServerEvent[] {
    this.#buffer += text;
    const events: RawServerEvent[] = [];
    let newline: RegExpExecArray | null;
    const lineEnd = /\r\n|\r|\n/g;
    let start = 0;
    while ((newline = lineEnd.exec(this.#buffer)) !== null) {
      // A lone \r at the end of the chunk may be the first half of \r\n: wait for the next chunk.
      if (newline[0] === '\r' && newline.index === this.#buffer.length - 1) break;
      const line = this.#buffer.slice(start, newline.index);
      start = newline.index + newline[0].length;
      const event = this.#line(line);
      if (event) events.push(event);
    }
    this.#buffer = this.#buffer.slice(start);
    return events;
  }

  #line(line: string): RawServerEvent | null {
    if (line === '') {
      const event =
        this.#data.length > 0
          ? { event: this.#event || 'message', data: this.#data.join('\n'), id: this.#id }
          : null;
      this.#event = '';
      this.#data = [];
      return event;
    }
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.#event = value;
    else if (field === 'data') this.#data.push(value);
    else if (field === 'id') this.#id = value;
    return null;
  }
}

/** Opens the stream and keeps it open until the returned function is called. */
export function openEventStream(options: EventStreamOptions): () => void {
  const minDelay = options.minDelayMs ?? 1000;
  const maxDelay = options.maxDelayMs ?? 30_000;
  const idleTimeout = options.idleTimeoutMs ?? 45_000;
  let closed = false;
  let attempt: AbortController | null = null;
  let wake: (() => void) | null = null;

  const report = (state: ConnectionState) => {
    if (!closed) options.onConnectionChange?.(state);
  };

  const dispatch = (raw: RawServerEvent) => {
    if (!EVENT_TYPES.has(raw.event)) return;
    let data: unknown;
    try {
      data = JSON.parse(raw.data);
    } catch {
      return;
    }
    if (typeof data === 'object' && data !== null) options.onEvent({ type: raw.event, data } as ServerEvent);
  };

  /** One connection: resolves when it ends, with the error that ended it (null: closed by the server). */
  const connect = async (): Promise<{ error: ApiError | null; retry: boolean }> => {
    const controller = new AbortController();
    attempt = controller;
    let idle: ReturnType<typeof setTimeout> | undefined;
    const resetIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => controller.abort(), idleTimeout);
    };
    try {
      resetIdle();
      const response = await options.fetch(options.url, {
        headers: { authorization: `Bearer ${options.key}`, accept: 'text/event-stream' },
        cache: 'no-store',
        signal: controller.signal,
      });
      if (!response.ok) {
        const error = await apiErrorOf(response);
        // A refused key stays refused: retrying would only fill the server's log.
        return { error, retry: error.status !== 401 && error.status !== 403 };
      }
      if (!response.body) {
        return {
          error: new ApiError(response.status, 'http_error', 'the event stream has no body'),
          retry: true,
        };
      }
      report({ connected: true });
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      const parser = new EventStreamParser();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        resetIdle();
        for (const event of parser.push(decoder.decode(value, { stream: true }))) dispatch(event);
      }
      return { error: null, retry: true };
    } catch (error) {
      const message = controller.signal.aborted
        ? 'the event stream went silent'
        : `cannot reach ${options.url}: ${(error as Error).message}`;
      return { error: new ApiError(0, 'network_error', message), retry: true };
    } finally {
      clearTimeout(idle);
      attempt = null;
    }
  };

  const run = async () => {
    let delay = minDelay;
    while (!closed) {
      const started = Date.now();
      const { error, retry } = await connect();
      if (closed) return;
      if (!retry) {
        report({ connected: false, error, retryInMs: null });
        return;
      }
      // A connection that lasted a while was healthy: start the backoff again from the bottom.
      if (Date.now() - started > maxDelay) delay = minDelay;
      const wait = Math.round(delay * (0.8 + Math.random() * 0.4));
      report({ connected: false, error, retryInMs: wait });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
      delay = Math.min(maxDelay, delay * 2);
    }
  };
  void run();

  return () => {
    closed = true;
    attempt?.abort();
    wake?.();
  };
}
