import { join } from 'node:path';
import { tableNames, type TableName } from '../schema/tables.js';
import { Slots } from './load/in-flight.js';
import { runInLanes } from './load/table-lanes.js';
import { Converter } from './convert/convert.js';
import { readMetadata, validateExport, type ExportMetadata } from './files/metadata.js';
import { journal } from './source/migration-status.js';
import { readLineBatches } from './files/ndjson.js';
import { openTarget } from './load/pg-target.js';
import { measurePgJsonDepth } from './load/pg-json-depth.js';
import { RejectFile } from './files/reject-file.js';
import { rowsPerSecond, totals, type TableSummary, type TransferProgress } from './summary.js';
import { loadTable, type LoadItem } from './load/table-loader.js';
import { loadInMode, recoverDeferredIndexes, sweepDeferredIndexes, type LoadModeEvents, type TableModeReport } from './load/load-mode.js';
import type { LoadMode } from './load/deferred-indexes.js';
import { parseJsonExact } from '../json-exact.js';

/** Options of {@link importDirectory}. */
export interface ImportOptions extends LoadModeEvents {
  /** Export folder to import (with metadata.json). Default `migration-data`. */
  readonly dir?: string | undefined;
  /** Folder of the rejects files (`<table>.ndjson`). Default `<dir>/rejects`. */
  readonly rejectsDir?: string | undefined;
  /** PostgreSQL target; its schema must be migrated. */
  readonly databaseUrl: string;
  /** At most this many rows per batch (one transaction, see pg-loader.ts). Default 5,000. */
  readonly batchRows?: number | undefined;
  /** At most about this many bytes of data per batch. Default 2 MiB (`DEFAULT_BATCH_BYTES`). */
  readonly batchBytes?: number | undefined;
  /** Batches in flight at once (one pooled connection each). Default 4. */
  readonly concurrency?: number | undefined;
  /** Load the biggest independent table while the others load beside it (see `CopyOptions.parallelTables`). Default true. */
  readonly parallelTables?: boolean | undefined;
  /** Only these tables (still in foreign-key order). Default all. */
  readonly tables?: readonly TableName[] | undefined;
  /** `auto` (default) | `bulk` | `online`: see `CopyOptions.loadMode`. */
  readonly loadMode?: LoadMode | undefined;
  readonly onProgress?: ((p: TransferProgress) => void) | undefined;
  readonly onWarning?: ((message: string) => void) | undefined;
  /** Stops after the batches in flight; a re-run resumes safely (version guard). */
  readonly signal?: AbortSignal | undefined;
}

/** One table of an import: the load summary plus the rows the export had already rejected. */
export type ImportTableSummary = TableSummary & {
  /** Rows of the source that export rejected (not in the file; see `rejects/export/<table>.ndjson`). */
  rejectedAtExport: number;
};

/** What {@link importDirectory} did. */
export interface ImportSummary {
  readonly fromDir: string;
  readonly target: string;
  readonly exportedAt: string;
  readonly rejectsDir: string;
  readonly tables: ImportTableSummary[];
  /** The load mode each table got (foreign-key order). */
  readonly loadModes: TableModeReport[];
  /** Indexes an earlier killed bulk load had left deferred, built by this run: before its load, or after it for those another session held until then (load-mode.ts `sweepDeferredIndexes`). */
  readonly recoveredIndexes: string[];
  readonly totals: Omit<TableSummary, 'table'> & { rejectedAtExport: number };
  /** Wall time including the checksum pass, in seconds. */
  readonly seconds: number;
  /** Rows read per second over the whole run. */
  readonly rowsPerSecond: number;
}

/** Lines per chunk of parsed rows: at most 500, and at most about 64 KiB of text (≈30 profiles). */
const LINES_PER_CHUNK = 500;
const CHARS_PER_CHUNK = 64 << 10;

/**
 * Parsed rows of an NDJSON file in small chunks: a chunk stays alive while it is converted, and a
 * small one dies young in V8's heap instead of being promoted (flat peak memory, less GC).
 */
