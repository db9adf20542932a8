import type postgres from 'postgres';
import { q } from '../../stores/table-sql.js';
import { rowLockers, waitReported, type LockHolder } from './lock-wait.js';

/**
 * Bookkeeping table (in the target, created on first use) of the secondary indexes a bulk load
 * dropped and has not rebuilt yet: one row per index, `definition` = `pg_get_indexdef` (a complete
 * `CREATE INDEX` statement). A row is inserted in the transaction that drops the index and deleted
 * in the transaction that creates it again, so a killed load (kill -9, lost connection) leaves
 * exactly the indexes still missing recorded here; {@link rebuildDeferredIndexes} restores them.
 */
export const DEFERRED_INDEXES_TABLE = 'transfer_deferred_indexes';

/** `auto`: bulk for a table that is empty when its load starts, else online. See docs/transfer-cli.md. */
export type LoadMode = 'auto' | 'bulk' | 'online';
export const LOAD_MODES: readonly LoadMode[] = ['auto', 'bulk', 'online'];

/** One index recorded as deferred. */
export interface DeferredIndex {
  readonly indexName: string;
  readonly tableName: string;
  /** The `CREATE INDEX …` statement (`pg_get_indexdef`). */
  readonly definition: string;
  /** When it was dropped (ISO 8601). */
  readonly deferredAt: string;
}

/** How one table of a load ran: `bulk` = its secondary indexes were dropped for the load and rebuilt after it. */
export interface TableLoadMode {
  readonly mode: 'bulk' | 'online';
  /** Names of the indexes deferred (empty for online). */
  readonly deferred: readonly string[];
  /** Why this mode (e.g. `empty target table`, `target has rows`, `--load-mode online`). */
  readonly reason: string;
}

/**
 * Session memory (`maintenance_work_mem`) for one btree build: PostgreSQL sorts the entries in
 * memory up to this size, past it an external merge sort on disk. 1.28M messages sort in well
 * under 512 MB per index; two builds run at once, so at most 1 GB. PostgreSQL's default is 64 MB.
 */
export const BTREE_BUILD_MEMORY = '512MB';

/**
 * Session memory for one GIN build. A GIN build gathers (key, row pointers) in memory up to this
 * size, then writes them into the index and starts over (PostgreSQL `ginbuild`). The pointers of
 * every key grow as arrays that each row appends to, all over that memory: past the processor's
 * cache, each append is a cache miss. Measured on the bench's 1M messages (AMD EPYC, 32 MiB L3),
 * messages_search_idx built in 12.0 s at 16 MB against 14.2 s at 512 MB (medians of ~30 builds;
 * faster in 21 of 23 interleaved rounds), and slower again at 4 MB (docs/benchmarks.md, "Issue 15,
 * seventh stop").
 */
export const GIN_BUILD_MEMORY = '16MB';

/** The `maintenance_work_mem` for a recorded `CREATE INDEX` statement (see {@link BTREE_BUILD_MEMORY}, {@link GIN_BUILD_MEMORY}). */
export const buildMemory = (definition: string): string => (isGin(definition) ? GIN_BUILD_MEMORY : BTREE_BUILD_MEMORY);

const isGin = (definition: string) => / USING gin /i.test(definition);

/** Index builds at once (one connection each): the machine has 2 cores. */
export const INDEX_BUILDS_AT_ONCE = 2;

type Sql = postgres.Sql;

const CREATE_BOOKKEEPING =
  `CREATE TABLE IF NOT EXISTS ${q(DEFERRED_INDEXES_TABLE)} (` +
  'index_name text PRIMARY KEY, table_name text NOT NULL, definition text NOT NULL, deferred_at timestamptz NOT NULL DEFAULT now())';

/**
 * Creates {@link DEFERRED_INDEXES_TABLE} when missing. Under a transaction-level advisory lock:
 * two concurrent `CREATE TABLE IF NOT EXISTS` can both miss the table and one then fails on
 * `pg_type_typname_nsp_index` (23505; PostgreSQL checks existence without a lock).
 */
export async function ensureDeferredBookkeeping(sql: Sql): Promise<void> {
  if (await hasBookkeeping(sql)) return;
  await sql.begin(async (tx) => {
    await tx.unsafe(`SELECT pg_advisory_xact_lock(hashtext('repo-database:${DEFERRED_INDEXES_TABLE}'))`);
    await tx.unsafe(CREATE_BOOKKEEPING);
  });
}

