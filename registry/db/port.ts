/** A value a query parameter may take (JSON goes in as a string: `JSON.stringify` it first). */
export type SqlValue = string | number | boolean | null | Date;

export interface QueryResult<T> {
  rows: T[];
  /** Rows returned (SELECT, RETURNING) or changed (INSERT, UPDATE, DELETE). */
  rowCount: number;
}

/** What the store's queries need: run one statement. A transaction hands out the same shape. */
export interface Queryable {
  query<T extends object = Record<string, unknown>>(
    sql: string,
    params?: readonly SqlValue[],
  ): Promise<QueryResult<T>>;
}

/**
 * The `Db` port (DESIGN: ports and adapters): PGlite embedded, or Postgres through a `pg` pool. The SQL
 * is the same on both. Inside `transaction`, use only the `tx` handed to the callback: PGlite runs one
 * statement at a time, so a query on the outer `Db` would wait for the transaction forever.
 */
export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** For the start-up log (no secrets). */
  readonly description: string;
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Postgres only (other processes may share the database): calls `handler` with the payload of every
   * `NOTIFY channel`, and with `null` when the connection is lost and again when it is back (messages may
   * have been missed meanwhile).
   * Returns the function that stops listening.
   */
  listen?(channel: string, handler: (payload: string | null) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
