import { isatty } from 'node:tty';
import pino from 'pino';
import { ValidationError } from '../errors.js';
import { formatPretty } from './pretty.js';
import { redact, redactString, serializeError } from './redact.js';
import { RingBuffer } from './ring-buffer.js';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = 'json' | 'pretty';

const SEVERITY: Record<LogLevel, number> = { debug: 20, info: 30, warn: 40, error: 50 };

export interface LogEntry {
  /** ISO 8601 timestamp. */
  readonly time: string;
  readonly level: LogLevel;
  readonly message: string;
  readonly context: Readonly<Record<string, unknown>>;
  readonly data?: Record<string, unknown>;
}

/** Anything with a `write(string)` method: a Node stream, a SonicBoom, a test capture. */
export interface LogDestination {
  write(chunk: string): unknown;
}

export interface LoggerOptions {
  /** Print entries to `destination` as well as keeping them in memory. Default true. */
  logToConsole?: boolean;
  /** How many entries the in-memory buffer keeps; older ones are dropped. Default 1000. */
  maxLogs?: number;
  /** Minimum level kept and printed. Default `LOG_LEVEL` from the environment, else `info`. */
  level?: LogLevel;
  /** Default `pretty` when the destination is a TTY, else `json`. */
  format?: LogFormat;
  /** A stream or a file descriptor. Default 2 (stderr) so a CLI's `--json` stdout stays clean. */
  destination?: LogDestination | number;
  /** Fields added to every entry, e.g. `{ service: 'retrainer' }`. */
  context?: Record<string, unknown>;
}

export interface LogFilter {
  /** Minimum level. */
  level?: LogLevel;
  /** Only the last N matching entries. */
  limit?: number;
  /** Entries whose context has all these fields with these values, e.g. `{ jobId }`. */
  context?: Record<string, unknown>;
}

export type LogData = Record<string, unknown> | Error;

/** State shared by a logger and all its children. */
interface Core {
  readonly level: LogLevel;
  readonly buffer: RingBuffer<LogEntry>;
  readonly console: ConsoleSink | undefined;
}

interface ConsoleSink {
  write(entry: LogEntry): void;
  flush(): void;
}

// Handed from child() to the constructor so children share their parent's core without a public parameter.
let inheritedCore: Core | undefined;

export class Logger {
  readonly #core: Core;
  readonly #context: Readonly<Record<string, unknown>>;

  constructor(options: LoggerOptions = {}) {
    const core = inheritedCore;
    inheritedCore = undefined;
    this.#core = core ?? createCore(options);
    this.#context = Object.freeze(redactRecord(options.context, 'context'));
  }

  /** The minimum level this logger (and its children) keep. */
  get level(): LogLevel {
    return this.#core.level;
  }

  /** The context fields added to every entry of this logger. */
  get context(): Readonly<Record<string, unknown>> {
    return this.#context;
  }

