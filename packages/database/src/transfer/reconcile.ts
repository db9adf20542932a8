import { describeError } from '../errors.js';
import { redact } from '../logger.js';
import { tableNames, type TableName } from '../schema/tables.js';
import type { Row, RowChange } from '../stores/store.js';
import { openBackendPair, type BackendPair, type BackendUrls, type SideName } from './source/backend-pair.js';
import { ImportFormReader } from './convert/import-form.js';
import { pairJsonDepth } from './load/pg-json-depth.js';
import { canonicalJson, normalizeRow } from './convert/normalize-row.js';
import { fetchRows, fetchTombstones } from './source/row-stream.js';
import { summarize, type VerifySummary } from './verify-report.js';
import { checkTables, DEFAULT_RECHECK_DELAY_MS, recheck, verifyTables, type DriftEntry, type VerifyOptions, type VerifyResult } from './verify.js';

/** What reconcile does (or, with `dryRun`, would do) to one drifted row of the target. */
export type ReconcileActionKind =
  /** Write the source row over the target (forced, version-guarded: a newer target row still wins). */
  | 'upsert'
  /** The source has no such row: delete it on the target and record a tombstone. */
  | 'delete'
  /** The target holds a NEWER version than the source: left alone (run reconcile the other way if that side is right). */
  | 'skip_newer'
  /** Both sides already agree (the drift resolved itself meanwhile). */
  | 'none';

/** One planned repair. Versions are null when the row is absent on that side. */
export interface ReconcileAction {
  readonly table: TableName;
  readonly id: string;
  readonly action: ReconcileActionKind;
  readonly sourceVersion: number | null;
  readonly targetVersion: number | null;
}

/** Result of {@link reconcile}. */
export interface ReconcileResult {
  /** True when no drift is left on the reconciled ids (for a dry run: when there was none). */
  readonly ok: boolean;
  readonly from: SideName;
  readonly to: SideName;
  readonly dryRun: boolean;
  /** The verify run that found the drift. */
  readonly verify: VerifySummary;
  /** Actions by kind. */
  readonly planned: Readonly<Record<ReconcileActionKind, number>>;
  /** Row changes written to the target (0 on a dry run). */
  readonly applied: number;
  /** Changes the target refused (a foreign key, a unique key held by another id…), with the error. */
  readonly failed: ReadonlyArray<{ readonly table: TableName; readonly id: string; readonly error: string }>;
  /**
   * Drifted ids whose LibSQL source row import/copy would reject (it changed into such a row after
   * verify), with the reason: nothing is written for them. Rows verify already reported as
   * rejected are not drift and are never planned (see `verify.rejected`).
   */
  readonly rejected: ReadonlyArray<{ readonly table: TableName; readonly id: string; readonly reason: string }>;
  /**
   * Drift left on the reconciled ids afterwards (re-read on both sides, the differing ones again
   * after `recheckDelayMs`); null on a dry run.
   */
  readonly remaining: number | null;
  /** Entries of the drift left (first `sampleSize`). */
  readonly remainingSample: readonly DriftEntry[];
  /** The first `sampleSize` actions, for the screen. */
  readonly sample: readonly ReconcileAction[];
  readonly durationMs: number;
}

/** Options of {@link reconcile}: the verify options plus the direction. */
export interface ReconcileOptions extends VerifyOptions {
  /** The source of truth. Its rows (or their absence) are copied over the other side. */
  readonly from: SideName;
  /** Plan only: read both sides and report the actions, write nothing. */
  readonly dryRun?: boolean;
  /** Drift found by an earlier verify to repair instead of running one now. */
  readonly drift?: VerifyResult;
  /** Row changes per target transaction. Default 500. */
  readonly batchSize?: number;
  /** Called after each applied batch with the number of rows handled so far and the total. */
  readonly onApply?: (done: number, total: number) => void;
}

const ID_BATCH = 500;

