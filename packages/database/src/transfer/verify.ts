import { DatabaseError } from '../errors.js';
import { tableNames, tables, type TableName } from '../schema/tables.js';
import type { Row } from '../stores/store.js';
import { openBackendPair, requireTables, type BackendPair, type BackendUrls } from './source/backend-pair.js';
import { ImportFormReader } from './convert/import-form.js';
import { pairJsonDepth } from './load/pg-json-depth.js';
import { canonicalJson, rowChecksum } from './convert/normalize-row.js';
import type { PassChunk } from './verify-pass/pass-chunk.js';
import { compareIds, liteId, PassComparer, pgId } from './verify-pass/pass-compare.js';
import { openSqliteBounds } from './verify-pass/pass-bounds-sqlite.js';
import { openPgPassReader } from './verify-pass/pass-reader-pg.js';
import { openSqlitePassReaderThreaded } from './verify-pass/pass-reader-thread.js';
import type { PassReader } from './verify-pass/pass-sizer.js';
import { passLayout } from './verify-pass/pass-sql.js';
import { countRows, differingColumns, fetchRows, fetchTombstones } from './source/row-stream.js';
import { sampleValue } from './source/sqlite-value.js';
import { DriftFile, summarize, writeLastVerify } from './verify-report.js';

/** How a row differs between the backends. */
export type DriftKind = 'missing_in_postgres' | 'missing_in_sqlite' | 'different';

/** One side of a drifted row: its version and checksum when present, its tombstone version when deleted. */
export interface DriftSide {
  /** The row's `version`, or null when the row is absent. */
  readonly version: number | null;
  /** `rowChecksum` (sha256 hex of the canonical JSON; LibSQL: of the import form), or null when absent. */
  readonly checksum: string | null;
  /** Version of the `row_tombstones` entry when the row is absent because it was deleted; else null. */
  readonly tombstoneVersion: number | null;
}

/** One drifted row, as written to `migration-data/verify/<timestamp>.ndjson`. */
export interface DriftEntry {
  readonly table: TableName;
  readonly id: string;
  readonly kind: DriftKind;
  readonly sqlite: DriftSide;
  readonly postgres: DriftSide;
  /** For `different`: the columns whose canonical values differ. */
  readonly columns: readonly string[];
}

/**
 * A LibSQL row that import/copy reject (convert.ts: invalid JSON, text that is not UTF-8, out of
 * range, orphan, unusable id…). Not drift: reconcile cannot copy it, and PostgreSQL not holding it
 * is what import did. Reported with the reason so the row can be repaired in LibSQL (or its loss
 * accepted). Written to the report file with the drift entries.
 */
export interface RejectedEntry {
  readonly table: TableName;
  readonly id: string;
  readonly kind: 'rejected';
  /** The column at fault, or null for row-level reasons (duplicate id). */
  readonly column: string | null;
  /** Why, in import's words (`invalid JSON: …`, `orphan: document d2 was rejected`, `out of range: …`). */
  readonly reason: string;
  /** The offending value, printable (cut to 120 characters). */
  readonly value: string | null;
  /** PostgreSQL's row with this id, if it holds one (an older state of the row). */
  readonly postgres: DriftSide;
}

/** Verify result of one table. Counts are rows seen by the key-ordered pass. */
export interface TableVerifyResult {
  readonly table: TableName;
  readonly sqliteRows: number;
  readonly postgresRows: number;
  /** Rows identical on both sides (canonical JSON equal, i.e. same `rowChecksum`), at once or when read again at once. */
  readonly matched: number;
  readonly missingInPostgres: number;
  readonly missingInSqlite: number;
  readonly different: number;
  /** Rows that still differed when read again at once, and matched after the re-check delay (writes in flight). */
  readonly resolvedOnRecheck: number;
  /**
   * LibSQL rows import/copy reject ({@link RejectedEntry}): not drift. After an import,
   * `sqliteRows = matched + rejected` and `postgresRows = matched` (the counts add up).
   */
  readonly rejected: number;
  /** Every drifted id by kind, and the rejected ids (not in `last-verify.json`). */
  readonly ids: { readonly missingInPostgres: string[]; readonly missingInSqlite: string[]; readonly different: string[]; readonly rejected: string[] };
  /** Time of the key-ordered pass, in ms. */
  readonly durationMs: number;
}

