import { DatabaseUnavailableError } from '../errors.js';

// SQLSTATE classes that mean "the server is not there or went away", not "the query is wrong":
// 08 connection exception, 57P01..57P03 admin/crash shutdown, cannot connect now.
const UNAVAILABLE_SQLSTATES = /^(08|57P0[123])/;
const UNAVAILABLE_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_NODE_CODES.has(code) || UNAVAILABLE_SQLSTATES.test(code))) {
    return true;
  }
  return /Connection terminated|connection timeout|timeout expired/i.test(error.message);
}

/** Turns a driver's connection failure into an error that names the server; leaves query errors alone. */
export function describeConnectionError(error: unknown, location: string): unknown {
  if (!isConnectionError(error)) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new DatabaseUnavailableError(
    `cannot reach the PostgreSQL server at ${location}: ${reason}. ` +
      'Check that it is running and that DATABASE_URL is right, or unset DATABASE_URL to use the embedded database.',
    { cause: error },
  );
}
