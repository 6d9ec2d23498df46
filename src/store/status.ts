import type { Queryable } from '../db/types.js';
import { TABLES, type TableName } from '../db/migrations/index.js';

/** Exact row counts of every table the system owns (zero for a table not yet created). */
export async function tableRowCounts(db: Queryable): Promise<Record<TableName, number>> {
  const present = await db.query<{ name: string }>(
    `SELECT name FROM unnest($1::text[]) AS name WHERE to_regclass(name) IS NOT NULL`,
    [[...TABLES]],
  );
  const existing = new Set(present.rows.map((row) => row.name));
  const counts = {} as Record<TableName, number>;
  const parts = TABLES.filter((table) => existing.has(table)).map(
    (table) => `SELECT '${table}' AS name, count(*) AS rows FROM ${table}`,
  );
  for (const table of TABLES) counts[table] = 0;
  if (parts.length === 0) return counts;
  const result = await db.query<{ name: TableName; rows: number }>(parts.join(' UNION ALL '));
  for (const row of result.rows) counts[row.name] = row.rows;
  return counts;
}