/** True when the bookkeeping table exists (nothing was ever deferred in this database when false). */
async function hasBookkeeping(sql: Sql | postgres.TransactionSql): Promise<boolean> {
  const [r] = (await sql.unsafe('SELECT to_regclass($1) IS NOT NULL AS ok', [`${DEFERRED_INDEXES_TABLE}`])) as unknown as [{ ok: boolean }];
  return r.ok;
}

/** The indexes recorded as deferred (all tables, or one), oldest first; [] when none or no bookkeeping table. */
export async function listDeferredIndexes(sql: Sql, table?: string): Promise<DeferredIndex[]> {
  if (!(await hasBookkeeping(sql))) return [];
  const rows = (await sql.unsafe(
    `SELECT index_name, table_name, definition, deferred_at::text AS deferred_at FROM ${q(DEFERRED_INDEXES_TABLE)} WHERE $1::text IS NULL OR table_name = $1::text ORDER BY deferred_at, index_name`,
    [table ?? null],
  )) as unknown as { index_name: string; table_name: string; definition: string; deferred_at: string }[];
  return rows.map((r) => ({ indexName: r.index_name, tableName: r.table_name, definition: r.definition, deferredAt: r.deferred_at }));
}

/**
 * Chooses the load mode of one table and, for bulk, defers its secondary indexes, all in ONE
 * transaction holding the table's ACCESS EXCLUSIVE lock (which DROP INDEX takes anyway), so the
 * emptiness check and the drop see the same table: a shadow write either committed before (table
 * not empty: auto → online) or waits and lands after the drop (kept by the primary key).
 *
 * Deferred: indexes of the table that back no constraint and are not unique (never the primary
 * key, a UNIQUE index or constraint: ON CONFLICT (id), the version guard and foreign keys need
 * them). Each is recorded in {@link DEFERRED_INDEXES_TABLE} with its `pg_get_indexdef` before the
 * DROP, in the same transaction.
 *
 * @param mode `online`: nothing deferred; `bulk`: deferred even when the table has rows; `auto`:
 *   deferred only when the table is empty.
 * @throws what postgres.js throws (nothing changed then: one transaction).
 */
export async function chooseLoadMode(sql: Sql, table: string, mode: LoadMode): Promise<TableLoadMode> {
  if (mode === 'online') return { mode: 'online', deferred: [], reason: '--load-mode online' };
  await ensureDeferredBookkeeping(sql);
  return sql.begin(async (tx) => {
    await tx.unsafe(`LOCK TABLE ${q(table)} IN ACCESS EXCLUSIVE MODE`);
    const [e] = (await tx.unsafe(`SELECT NOT EXISTS (SELECT 1 FROM ${q(table)}) AS empty`)) as unknown as [{ empty: boolean }];
    if (mode === 'auto' && !e.empty) return { mode: 'online' as const, deferred: [], reason: 'target table has rows' };
    const idx = (await tx.unsafe(
      `SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS definition
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
       WHERE x.indrelid = $1::regclass AND NOT x.indisunique AND NOT x.indisprimary
         AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)
       ORDER BY i.relname`,
      [q(table)],
    )) as unknown as { name: string; definition: string }[];
    for (const i of idx) {
      await tx.unsafe(`INSERT INTO ${q(DEFERRED_INDEXES_TABLE)} (index_name, table_name, definition) VALUES ($1, $2, $3) ON CONFLICT (index_name) DO NOTHING`, [i.name, table, i.definition]);
      await tx.unsafe(`DROP INDEX ${q(i.name)}`);
    }
    return { mode: 'bulk' as const, deferred: idx.map((i) => i.name), reason: e.empty ? 'empty target table' : '--load-mode bulk' };
  });
}

