/**
 * Every failure answered as `{ error: { code, message, field? } }` with its status: 400 invalid
 * input, 401/403 keys, 404 unknown thing, 409 illegal transition or cooldown, 413 body too large,
 * 429 rate limit, 503 database down. Never a stack trace; an unexpected error is logged and
 * answered with a generic 500.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DatabaseUnavailableError, RetrainingError } from '../errors.js';
import type { Logger } from '../logging/logger.js';

export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

/** An HTTP answer raised from a route: a status with our error body. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export const errorBody = (code: string, message: string, field?: string): ErrorBody => ({
  error: { code, message, ...(field !== undefined ? { field } : {}) },
});

/** SQLSTATE classes and socket errors that mean the database cannot be reached right now. */
function isDatabaseDown(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (/^(08|57P0|53)/.test(code)) return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'].includes(code)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  return /Connection terminated|connection timeout|Client has encountered a connection error|PGlite is closed|after calling end on the pool/i.test(
    message,
  );
}

/** `/bars/0/close` → `bars[0].close`; a missing property appended. */
function fieldOf(error: FastifyError): string | undefined {
  const first = error.validation?.[0];
  if (!first) return undefined;
  const parts = first.instancePath.split('/').filter(Boolean);
  const missing =
    (first.params as { missingProperty?: string; additionalProperty?: string } | undefined) ?? {};
  if (missing.missingProperty) parts.push(missing.missingProperty);
  if (missing.additionalProperty) parts.push(missing.additionalProperty);
  let field = '';
  for (const part of parts) field += /^\d+$/.test(part) ? `[${part}]` : field ? `.${part}` : part;
  return field || undefined;
}

function validationMessage(error: FastifyError, field: string | undefined): string {
  const first = error.validation![0]!;
  const where = error.validationContext === 'body' ? 'request body' : (error.validationContext ?? 'request');
  const params = first.params as { additionalProperty?: string; allowedValues?: unknown[] };
  if (first.keyword === 'additionalProperties')
    return `${where}: unknown field "${field}"; check the field name against /docs`;
  if (first.keyword === 'enum' && params.allowedValues)
    return `${where}: ${field} must be one of ${params.allowedValues.map(String).join(', ')}`;
  // Ajv's own words for the common cases, said as a person would.
  const limit = (first.params as { limit?: number }).limit;
  if (first.keyword === 'required') return `${where}: ${field} is required`;
  if (first.keyword === 'minLength' && limit === 1)
    return `${where}: ${field} is required and cannot be empty`;
  if (first.keyword === 'minLength') return `${where}: ${field} must be at least ${limit} characters long`;
  if (first.keyword === 'maxLength') return `${where}: ${field} must be at most ${limit} characters long`;
  if (first.keyword === 'minItems')
    return `${where}: ${field} needs at least ${limit} item${limit === 1 ? '' : 's'}`;
  if (first.keyword === 'maxItems') return `${where}: ${field} takes at most ${limit} items`;
  return `${where}: ${field ? `${field} ` : ''}${first.message ?? 'is invalid'}`;
}

/** A failure's answer: its status and body. `route` names the request in the log. */
export interface ErrorAnswer {
  status: number;
  body: ErrorBody;
}

/**
 * The answer to any error a route raised or a layer noticed. Shared by Fastify's error handler and
 * the prediction lane (predict-lane.ts), so a failure reads the same whichever path served it.
 */
export function errorAnswer(error: FastifyError | Error, logger: Logger, route: string): ErrorAnswer {
  if (error instanceof HttpError) {
    return { status: error.statusCode, body: errorBody(error.code, error.message, error.field) };
  }
  // The same answer whichever layer noticed; the server's address and the driver's words stay in the log.
  if (error instanceof DatabaseUnavailableError || isDatabaseDown(error)) {
    logger.warn('database unavailable', { route, reason: error.message });
    return {
      status: 503,
      body: errorBody('database_unavailable', 'the database cannot be reached; retry shortly'),
    };
  }
  if (error instanceof RetrainingError) {
    const field = (error as { field?: string }).field;
    const status = isDatabaseDown(error.cause) ? 503 : error.httpStatus;
    if (status >= 500) logger.error(`request ${route} failed`, error);
    return {
      status,
      body: errorBody(
        error.code,
        status >= 500 && error.httpStatus < 500 ? 'internal error' : error.message,
        field,
      ),
    };
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const field = fieldOf(fastifyError);
    return { status: 400, body: errorBody('invalid_input', validationMessage(fastifyError, field), field) };
  }
  const status = fastifyError.statusCode ?? 500;
  if (status === 413) {
    return {
      status: 413,
      body: errorBody('body_too_large', 'the request body is larger than this route accepts'),
    };
  }
  if (status === 429) return { status: 429, body: errorBody('rate_limited', error.message) };
  if (status >= 400 && status < 500) {
    // Fastify's own client errors (malformed JSON, wrong content type, empty body).
    return { status, body: errorBody(clientCode(fastifyError), clientMessage(fastifyError)) };
  }
  logger.error(`request ${route} failed`, error);
  return { status: 500, body: errorBody('internal', 'internal error; the server log has the details') };
}

export function errorHandler(logger: Logger) {
  return (error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void => {
    const route = `${request.method} ${request.routeOptions.url ?? request.url}`;
    const { status, body } = errorAnswer(error, logger, route);
    void reply.status(status).send(body);
  };
}

function clientCode(error: FastifyError): string {
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return 'unsupported_media_type';
  return 'invalid_input';
}

function clientMessage(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'request body is empty; expected a JSON object';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'expected Content-Type: application/json';
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    default:
      if (error instanceof SyntaxError || /JSON/i.test(error.message))
        return `request body is not valid JSON: ${error.message}`;
      return error.message;
  }
}