async function* lineItems(path: string): AsyncGenerator<LoadItem[]> {
  let chunk: LoadItem[] = [];
  let chars = 0;
  for await (const lines of readLineBatches(path)) {
    for (const line of lines) {
      chunk.push({ values: parseJsonExact(line) as Record<string, unknown> });
      chars += line.length;
      if (chunk.length >= LINES_PER_CHUNK || chars >= CHARS_PER_CHUNK) {
        yield chunk;
        chunk = [];
        chars = 0;
      }
    }
  }
  if (chunk.length) yield chunk;
}

/**
 * Imports an export folder into PostgreSQL. First every file is checked against metadata.json
 * (row counts and checksums) — nothing is written when one differs. Then tables load in
 * foreign-key order (`tableNames`) through the version-guarded bulk path (pg-loader.ts), so
 * re-running, or importing while shadow writes are live, is safe, and a killed run resumes by
 * running again. Each row is validated again by the conversion (canonical mode); rejects go to
 * `<dir>/rejects/<table>.ndjson`.
 *
 * @throws DatabaseError `EXPORT_INVALID` (files do not match metadata.json), `DATABASE_UNREACHABLE`,
 *   `SCHEMA_MISSING` (PostgreSQL schema behind); driver errors when a connection is lost mid-run.
 */
export async function importDirectory(opts: ImportOptions): Promise<ImportSummary> {
  const started = performance.now();
  const fromDir = opts.dir ?? 'migration-data';
  const meta: ExportMetadata = await readMetadata(fromDir);
  await validateExport(fromDir, meta, (table, lines) => opts.onProgress?.({ stage: 'validate', table, done: lines, total: meta.tables[table].rows }));
  const latestPg = journal('pg').at(-1)?.tag ?? null;
  if (meta.schemaVersion?.postgres !== latestPg) {
    opts.onWarning?.(`warning: the export was made with PostgreSQL schema ${String(meta.schemaVersion?.postgres)}, this code is at ${String(latestPg)}`);
  }
  const concurrency = opts.concurrency ?? 4;
  const target = await openTarget(opts.databaseUrl, { max: concurrency, applicationName: 'repo-database:import' });
  const rejectsDir = opts.rejectsDir ?? join(fromDir, 'rejects');
  try {
    const recoveredIndexes = await recoverDeferredIndexes(target, opts);
    const jsonDepth = await measurePgJsonDepth((q, p) => target.sql.unsafe(q, p as never[]));
    const converter = new Converter('canonical', 'import', { jsonDepth });
    const slots = new Slots(concurrency);
    const order = tableNames.filter((t) => !opts.tables || opts.tables.includes(t));
    const importTable = async (table: TableName, signal: AbortSignal): Promise<{ value: ImportTableSummary; mode: TableModeReport }> => {
      const entry = meta.tables[table];
      const rejects = new RejectFile(join(rejectsDir, `${table}.ndjson`));
      try {
        opts.onProgress?.({ stage: 'load', table, done: 0, total: entry.rows });
        const r = await loadInMode(target, table, opts.loadMode ?? 'auto', opts, (bulk) =>
          loadTable(table, lineItems(join(fromDir, entry.file)), { ...opts, target, converter, rejects, stage: 'import', total: entry.rows, slots, signal, bulk }),
        );
        await rejects.finish();
        converter.finish(table);
        return { value: { ...r.value, rejectedAtExport: entry.rejected ?? 0 }, mode: r.mode };
      } catch (e) {
        await rejects.abort();
        throw e;
      }
    };
    const rows = new Map(order.map((t) => [t, meta.tables[t].rows]));
    const results = await runInLanes(order, rows, importTable, opts.signal, opts.parallelTables ?? true);
    recoveredIndexes.push(...(await sweepDeferredIndexes(target, opts)));
    const out = results.map((r) => r.value);
    const seconds = (performance.now() - started) / 1000;
    const t = { ...totals(out), rejectedAtExport: out.reduce((n, s) => n + s.rejectedAtExport, 0) };
    return { fromDir, target: target.label, exportedAt: meta.exportedAt, rejectsDir, tables: out, loadModes: results.map((r) => r.mode), recoveredIndexes, totals: t, seconds, rowsPerSecond: rowsPerSecond(t.read, seconds) };
  } finally {
    await target.close();
  }
}
