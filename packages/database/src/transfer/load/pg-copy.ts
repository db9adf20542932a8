import type postgres from 'postgres';
import type { PgSql } from './pg-target.js';

/** Thrown when PostgreSQL failed a COPY after its last byte was sent (postgres.js reports nothing then). */
export class CopyFailedError extends Error {
  override readonly name = 'CopyFailedError';
}

/** How often the backend of a COPY still waiting is looked at, in ms. */
const WATCH_EVERY_MS = 250;

/**
 * Streams `payload` (COPY text format: a string, or UTF-8 bytes in one or more buffers, sent in
 * order) into `statement` (`COPY … FROM STDIN`) inside `tx`, and resolves when PostgreSQL has
 * stored it. The buffers are only read, and not after this settles.
 *
 * The trap (docs/design.md "Known traps"): postgres.js 3.4 resolves `.writable()` with the stream and,
 * when the server rejects the COPY after the stream ended (the usual case: the server is still
 * reading when the last byte leaves), neither `finish` nor `error` ever fires — the caller would
 * wait forever on a connection idle in an aborted transaction. So while waiting, the COPY's
 * backend (`pid`) is watched through `monitor` (a connection outside the pool): once it is
 * `idle in transaction (aborted)`, this rejects with {@link CopyFailedError} and the caller's
 * transaction rolls back (postgres.js sends ROLLBACK), leaving the connection clean.
 *
 * @param watch.pid `pg_backend_pid()` of `tx`'s connection.
 * @param watch.monitor a separate postgres.js instance (max 1) for the watch queries.
 * @throws CopyFailedError, or the stream's error when the server fails the COPY while data is still being sent.
 */
export async function copyIn(tx: postgres.TransactionSql, statement: string, payload: string | Buffer | readonly Buffer[], watch: { pid: number; monitor: PgSql }): Promise<void> {
  const stream = await tx.unsafe(statement).writable();
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (e?: unknown) => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      if (e) reject(e instanceof Error ? e : new Error(String(e)));
      else resolve();
    };
    const timer = setInterval(() => {
      watch.monitor`SELECT state FROM pg_stat_activity WHERE pid = ${watch.pid}`.then(
        (rows) => {
          if (rows[0]?.state === 'idle in transaction (aborted)') {
            settle(new CopyFailedError(`COPY into PostgreSQL failed after the last byte was sent (backend ${watch.pid}); the batch was rolled back`));
          }
        },
        () => {}, // the watch is best effort; the COPY itself decides
      );
    }, WATCH_EVERY_MS);
    stream.on('error', (e: unknown) => settle(e ?? new Error('COPY stream failed')));
    if (typeof payload === 'string') stream.end(payload, () => settle());
    else {
      // The chunks are queued by the stream as they are (no copy until each is sent).
      const chunks = Buffer.isBuffer(payload) ? [payload] : payload;
      for (let i = 0; i < chunks.length - 1; i++) stream.write(chunks[i]);
      stream.end(chunks[chunks.length - 1] ?? Buffer.alloc(0), () => settle());
    }
  });
}