/** Result of {@link verifyTables}. */
export interface VerifyResult {
  /** True only at zero drift in every table. */
  readonly ok: boolean;
  readonly startedAt: string;
  /** Whole run including the re-check delay, in ms. */
  readonly durationMs: number;
  /** Rows compared: per table the larger side's count, summed. */
  readonly rows: number;
  /** `rows` per second of the key-ordered passes (the re-check delay excluded). */
  readonly rowsPerSecond: number;
  /** Drifted rows in total (after the re-check); rejected rows are not drift. */
  readonly drift: number;
  /** LibSQL rows import/copy reject, in total (see {@link RejectedEntry}). */
  readonly rejected: number;
  readonly recheckDelayMs: number;
  readonly tables: readonly TableVerifyResult[];
  /** The first drift entries (at most `sampleSize`), for the screen. */
  readonly sample: readonly DriftEntry[];
  /** The first rejected rows (at most `sampleSize`), for the screen. */
  readonly rejectedSample: readonly RejectedEntry[];
  /** The NDJSON file with every drift and rejected entry, or null when there was none (or no `dataDir`). */
  readonly reportFile: string | null;
}

/** Progress of the key-ordered pass of one table. */
export interface VerifyProgress {
  readonly table: TableName;
  /** Rows compared so far (the larger side). */
  readonly done: number;
  /** `count(*)` of the larger side at the start (an estimate while writes go on). */
  readonly total: number;
}

/** Options of {@link verifyTables}. Either an open `pair` (left open) or the URLs (opened and closed here). */
export interface VerifyOptions extends Partial<BackendUrls> {
  readonly pair?: BackendPair;
  /** Tables to compare; default all six. */
  readonly tables?: readonly TableName[];
  /** At most this many rows per keyset chunk and side. Default 20,000; chunks are also bounded by bytes (`CHUNK_BYTES`, 512 KiB), which is what usually limits them. */
  readonly chunkSize?: number;
  /** Wait before re-checking mismatches, in ms (writes in flight converge meanwhile). Default 2,000; 0 re-checks at once. */
  readonly recheckDelayMs?: number;
  /** Drift entries kept in the result's `sample`. Default 20. */
  readonly sampleSize?: number;
  /** Folder for `verify/<timestamp>.ndjson` and `last-verify.json`; null writes no files. Default null. */
  readonly dataDir?: string | null;
  /** Read LibSQL in a worker thread for big tables (a local file, compiled `dist/`), so SQLite, this thread and PostgreSQL work at once. Default true. */
  readonly threads?: boolean;
  readonly onProgress?: (p: VerifyProgress) => void;
  /** Warnings for the operator (one line each). None are emitted at present. */
  readonly onWarning?: (line: string) => void;
  /** Called once before the re-check wait (only when mismatches are left after the immediate exact check), with their number. */
  readonly onRecheck?: (candidates: number, delayMs: number) => void;
}

/** Default maximum rows per chunk (the 512 KiB byte bound of pass-sizer.ts usually comes first: ~1,700 messages, ~170 profiles). */
export const DEFAULT_CHUNK_SIZE = 20_000;
/** Tables with fewer values than this (rows × columns) are read in this thread: starting a reader thread costs ~50 ms. */
export const OFF_THREAD_MIN_VALUES = 200_000;
/** Default re-check delay, ms. */
export const DEFAULT_RECHECK_DELAY_MS = 2_000;