/**
 * Copies the source of truth over the drift (docs/design.md invariant 6). Runs verify (or takes
 * `opts.drift`), then for every drifted id reads the source row again and, on the target:
 * - source row present → forced upsert of its canonical form (`applyChanges(…, { force: true })`:
 *   an equal version with other content is replaced, a newer target row written meanwhile wins).
 *   A LibSQL row is read in its import form (import-form.ts), so `--from sqlite` writes what
 *   import/copy would (seconds, not milliseconds; booleans, not text); a LibSQL row import would
 *   reject is never copied, and never taken as absent (no delete): it is listed in `rejected`;
 * - source row absent → delete with a tombstone (version: the source's tombstone, at least the
 *   target row's version + 1);
 * - target row newer than the source → left alone and reported (`skip_newer`).
 * Deletes run first (children first), then upserts (parents first), in batches of `batchSize`
 * per transaction; a batch the target refuses is retried row by row so one bad row is reported
 * instead of blocking the rest. Finally the reconciled ids are compared again; ids that still
 * differ are read once more after `recheckDelayMs` (as verify does), because with the bot writing,
 * a row can change on the primary right after it was repaired and its shadow write be in flight.
 *
 * `--from postgres` is the rollback path after phase 6 without the LibSQL shadow.
 *
 * @example
 * const r = await reconcile({ libsqlUrl, databaseUrl, from: 'sqlite', dataDir: 'migration-data' });
 * // r.remaining === 0 → a verify is clean
 * @throws DatabaseError `DATABASE_URL_MISSING`, `DATABASE_UNREACHABLE`, `SCHEMA_MISSING`, `INVALID_INPUT`.
 */
export async function reconcile(opts: ReconcileOptions): Promise<ReconcileResult> {
  const t0 = performance.now();
  const names = checkTables(opts.tables);
  const pair = opts.pair ?? (await openBackendPair({ libsqlUrl: opts.libsqlUrl ?? '', libsqlAuthToken: opts.libsqlAuthToken, databaseUrl: opts.databaseUrl }));
  const sampleSize = opts.sampleSize ?? 20;
  try {
    const verify = opts.drift ?? (await verifyTables({ ...opts, pair, tables: names }));
    const source = pair[opts.from];
    const target = pair[opts.from === 'sqlite' ? 'postgres' : 'sqlite'];

    const planned: Record<ReconcileActionKind, number> = { upsert: 0, delete: 0, skip_newer: 0, none: 0 };
    const sample: ReconcileAction[] = [];
    const failed: Array<{ table: TableName; id: string; error: string }> = [];
    const rejected: Array<{ table: TableName; id: string; reason: string }> = [];
    const batchSize = opts.batchSize ?? 500;
    const drifted = new Map<TableName, string[]>();
    for (const t of verify.tables) {
      if (names.includes(t.table)) drifted.set(t.table, [...t.ids.missingInPostgres, ...t.ids.missingInSqlite, ...t.ids.different]);
    }
    const total = [...drifted.values()].reduce((n, ids) => n + ids.length, 0);
    let applied = 0;
    let handled = 0;

    // Plans `ids` of `table` batch by batch (reading both sides again) and applies the changes of
    // kind `op` at once, so memory holds one batch, not the whole drift.
    const pass = async (table: TableName, ids: readonly string[], op: 'delete' | 'upsert', count: boolean): Promise<string[]> => {
      const later: string[] = [];
      const form = new ImportFormReader(pair.sqlite, { jsonDepth: () => pairJsonDepth(pair.postgres) });
      for (let k = 0; k < ids.length; k += Math.min(ID_BATCH, batchSize)) {
        const batch = ids.slice(k, k + Math.min(ID_BATCH, batchSize));
        const [fs, ft, tombs] = await Promise.all([fetchRows(source, table, batch, form), fetchRows(target, table, batch, form), fetchTombstones(source, table, batch)]);
        const [src, tgt] = [fs.rows, ft.rows];
        const changes: RowChange[] = [];
        for (const id of batch) {
          const bad = fs.rejected.get(id);
          if (bad) {
            if (count) rejected.push({ table, id, reason: bad.reason });
            continue;
          }
          const { action, change } = plan(table, id, src.get(id), tgt.get(id), tombs.get(id));
          if (count) {
            planned[action]++;
            if (sample.length < sampleSize) sample.push({ table, id, action, sourceVersion: version(src.get(id)), targetVersion: version(tgt.get(id)) });
          }
          if (change?.op === op) changes.push(change);
          else if (change && op === 'delete') later.push(id);
        }
        if (!opts.dryRun && changes.length > 0) {
          applied += await applyBatch(target.store, changes, failed);
          handled += changes.length;
          opts.onApply?.(handled, total);
        }
      }
      return later;
    };

    // Deletes first (children first, so no foreign key points at a row about to go), then
    // upserts (parents first). The upserts are planned again right before they are applied.
    const upsertLater = new Map<TableName, string[]>();
    for (const table of [...tableNames].reverse()) {
      const ids = drifted.get(table);
      if (ids?.length) upsertLater.set(table, await pass(table, ids, 'delete', true));
    }
    if (!opts.dryRun) for (const table of tableNames) if (upsertLater.get(table)?.length) await pass(table, upsertLater.get(table)!, 'upsert', false);

    let remaining: number | null = null;
    const remainingSample: DriftEntry[] = [];
    if (!opts.dryRun) {
      const left = new Map<TableName, DriftEntry[]>();
      for (const [table, ids] of drifted) left.set(table, (await recheck(pair, table, ids)).drift);
      const delayMs = opts.recheckDelayMs ?? DEFAULT_RECHECK_DELAY_MS;
      if (delayMs > 0 && [...left.values()].some((d) => d.length > 0)) {
        // A write in flight (the primary changed the row again after the repair) is not drift left.
        await new Promise((r) => setTimeout(r, delayMs));
        for (const [table, entries] of left) if (entries.length) left.set(table, (await recheck(pair, table, entries.map((e) => e.id))).drift);
      }
      remaining = 0;
      for (const entries of left.values()) {
        for (const entry of entries) {
          remaining++;
          if (remainingSample.length < sampleSize) remainingSample.push(entry);
        }
      }
    }
    return {
      ok: opts.dryRun ? verify.drift === 0 : remaining === 0,
      from: opts.from,
      to: target.name,
      dryRun: Boolean(opts.dryRun),
      verify: summarize(verify),
      planned,
      applied,
      failed,
      rejected,
      remaining,
      remainingSample,
      sample,
      durationMs: Math.round(performance.now() - t0),
    };
  } finally {
    if (!opts.pair) await pair.close();
  }
}

