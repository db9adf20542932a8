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
}

/** First look at the holders this long after the statement was sent (it must have reached its lock by then). */
const FIRST_LOOK_MS = 250;

/**
 * The sessions blocking backend `pid` (PostgreSQL's `pg_blocking_pids`, 9.6+), read on another
 * connection of `sql`. [] when none, or when that read fails (it only serves the report).
 */
export async function lockHolders(sql: postgres.Sql, pid: number): Promise<LockHolder[]> {
  try {
    const rows = (await sql.unsafe(
      `SELECT pid, coalesce(application_name, '') AS app, coalesce(state, '') AS state,
              coalesce(extract(epoch FROM now() - xact_start), 0)::int AS age
         FROM pg_stat_activity WHERE pid = ANY(pg_blocking_pids($1::int)) ORDER BY pid`,
      [pid],
    )) as unknown as { pid: number; app: string; state: string; age: number }[];
    return rows.map((r) => ({ pid: r.pid, applicationName: r.app, state: r.state, transactionSeconds: r.age }));
  } catch {
    return [];
  }
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
 * (e.g. `SELECT … FOR UPDATE`), and says who it waits for: `report.onHeld` shortly after it was
 * sent if it is still waiting, then every `everyMs` (default 30 s). When `report.signal` fires,
 * the statement is cancelled and this rejects with the signal's reason (the transaction is then
 * aborted: the caller's `sql.begin` rolls it back).
 *
 * @param sql the pool `tx` came from: the holders are read on another of its connections (with a
 *   pool of one, no report is given; the wait itself is unaffected).
 * @throws the signal's reason when it fired; what `query` throws otherwise.
 */
export async function waitReported<T>(sql: postgres.Sql, tx: postgres.TransactionSql, query: (tx: postgres.TransactionSql) => postgres.PendingQuery<postgres.Row[]>, report: WaitReport): Promise<T> {
  report.signal?.throwIfAborted();
  const [{ pid }] = (await tx.unsafe('SELECT pg_backend_pid() AS pid')) as unknown as [{ pid: number }];
  const started = performance.now();
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
  const first = setTimeout(look, FIRST_LOOK_MS);
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