/**
 * Compares the six tables (or `opts.tables`) row by row on LibSQL and PostgreSQL (docs/design.md
 * invariant 6). Both sides are read in key order (keyset pagination by id, chunks bounded by
 * bytes, PostgreSQL's next chunk read while the current ones are compared) and merge-joined; a
 * row matches when its canonical JSON (`canonicalJson`, so the same `rowChecksum`) is identical.
 * The pass does not build canonical JSON: each backend builds a *pass row* in SQL (pass-sql.ts),
 * compared byte for byte, json and real columns aside (pass-compare.ts); equal pass rows imply
 * equal canonical rows, and every other row is read again and compared exactly (below).
 * The LibSQL side is taken in its *import form*: the row import/copy would write (coerce.ts:
 * milliseconds → seconds, ISO text → seconds, text booleans, numeric text, the text policy), so
 * verify is clean right after an import. LibSQL rows import/copy reject are reported as
 * `rejected` with the reason (not drift, not matches; see {@link RejectedEntry}).
 * Mismatches are read again by id after `recheckDelayMs`, so writes in flight (a shadow write
 * not yet landed) are not called drift; a row still changing on either side between two such
 * reads is read again (up to 5 rounds), so a row the bot keeps writing is not called drift either. A row absent on both sides matches, whether or not a
 * side holds a tombstone for it; `row_tombstones` itself is bookkeeping and is not compared.
 *
 * Writes `<dataDir>/verify/<timestamp>.ndjson` (every drift entry) and `<dataDir>/last-verify.json`
 * (summary, read by `status` and `gate`) when `dataDir` is set.
 *
 * @example
 * const r = await verifyTables({ libsqlUrl: 'file:./data/bot.db', databaseUrl, dataDir: 'migration-data' });
 * if (!r.ok) console.log(r.drift, r.sample);
 * @throws DatabaseError `DATABASE_URL_MISSING`, `DATABASE_UNREACHABLE`, `SCHEMA_MISSING`, `INVALID_INPUT` (unknown table).
 */