/**
 * Builds again the indexes recorded as deferred (all, or one table's), each in one transaction
 * that runs its recorded `CREATE INDEX` (one pass over the table, with `maintenance_work_mem` =
 * {@link buildMemory}) and deletes its record, so a build killed midway leaves the index
 * recorded and absent, never half there. {@link INDEX_BUILDS_AT_ONCE} builds run at once (on
 * their own connections of `sql`); a build takes a SHARE lock on its table: readers go on,
 * writers (a shadow write) wait until the build commits. A record whose index exists already
 * (built by hand) is just deleted. A record another session is rebuilding is skipped
 * (`FOR UPDATE SKIP LOCKED`): that session finishes it; with `wait`, it is waited for instead
 * (`FOR UPDATE`): when that session commits, the record is gone and nothing is left to do; when
 * it rolls back, this call builds the index. That session may be the backend of a run killed
 * with kill -9 during its build: PostgreSQL notices the client is gone only when the build ends
 * and it replies, then rolls the build back, so without `wait` the index would stay missing.
 * It may also be a session left idle in its transaction: the wait then lasts until someone ends
 * it, so `onWait` names it (pid, application, state) when the wait begins and every
 * `waitReportMs` (default 30 s) while it lasts, and `signal` ends the wait (lock-wait.ts).
 *
 * @param onBuilt called after each index with its name and the build's wall time in ms.
 * @param onWait with `wait`, called when a wait for a record another session holds has begun,
 *   then every `waitReportMs`, with the sessions holding it and the time waited so far (ms).
 * @returns the names of the indexes built.
 * @throws the signal's reason when `signal` fires during a wait; what postgres.js throws. The
 *   indexes not built yet stay recorded either way.
 */
export async function rebuildDeferredIndexes(
  sql: Sql,
  opts: {
    table?: string;
    wait?: boolean;
    onBuilt?: (index: string, table: string, ms: number) => void;
    onWait?: (index: string, table: string, holders: readonly LockHolder[], waitedMs: number) => void;
    waitReportMs?: number;
    signal?: AbortSignal | undefined;
  } = {},
): Promise<string[]> {
  const todo = await listDeferredIndexes(sql, opts.table);
  // Biggest first (GIN of the tsvector is the longest build), so the two lanes end together.
  todo.sort((a, b) => weight(b) - weight(a));
  const built: string[] = [];
  let next = 0;
  let failed: { e: unknown } | null = null;
  const lane = async () => {
    while (next < todo.length && !failed) {
      const d = todo[next++]!;
      const t0 = performance.now();
      const did = await sql.begin(async (tx) => {
        const pick = `SELECT 1 FROM ${q(DEFERRED_INDEXES_TABLE)} WHERE index_name = $1 FOR UPDATE`;
        let rec = await tx.unsafe(`${pick} SKIP LOCKED`, [d.indexName]);
        if (rec.length === 0 && opts.wait && (await tx.unsafe(`SELECT 1 FROM ${q(DEFERRED_INDEXES_TABLE)} WHERE index_name = $1`, [d.indexName])).length > 0) {
          rec = await waitReported(sql, tx, (t) => t.unsafe(pick, [d.indexName]), {
            onHeld: (holders, ms) => opts.onWait?.(d.indexName, d.tableName, holders, ms),
            everyMs: opts.waitReportMs,
            signal: opts.signal,
            holdersBefore: (t) => rowLockers(t, q(DEFERRED_INDEXES_TABLE), 't.index_name = $1', [d.indexName]),
          });
        }
        if (rec.length === 0) return false;
        const [ex] = (await tx.unsafe('SELECT to_regclass($1) IS NOT NULL AS ok', [q(d.indexName)])) as unknown as [{ ok: boolean }];
        if (!ex.ok) {
          await tx.unsafe(`SET LOCAL maintenance_work_mem = '${buildMemory(d.definition)}'`);
          // Two builds at once already use both cores: no parallel workers on top.
          await tx.unsafe('SET LOCAL max_parallel_maintenance_workers = 0');
          await tx.unsafe(d.definition);
        }
        await tx.unsafe(`DELETE FROM ${q(DEFERRED_INDEXES_TABLE)} WHERE index_name = $1`, [d.indexName]);
        return true;
      });
      if (did) {
        built.push(d.indexName);
        opts.onBuilt?.(d.indexName, d.tableName, performance.now() - t0);
      }
    }
  };
  // When one lane fails, the others finish the build they are in and take no more; the first error is thrown once all have stopped.
  await Promise.all(Array.from({ length: Math.min(INDEX_BUILDS_AT_ONCE, todo.length) }, () => lane().catch((e: unknown) => void (failed ??= { e }))));
  if (failed) throw (failed as { e: unknown }).e;
  return built;
}

const weight = (d: DeferredIndex) => (isGin(d.definition) ? 2 : 1);
