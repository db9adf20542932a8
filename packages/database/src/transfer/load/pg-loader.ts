import type postgres from 'postgres';
import { TOMBSTONES_TABLE, tables, type TableName } from '../../schema/tables.js';
import { pgDialect } from '../../stores/pg/pg-dialect.js';
import type { Row } from '../../stores/store.js';
import { q } from '../../stores/table-sql.js';
import type { Reject, RejectStage } from '../convert/convert.js';
import type { PgBatch } from './pg-batch.js';
import { copyIn, CopyFailedError } from './pg-copy.js';
import type { Target } from './pg-target.js';
import { sampleValue } from '../source/sqlite-value.js';

export { PgBatch } from './pg-batch.js';

/** What one batch did. `written + unchanged + rejected.length` = rows in the batch. */
export interface LoadResult {
  /** Rows inserted or updated. */
  written: number;
  /** Rows the version guard kept out: PostgreSQL already had this version or newer, or a tombstone. */
  unchanged: number;
  rejected: Array<{ row: Row; reject: Reject }>;
  /** True when the batch went in by a plain COPY into the table (see {@link PgLoader}), false for the guarded path. */
  direct: boolean;
}

/**
 * SQLSTATE classes that blame rows, not the connection: cardinality (the same id twice in one
 * statement), data exceptions, constraint violations, program limits (tsvector too long, index
 * row too big).
 */
const ROW_ERROR = /^(21|22|23|54)/;
const RETRYABLE = new Set(['40001', '40P01']); // serialization failure, deadlock

const sqlState = (e: unknown): string | null => {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' && /^[0-9A-Z]{5}$/.test(c) ? c : null;
};
const isRowError = (e: unknown) => ROW_ERROR.test(sqlState(e) ?? '');

/**
 * The savepoint of one bisection attempt (see `PgLoader#range`). Releasing it releases every
 * savepoint established after it, postgres.js's unnamed one included (PostgreSQL `RELEASE SAVEPOINT`).
 */
const BISECT_SAVEPOINT = 'repo_bisect';

/** Thrown inside a direct attempt to roll it back (a tombstone matches a row of the batch). */
const NOT_DIRECT = Symbol('not direct');

/**
 * The bulk path into PostgreSQL. Each batch is one transaction on one pooled connection, by one
 * of two paths:
 *
 * 1. **Direct** (the fast path of a backfill): a plain `COPY t (…) FROM STDIN` into the table,
 *    taken only when it cannot overwrite or resurrect anything. In one transaction: the table has
 *    no row with an id in the batch's id range (checked first, one index probe), the COPY, then
 *    no tombstone of the table matches an id of the batch (checked after the COPY, so the window
 *    against a concurrent delete is the one of the guarded statement). A row that appeared
 *    meanwhile (a live shadow write) fails the COPY on the primary key (23505), as does any row
 *    PostgreSQL refuses; then the attempt is rolled back and the batch takes path 2. The range
 *    probe compares in the database's collation: if it misses a row, the COPY fails on it and the
 *    batch falls back, so it only saves a wasted COPY on re-runs. Plain COPY cost PostgreSQL about
 *    10% less CPU than path 2 (100k messages, same window: no staging, casts, ON CONFLICT, tombstone join).
 * 2. **Guarded**: COPY the batch (every column as text) into a per-session temp table
 *    (`ON COMMIT DELETE ROWS`), then ONE version-guarded statement
 *    `INSERT INTO t SELECT <casts> FROM stage WHERE NOT EXISTS (tombstone as new or newer)
 *    ON CONFLICT (id) DO UPDATE … WHERE t.version < excluded.version` (docs/design.md invariant 3).
 *    A batch whose INSERT fails for a row-level reason (SQLSTATE 21xxx, 22xxx, 23xxx, 54xxx) is
 *    staged again and inserted by halves under savepoints until the failing rows stand alone; each
 *    becomes a reject `postgres <SQLSTATE>: <message> (<detail>)`.
 *
 * COPY has no bind parameters, so postgres.js's 65,534-parameter limit never applies, whatever
 * the column count (user_profiles: ~135). Any other error (connection lost, permissions, schema)
 * is thrown: each batch is one transaction, so re-running is safe. A failed COPY is detected
 * even when postgres.js says nothing (see pg-copy.ts).
 */
