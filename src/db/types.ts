/** The small interface every part of the system uses to reach PostgreSQL, embedded or server. */

export interface QueryResult<Row> {
  rows: Row[];
  /** Rows affected by an INSERT/UPDATE/DELETE, or rows returned by a SELECT. */
  rowCount: number;
}

export interface Queryable {
  /** One statement with `$1`-style parameters. */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>>;
  /** Several statements without parameters (DDL, migrations). */
  exec(sql: string): Promise<void>;
  /**
   * Bulk load with COPY … FROM STDIN: a string in PostgreSQL's text format (tab-separated lines,
   * `\N` for NULL) or bytes in its binary format. `table` and `columns` come from code, never
   * from input.
   */
  copyFrom(table: string, columns: readonly string[], data: string | Uint8Array): Promise<void>;
}

export type DatabaseKind = 'embedded' | 'server';

export interface Database extends Queryable {
  readonly kind: DatabaseKind;
  /** Where the data lives, safe to print: the data folder, or the server URL without its password. */
  readonly location: string;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Calls `handler` with the payload of every NOTIFY on `channel` (sent with pg_notify, delivered
   * on commit). Resolves to a function that stops listening. On a server, a dropped connection
   * is listened on again (with backoff) and `handler('')` called once it is: notifications sent
   * in between are lost.
   */
  listen(channel: string, handler: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
