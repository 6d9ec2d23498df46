/** What every secret value is replaced with. */
export const REDACTED = '[REDACTED]';

const MAX_DEPTH = 10;

/*
 * `pass` must not match everyday words such as `passed` (an evaluation gate's verdict) or `passenger`;
 * keys are split at camelCase humps first so `checksPassed` is read as `checks_passed`.
 */
const SENSITIVE_KEY =
  /pass(?!(?:ed|es|ing|ive|age|enger|through)(?![a-z0-9]))|secret|token|api[-_]?key|authorization|cookie|private[-_]?key|database[-_]?url|connection[-_]?string|dsn|credential|service[-_]?role|access[-_]?key|jwt|(?:^|[-_])auth(?:[-_]|$)/i;

/** Environment-style names ending in `_KEY` (SUPABASE_SERVICE_ROLE_KEY, STRIPE_KEY) hold keys. */
const ENV_STYLE_KEY = /^[A-Z0-9_]+_KEY$/;

/** True when the value stored under `key` must never be logged. */
export function isSensitiveKey(key: string): boolean {
  if (ENV_STYLE_KEY.test(key)) return true;
  return SENSITIVE_KEY.test(key.replace(/([a-z0-9])([A-Z])/g, '$1_$2'));
}

/*
 * The password runs to the last `@` before whitespace so unencoded `@` or `/` in it still get hidden;
 * `host:3000/users/a@b` is left alone because digits followed by a path are a port.
 */
const URL_CREDENTIALS = /(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*:\/\/[^\s:@/?#]*):(?!\d+(?:[/?#\s]|$))\S*@/gi;

/*
 * `key=value`, `key: value`, `"key": "value"` and the same inside escaped JSON (`\"key\":\"value\"`).
 * The look-behind anchors keys at a token start so long words are scanned in linear time.
 */
const KEY_SEPARATOR = /(?<![\w.-])\\?["']?([\w.-]+)\\?["']?\s*[:=]\s*/g;
const VALUE =
  /\\"(?:(?!\\")[\s\S])*\\"|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|(?:(?:bearer|basic|digest|token)\s+)?["']?[^\s,;&"'<>{}()]+/iy;

const BEARER = /\b(bearer)\s+[\w\-.~+/]+=*/gi;
const JWT = /\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]*/g;

/** Hides credentials in URLs, Bearer tokens, JWTs and sensitive `key=value` pairs inside free text. */
export function redactString(text: string): string {
  if (text.length === 0) return text;
  return scrubKeyValues(text.replace(URL_CREDENTIALS, `$1:${REDACTED}@`))
    .replace(BEARER, `$1 ${REDACTED}`)
    .replace(JWT, REDACTED);
}

function scrubKeyValues(text: string): string {
  let out = '';
  let copied = 0;
  KEY_SEPARATOR.lastIndex = 0;
  for (let match = KEY_SEPARATOR.exec(text); match; match = KEY_SEPARATOR.exec(text)) {
    // Values of other keys are scanned on, so `a=password=x` and `"note":"token=x"` are caught too.
    if (!isSensitiveKey(match[1] ?? '')) continue;
    VALUE.lastIndex = KEY_SEPARATOR.lastIndex;
    const value = VALUE.exec(text)?.[0];
    if (value === undefined) continue;
    out += text.slice(copied, KEY_SEPARATOR.lastIndex) + redactedValue(value);
    copied = KEY_SEPARATOR.lastIndex += value.length;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

function redactedValue(value: string): string {
  const scheme = /^(bearer|basic|digest|token)\s+/i.exec(value);
  if (scheme) return `${scheme[1]} ${REDACTED}`;
  const quote = /^\\?["']/.exec(value)?.[0];
  if (!quote) return REDACTED;
  return value.length > quote.length && value.endsWith(quote)
    ? `${quote}${REDACTED}${quote}`
    : quote + REDACTED;
}

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string | number;
  cause?: unknown;
}

/** A JSON-safe, redacted copy of an error: `{ name, message, stack?, code?, cause? }`. */
export function serializeError(error: Error): SerializedError {
  return errorToObject(error, 0, new Set());
}

/**
 * A JSON-safe copy of `value` with the value of every sensitive key replaced by `[REDACTED]` and every
 * string scrubbed by {@link redactString}. Errors become `{ name, message, stack?, code? }`, Dates ISO
 * strings, bigints strings; cycles become `[Circular]` and nesting deeper than 10 levels `[Truncated]`.
 */
export function redact(value: unknown): unknown {
  return walk(value, 0, new Set());
}

function walk(value: unknown, depth: number, path: Set<object>): unknown {
  switch (typeof value) {
    case 'string':
      return redactString(value);
    case 'bigint':
      return value.toString();
    case 'symbol':
      return value.toString();
    case 'function':
      return `[Function ${value.name || 'anonymous'}]`;
    case 'object':
      break;
    default:
      return value;
  }
  if (value === null) return null;
  if (path.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Truncated]';
  if (value instanceof Error) return errorToObject(value, depth, path);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (ArrayBuffer.isView(value)) return `[${value.constructor.name} ${value.byteLength} bytes]`;
  path.add(value);
  try {
    return walkObject(value, depth, path);
  } catch {
    // A throwing getter or toJSON must not take the logger down with it.
    return '[Unserializable]';
  } finally {
    path.delete(value);
  }
}

function walkObject(value: object, depth: number, path: Set<object>): unknown {
  if (Array.isArray(value)) return value.map((item) => walk(item, depth + 1, path));
  if (value instanceof Set) return [...value].map((item) => walk(item, depth + 1, path));
  const entries = value instanceof Map ? [...value].map(([k, v]) => [String(k), v] as const) : null;
  if (!entries && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return walk((value as { toJSON(): unknown }).toJSON(), depth + 1, path);
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of entries ?? Object.entries(value)) {
    out[key] = item != null && isSensitiveKey(key) ? REDACTED : walk(item, depth + 1, path);
  }
  return out;
}

function errorToObject(error: Error, depth: number, path: Set<object>): SerializedError {
  const out: SerializedError = { name: error.name, message: redactString(String(error.message)) };
  if (typeof error.stack === 'string') out.stack = redactString(error.stack);
  const code: unknown = (error as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') out.code = code;
  if (error.cause !== undefined) {
    path.add(error);
    try {
      out.cause = walk(error.cause, depth + 1, path);
    } finally {
      path.delete(error);
    }
  }
  return out;
}