export class PgLoader {
  readonly #target: Pick<Target, 'sql' | 'monitor'>;
  readonly #table: TableName;
  readonly #stage: RejectStage;
  readonly #direct: boolean;
  readonly #probe: string;
  readonly #directCopy: string;
  readonly #anyTombstone: string;
  readonly #tombstoneHit: string;
  readonly #prepare: string;
  readonly #copy: string;
  readonly #insert: string;
  readonly #insertRange: string;

  /**
   * @param opts.direct try the direct path first (default true); false: always the guarded path.
   */
  constructor(target: Pick<Target, 'sql' | 'monitor'>, table: TableName, stage: RejectStage, opts: { direct?: boolean } = {}) {
    this.#target = target;
    this.#table = table;
    this.#stage = stage;
    this.#direct = opts.direct ?? true;
    const cols = tables[table].columns;
    const names = cols.map((c) => q(c.name)).join(', ');
    const staging = q(`_stage_${table}`);
    const updates = cols.filter((c) => c.name !== 'id').map((c) => `${q(c.name)} = excluded.${q(c.name)}`).join(', ');
    this.#probe = `SELECT pg_backend_pid() AS pid, EXISTS (SELECT 1 FROM ${q(table)} WHERE "id" >= $1::text AND "id" <= $2::text) AS present`;
    this.#directCopy = `COPY ${q(table)} (${names}) FROM STDIN`;
    this.#anyTombstone = `SELECT EXISTS (SELECT 1 FROM ${q(TOMBSTONES_TABLE)} WHERE table_name = $1::text) AS hit`;
    this.#tombstoneHit = `SELECT EXISTS (SELECT 1 FROM ${q(TOMBSTONES_TABLE)} WHERE table_name = $1::text AND id = ANY ($2::text[])) AS hit`;
    this.#prepare =
      `CREATE TEMP TABLE IF NOT EXISTS ${staging} ("__n" bigint GENERATED ALWAYS AS IDENTITY, ${cols.map((c) => `${q(c.name)} text`).join(', ')}) ON COMMIT DELETE ROWS; ` +
      'SELECT pg_backend_pid() AS pid';
    this.#copy = `COPY ${staging} (${names}) FROM STDIN`;
    const insert = (where: string) =>
      `INSERT INTO ${q(table)} (${names}) ` +
      `SELECT ${cols.map((c) => `s.${q(c.name)}${pgDialect.cast(c)}`).join(', ')} FROM ${staging} s ` +
      `WHERE ${where}NOT EXISTS (SELECT 1 FROM ${q(TOMBSTONES_TABLE)} tb WHERE tb.table_name = $1 AND tb.id = s."id" AND tb.version >= s."version"::integer) ` +
      `ON CONFLICT ("id") DO UPDATE SET ${updates} WHERE ${q(table)}."version" < excluded."version"`;
    this.#insert = insert('');
    this.#insertRange = insert('s."__n" >= $2 AND s."__n" < $3 AND ');
  }