function version(row: Row | undefined): number | null {
  return row && row.version !== null && row.version !== undefined ? Number(row.version) : null;
}

/** The action for one id, and the change that carries it out. */
export function plan(
  table: TableName,
  id: string,
  src: Row | undefined,
  tgt: Row | undefined,
  srcTombstone: number | undefined,
): { action: ReconcileActionKind; change: RowChange | null } {
  if (src) {
    if (tgt && canonicalJson(table, src) === canonicalJson(table, tgt)) return { action: 'none', change: null };
    if (tgt && (version(tgt) ?? 0) > (version(src) ?? 0)) return { action: 'skip_newer', change: null };
    // The canonical form of the row (a LibSQL row already in its import form), so PostgreSQL accepts it.
    return { action: 'upsert', change: { table, op: 'upsert', row: normalizeRow(table, src) } };
  }
  if (!tgt) return { action: 'none', change: null };
  return { action: 'delete', change: { table, op: 'delete', id, version: Math.max(srcTombstone ?? 0, (version(tgt) ?? 0) + 1) } };
}

/** Applies one batch in one transaction; when the target refuses it, row by row. Returns rows applied. */
async function applyBatch(store: BackendPair['sqlite']['store'], batch: readonly RowChange[], failed: Array<{ table: TableName; id: string; error: string }>): Promise<number> {
  try {
    await store.applyChanges(batch, { force: true });
    return batch.length;
  } catch {
    let n = 0;
    for (const ch of batch) {
      try {
        await store.applyChanges([ch], { force: true });
        n++;
      } catch (e) {
        const d = describeError(e);
        failed.push({ table: ch.table, id: ch.op === 'delete' ? ch.id : String(ch.row.id), error: `${d.code}: ${redact(d.message)}` });
      }
    }
    return n;
  }
}
