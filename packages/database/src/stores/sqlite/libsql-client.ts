import { createClient, type Client, type Config } from '@libsql/client';

/**
 * Busy timeout of every LibSQL connection the product opens, in ms: how long a statement waits for
 * another process's lock before SQLITE_BUSY (docs/design.md trap: SQLITE_BUSY).
 */
export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

/** Options of {@link createLibsqlClient}: `@libsql/client`'s config, the busy timeout in ms. */
export type LibsqlClientOptions = Omit<Config, 'timeout'> & { readonly busyTimeoutMs?: number | undefined };

/**
 * The one way the product opens a raw `@libsql/client` client. `@libsql/client`'s own default busy
 * timeout is 0 (its `timeout` option, passed to sqlite3_busy_timeout), so without this a read of
 * the catalogue by one process failed at once with SQLITE_BUSY while another process starting on
 * the same file held a write lock (two bot replicas on a fresh file). Every client gets
 * {@link DEFAULT_BUSY_TIMEOUT_MS} unless told otherwise; `test/libsql-client-only.test.ts` keeps
 * `createClient` out of the rest of the source.
 * @throws what `createClient` throws (URL_INVALID, the file cannot be opened).
 */
export function createLibsqlClient(opts: LibsqlClientOptions): Client {
  const { busyTimeoutMs, ...config } = opts;
  return createClient({ ...config, timeout: busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS } as Config);
}