  /** Loads one batch; see the class comment for the two paths, what is rejected and what is thrown. */
  async load(batch: PgBatch): Promise<LoadResult> {
    if (this.#direct) {
      const r = await this.#tryDirect(batch);
      if (r) return r;
    }
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#transaction(batch, false);
      } catch (e) {
        if (isRowError(e)) return this.#transaction(batch, true);
        if (!RETRYABLE.has(sqlState(e) ?? '') || attempt >= 4) throw e;
        await new Promise((res) => setTimeout(res, 50 * attempt));
      }
    }
  }

  /** The direct path; null when the batch must take the guarded path (nothing of it was written). */
  async #tryDirect(batch: PgBatch): Promise<LoadResult | null> {
    try {
      return await this.#target.sql.begin(async (tx) => {
        const [probe] = (await tx.unsafe(this.#probe, [batch.minId, batch.maxId])) as unknown as [{ pid: number; present: boolean }];
        if (probe.present) return null;
        await copyIn(tx, this.#directCopy, batch.payload(), { pid: probe.pid, monitor: this.#target.monitor });
        const [any] = (await tx.unsafe(this.#anyTombstone, [this.#table])) as unknown as [{ hit: boolean }];
        if (any.hit) {
          const [hit] = (await tx.unsafe(this.#tombstoneHit, [this.#table, batch.ids])) as unknown as [{ hit: boolean }];
          if (hit.hit) throw NOT_DIRECT;
        }
        return { written: batch.size, unchanged: 0, rejected: [], direct: true };
      });
    } catch (e) {
      if (e === NOT_DIRECT || e instanceof CopyFailedError || isRowError(e) || RETRYABLE.has(sqlState(e) ?? '')) return null;
      throw e;
    }
  }

  async #transaction(batch: PgBatch, bisect: boolean): Promise<LoadResult> {
    const out: LoadResult = { written: 0, unchanged: 0, rejected: [], direct: false };
    await this.#target.sql.begin(async (tx) => {
      const prepared = (await tx.unsafe(this.#prepare)) as unknown as { pid: number }[][];
      await copyIn(tx, this.#copy, batch.payload(), { pid: prepared[1]![0]!.pid, monitor: this.#target.monitor });
      if (!bisect) {
        const written = (await tx.unsafe(this.#insert, [this.#table])).count;
        out.written = written;
        out.unchanged = batch.size - written;
      } else {
        const [first] = (await tx.unsafe(`SELECT min("__n")::bigint AS base FROM ${q(`_stage_${this.#table}`)}`)) as unknown as [{ base: string }];
        await this.#range(tx, batch, Number(first.base), 0, batch.size, out);
      }
    });
    return out;
  }

  /**
   * Inserts staged rows `[lo, hi)` under a savepoint, or, when PostgreSQL refuses one of them, each
   * half in turn, down to the single rows that fail. Every attempt's savepoint is released before
   * the next: postgres.js's `savepoint()` never releases its own (neither after the work nor after
   * `ROLLBACK TO`), so without {@link BISECT_SAVEPOINT} every attempt would nest in the previous
   * one, and a batch of thousands of refused rows would end in `out of shared memory` (53200):
   * a write at nesting depth d assigns transaction ids to all d levels, each held as a lock until
   * commit, from PostgreSQL's lock table of `max_locks_per_transaction` × connections.
   */
  async #range(tx: postgres.TransactionSql, batch: PgBatch, base: number, lo: number, hi: number, out: LoadResult): Promise<void> {
    await tx.unsafe(`SAVEPOINT ${BISECT_SAVEPOINT}`);
    try {
      const written = await tx.savepoint(async (sp) => (await sp.unsafe(this.#insertRange, [this.#table, base + lo, base + hi])).count);
      out.written += written;
      out.unchanged += hi - lo - written;
    } catch (e) {
      if (!isRowError(e)) throw e;
      // Also releases postgres.js's savepoint of the attempt, established after this one.
      await tx.unsafe(`RELEASE SAVEPOINT ${BISECT_SAVEPOINT}`);
      if (hi - lo === 1) {
        const row = batch.row(lo);
        out.rejected.push({ row, reject: this.#reject(row, sqlState(e)!, e) });
        return;
      }
      const mid = lo + ((hi - lo) >> 1);
      await this.#range(tx, batch, base, lo, mid, out);
      await this.#range(tx, batch, base, mid, hi, out);
      return;
    }
    await tx.unsafe(`RELEASE SAVEPOINT ${BISECT_SAVEPOINT}`);
  }

  #reject(row: Row, state: string, e: unknown): Reject {
    const err = e as { message?: string; detail?: string; column_name?: string };
    const column = err.column_name ?? null;
    const detail = err.detail ? ` (${err.detail.length > 200 ? `${err.detail.slice(0, 200)}…` : err.detail})` : '';
    return {
      table: this.#table,
      id: typeof row.id === 'string' ? row.id : null,
      column,
      reason: `postgres ${state}: ${err.message ?? String(e)}${detail}`,
      value: column && column in row ? sampleValue(row[column]) : null,
      stage: this.#stage,
    };
  }
}
