import { tableNames, type TableName } from '../schema/tables.js';
import { openBackendPair, type BackendPair, type BackendUrls, type SideName } from '../transfer/source/backend-pair.js';
import { reconcile, type ReconcileResult } from '../transfer/reconcile.js';
import type { TableVerifyResult, VerifyResult } from '../transfer/verify.js';
import { readJournal, removeFromJournal, type JournalEntry, type JournalSql } from './failure-journal.js';

/** What `reconcile --journal` did on the side holding a journal. */
export interface JournalRepairSide {
  /** The side holding the journal (the primary when the failures happened): the source of truth. */
  readonly from: SideName;
  readonly to: SideName;
  /** Journal entries found. */
  readonly entries: number;
  /** Entries naming a table this code does not know (left in the journal). */
  readonly unknownTables: number;
  /** Entries repaired (or found equal already) and removed from the journal. */
  readonly cleared: number;
  /** Reconcile's result over exactly the journaled rows (null when there were none). */
  readonly reconcile: ReconcileResult | null;
}

/** Result of {@link repairFromJournal}. */
export interface JournalRepairResult {
  readonly ok: boolean;
  readonly dryRun: boolean;
  readonly sides: readonly JournalRepairSide[];
  /** Entries still in the journals afterwards (rows that still differ, were refused or rejected). */
  readonly left: number;
}

/** Options of {@link repairFromJournal}. */
export interface JournalRepairOptions extends Partial<BackendUrls> {
  /** An open pair (left open); otherwise opened from the URLs and closed. */
  readonly pair?: BackendPair;
  /** Only the journal of this side (default: both). */
  readonly from?: SideName;
  readonly dryRun?: boolean;
  /** Passed to reconcile (ms before differing rows are read again); default reconcile's. */
  readonly recheckDelayMs?: number;
  readonly onWarning?: (line: string) => void;
}

const sqlOf = (pair: BackendPair, side: SideName): JournalSql => ({ backend: side, query: (sql, params) => pair[side].query(sql, params) });

/** A verify result listing exactly `ids` as drift ("different"), for reconcile's `drift` option. */
function driftOf(ids: ReadonlyMap<TableName, string[]>): VerifyResult {
  const tables: TableVerifyResult[] = [...ids].map(([table, list]) => ({
    table,
    sqliteRows: 0,
    postgresRows: 0,
    matched: 0,
    missingInPostgres: 0,
    missingInSqlite: 0,
    different: list.length,
    resolvedOnRecheck: 0,
    rejected: 0,
    ids: { missingInPostgres: [], missingInSqlite: [], different: list, rejected: [] },
    durationMs: 0,
  }));
  const drift = tables.reduce((n, t) => n + t.different, 0);
  return { ok: drift === 0, startedAt: new Date().toISOString(), durationMs: 0, rows: drift, rowsPerSecond: 0, drift, rejected: 0, recheckDelayMs: 0, tables, sample: [], rejectedSample: [], reportFile: null };
}

/**
 * `pnpm db reconcile --journal`: repairs exactly the rows of the failure journal(s)
 * (routing/failure-journal.ts), without a full verify. For each side holding journal entries,
 * that side (the primary when the shadow writes failed) is the source of truth: each journaled
 * row is read there again and copied over the other side by reconcile's forced, version-guarded
 * upsert, or deleted there (with a tombstone) when the source no longer has it; a row the other
 * side holds newer is left alone. The repaired rows are compared again; each entry whose row now
 * matches is removed from the journal (only if its journal version is not newer than the one
 * read: a row that failed again meanwhile stays). Entries that still differ, were refused or are
 * import rejects stay in the journal and are reported.
 * @throws DatabaseError `DATABASE_UNREACHABLE`, `SCHEMA_MISSING` (as reconcile).
 */
export async function repairFromJournal(opts: JournalRepairOptions): Promise<JournalRepairResult> {
  const pair = opts.pair ?? (await openBackendPair({ libsqlUrl: opts.libsqlUrl ?? '', libsqlAuthToken: opts.libsqlAuthToken, databaseUrl: opts.databaseUrl }));
  try {
    const sides: JournalRepairSide[] = [];
    let left = 0;
    for (const from of ['sqlite', 'postgres'] as const) {
      if (opts.from && opts.from !== from) continue;
      const to: SideName = from === 'sqlite' ? 'postgres' : 'sqlite';
      const db = sqlOf(pair, from);
      const entries = await readJournal(db);
      const known = new Set<string>(tableNames);
      const byTable = new Map<TableName, string[]>();
      const usable: JournalEntry[] = [];
      for (const e of entries) {
        if (!known.has(e.table)) continue;
        usable.push(e);
        const list = byTable.get(e.table as TableName) ?? [];
        list.push(e.id);
        byTable.set(e.table as TableName, list);
      }
      const unknownTables = entries.length - usable.length;
      if (unknownTables > 0) opts.onWarning?.(`${unknownTables} journal entries on ${from} name tables this code does not know: left in the journal`);
      if (usable.length === 0) {
        sides.push({ from, to, entries: entries.length, unknownTables, cleared: 0, reconcile: null });
        left += entries.length;
        continue;
      }
      const r = await reconcile({
        pair,
        from,
        drift: driftOf(byTable),
        dryRun: opts.dryRun,
        sampleSize: usable.length,
        ...(opts.recheckDelayMs !== undefined ? { recheckDelayMs: opts.recheckDelayMs } : {}),
        onWarning: opts.onWarning,
      });
      let cleared = 0;
      if (!opts.dryRun) {
        const stay = new Set<string>();
        for (const e of r.remainingSample) stay.add(`${e.table}\u0000${e.id}`);
        for (const f of r.failed) stay.add(`${f.table}\u0000${f.id}`);
        for (const f of r.rejected) stay.add(`${f.table}\u0000${f.id}`);
        const repaired = usable.filter((e) => !stay.has(`${e.table}\u0000${e.id}`));
        await removeFromJournal(db, repaired);
        cleared = repaired.length;
      }
      left += entries.length - cleared;
      sides.push({ from, to, entries: entries.length, unknownTables, cleared, reconcile: r });
    }
    const dryRun = Boolean(opts.dryRun);
    return { ok: dryRun ? sides.every((s) => s.entries === 0) : left === 0, dryRun, sides, left };
  } finally {
    if (!opts.pair) await pair.close();
  }
}
