/**
 * The API's `{ error: { code, message, field? } }` as an Error a caller can branch on, and the
 * same failure in words a person reading a dashboard understands.
 */

export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    /** The HTTP status; 0 when the server could not be reached at all. */
    readonly status: number,
    /** The API's code (`unauthorized`, `conflict`…), or `network_error` / `http_error`. */
    readonly code: string,
    message: string,
    /** The request field the error is about, e.g. `reason` or `trades[3].entryPrice`. */
    readonly field?: string,
  ) {
    super(message);
  }
}

/** An ApiError from a response that is not `ok`, whatever its body holds. */
export async function apiErrorOf(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; field?: unknown } };
    const error = body.error;
    if (error && typeof error.code === 'string' && typeof error.message === 'string') {
      return new ApiError(
        response.status,
        error.code,
        error.message,
        typeof error.field === 'string' ? error.field : undefined,
      );
    }
  } catch {
    // Not JSON: a proxy's page, or an empty body.
  }
  return new ApiError(
    response.status,
    'http_error',
    `the server answered ${response.status} ${response.statusText}`.trim(),
  );
}

/** What went wrong, said for a person; the server's own message where it is already that. */
export function describeError(error: unknown): string {
  if (!(error instanceof ApiError)) {
    return error instanceof Error ? error.message : String(error);
  }
  switch (error.code) {
    case 'network_error':
      return 'The server cannot be reached. Check that `retrain start` is running and the address is right.';
    case 'unauthorized':
      return 'This key is not valid. Use the link `retrain start` printed, or paste the admin or read key.';
    case 'forbidden':
      return 'This needs the admin key; the key in use can only read.';
    case 'database_unavailable':
      return 'The database cannot be reached. The server keeps trying; retry in a moment.';
    case 'no_production_model':
      return 'No model is in production yet. Deploy a version first.';
    case 'rate_limited':
      return `Too many requests for now. ${error.message}`;
    case 'not_found':
    case 'conflict':
    case 'invalid_input':
      return sentence(error.message);
    case 'route_not_found':
      return 'This server does not offer that action; it may be an older version.';
    case 'internal':
      return 'The server failed unexpectedly; its log has the details.';
    default:
      return sentence(error.message);
  }
}

function sentence(message: string): string {
  const text = message.trim();
  if (!text) return 'The request failed.';
  const capitalised = text[0]!.toUpperCase() + text.slice(1);
  return /[.!?]$/.test(capitalised) ? capitalised : `${capitalised}.`;
}
