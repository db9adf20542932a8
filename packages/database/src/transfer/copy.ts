import { join } from 'node:path';
import { tableNames, type TableName } from '../schema/tables.js';
import { Slots } from './load/in-flight.js';
import { runInLanes } from './load/table-lanes.js';
import { Converter } from './convert/convert.js';
import { openTarget } from './load/pg-target.js';
import { measurePgJsonDepth } from './load/pg-json-depth.js';
import { RejectFile } from './files/reject-file.js';
import { defaultChunkRows, openSource, type Source } from './source/source.js';
import { journalModeWarning } from './source/warnings.js';
import { loadTable } from './load/table-loader.js';
import { jsonMaxBytes } from './convert/copy-text.js';
import { loadInMode, recoverDeferredIndexes, sweepDeferredIndexes, type LoadModeEvents, type TableModeReport } from './load/load-mode.js';
import type { LoadMode } from './load/deferred-indexes.js';
import { rowsPerSecond, totals, type TableSummary, type TransferProgress } from './summary.js';

/** Options of {@link copyDatabase}. */
export interface CopyOptions extends LoadModeEvents {
  /** LibSQL source (`file:…` or `libsql://…`). */
  readonly libsqlUrl: string;
  readonly libsqlAuthToken?: string | undefined;
  /** PostgreSQL target; its schema must be migrated. */
  readonly databaseUrl: string;
  /** Folder of the rejects files (`<table>.ndjson`). Default `migration-data/rejects`. */
  readonly rejectsDir?: string | undefined;
  /** Source rows per read. Default: about 10,000 values (≈830 messages, 75 profiles; see `defaultChunkRows`). */
  readonly chunkRows?: number | undefined;
  /** At most this many rows per batch (one transaction, see pg-loader.ts). Default 5,000. */
  readonly batchRows?: number | undefined;
  /** At most about this many bytes of data per batch. Default 2 MiB (`DEFAULT_BATCH_BYTES`). */
  readonly batchBytes?: number | undefined;
  /** Batches in flight at once (one pooled connection each). Default 4. */
  readonly concurrency?: number | undefined;
  /**
   * Load the biggest independent table (messages) while the others load one after another beside
   * it, sharing the `concurrency` connections (table-lanes.ts). Default true; false: one table at a time.
   */
  readonly parallelTables?: boolean | undefined;
  /** Only these tables (still in foreign-key order). Default all. */
  readonly tables?: readonly TableName[] | undefined;
  /**
   * `auto` (default): bulk for a table empty in the target when its load starts, else online;
   * `bulk`: secondary indexes dropped for the load and built after it, one pass each, even when
   * the table has rows; `online`: indexes maintained row by row (see load/deferred-indexes.ts).
   */
  readonly loadMode?: LoadMode | undefined;
  readonly onProgress?: ((p: TransferProgress) => void) | undefined;
  /** Called with warnings before the work starts (e.g. the source is not in WAL mode). */
  readonly onWarning?: ((message: string) => void) | undefined;
  /** Stops after the batches in flight; a re-run resumes safely (version guard). */
  readonly signal?: AbortSignal | undefined;
  /**
   * The byte path (convert/copy-text.ts): rows that need no conversion go from SQLite's token
   * chunks to COPY text without becoming JS objects. Default true; false: every row through the
   * converter (tests compare the two; the bench measures the gain).
   */
  readonly byteCopy?: boolean | undefined;
}

/** What {@link copyDatabase} did. */
export interface CopySummary {
  readonly source: string;
  readonly target: string;
  readonly rejectsDir: string;
  readonly tables: TableSummary[];
  /** The load mode each table got (foreign-key order). */
  readonly loadModes: TableModeReport[];
  /** Indexes an earlier killed bulk load had left deferred, built by this run: before its load, or after it for those another session held until then (load-mode.ts `sweepDeferredIndexes`). */
  readonly recoveredIndexes: string[];
  readonly totals: Omit<TableSummary, 'table'>;
  /** Wall time, in seconds. */
  readonly seconds: number;
  /** Source rows per second over the whole run. */
  readonly rowsPerSecond: number;
}

/**
 * Copies LibSQL straight into PostgreSQL with no intermediate files: one read snapshot of the
 * source, the conversion of convert.ts, and the version-guarded bulk path of pg-loader.ts,
 * pipelined (the next chunk is read while earlier batches are written). Rejects go to
 * `<rejectsDir>/<table>.ndjson`. Idempotent and resumable: re-running converges.
 *
 * @throws DatabaseError `DATABASE_UNREACHABLE` (either side), `SCHEMA_MISSING` (PostgreSQL schema behind);
 *   driver errors when a connection is lost mid-run (nothing half-applied: each batch is one transaction).
 */
export async function copyDatabase(opts: CopyOptions): Promise<CopySummary> {
  const started = performance.now();
  const rejectsDir = opts.rejectsDir ?? join('migration-data', 'rejects');
  const source: Source = await openSource({ url: opts.libsqlUrl, authToken: opts.libsqlAuthToken });
  const concurrency = opts.concurrency ?? 4;
  try {
    const warning = journalModeWarning(source);
    if (warning) opts.onWarning?.(warning);
    const target = await openTarget(opts.databaseUrl, { max: concurrency, applicationName: 'repo-database:copy' });
    try {
      const recoveredIndexes = await recoverDeferredIndexes(target, opts);
      const jsonDepth = await measurePgJsonDepth((q, p) => target.sql.unsafe(q, p as never[]));
      const converter = new Converter('sqlite', 'copy', { jsonDepth });
      const slots = new Slots(concurrency);
      const results = await source.snapshot(async (snap) => {
        const order = tableNames.filter((t) => !opts.tables || opts.tables.includes(t));
        const counts = new Map<TableName, number>();
        for (const t of order) counts.set(t, await snap.count(t));
        const chunkRows = (table: TableName) => opts.chunkRows ?? defaultChunkRows(table);
        const copyTable = async (table: TableName, signal: AbortSignal) => {
          const rejects = new RejectFile(join(rejectsDir, `${table}.ndjson`));
          try {
            const total = counts.get(table)!;
            opts.onProgress?.({ stage: 'load', table, done: 0, total });
            const r = await loadInMode(target, table, opts.loadMode ?? 'auto', opts, (bulk) => {
              // The byte path (convert/copy-text.ts) knows the bulk load's held-back rule and PostgreSQL's JSON depth.
              const spec = { jsonMaxBytes: jsonMaxBytes(jsonDepth), indexedColumns: bulk?.columns ?? null };
              const chunks = opts.byteCopy === false ? snap.rows(table, chunkRows(table)) : snap.copyRows(table, chunkRows(table), spec);
              return loadTable(table, chunks, { ...opts, target, converter, rejects, stage: 'copy', total, slots, signal, bulk });
            });
            await rejects.finish();
            converter.finish(table);
            return r;
          } catch (e) {
            await rejects.abort();
            throw e;
          }
        };
        return runInLanes(order, counts, copyTable, opts.signal, opts.parallelTables ?? true);
      });
      recoveredIndexes.push(...(await sweepDeferredIndexes(target, opts)));
      const summaries = results.map((r) => r.value);
      const seconds = (performance.now() - started) / 1000;
      const t = totals(summaries);
      return { source: source.label, target: target.label, rejectsDir, tables: summaries, loadModes: results.map((r) => r.mode), recoveredIndexes, totals: t, seconds, rowsPerSecond: rowsPerSecond(t.read, seconds) };
    } finally {
      await target.close();
    }
  } finally {
    source.close();
  }
}
