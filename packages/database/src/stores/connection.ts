/**
 * The smallest thing a dialect needs from a driver: run parameterised SQL, run a transaction.
 * SQL text uses `?` placeholders on LibSQL and `$n` on PostgreSQL (see `Dialect.sql`).
 */
export interface Connection {
  /** Runs one statement and returns its rows as plain objects keyed by column name. */
  query(sql: string, params: readonly unknown[], opts?: { signal?: AbortSignal | undefined }): Promise<Record<string, unknown>[]>;
  /** Runs `fn` in one transaction on one connection. */
  transaction<T>(fn: (c: Connection) => Promise<T>, opts?: { signal?: AbortSignal | undefined }): Promise<T>;
  close(): Promise<void>;
}