export async function verifyTables(opts: VerifyOptions): Promise<VerifyResult> {
  const names = checkTables(opts.tables);
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const recheckDelayMs = opts.recheckDelayMs ?? DEFAULT_RECHECK_DELAY_MS;
  const sampleSize = opts.sampleSize ?? 20;
  const pair = opts.pair ?? (await openBackendPair({ libsqlUrl: opts.libsqlUrl ?? '', libsqlAuthToken: opts.libsqlAuthToken, databaseUrl: opts.databaseUrl }));
  const started = new Date();
  const t0 = performance.now();
  try {
    await requireTables(pair, names);
    const passes: Array<{ table: TableName } & Awaited<ReturnType<typeof mergePass>>> = [];
    let passMs = 0;
    for (const table of names) {
      const p = await mergePass(pair, table, chunkSize, opts.threads ?? true, opts.onProgress);
      passMs += p.durationMs;
      passes.push({ table, ...p });
    }
    // Mismatches of the pass are read again by id and compared exactly (canonicalJson of the
    // import form) at once: rows that differ only by the text policy, or that looked missing
    // because a side orders ids differently, end here as matches, and rows import rejects are set
    // apart. What is left is read again after the delay, so a write in flight (a shadow write not
    // landed yet) is not called drift.
    const first = new Map<TableName, Rechecked>();
    const form = new ImportFormReader(pair.sqlite, { jsonDepth: () => pairJsonDepth(pair.postgres) }); // one per round: parents' verdicts are shared by their children
    let left = 0;
    for (const p of passes) {
      const r = p.candidates.length ? await recheck(pair, p.table, p.candidates, form) : { drift: [], rejected: [] };
      first.set(p.table, r);
      left += r.drift.length;
    }
    // A row the bot keeps writing (a busy user's profile) can differ at every read, its shadow
    // write always a moment behind. Such a row is read again, after the delay each time, while
    // either side's version or content still moves between two reads (at most
    // MAX_RECHECK_ROUNDS); drift is what stays different AND still.
    let final = first;
    let toRecheck = first;
    for (let round = 0; round < MAX_RECHECK_ROUNDS && left > 0 && recheckDelayMs > 0; round++) {
      opts.onRecheck?.(left, recheckDelayMs);
      await new Promise((r) => setTimeout(r, recheckDelayMs));
      const next = new Map<TableName, Rechecked>();
      const moving = new Map<TableName, Rechecked>();
      const again = new ImportFormReader(pair.sqlite, { jsonDepth: () => pairJsonDepth(pair.postgres) });
      left = 0;
      for (const p of passes) {
        const before = final.get(p.table)!;
        const asked = toRecheck.get(p.table)?.drift ?? [];
        const ids = asked.map((e) => e.id);
        const r = ids.length ? await recheck(pair, p.table, ids, again) : { drift: [], rejected: [] };
        const prev = new Map(asked.map((e) => [e.id, e]));
        const stillMoving = r.drift.filter((e) => moved(prev.get(e.id), e));
        const settled = before.drift.filter((e) => !prev.has(e.id));
        next.set(p.table, { drift: [...settled, ...r.drift], rejected: [...before.rejected, ...r.rejected] });
        moving.set(p.table, { drift: stillMoving, rejected: [] });
        left += stillMoving.length;
      }
      final = next;
      toRecheck = moving;
    }
    const file = opts.dataDir ? new DriftFile(opts.dataDir, started) : null;
    const sample: DriftEntry[] = [];
    const rejectedSample: RejectedEntry[] = [];
    const tables: TableVerifyResult[] = [];
    for (const p of passes) {
      const ids = { missingInPostgres: [] as string[], missingInSqlite: [] as string[], different: [] as string[], rejected: [] as string[] };
      const end = final.get(p.table)!;
      for (const entry of end.drift) {
        (entry.kind === 'missing_in_postgres' ? ids.missingInPostgres : entry.kind === 'missing_in_sqlite' ? ids.missingInSqlite : ids.different).push(entry.id);
        if (sample.length < sampleSize) sample.push(entry);
        file?.write(entry);
      }
      for (const entry of [...(await unusableEntries(pair, p.table, p.unusable)), ...end.rejected]) {
        ids.rejected.push(entry.id);
        if (rejectedSample.length < sampleSize) rejectedSample.push(entry);
        file?.write(entry);
      }
      const drift = ids.missingInPostgres.length + ids.missingInSqlite.length + ids.different.length;
      const afterFirst = first.get(p.table)!;
      const newlyRejected = end.rejected.length - afterFirst.rejected.length;
      tables.push({
        table: p.table,
        sqliteRows: p.sqliteRows,
        postgresRows: p.postgresRows,
        matched: p.matched + (new Set(p.candidates).size - afterFirst.drift.length - afterFirst.rejected.length),
        missingInPostgres: ids.missingInPostgres.length,
        missingInSqlite: ids.missingInSqlite.length,
        different: ids.different.length,
        resolvedOnRecheck: afterFirst.drift.length - drift - newlyRejected,
        rejected: ids.rejected.length,
        ids,
        durationMs: Math.round(p.durationMs),
      });
    }
    const reportFile = (await file?.close()) ?? null;
    const rows = passes.reduce((n, p) => n + Math.max(p.sqliteRows, p.postgresRows), 0);
    const drift = tables.reduce((n, t) => n + t.missingInPostgres + t.missingInSqlite + t.different, 0);
    const rejected = tables.reduce((n, t) => n + t.rejected, 0);
    const result: VerifyResult = {
      ok: drift === 0,
      startedAt: started.toISOString(),
      durationMs: Math.round(performance.now() - t0),
      rows,
      rowsPerSecond: passMs > 0 ? Math.round((rows / passMs) * 1000) : 0,
      drift,
      rejected,
      recheckDelayMs,
      tables,
      sample,
      rejectedSample,
      reportFile,
    };
    if (opts.dataDir) writeLastVerify(opts.dataDir, summarize(result));
    return result;
  } finally {
    if (!opts.pair) await pair.close();
  }
}

/** Validates table names. @throws DatabaseError `INVALID_INPUT`. */
export function checkTables(list: readonly string[] | undefined): TableName[] {
  if (!list || list.length === 0) return [...tableNames];
  for (const t of list) {
    if (!(tableNames as readonly string[]).includes(t)) {
      throw new DatabaseError('INVALID_INPUT', `unknown table ${JSON.stringify(t)}; tables: ${tableNames.join(', ')}`, { table: t });
    }
  }
  return tableNames.filter((t) => list.includes(t));
}

