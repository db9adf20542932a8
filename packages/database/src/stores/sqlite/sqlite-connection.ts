import type { Client, InStatement, ResultSet, Transaction } from '@libsql/client';
import { ensureParentFolder } from './file-url.js';
import type { Connection } from '../connection.js';
import { retryWhileBusy } from './sqlite-busy.js';
import { createLibsqlClient, DEFAULT_BUSY_TIMEOUT_MS } from './libsql-client.js';

/** Options of {@link openSqlite}. */
export interface SqliteOptions {
  /** `file:path.db`, or `libsql://…`/`https://…` for Turso (with `authToken`). */
  readonly url: string;
  readonly authToken?: string | undefined;
  /** Busy timeout in ms, for other processes holding the write lock (docs/design.md trap: SQLITE_BUSY). Default 5,000. */
  readonly busyTimeoutMs?: number;
}

function toObjects(rs: ResultSet): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = new Array(rs.rows.length);
  const cols = rs.columns;
  for (let i = 0; i < rs.rows.length; i++) {
    const r = rs.rows[i]!;
    const o: Record<string, unknown> = {};
    for (let j = 0; j < cols.length; j++) o[cols[j]!] = r[j];
    out[i] = o;
  }
  return out;
}

/**
 * Serialises writers inside this process: SQLite has one writer at a time, and waiting on an
 * in-process promise is cheaper and fairer than spinning on SQLITE_BUSY.
 */
class WriteLock {
  #tail: Promise<void> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn, fn);
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

const WRITE = /^\s*(insert|update|delete|replace|create|drop|alter|pragma)\b/i;

class TxConnection implements Connection {
  constructor(private readonly tx: Transaction) {}
  async query(sql: string, params: readonly unknown[]) {
    return toObjects(await this.tx.execute({ sql, args: params as InStatement extends { args?: infer A } ? A : never }));
  }
  transaction<T>(fn: (c: Connection) => Promise<T>): Promise<T> {
    return fn(this); // already inside one
  }
  async close() {}
}

/** A LibSQL connection: `@libsql/client` with `intMode: 'bigint'` and an in-process write lock. */
export class SqliteConnection implements Connection {
  readonly client: Client;
  readonly #lock = new WriteLock();

  constructor(opts: SqliteOptions) {
    this.client = createLibsqlClient({ url: opts.url, authToken: opts.authToken, intMode: 'bigint', busyTimeoutMs: opts.busyTimeoutMs });
  }

  async query(sql: string, params: readonly unknown[]) {
    const run = async () => toObjects(await this.client.execute({ sql, args: params as any }));
    return WRITE.test(sql) ? this.#lock.run(run) : run();
  }

  transaction<T>(fn: (c: Connection) => Promise<T>): Promise<T> {
    return this.#lock.run(async () => {
      const tx = await this.client.transaction('write');
      try {
        const result = await fn(new TxConnection(tx));
        await tx.commit();
        return result;
      } catch (e) {
        if (!tx.closed) await tx.rollback().catch(() => {});
        throw e;
      } finally {
        tx.close();
      }
    });
  }

  async close() {
    this.client.close();
  }
}

/**
 * Opens a LibSQL connection and, for local files, turns on WAL so readers in other processes do not block.
 * @throws the driver's error; SQLITE_BUSY only when the file stays locked beyond the busy timeout.
 */
export async function openSqlite(opts: SqliteOptions): Promise<SqliteConnection> {
  ensureParentFolder(opts.url);
  const conn = new SqliteConnection(opts);
  if (opts.url.startsWith('file:')) {
    await enableWal(conn, opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS);
    await conn.client.execute('PRAGMA synchronous = NORMAL');
  }
  return conn;
}

/**
 * `PRAGMA journal_mode = WAL`, unless the file is in WAL already. Switching needs an exclusive
 * lock; two bot replicas starting on a fresh file met SQLITE_BUSY here without waiting (the second
 * one's switch met the first one's migration), so the switch is tried again within the busy
 * timeout (ms): sqlite-busy.ts.
 */
function enableWal(conn: SqliteConnection, busyTimeoutMs: number): Promise<void> {
  return retryWhileBusy(async () => {
    const r = await conn.client.execute('PRAGMA journal_mode');
    if (String(r.rows[0]?.[0] ?? '').toLowerCase() !== 'wal') await conn.client.execute('PRAGMA journal_mode = WAL');
  }, busyTimeoutMs);
}
