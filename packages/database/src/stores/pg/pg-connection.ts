import postgres from 'postgres';
import { parseJsonExact, stringifyJsonExact } from '../../json-exact.js';
import type { Connection } from '../connection.js';

/**
 * postgres.js's `json` type (oids 114 json and 3802 jsonb, postgres.js src/types.js) with exact
 * integers: jsonb keeps numbers as numeric, so an integer beyond 2^53 read with `JSON.parse`
 * would lose digits. Pass as `types: PG_EXACT_JSON_TYPES` to `postgres()`.
 */
export const PG_EXACT_JSON_TYPES = {
  json: { to: 114, from: [114, 3802], serialize: (v: unknown) => stringifyJsonExact(v), parse: (text: string) => parseJsonExact(text) },
};

/** Options of {@link PgConnection}. */
export interface PgOptions {
  /** postgres:// connection string. Never logged unredacted. */
  readonly url: string;
  /** Pool size (postgres.js `max`). */
  readonly max: number;
  /** Seconds to wait for a TCP connection (postgres.js `connect_timeout`). Default 10. */
  readonly connectTimeoutS?: number;
  readonly applicationName?: string;
  /**
   * Session `synchronous_commit` (sent at connection start-up). `off` for shadow writes: a commit
   * returns before its WAL reaches disk; a PostgreSQL crash may lose the last ~0.6 s of commits
   * (3 × wal_writer_delay) but never corrupts or half-applies them (PostgreSQL docs, "Asynchronous
   * Commit"). Default: the server's setting.
   */
  readonly synchronousCommit?: 'on' | 'off';
}

type Sql = postgres.Sql<Record<string, never>>;

class TxConnection implements Connection {
  constructor(private readonly tx: postgres.TransactionSql<Record<string, never>>) {}
  async query(sql: string, params: readonly unknown[]) {
    return (await this.tx.unsafe(sql, params as any[])) as unknown as Record<string, unknown>[];
  }
  transaction<T>(fn: (c: Connection) => Promise<T>): Promise<T> {
    return fn(this);
  }
  async close() {}
}

/**
 * A PostgreSQL pool (postgres.js). postgres.js has no per-query timeout (docs/design.md invariant 4):
 * when a caller's `signal` aborts, the whole pool is recycled (`end({ timeout: 0 })` destroys its
 * sockets), which is the only way to free a connection stalled on the network; new work gets a
 * fresh pool.
 */
export class PgConnection implements Connection {
  #sql: Sql;
  readonly #opts: PgOptions;
  /** Pools recycled after an abort (for statistics and tests). */
  recycled = 0;

  constructor(opts: PgOptions) {
    this.#opts = opts;
    this.#sql = this.#open();
  }

  #open(): Sql {
    return postgres(this.#opts.url, {
      max: this.#opts.max,
      connect_timeout: this.#opts.connectTimeoutS ?? 10,
      idle_timeout: 60,
      onnotice: () => {},
      types: PG_EXACT_JSON_TYPES,
      connection: {
        application_name: this.#opts.applicationName ?? 'repo-database',
        ...(this.#opts.synchronousCommit ? { synchronous_commit: this.#opts.synchronousCommit } : {}),
      },
    }) as unknown as Sql;
  }

  /** The live postgres.js instance (for bulk paths such as COPY). @internal */
  get sql(): Sql {
    return this.#sql;
  }

  #guard<T>(signal: AbortSignal | undefined, work: (sql: Sql) => Promise<T>): Promise<T> {
    const sql = this.#sql;
    if (!signal) return work(sql);
    if (signal.aborted) return Promise.reject(signal.reason);
    const onAbort = () => this.#recycle(sql);
    signal.addEventListener('abort', onAbort, { once: true });
    return work(sql).finally(() => signal.removeEventListener('abort', onAbort));
  }

  #recycle(sql: Sql) {
    if (sql !== this.#sql) return; // already recycled
    this.recycled++;
    this.#sql = this.#open();
    void sql.end({ timeout: 0 }).catch(() => {});
  }

  query(text: string, params: readonly unknown[], opts: { signal?: AbortSignal | undefined } = {}) {
    return this.#guard(opts.signal, async (sql) => (await sql.unsafe(text, params as any[])) as unknown as Record<string, unknown>[]);
  }

  transaction<T>(fn: (c: Connection) => Promise<T>, opts: { signal?: AbortSignal | undefined } = {}): Promise<T> {
    return this.#guard(opts.signal, (sql) => sql.begin((tx) => fn(new TxConnection(tx))) as Promise<T>);
  }

  /**
   * Ends the pool: queries still running get `timeoutS` seconds (default 5) before their sockets
   * are destroyed; 0 destroys them at once (after a drain gave up on a stalled backend).
   */
  async close(opts: { timeoutS?: number } = {}) {
    await this.#sql.end({ timeout: opts.timeoutS ?? 5 });
  }
}
