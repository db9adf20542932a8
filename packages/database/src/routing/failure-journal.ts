import type { Logger } from '../logger.js';
import { PgConnection } from '../stores/pg/pg-connection.js';
import type { Connection } from '../stores/connection.js';
import { openSqlite } from '../stores/sqlite/sqlite-connection.js';
import type { RowChange } from '../stores/store.js';

/**
 * The durable failure journal: every row change that did not reach the shadow (a shadow write
 * that failed, was dropped because the queue was full, was left when the drain deadline passed at
 * shutdown, or was lost with a shadow worker that died) is recorded by table, id and version.
 *
 * Where: table {@link JOURNAL_TABLE} in the **primary** of the phase that wrote it (LibSQL in phases
 * 4 and 5, PostgreSQL in 6): the primary is up whenever a write happened (a write that the primary
 * refused has nothing to shadow), it survives restarts and redeploys, and every replica of the bot
 * shares it. The table is created on first use (`CREATE TABLE IF NOT EXISTS`, both dialects), so
 * it is not part of the migrated schema and verify, copy and adopt never see it.
 *
 * One row per (table, id), holding the highest version that failed: `pnpm db reconcile --journal`
 * copies exactly those rows from the side holding the journal (the primary then) to the other,
 * without a full verify, and removes each entry whose version it repaired (an entry that failed
 * again meanwhile with a newer version stays). `pnpm db status` shows the journal's size.
 */
export const JOURNAL_TABLE = 'shadow_failure_journal';

/** One row change that did not reach the shadow. */
export interface JournalEntry {
  readonly table: string;
  readonly id: string;
  /** The row's version in the failed change (for a delete: the tombstone's version). */
  readonly version: number;
  readonly op: 'upsert' | 'delete';
  /** Why: `SHADOW_WRITE_FAILED`, `SHADOW_TIMEOUT`, `SHADOW_QUEUE_FULL`, `SHADOW_ABANDONED`. */
  readonly code: string;
}

/** A journal entry for `change` with the reason `code`. */
export function journalEntryOf(change: RowChange, code: string): JournalEntry {
  return change.op === 'upsert'
    ? { table: change.table, id: String(change.row.id), version: Number(change.row.version ?? 0), op: 'upsert', code }
    : { table: change.table, id: String(change.id), version: Number(change.version ?? 0), op: 'delete', code };
}

/** SQL with `?` placeholders, run on one backend. */
export interface JournalSql {
  readonly backend: 'sqlite' | 'postgres';
  query(sql: string, params: readonly unknown[]): Promise<Record<string, unknown>[]>;
}

/** A {@link JournalSql} over a raw {@link Connection} (`?` rewritten to `$n` on PostgreSQL). */
export function journalSqlOf(backend: 'sqlite' | 'postgres', conn: Pick<Connection, 'query'>): JournalSql {
  return {
    backend,
    query: (sql, params) => {
      let n = 0;
      return conn.query(backend === 'postgres' ? sql.replace(/\?/g, () => `$${++n}`) : sql, params);
    },
  };
}

const CREATE_SQL =
  `CREATE TABLE IF NOT EXISTS ${JOURNAL_TABLE} (` +
  'table_name TEXT NOT NULL, row_id TEXT NOT NULL, version BIGINT NOT NULL, op TEXT NOT NULL, code TEXT NOT NULL, ' +
  'failed_at BIGINT NOT NULL, failures INTEGER NOT NULL DEFAULT 1, PRIMARY KEY (table_name, row_id))';

/** Creates the journal table when missing. */
export async function ensureJournalTable(db: JournalSql): Promise<void> {
  await db.query(CREATE_SQL, []);
}

/** True when the journal table exists on `db`. */
export async function journalExists(db: JournalSql): Promise<boolean> {
  const rows =
    db.backend === 'sqlite'
      ? await db.query(`SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = ?`, [JOURNAL_TABLE])
      : await db.query(`SELECT 1 AS x FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?`, [JOURNAL_TABLE]);
  return rows.length > 0;
}

/** Rows of the journal on `db`: 0 when the table does not exist. */
export async function journalSize(db: JournalSql): Promise<number> {
  if (!(await journalExists(db))) return 0;
  return Number((await db.query(`SELECT count(*) AS n FROM ${JOURNAL_TABLE}`, []))[0]?.n ?? 0);
}

/**
 * Appends `entries` in one statement per 200: an entry already there keeps the higher version
 * and counts one more failure.
 */
export async function appendToJournal(db: JournalSql, entries: readonly JournalEntry[], now = Date.now()): Promise<void> {
  if (entries.length === 0) return;
  // One row per (table, id) per statement: PostgreSQL refuses to update a row twice in one INSERT.
  const latest = new Map<string, JournalEntry>();
  for (const e of entries) {
    const k = `${e.table}\u0000${e.id}`;
    const had = latest.get(k);
    if (!had || e.version >= had.version) latest.set(k, e);
  }
  const all = [...latest.values()];
  for (let i = 0; i < all.length; i += 200) {
    const part = all.slice(i, i + 200);
    const params: unknown[] = [];
    for (const e of part) params.push(e.table, e.id, e.version, e.op, e.code, now);
    await db.query(
      `INSERT INTO ${JOURNAL_TABLE} (table_name, row_id, version, op, code, failed_at) VALUES ${part.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')} ` +
        `ON CONFLICT (table_name, row_id) DO UPDATE SET ` +
        `version = CASE WHEN excluded.version > ${JOURNAL_TABLE}.version THEN excluded.version ELSE ${JOURNAL_TABLE}.version END, ` +
        `op = CASE WHEN excluded.version >= ${JOURNAL_TABLE}.version THEN excluded.op ELSE ${JOURNAL_TABLE}.op END, ` +
        `code = excluded.code, failed_at = excluded.failed_at, failures = ${JOURNAL_TABLE}.failures + 1`,
      params,
    );
  }
}

