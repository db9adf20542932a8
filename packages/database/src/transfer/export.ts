import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tableNames, type TableName } from '../schema/tables.js';
import { AtomicFile, writeFileAtomic } from './files/atomic-file.js';
import { Converter, countNotes } from './convert/convert.js';
import { CHECKSUM_ALGORITHM, EXPORT_FORMAT, TableDigest, type ExportedTable, type ExportMetadata } from './files/metadata.js';
import { journal, sqliteMigrationStatus } from './source/migration-status.js';
import { canonicalJson } from './convert/normalize-row.js';
import { RejectFile } from './files/reject-file.js';
import { defaultChunkRows, openSource, type Snapshot } from './source/source.js';
import { emptySummary, rowsPerSecond, totals, type TableSummary, type TransferProgress } from './summary.js';
import { journalModeWarning } from './source/warnings.js';
import { heapPacer } from '../heap-pacer.js';

/** Options of {@link exportDatabase}. */
export interface ExportOptions {
  readonly libsqlUrl: string;
  readonly libsqlAuthToken?: string | undefined;
  /** Output folder. Default `migration-data`. */
  readonly outDir?: string | undefined;
  /** Source rows per read. Default: about 10,000 values (see `defaultChunkRows`). */
  readonly chunkRows?: number | undefined;
  readonly onProgress?: ((p: TransferProgress) => void) | undefined;
  readonly onWarning?: ((message: string) => void) | undefined;
}

/** What {@link exportDatabase} did. In each table summary, `imported` = rows written to the file. */
export interface ExportSummary {
  readonly outDir: string;
  readonly metadata: ExportMetadata;
  readonly tables: TableSummary[];
  readonly totals: Omit<TableSummary, 'table'>;
  /** Wall time, in seconds. */
  readonly seconds: number;
  readonly rowsPerSecond: number;
}

/** Where export writes the rows it could not convert. */
export const exportRejectsPath = (outDir: string, table: TableName): string => join(outDir, 'rejects', 'export', `${table}.ndjson`);

/**
 * A full garbage collection every 8 MB of lines written (heap-pacer.ts), as copy and import do:
 * without it export's peak memory grew with the data set (132 MB at 1M messages, 319 MB at 10M).
 * Every 32 MB still let the wide tables (queries, documents, user_profiles) grow the heap at 10M:
 * those three alone peaked at 312 MB against 180 MB at 1M; every 8 MB, 233 MB against 172 MB, in
 * no more time (every 4 MB: 240 MB).
 */
const paceHeap = heapPacer(8 * 1024 * 1024);

async function exportTable(snap: Snapshot, table: TableName, opts: ExportOptions, outDir: string, converter: Converter) {
  const started = performance.now();
  const s = emptySummary(table);
  const file = await AtomicFile.create(join(outDir, `${table}.ndjson`));
  const rejects = new RejectFile(exportRejectsPath(outDir, table));
  const digest = new TableDigest();
  try {
    const total = await snap.count(table);
    opts.onProgress?.({ stage: 'read', table, done: 0, total });
    for await (const chunk of snap.rows(table, opts.chunkRows ?? defaultChunkRows(table))) {
      for (const r of chunk) {
        s.read++;
        const c = converter.convert(table, r.values, { rowid: r.rowid, parentExists: r.parentExists });
        countNotes(s, c.notes);
        if (!c.ok) {
          s.rejected++;
          await rejects.add(c.reject, r.values);
          continue;
        }
        const line = canonicalJson(table, c.row);
        digest.add(line);
        await file.write(`${line}\n`);
        paceHeap(line.length);
        s.imported++;
      }
      opts.onProgress?.({ stage: 'read', table, done: s.read, total });
    }
    await file.commit();
    await rejects.finish();
  } catch (e) {
    await file.abort();
    await rejects.abort();
    throw e;
  }
  s.seconds = (performance.now() - started) / 1000;
  const entry: ExportedTable = { file: `${table}.ndjson`, rows: digest.rows, bytes: file.bytes, checksum: digest.hex(), rejected: s.rejected, sanitized: s.sanitized };
  return { summary: s, entry };
}

/**
 * Exports the LibSQL database to `<outDir>/<table>.ndjson` (one canonical row per line, in id
 * order, from ONE read transaction) plus `metadata.json` (written last: its presence means the
 * export is complete; an old one is deleted first). Streaming: keyset-paginated reads, buffered
 * writes awaited, so memory does not grow with the table. Every file is written atomically.
 *
 * Rows the conversion rejects are not in `<table>.ndjson`; they are in
 * `rejects/export/<table>.ndjson` with their reason and raw values, and counted in metadata
 * (`rejected`), so nothing is lost silently; import reports them again.
 *
 * @throws DatabaseError `DATABASE_UNREACHABLE` when the source cannot be opened (a missing file is never created).
 */
export async function exportDatabase(opts: ExportOptions): Promise<ExportSummary> {
  const started = performance.now();
  const outDir = opts.outDir ?? 'migration-data';
  const source = await openSource({ url: opts.libsqlUrl, authToken: opts.libsqlAuthToken });
  try {
    const warning = journalModeWarning(source);
    if (warning) opts.onWarning?.(warning);
    await mkdir(outDir, { recursive: true });
    await rm(join(outDir, 'metadata.json'), { force: true });
    const sourceMigration = (await sqliteMigrationStatus(opts.libsqlUrl, opts.libsqlAuthToken)).current;
    const converter = new Converter('sqlite', 'export');
    const { exportedAt, results } = await source.snapshot(async (snap) => {
      const at = new Date().toISOString();
      const out = [];
      for (const table of tableNames) {
        out.push(await exportTable(snap, table, opts, outDir, converter));
        converter.finish(table);
      }
      return { exportedAt: at, results: out };
    });
    const metadata: ExportMetadata = {
      format: EXPORT_FORMAT,
      schemaVersion: { sqlite: journal('sqlite').at(-1)?.tag ?? null, postgres: journal('pg').at(-1)?.tag ?? null },
      sourceMigration,
      exportedAt,
      source: source.label,
      checksumAlgorithm: CHECKSUM_ALGORITHM,
      tables: Object.fromEntries(results.map((r) => [r.summary.table, r.entry])) as Record<TableName, ExportedTable>,
    };
    await writeFileAtomic(join(outDir, 'metadata.json'), `${JSON.stringify(metadata, null, 2)}\n`);
    const tablesOut = results.map((r) => r.summary);
    const seconds = (performance.now() - started) / 1000;
    const t = totals(tablesOut);
    return { outDir, metadata, tables: tablesOut, totals: t, seconds, rowsPerSecond: rowsPerSecond(t.read, seconds) };
  } finally {
    source.close();
  }
}
