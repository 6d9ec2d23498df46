import { describe, expect, it } from 'vitest';
import { jsonErrorOffset, lineAndColumn, parseJsonObject } from '../../src/config/json.js';
import { configErrorOf } from './helpers.js';

describe('parseJsonObject', () => {
  it('parses an object and tolerates a byte-order mark', () => {
    expect(parseJsonObject('\uFEFF{"a": 1}', 'x', 'x')).toStrictEqual({ a: 1 });
  });

  it('counts lines across CRLF line endings', () => {
    const error = configErrorOf(() =>
      parseJsonObject('{\r\n  "a": 1\r\n  "b": 2\r\n}', 'settings.json', 's'),
    );
    expect(error.issues[0]?.message).toBe(
      "settings.json is not valid JSON at line 3, column 3: Expected ',' or '}' after property value",
    );
  });

  it('places an error at the end of truncated input', () => {
    const error = configErrorOf(() => parseJsonObject('{"a": [1, 2', 'x', 'x'));
    expect(error.issues[0]?.message).toBe(
      "x is not valid JSON at line 1, column 12: Expected ',' or ']' after array element",
    );
  });
});

describe('jsonErrorOffset', () => {
  it.each([
    ['{"a": 1}', -1],
    ['{"a": }', 6],
    ['[1,]', 3],
    ['{"a": -x}', 7],
    ['"\\u12G4"', 5],
    ['', 0],
  ])('%j -> %i', (text, offset) => {
    expect(jsonErrorOffset(text)).toBe(offset);
  });

  it('converts offsets to 1-based lines and columns', () => {
    expect(lineAndColumn('ab\ncd', 0)).toEqual({ line: 1, column: 1 });
    expect(lineAndColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
  });
});