/**
 * The key-ordered pass: merge-joins both sides' chunks by id (byte order, which is SQLite's and
 * that of PostgreSQL's C collations); returns the mismatched ids. SQLite builds LibSQL's pass rows
 * (in a worker thread for big tables), PostgreSQL its own (the next chunk while this thread
 * compares).
 */
async function mergePass(pair: BackendPair, table: TableName, maxRows: number, threads: boolean, onProgress: VerifyOptions['onProgress']) {
  const t0 = performance.now();
  const total = await estimateRows(pair, table);
  const a = openSqlitePassReaderThreaded(pair.sqlite, table, maxRows, threads && total * tables[table].columns.length >= OFF_THREAD_MIN_VALUES);
  let b: PassReader | null = null;
  const cmp = new PassComparer(passLayout(table));
  const candidates: string[] = [];
  // LibSQL rows whose id itself is unusable (cannot be read again by id): rejected here.
  const unusable: Array<{ id: string; reason: string }> = [];
  /** A LibSQL row without its match: a candidate, or rejected at once when its id is unusable. */
  const liteOnly = (c: PassChunk, i: number) => {
    const { id, unusable: why } = liteId(c, i);
    if (why !== null) unusable.push({ id, reason: why });
    else candidates.push(id);
  };
  let sqliteRows = 0;
  let postgresRows = 0;
  let matched = 0;
  // PostgreSQL's range bounds from LibSQL's id index (a local file): spares PostgreSQL a walk of the table.
  const bounds = openSqliteBounds(pair.sqlite.url, table);
  try {
    b = await openPgPassReader(pair.postgres, table, maxRows, bounds?.next ?? null);
    let cb = await b.next();
    let ca = await a.next();
    let i = 0;
    let j = 0;
    onProgress?.({ table, done: 0, total });
    while (ca || cb) {
      if (ca && i === ca.n) {
        sqliteRows += ca.n;
        ca = await a.next();
        i = 0;
        onProgress?.({ table, done: Math.max(sqliteRows, postgresRows), total });
        continue;
      }
      if (cb && j === cb.n) {
        postgresRows += cb.n;
        cb = await b.next();
        j = 0;
        onProgress?.({ table, done: Math.max(sqliteRows, postgresRows), total });
        continue;
      }
      // A PostgreSQL collation that is not bytewise orders ids otherwise: rows then look
      // missing here, and the re-check by id sorts it out.
      if (ca && cb) {
        while (i < ca.n && j < cb.n) {
          const o = compareIds(ca, i, cb, j);
          if (o === 0) {
            if (cmp.same(ca, i, cb, j)) matched++;
            else liteOnly(ca, i);
            i++;
            j++;
          } else if (o < 0) {
            liteOnly(ca, i);
            i++;
          } else {
            candidates.push(pgId(cb, j));
            j++;
          }
        }
      } else if (ca) {
        for (; i < ca.n; i++) liteOnly(ca, i);
      } else if (cb) {
        for (; j < cb.n; j++) candidates.push(pgId(cb, j));
      }
    }
  } finally {
    await Promise.all([a.close(), b?.close()]);
    bounds?.close();
  }
  return { sqliteRows, postgresRows, matched, candidates, unusable, durationMs: performance.now() - t0 };
}

/** Rows for the progress bar: LibSQL's count, or PostgreSQL's planner estimate when larger (no scan of the table). */
async function estimateRows(pair: BackendPair, table: TableName): Promise<number> {
  const [lite, pg] = await Promise.all([
    countRows(pair.sqlite, table),
    pair.postgres.query('SELECT greatest(reltuples, 0)::bigint AS n FROM pg_class WHERE oid = to_regclass(?)', [table]).then((r) => Number(r[0]?.n ?? 0)),
  ]);
  return Math.max(lite, pg);
}