  isLevelEnabled(level: LogLevel): boolean {
    return SEVERITY[level] >= SEVERITY[this.#core.level];
  }

  debug(message: string, data?: LogData): void {
    this.#log('debug', message, data);
  }

  info(message: string, data?: LogData): void {
    this.#log('info', message, data);
  }

  warn(message: string, data?: LogData): void {
    this.#log('warn', message, data);
  }

  error(message: string, data?: LogData): void {
    this.#log('error', message, data);
  }

  /** A logger adding `context` to every entry; it shares this logger's buffer, level and console. */
  child(context: Record<string, unknown>): Logger {
    inheritedCore = this.#core;
    try {
      return new Logger({ context: { ...this.#context, ...context } });
    } finally {
      inheritedCore = undefined;
    }
  }

  /** Buffered entries, oldest first. The buffer is shared with children and parents. */
  getLogs(filter: LogFilter = {}): LogEntry[] {
    const { level, limit, context } = filter;
    if (level !== undefined) parseLevel(level, 'filter.level');
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
      throw new ValidationError(`filter.limit must be an integer >= 0, got ${String(limit)}`, 'limit');
    }
    const min = level === undefined ? 0 : SEVERITY[level];
    const wanted = context === undefined ? [] : Object.entries(context);
    const matches = this.#core.buffer
      .toArray()
      .filter(
        (entry) =>
          SEVERITY[entry.level] >= min &&
          wanted.every(([key, value]) => Object.is(entry.context[key], value)),
      );
    if (limit === undefined) return matches;
    return limit === 0 ? [] : matches.slice(-limit);
  }

  /** Empties the shared buffer. */
  clear(): void {
    this.#core.buffer.clear();
  }

  /** Pushes anything the console destination still holds to the OS; writes are synchronous already. */
  flush(): void {
    this.#core.console?.flush();
  }

  #log(level: LogLevel, message: string, data: LogData | undefined): void {
    if (!this.isLevelEnabled(level)) return;
    const entry: LogEntry = Object.freeze({
      time: new Date().toISOString(),
      level,
      message: redactString(String(message)),
      context: this.#context,
      ...(data === undefined ? {} : { data: toData(data) }),
    });
    this.#core.buffer.push(entry);
    this.#core.console?.write(entry);
  }
}

function createCore(options: LoggerOptions): Core {
  const maxLogs = options.maxLogs ?? 1000;
  if (!Number.isInteger(maxLogs) || maxLogs < 1) {
    throw new ValidationError(`maxLogs must be an integer >= 1, got ${String(maxLogs)}`, 'maxLogs');
  }
  const envLevel = process.env.LOG_LEVEL;
  const level =
    options.level !== undefined
      ? parseLevel(options.level, 'level')
      : envLevel
        ? parseLevel(envLevel.toLowerCase(), 'LOG_LEVEL')
        : 'info';
  if (options.format !== undefined && options.format !== 'json' && options.format !== 'pretty') {
    throw new ValidationError(`format must be "json" or "pretty", got ${String(options.format)}`, 'format');
  }
  const logToConsole = options.logToConsole ?? true;
  return {
    level,
    buffer: new RingBuffer<LogEntry>(maxLogs),
    console: logToConsole ? createConsoleSink(options.destination ?? 2, options.format) : undefined,
  };
}

function createConsoleSink(destination: LogDestination | number, format: LogFormat | undefined): ConsoleSink {
  const stream =
    typeof destination === 'number' ? pino.destination({ fd: destination, sync: true }) : destination;
  if (typeof destination === 'number') {
    // EPIPE (e.g. `retrain ... | head`) is emitted as an event; unhandled it would crash the process.
    (stream as pino.DestinationStream & NodeJS.EventEmitter).on('error', () => {});
  }
  const isTTY =
    typeof destination === 'number'
      ? isatty(destination)
      : (destination as { isTTY?: unknown }).isTTY === true;
  const write =
    (format ?? (isTTY ? 'pretty' : 'json')) === 'pretty' ? prettyWriter(stream) : jsonWriter(stream);
  return {
    write(entry) {
      try {
        write(entry);
      } catch {
        // A broken console must not stop the job being logged; the entry is still in the buffer.
      }
    },
    flush() {
      try {
        (stream as { flushSync?: () => void }).flushSync?.();
      } catch {
        // Nothing buffered or the destination is gone; either way there is nothing left to do.
      }
    },
  };
}

function prettyWriter(stream: LogDestination): (entry: LogEntry) => void {
  return (entry) => {
    stream.write(`${formatPretty(entry)}\n`);
  };
}

function jsonWriter(stream: LogDestination): (entry: LogEntry) => void {
  const out = pino(
    {
      level: 'debug',
      base: null,
      // The entry's own time is written instead, so buffer and console agree to the millisecond.
      timestamp: false,
      formatters: { level: (label) => ({ level: label }) },
    },
    stream as pino.DestinationStream,
  );
  return (entry) => {
    const fields = { time: entry.time, context: entry.context, ...(entry.data ? { data: entry.data } : {}) };
    out[entry.level](fields, '%s', entry.message);
  };
}

function parseLevel(value: string, field: string): LogLevel {
  if ((LOG_LEVELS as readonly string[]).includes(value)) return value as LogLevel;
  throw new ValidationError(`${field} must be one of ${LOG_LEVELS.join(', ')}, got "${value}"`, field);
}

function toData(data: LogData): Record<string, unknown> {
  if (data instanceof Error) return { ...serializeError(data) };
  return redactRecord(data, 'data');
}

function redactRecord(value: unknown, key: string): Record<string, unknown> {
  if (value === undefined) return {};
  const copy = redact(value);
  if (copy !== null && typeof copy === 'object' && !Array.isArray(copy))
    return copy as Record<string, unknown>;
  // Callers from plain JS may pass a string or an array; keep it rather than drop it.
  return { [key === 'data' ? 'value' : key]: copy };
}
