import { ConfigError } from '../errors.js';
import { isPlainObject } from './merge.js';

class JsonSyntaxError extends Error {
  constructor(readonly offset: number) {
    super(`JSON syntax error at offset ${offset}`);
  }
}

/**
 * Offset of the first syntax error in `text`, or -1. Only used to place an error JSON.parse
 * already found, because V8 omits the position from some messages ("Unexpected token").
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const fail = (at = i): never => {
    throw new JsonSyntaxError(at);
  };
  const skipSpace = () => {
    while (i < text.length && ' \t\n\r'.includes(text.charAt(i))) i++;
  };
  const expectChar = (char: string) => (text[i] === char ? i++ : fail());
  const string = () => {
    expectChar('"');
    for (;;) {
      const char = text[i];
      if (char === undefined || char < ' ') fail();
      if (char === '"') return void i++;
      if (char !== '\\') i++;
      else if (text[i + 1] === 'u') {
        i += 2;
        for (const end = i + 4; i < end; i++) if (!/[0-9a-fA-F]/.test(text.charAt(i))) fail();
      } else if ('"\\/bfnrt'.includes(text.charAt(i + 1)) && i + 1 < text.length) i += 2;
      else fail(i + 1);
    }
  };
  const digits = () => {
    if (!/[0-9]/.test(text.charAt(i))) fail();
    while (/[0-9]/.test(text.charAt(i))) i++;
  };
  // Step by step rather than one regex, to fail where V8 does: at the first character that cannot continue.
  const number = () => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else digits();
    if (text[i] === '.') {
      i++;
      digits();
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      digits();
    }
  };
  const members = (close: string, member: () => void) => {
    i++;
    skipSpace();
    if (text[i] === close) return void i++;
    for (;;) {
      member();
      skipSpace();
      if (text[i] === close) return void i++;
      expectChar(',');
      skipSpace();
    }
  };
  const value = (): void => {
    skipSpace();
    const char = text[i];
    if (char === '{') {
      return members('}', () => {
        string();
        skipSpace();
        expectChar(':');
        value();
      });
    }
    if (char === '[') return members(']', value);
    if (char === '"') return string();
    for (const literal of ['true', 'false', 'null']) {
      if (char !== literal[0]) continue;
      for (const expected of literal) expectChar(expected);
      return;
    }
    number();
  };
  try {
    value();
    skipSpace();
    if (i < text.length) fail();
    return -1;
  } catch (error) {
    if (error instanceof JsonSyntaxError) return error.offset;
    throw error;
  }
}

export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lastNewline = before.lastIndexOf('\n');
  return { line: before.split('\n').length, column: offset - lastNewline };
}

/** V8's reason without its position and its echo of the input. */
function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const reason = message
    .replace(/ in JSON at position \d+.*$/s, '')
    .replace(/, (?:\.\.\.)?".*" is not valid JSON$/s, '');
  return [...reason].map((char) => (char < ' ' ? JSON.stringify(char).slice(1, -1) : char)).join('');
}

/**
 * Parses text that must hold a JSON object. `what` names it in messages ("configuration file
 * /x/retraining.config.json", "RETRAINING_CONFIG_JSON"); `source` becomes the error's source.
 */
export function parseJsonObject(text: string, what: string, source: string): Record<string, unknown> {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    const reported = /at position (\d+)/.exec(error instanceof Error ? error.message : '');
    const offset = reported ? Number(reported[1]) : jsonErrorOffset(body);
    const where = offset < 0 ? '' : describeLocation(body, offset);
    const message = `${what} is not valid JSON${where}: ${reasonOf(error)}`;
    throw new ConfigError([{ field: '', message }], source);
  }
  if (!isPlainObject(parsed)) {
    const found = Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : typeof parsed;
    const message = `${what} must hold a JSON object of settings; found ${found}`;
    throw new ConfigError([{ field: '', value: parsed, message }], source);
  }
  return parsed;
}

function describeLocation(text: string, offset: number): string {
  const { line, column } = lineAndColumn(text, offset);
  return ` at line ${line}, column ${column}`;
}