function sideOf(row: Row | undefined, tombstone: number | undefined, table: TableName): DriftSide {
  return row
    ? { version: row.version === null || row.version === undefined ? null : Number(row.version), checksum: rowChecksum(table, row), tombstoneVersion: null }
    : { version: null, checksum: null, tombstoneVersion: tombstone ?? null };
}

/** What a re-check leaves: drift, and LibSQL rows import/copy reject. */
export interface Rechecked {
  readonly drift: DriftEntry[];
  readonly rejected: RejectedEntry[];
}

/** Rejected entries of LibSQL rows with an unusable id (found by the pass), with PostgreSQL's row of that id if any. */
async function unusableEntries(pair: BackendPair, table: TableName, list: ReadonlyArray<{ id: string; reason: string }>): Promise<RejectedEntry[]> {
  if (list.length === 0) return [];
  // PostgreSQL text cannot hold U+0000 (nor be asked for it); a lone surrogate is sent as U+FFFD.
  const pg = (await fetchRows(pair.postgres, table, list.map((u) => u.id).filter((id) => !id.includes('\u0000')))).rows;
  return list.map((u) => ({ table, id: u.id, kind: 'rejected', column: 'id', reason: u.reason, value: sampleValue(u.id), postgres: sideOf(pg.get(u.id), undefined, table) }));
}

/** Delayed re-reads of rows still changing (see verifyTables) at most. */
const MAX_RECHECK_ROUNDS = 5;

/** Whether a drifted row changed on either side between two reads (version or content). */
function moved(before: DriftEntry | undefined, now: DriftEntry): boolean {
  if (!before) return true;
  return (
    before.sqlite.version !== now.sqlite.version ||
    before.postgres.version !== now.postgres.version ||
    before.sqlite.checksum !== now.sqlite.checksum ||
    before.postgres.checksum !== now.postgres.checksum
  );
}

/**
 * Reads mismatched ids again on both sides (LibSQL in its import form) and returns the ones that
 * still differ, with versions, checksums, tombstones and the differing columns, and apart from
 * them the LibSQL rows import/copy reject. Ids absent on both sides or equal now are dropped.
 * `form` shares parent verdicts between tables (parents first); default a new reader.
 */
export async function recheck(pair: BackendPair, table: TableName, ids: readonly string[], form = new ImportFormReader(pair.sqlite, { jsonDepth: () => pairJsonDepth(pair.postgres) })): Promise<Rechecked> {
  const out: DriftEntry[] = [];
  const rejected: RejectedEntry[] = [];
  const unique = [...new Set(ids)];
  for (let k = 0; k < unique.length; k += 5_000) {
    const batch = unique.slice(k, k + 5_000);
    const [fa, fb] = await Promise.all([fetchRows(pair.sqlite, table, batch, form), fetchRows(pair.postgres, table, batch)]);
    const ra = fa.rows;
    const rb = fb.rows;
    const drifted: string[] = [];
    for (const id of batch) {
      const r = fa.rejected.get(id);
      if (r) {
        rejected.push({ table, id, kind: 'rejected', column: r.column, reason: r.reason, value: r.value, postgres: sideOf(rb.get(id), undefined, table) });
        continue;
      }
      const a = ra.get(id);
      const b = rb.get(id);
      if (!a && !b) continue;
      if (!a || !b || canonicalJson(table, a) !== canonicalJson(table, b)) drifted.push(id);
    }
    const absentA = drifted.filter((id) => !ra.has(id));
    const absentB = drifted.filter((id) => !rb.has(id));
    const [ta, tb] = await Promise.all([fetchTombstones(pair.sqlite, table, absentA), fetchTombstones(pair.postgres, table, absentB)]);
    for (const id of drifted) {
      const a = ra.get(id);
      const b = rb.get(id);
      out.push({
        table,
        id,
        kind: !b ? 'missing_in_postgres' : !a ? 'missing_in_sqlite' : 'different',
        sqlite: sideOf(a, ta.get(id), table),
        postgres: sideOf(b, tb.get(id), table),
        columns: a && b ? differingColumns(table, a, b) : [],
      });
    }
  }
  return { drift: out, rejected };
}
