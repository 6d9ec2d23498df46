export { Logger, LOG_LEVELS } from './logger.js';
export type {
  LogData,
  LogDestination,
  LogEntry,
  LogFilter,
  LogFormat,
  LoggerOptions,
  LogLevel,
} from './logger.js';
export { REDACTED, isSensitiveKey, redact, redactString, serializeError } from './redact.js';
export type { SerializedError } from './redact.js';
