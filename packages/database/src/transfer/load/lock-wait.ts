import type postgres from 'postgres';

/** A session another one waits for, as `pg_stat_activity` shows it. */
export interface LockHolder {
  readonly pid: number;
  readonly applicationName: string;
  /** `active`, `idle in transaction`, … (`pg_stat_activity.state`). */
  readonly state: string;
  /** How long its transaction has been open, in seconds. */
  readonly transactionSeconds: number;
}

/** How {@link waitReported} reports. */
export interface WaitReport {
  /** Called once the wait has begun, then every `everyMs` while it lasts; `waitedMs` = time waited so far. */
  readonly onHeld: (holders: readonly LockHolder[], waitedMs: number) => void;
  /** Default 30,000 ms. */
  readonly everyMs?: number | undefined;
  /** Cancels the wait (the statement is cancelled, PostgreSQL 57014): the call rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Who holds the lock, read in the waiting transaction itself just before the statement is sent
   * (e.g. {@link rowLockers}): the first report needs no second connection. Without it, or when
   * it finds no one, the first report comes from `pg_blocking_pids` shortly after the statement.
   */
  readonly holdersBefore?: ((tx: postgres.TransactionSql) => Promise<LockHolder[]>) | undefined;
}

/** First look at the holders this long after the statement was sent (it must have reached its lock by then). */
const FIRST_LOOK_MS = 250;

/**
 * The sessions blocking backend `pid` (PostgreSQL's `pg_blocking_pids`, 9.6+), read on another
 * connection of `sql`. [] when none, or when that read fails (it only serves the report).
 */
export async function lockHolders(sql: postgres.Sql, pid: number): Promise<LockHolder[]> {
  try {
    const rows = (await sql.unsafe(`SELECT ${HOLDER_COLUMNS} FROM pg_stat_activity a WHERE a.pid = ANY(pg_blocking_pids($1::int)) ORDER BY a.pid`, [pid])) as unknown as HolderRow[];
    return rows.map(holder);
  } catch {
    return [];
  }
}

const HOLDER_COLUMNS = `a.pid, coalesce(a.application_name, '') AS app, coalesce(a.state, '') AS state,
       coalesce(extract(epoch FROM now() - a.xact_start), 0)::int AS age`;

type HolderRow = { pid: number; app: string; state: string; age: number };
const holder = (r: HolderRow): LockHolder => ({ pid: r.pid, applicationName: r.app, state: r.state, transactionSeconds: r.age });

/**
 * The sessions holding a row lock on the rows of `table` that `where` selects (placeholders
 * `$1…` = `params`), read in `tx`: the row's `xmax` is the locking transaction's id while it holds
 * the lock, and that transaction holds an exclusive lock on its own id (`pg_locks`, PostgreSQL
 * docs "Row-Level Locks"). [] when the row is not locked, or locked by several sessions at once
 * (`xmax` is then a MultiXact id).
 */
export async function rowLockers(tx: postgres.TransactionSql, table: string, where: string, params: readonly string[]): Promise<LockHolder[]> {
  const rows = (await tx.unsafe(
    `SELECT ${HOLDER_COLUMNS} FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'transactionid' AND l.granted AND l.pid <> pg_backend_pid()
        AND l.transactionid IN (SELECT t.xmax FROM ${table} t WHERE ${where}) ORDER BY a.pid`,
    params as string[],
  )) as unknown as HolderRow[];
  return rows.map(holder);
}

/**
 * `pid 4242 (application "repo-database:copy", idle in transaction, transaction open 95 s)`. The
 * application name is another session's own text: quoted as JSON, so control characters cannot
 * reach the operator's terminal.
 */
export function describeHolders(holders: readonly LockHolder[]): string {
  if (holders.length === 0) return 'a session that no longer shows in pg_stat_activity';
  return holders
    .map((h) => `pid ${h.pid} (application ${JSON.stringify(h.applicationName)}, ${h.state || 'state unknown'}, transaction open ${h.transactionSeconds} s)`)
    .join(', ');
}

/**
 * Runs `query`, a statement of transaction `tx` that may wait for a lock another session holds
 * (e.g. `SELECT … FOR UPDATE`), and says who it waits for: `report.onHeld` before it is sent
 * when `holdersBefore` finds the holder, else shortly after it was sent if it is still waiting,
 * then every `everyMs` (default 30 s) while it waits. When `report.signal` fires,
 * the statement is cancelled and this rejects with the signal's reason (the transaction is then
 * aborted: the caller's `sql.begin` rolls it back).
 *
 * @param sql the pool `tx` came from: later reports read the holders on another of its connections
 *   (with a pool of one, only the `holdersBefore` report is given; the wait itself is unaffected).
 * @throws the signal's reason when it fired; what `query` throws otherwise.
 */
export async function waitReported<T>(sql: postgres.Sql, tx: postgres.TransactionSql, query: (tx: postgres.TransactionSql) => postgres.PendingQuery<postgres.Row[]>, report: WaitReport): Promise<T> {
  report.signal?.throwIfAborted();
  const [{ pid }] = (await tx.unsafe('SELECT pg_backend_pid() AS pid')) as unknown as [{ pid: number }];
  const started = performance.now();
  const before = report.holdersBefore ? await report.holdersBefore(tx) : [];
  if (before.length > 0) report.onHeld(before, 0);
  // Fired while the holders were read: stop before the wait (from here to the await nothing yields).
  report.signal?.throwIfAborted();
  const pending = query(tx);
  let done = false;
  let looking = false;
  const look = () => {
    if (done || looking) return;
    looking = true;
    void lockHolders(sql, pid).then((holders) => {
      looking = false;
      // Still waiting only if our backend is blocked: otherwise the statement is about to return.
      if (!done && holders.length > 0) report.onHeld(holders, performance.now() - started);
    });
  };
  const first = before.length > 0 ? undefined : setTimeout(look, FIRST_LOOK_MS);
  const every = setInterval(look, report.everyMs ?? 30_000);
  const onAbort = () => void pending.cancel();
  report.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return (await pending) as unknown as T;
  } catch (e) {
    if (report.signal?.aborted) throw report.signal.reason;
    throw e;
  } finally {
    done = true;
    clearTimeout(first);
    clearInterval(every);
    report.signal?.removeEventListener('abort', onAbort);
  }
}