/** Every entry of the journal on `db` (empty when the table does not exist), oldest first. */
export async function readJournal(db: JournalSql): Promise<JournalEntry[]> {
  if (!(await journalExists(db))) return [];
  const rows = await db.query(`SELECT table_name, row_id, version, op, code FROM ${JOURNAL_TABLE} ORDER BY failed_at, table_name, row_id`, []);
  return rows.map((r) => ({ table: String(r.table_name), id: String(r.row_id), version: Number(r.version), op: r.op === 'delete' ? 'delete' : 'upsert', code: String(r.code) }));
}

/**
 * Removes the entries of `repaired` whose journal version is not newer than the one repaired (a
 * change that failed again meanwhile, with a newer version, stays in the journal).
 */
export async function removeFromJournal(db: JournalSql, repaired: readonly JournalEntry[]): Promise<void> {
  for (const e of repaired) {
    await db.query(`DELETE FROM ${JOURNAL_TABLE} WHERE table_name = ? AND row_id = ? AND version <= ?`, [e.table, e.id, e.version]);
  }
}

/** Where the journal lives: the primary of the running phase. */
export interface JournalTarget {
  readonly backend: 'sqlite' | 'postgres';
  readonly url: string;
  readonly authToken?: string | undefined;
}

/**
 * Appends to the journal from the running app, off the caller's path: `append` never throws and
 * never waits; entries are written in the background (one statement per ≤ 200 entries) on a
 * connection of their own to the primary, opened on the first failure. An entry that cannot be
 * written is logged (`shadow_journal_failed`, with every id) — the failure itself was already
 * logged by id where it happened.
 */
export class FailureJournal {
  readonly #target: JournalTarget;
  readonly #log: Pick<Logger, 'warn' | 'error'>;
  #db: Promise<{ sql: JournalSql; close: () => Promise<void> }> | null = null;
  #pending: JournalEntry[] = [];
  #writing: Promise<void> | null = null;
  /** Entries written (for statistics and tests). */
  written = 0;
  /** Entries that could not be written. */
  lost = 0;

  constructor(target: JournalTarget, log: Pick<Logger, 'warn' | 'error'>) {
    this.#target = target;
    this.#log = log;
  }

  #open() {
    this.#db ??= (async () => {
      if (this.#target.backend === 'sqlite') {
        const conn = await openSqlite({ url: this.#target.url, authToken: this.#target.authToken });
        const sql = journalSqlOf('sqlite', conn);
        await ensureJournalTable(sql);
        return { sql, close: () => conn.close() };
      }
      const conn = new PgConnection({ url: this.#target.url, max: 1, applicationName: 'repo-database-journal', statementTimeoutMs: 10_000 });
      const sql = journalSqlOf('postgres', conn);
      await ensureJournalTable(sql);
      return { sql, close: () => conn.close({ timeoutS: 0 }) };
    })();
    this.#db.catch(() => {
      this.#db = null; // try again on the next failure
    });
    return this.#db;
  }

  /** Queues `entries` for the journal. Never throws, never waits. */
  append(entries: readonly JournalEntry[]): void {
    if (entries.length === 0) return;
    for (const e of entries) this.#pending.push(e);
    this.#writing ??= this.#drainPending();
  }

  async #drainPending(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending;
        this.#pending = [];
        try {
          const db = await this.#open();
          await appendToJournal(db.sql, batch);
          this.written += batch.length;
        } catch (e) {
          this.lost += batch.length;
          this.#log.error(
            { event: 'shadow_journal_failed', backend: this.#target.backend, rows: batch.length, entries: batch.map((x) => `${x.table}:${x.id}@${x.version}`), error: (e as Error)?.message ?? String(e) },
            `${batch.length} shadow failures could not be written to the failure journal (their ids are in this line)`,
          );
        }
      }
    } finally {
      this.#writing = null;
    }
  }

  /** Entries waiting or being written. */
  get pending(): number {
    return this.#pending.length;
  }

  /** Waits until every entry appended so far is written (or failed), at most `timeoutMs`. True when done. */
  async flush(timeoutMs: number): Promise<boolean> {
    const done = (async () => {
      while (this.#writing) await this.#writing;
      return true;
    })();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
    try {
      return await Promise.race([done, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Flushes (at most `timeoutMs`), then closes the journal's connection. */
  async close(timeoutMs = 2_000): Promise<boolean> {
    const ok = await this.flush(timeoutMs);
    if (!ok && this.#pending.length > 0) {
      const left = this.#pending;
      this.#pending = [];
      this.lost += left.length;
      this.#log.error(
        { event: 'shadow_journal_failed', backend: this.#target.backend, rows: left.length, entries: left.map((x) => `${x.table}:${x.id}@${x.version}`), error: `not written within ${timeoutMs} ms` },
        `${left.length} shadow failures could not be written to the failure journal (their ids are in this line)`,
      );
    }
    const db = await this.#db?.catch(() => null);
    await db?.close().catch(() => {});
    this.#db = null;
    return ok;
  }
}
