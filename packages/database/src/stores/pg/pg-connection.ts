import net from 'node:net';
import postgres from 'postgres';
import { DatabaseError, describeError, isConnectionError } from '../../errors.js';
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

/** Default of PG_CONNECT_TIMEOUT_MS: TCP connect plus the start-up handshake, in ms. */
export const DEFAULT_PG_CONNECT_TIMEOUT_MS = 5_000;
/** Default of PG_STATEMENT_TIMEOUT_MS (server-side `statement_timeout` of the app's pool), in ms. */
export const DEFAULT_PG_STATEMENT_TIMEOUT_MS = 30_000;

function msVar(env: Record<string, string | undefined>, name: string, dflt: number, min: number, max: number): number {
  const v = env[name];
  if (v === undefined || v.trim() === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    // The value is not echoed: it may be a secret pasted into the wrong variable.
    throw new DatabaseError('INVALID_CONFIG', `${name} must be an integer from ${min} to ${max} (milliseconds)`, { variable: name });
  }
  return n;
}

/**
 * The PostgreSQL timeouts from the environment, in ms:
 * - `PG_CONNECT_TIMEOUT_MS` (default 5,000; 100–600,000): how long opening a connection may take,
 *   TCP connect and start-up handshake together, retries of a host that accepts and closes included.
 *   Every command and the bot's start-up fail with `CONNECT_TIMEOUT` (one line) after it.
 * - `PG_STATEMENT_TIMEOUT_MS` (default 30,000; 0 turns it off): the server-side `statement_timeout`
 *   of the bot's pool; a query also fails on the client side ({@link PgOptions.statementTimeoutMs}).
 * @throws DatabaseError `INVALID_CONFIG` naming the variable (never its value).
 */
export function pgTimeoutsFromEnv(env: Record<string, string | undefined> = process.env): { connectTimeoutMs: number; statementTimeoutMs: number } {
  return {
    connectTimeoutMs: msVar(env, 'PG_CONNECT_TIMEOUT_MS', DEFAULT_PG_CONNECT_TIMEOUT_MS, 100, 600_000),
    statementTimeoutMs: msVar(env, 'PG_STATEMENT_TIMEOUT_MS', DEFAULT_PG_STATEMENT_TIMEOUT_MS, 0, 3_600_000),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An error shaped like postgres.js's connection errors (`code`, `errno`), matched by `isConnectionError`. */
function connectError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, errno: code });
}

/**
 * A socket that fails with `err` once postgres.js has attached its listeners (a factory that
 * throws would leave the pool's connection slot stuck in `connecting` forever).
 */
function failedSocket(err: Error): net.Socket {
  const s = new net.Socket();
  s.write = (() => true) as net.Socket['write'];
  setImmediate(() => s.destroy(err));
  return s;
}

/**
 * True when the first bytes a server sent look like PostgreSQL's: an SSL answer (`S`/`N`), or an
 * authentication request, error or protocol negotiation (`R`/`E`/`v`) with a sane length. A gateway
 * that answers anything else (`HTTP/1.1 400`) and closes does not count as a server heard.
 */
function looksLikePostgres(chunk: Buffer): boolean {
  const t = String.fromCharCode(chunk[0] ?? 0);
  if (t === 'S' || t === 'N') return chunk.length === 1 || /[REv]/.test(String.fromCharCode(chunk[1] ?? 0));
  if (t !== 'R' && t !== 'E' && t !== 'v') return false;
  if (chunk.length < 5) return true;
  const len = chunk.readUInt32BE(1);
  return len >= 4 && len < 1 << 20;
}

/**
 * postgres.js's `socket` option with a connect deadline. postgres.js restarts its own
 * `connect_timeout` on every reconnect of a queued query, so a host that accepts connections and
 * closes them (a gateway in front of an address that leads nowhere, a proxy in front of a dead
 * server) kept a query waiting forever while the client spun. Here the attempts since the server
 * was last heard ({@link looksLikePostgres}) form a streak; a reconnect after a failed attempt
 * waits a backoff (25 ms doubling to 500 ms), and once the streak is `connectTimeoutMs` old the
 * query fails with `CONNECT_TIMEOUT`. A TCP connect, or a connected socket that hears nothing,
 * is bounded by the rest of that budget too. A socket that fails with an error (reset, refused)
 * ends the streak: postgres.js gives that error to the query and does not reconnect for it. Pass
 * it as `socket` to `postgres()` (see {@link pgClientOptions}).
 */
export function deadlineSocketFactory(connectTimeoutMs: number) {
  /** When the first attempt since the server was last heard started (0: none). */
  let streakStart = 0;
  /** Sockets closed since then without hearing the server. */
  let failures = 0;
  const reset = () => {
    streakStart = 0;
    failures = 0;
  };
  const left = () => (streakStart === 0 ? connectTimeoutMs : streakStart + connectTimeoutMs - Date.now());
  return async (o: { host: string[]; port: number[]; path?: string }): Promise<net.Socket> => {
    const where = o.path ? o.path : `${o.host[0]}:${o.port[0]}`;
    const timeoutError = () => connectError('CONNECT_TIMEOUT', `no PostgreSQL connection to ${where} within ${connectTimeoutMs} ms (PG_CONNECT_TIMEOUT_MS)`);
    if (streakStart === 0) streakStart = Date.now();
    if (failures > 0) await sleep(Math.min(25 * 2 ** (failures - 1), 500, Math.max(0, left())));
    const budget = left();
    if (budget <= 0) {
      reset();
      return failedSocket(timeoutError());
    }
    return new Promise<net.Socket>((resolve) => {
      const s = o.path ? net.connect(o.path) : net.connect(o.port[0]!, o.host[0]!);
      let heard = false;
      const timer = setTimeout(() => {
        if (s.connecting) {
          s.destroy();
          reset();
          resolve(failedSocket(timeoutError()));
        } else {
          reset();
          s.destroy(timeoutError());
        }
      }, budget);
      s.once('data', (chunk: Buffer) => {
        clearTimeout(timer);
        if (looksLikePostgres(chunk)) {
          heard = true;
          reset();
        }
      });
      s.once('close', (hadError: boolean) => {
        clearTimeout(timer);
        // A socket that failed with an error (reset, refused) handed that error to its query, and
        // postgres.js does not retry it: the streak ends with it. Carried over, it made the first
        // call after PostgreSQL came back fail with CONNECT_TIMEOUT without a try.
        if (!heard) hadError ? reset() : failures++;
      });
      const onEarlyError = (e: Error) => {
        clearTimeout(timer);
        s.destroy();
        resolve(failedSocket(e));
      };
      s.once('error', onEarlyError);
      s.once('connect', () => {
        s.removeListener('error', onEarlyError);
        resolve(s);
      });
    });
  };
}

/**
 * postgres.js options every PostgreSQL client of the package uses for connecting: the connect
 * deadline of {@link deadlineSocketFactory} (`connectTimeoutMs`, default from
 * `PG_CONNECT_TIMEOUT_MS`) and postgres.js's own `connect_timeout` set to the same budget.
 * TLS still works: postgres.js upgrades the socket it is handed.
 */
export function pgClientOptions(connectTimeoutMs: number = pgTimeoutsFromEnv().connectTimeoutMs) {
  return { connect_timeout: Math.max(1, Math.ceil(connectTimeoutMs / 1000)), socket: deadlineSocketFactory(connectTimeoutMs) } as const;
}

/** Options of {@link PgConnection}. */
export interface PgOptions {
  /** postgres:// connection string. Never logged unredacted. */
  readonly url: string;
  /** Pool size (postgres.js `max`). */
  readonly max: number;
  /**
   * Seconds to open a connection (TCP connect and handshake, see {@link deadlineSocketFactory}).
   * Default: `PG_CONNECT_TIMEOUT_MS` (5 s). Ignored when `connectTimeoutMs` is set.
   */
  readonly connectTimeoutS?: number;
  /** The same in ms; wins over `connectTimeoutS`. */
  readonly connectTimeoutMs?: number;
  /**
   * Server-side `statement_timeout` in ms (0 or unset: the server's setting). Also bounds every
   * call on the client side: a query or transaction without an answer after
   * `connect + statement timeout + 1 s` (a silent network: the server would have cancelled it)
   * fails with `DATABASE_TIMEOUT` and the pool is recycled, so the next call gets fresh sockets.
   */
  readonly statementTimeoutMs?: number;
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

/**
 * Usage of one {@link PgConnection} pool, counted by the connection itself (postgres.js does not
 * expose its connections). A call (`query`, or `transaction` from BEGIN to COMMIT/ROLLBACK,
 * retries included) holds one connection while it runs; calls beyond the pool size wait.
 * Work run directly on `sql` (bulk COPY of the transfer tools) is not counted.
 */
export interface PgPoolStats {
  /** Pool size (postgres.js `max`). */
  readonly size: number;
  /** Connections busy with a query or a transaction now: min(calls in flight, size). */
  readonly inUse: number;
  /** Calls in flight beyond the pool size, waiting for a connection. */
  readonly waiting: number;
}

class TxConnection implements Connection {
  /** Statements of this transaction that were answered. */
  answered = 0;
  constructor(private readonly tx: postgres.TransactionSql<Record<string, never>>) {}
  async query(sql: string, params: readonly unknown[]) {
    const rows = (await this.tx.unsafe(sql, params as any[])) as unknown as Record<string, unknown>[];
    this.answered++;
    return rows;
  }
  transaction<T>(fn: (c: Connection) => Promise<T>): Promise<T> {
    return fn(this);
  }
  async close() {}
}

/**
 * A connection that was lost (closed or reset by the other side or the network), as opposed to one
 * that timed out: a timeout has used its time already and is not run again.
 */
function isLostConnection(e: unknown): boolean {
  const code = describeError(e).code;
  return isConnectionError(e) && code !== 'CONNECT_TIMEOUT' && code !== 'DATABASE_TIMEOUT' && code !== 'ECONNREFUSED';
}

/** A statement that only reads, so running it again after a lost connection is safe. */
const READ_ONLY = /^\s*(SELECT|SHOW|EXPLAIN|VALUES)\b/i;

/**
 * A PostgreSQL pool (postgres.js). postgres.js has no per-query timeout (docs/design.md invariant 4):
 * when a caller's `signal` aborts, or a call passes the client-side deadline of
 * {@link PgOptions.statementTimeoutMs}, the whole pool is recycled (`end({ timeout: 0 })` destroys
 * its sockets), which is the only way to free a connection stalled on the network; new work gets a
 * fresh pool. Connections are opened with a connect deadline ({@link pgClientOptions}).
 *
 * A call that fails on a lost connection (`CONNECTION_CLOSED`, `ECONNRESET`…: a socket the network
 * broke while idle, seen after an outage heals) is run once more on a fresh connection when that
 * is safe: a read-only statement, or a transaction none of whose statements had been answered
 * (lost at BEGIN or at its first statement: the server rolls it back, and the caller's function
 * has seen no result it could have acted on). Otherwise, and at COMMIT (whether it committed is
 * unknown), the error is the caller's.
 */
export class PgConnection implements Connection {
  #sql: Sql;
  readonly #opts: PgOptions;
  readonly #connectTimeoutMs: number;
  /** Pools recycled after an abort or a deadline (for statistics and tests). */
  recycled = 0;
  /** Calls run again after a lost connection (for statistics and tests). */
  retried = 0;
  /** Queries and transactions in flight (see {@link PgPoolStats}). */
  #inFlight = 0;

  constructor(opts: PgOptions) {
    this.#opts = opts;
    this.#connectTimeoutMs = opts.connectTimeoutMs ?? (opts.connectTimeoutS !== undefined ? opts.connectTimeoutS * 1000 : pgTimeoutsFromEnv().connectTimeoutMs);
    this.#sql = this.#open();
  }

  #open(): Sql {
    const statementTimeout = this.#opts.statementTimeoutMs ?? 0;
    return postgres(this.#opts.url, {
      max: this.#opts.max,
      ...pgClientOptions(this.#connectTimeoutMs),
      idle_timeout: 60,
      onnotice: () => {},
      types: PG_EXACT_JSON_TYPES,
      connection: {
        application_name: this.#opts.applicationName ?? 'repo-database',
        ...(this.#opts.synchronousCommit ? { synchronous_commit: this.#opts.synchronousCommit } : {}),
        ...(statementTimeout > 0 ? { statement_timeout: statementTimeout } : {}),
      },
    }) as unknown as Sql;
  }

  /** The live postgres.js instance (for bulk paths such as COPY). @internal */
  get sql(): Sql {
    return this.#sql;
  }

  /** Client-side deadline of one call in ms, or 0 (none) without a statement timeout. */
  get #deadlineMs(): number {
    const st = this.#opts.statementTimeoutMs ?? 0;
    return st > 0 ? st + this.#connectTimeoutMs + 1_000 : 0;
  }

  #guard<T>(signal: AbortSignal | undefined, work: (sql: Sql) => Promise<T>): Promise<T> {
    const sql = this.#sql;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const deadline = this.#deadlineMs;
    if (!signal && deadline === 0) return work(sql);
    const onAbort = () => this.#recycle(sql);
    signal?.addEventListener('abort', onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const timeout =
      deadline > 0
        ? new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              this.#recycle(sql);
              reject(new DatabaseError('DATABASE_TIMEOUT', `PostgreSQL did not answer within ${deadline} ms (statement + connect timeout): the pool was recycled`, { timeoutMs: deadline }));
            }, deadline);
          })
        : null;
    const run = work(sql);
    const raced = timeout ? Promise.race([run, timeout]) : run;
    if (timeout) run.catch(() => {});
    return raced.finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    });
  }

  #recycle(sql: Sql) {
    if (sql !== this.#sql) return; // already recycled
    this.recycled++;
    this.#sql = this.#open();
    void sql.end({ timeout: 0 }).catch(() => {});
  }

  /** Runs `attempt`; once more if it failed on a lost connection and `retryable()` says it is safe. */
  async #withRetry<T>(signal: AbortSignal | undefined, attempt: () => Promise<T>, retryable: () => boolean): Promise<T> {
    try {
      return await attempt();
    } catch (e) {
      if (!isLostConnection(e) || signal?.aborted || !retryable()) throw e;
      this.retried++;
      return attempt();
    }
  }

  /** Pool size and connections in use now (see {@link PgPoolStats}). */
  poolStats(): PgPoolStats {
    const size = this.#opts.max;
    return { size, inUse: Math.min(this.#inFlight, size), waiting: Math.max(0, this.#inFlight - size) };
  }

  async query(text: string, params: readonly unknown[], opts: { signal?: AbortSignal | undefined } = {}) {
    this.#inFlight++;
    try {
      return await this.#withRetry(
        opts.signal,
        () => this.#guard(opts.signal, async (sql) => (await sql.unsafe(text, params as any[])) as unknown as Record<string, unknown>[]),
        () => READ_ONLY.test(text),
      );
    } finally {
      this.#inFlight--;
    }
  }

  async transaction<T>(fn: (c: Connection) => Promise<T>, opts: { signal?: AbortSignal | undefined } = {}): Promise<T> {
    this.#inFlight++;
    try {
      return await this.#transaction(fn, opts);
    } finally {
      this.#inFlight--;
    }
  }

  #transaction<T>(fn: (c: Connection) => Promise<T>, opts: { signal?: AbortSignal | undefined }): Promise<T> {
    let answered = 0;
    return this.#withRetry(
      opts.signal,
      () => {
        answered = 0;
        return this.#guard(opts.signal, (sql) =>
          sql.begin(async (tx) => {
            const c = new TxConnection(tx);
            try {
              return await fn(c);
            } finally {
              answered = c.answered;
            }
          }) as Promise<T>,
        );
      },
      () => answered === 0,
    );
  }

  /**
   * Ends the pool: queries still running get `timeoutS` seconds (default 5) before their sockets
   * are destroyed; 0 destroys them at once (after a drain gave up on a stalled backend).
   */
  async close(opts: { timeoutS?: number } = {}) {
    await this.#sql.end({ timeout: opts.timeoutS ?? 5 });
  }
}
