/**
 * JSON values go to PostgreSQL as text with an explicit `::jsonb` cast: the pg driver would turn a
 * JavaScript array into a PostgreSQL array literal, and both drivers then agree on the value.
 */
export function toJson(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };
