import { createClient, type Client, type Config } from '@libsql/client';
import Libsql from 'libsql';

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

/**
 * The one way the product opens a LibSQL file with the native `libsql` driver (the transfer
 * readers, verify's pass, repair, adopt): a `Libsql.Database` whose statements wait up to
 * `busyTimeoutMs` ms (default {@link DEFAULT_BUSY_TIMEOUT_MS}) for another process's lock before
 * SQLITE_BUSY. The driver's own default is 0 ms, as `@libsql/client`'s.
 * @param path a file path (not a `file:` URL).
 * @throws what the driver throws when the file cannot be opened (SQLITE_CANTOPEN…).
 */
export function openLibsqlFile(path: string, busyTimeoutMs: number = DEFAULT_BUSY_TIMEOUT_MS): Libsql.Database {
  return new Libsql(path, { timeout: busyTimeoutMs } as Libsql.Options);
}
