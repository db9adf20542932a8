import { createHash, type Hash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseError } from '../../errors.js';
import { tableNames, type TableName } from '../../schema/tables.js';
import { readLineBatches } from './ndjson.js';

/** The format tag of `metadata.json`; import refuses other formats. */
export const EXPORT_FORMAT = 'repo-database-export/1';

/** One table of an export. */
export interface ExportedTable {
  /** File name inside the export folder (`<table>.ndjson`). */
  readonly file: string;
  /** Lines in the file: rows exported. */
  readonly rows: number;
  /** Size of the file in bytes. */
  readonly bytes: number;
  /** sha256 hex over the per-row checksums in file (id) order; see {@link TableDigest}. */
  readonly checksum: string;
  /** Rows of the source the export could not convert (in `rejects/export/<table>.ndjson`). */
  readonly rejected: number;
  /** Rows whose text the policy changed (U+0000 stripped, lone surrogate → U+FFFD). */
  readonly sanitized: number;
}

/** `metadata.json`: written last by export, so its presence means the export completed. */
export interface ExportMetadata {
  readonly format: typeof EXPORT_FORMAT;
  /** Latest migration tag of each dialect's journal when the export ran (`drizzle/<dialect>/meta/_journal.json`). */
  readonly schemaVersion: { readonly sqlite: string | null; readonly postgres: string | null };
  /** Last migration recorded as applied in the source database (`__drizzle_migrations`), or null. */
  readonly sourceMigration: string | null;
  /** ISO-8601 UTC time of the snapshot. */
  readonly exportedAt: string;
  /** The source URL with credentials removed. */
  readonly source: string;
  /** How checksums are computed, for people reading the file. */
  readonly checksumAlgorithm: string;
  readonly tables: Readonly<Record<TableName, ExportedTable>>;
}

/** The checksum rule, stated once (also copied into metadata.json). */
export const CHECKSUM_ALGORITHM =
  'per row: sha256 hex of the canonical JSON line (= rowChecksum of normalize-row.ts); per table: sha256 hex of the per-row checksums, each followed by "\\n", in file (id) order';

/** Incremental per-table checksum: feed canonical lines in order, read `hex()` at the end. */
export class TableDigest {
  readonly #table: Hash = createHash('sha256');
  /** Lines fed so far. */
  rows = 0;

  /** Adds one canonical JSON line (without its `\n`). */
  add(line: string): void {
    this.#table.update(createHash('sha256').update(line).digest('hex'));
    this.#table.update('\n');
    this.rows++;
  }

  /** The table checksum. Call once. */
  hex(): string {
    return this.#table.digest('hex');
  }
}

/**
 * Reads and shape-checks `metadata.json` of an export folder.
 * @throws DatabaseError `EXPORT_INVALID` when it is missing, unreadable, of another format, or lacks a table.
 */
export async function readMetadata(dir: string): Promise<ExportMetadata> {
  const path = join(dir, 'metadata.json');
  if (!existsSync(path)) {
    throw new DatabaseError('EXPORT_INVALID', `${path} is missing: the export did not complete (or this is not an export folder)`, { path });
  }
  let meta: ExportMetadata;
  try {
    meta = JSON.parse(await readFile(path, 'utf8')) as ExportMetadata;
  } catch (e) {
    throw new DatabaseError('EXPORT_INVALID', `${path} is not valid JSON: ${(e as Error).message}`, { path });
  }
  if (meta.format !== EXPORT_FORMAT) throw new DatabaseError('EXPORT_INVALID', `${path}: format ${String(meta.format)} is not ${EXPORT_FORMAT}`, { path });
  for (const t of tableNames) {
    const e = meta.tables?.[t];
    if (!e || typeof e.rows !== 'number' || typeof e.checksum !== 'string' || typeof e.file !== 'string') {
      throw new DatabaseError('EXPORT_INVALID', `${path}: table ${t} is missing or incomplete`, { path, table: t });
    }
  }
  return meta;
}

/** One mismatch between a data file and metadata.json. */
export interface ExportProblem {
  readonly table: TableName;
  readonly problem: string;
}

/**
 * Recomputes every table's row count and checksum from its file and compares them with
 * metadata.json, before anything is written anywhere. Reports every mismatch, not just the first.
 * @param onProgress called with lines read per table (for a progress bar).
 * @throws DatabaseError `EXPORT_INVALID` (details.problems: ExportProblem[]) on any mismatch or missing file.
 */
export async function validateExport(dir: string, meta: ExportMetadata, onProgress?: (table: TableName, lines: number) => void): Promise<void> {
  const problems: ExportProblem[] = [];
  for (const table of tableNames) {
    const expected = meta.tables[table];
    const path = join(dir, expected.file);
    if (expected.file !== `${table}.ndjson` || !existsSync(path)) {
      problems.push({ table, problem: `data file ${expected.file} is missing` });
      continue;
    }
    const digest = new TableDigest();
    for await (const lines of readLineBatches(path)) {
      for (const line of lines) {
        digest.add(line);
        if (onProgress && digest.rows % 10_000 === 0) onProgress(table, digest.rows);
      }
    }
    onProgress?.(table, digest.rows);
    if (digest.rows !== expected.rows) problems.push({ table, problem: `${digest.rows} rows in ${expected.file}, metadata.json says ${expected.rows}` });
    const sum = digest.hex();
    if (sum !== expected.checksum) problems.push({ table, problem: `checksum of ${expected.file} is ${sum.slice(0, 12)}…, metadata.json says ${expected.checksum.slice(0, 12)}…` });
  }
  if (problems.length) {
    throw new DatabaseError(
      'EXPORT_INVALID',
      `export in ${dir} does not match its metadata.json (nothing was written): ${problems.map((p) => `${p.table}: ${p.problem}`).join('; ')}`,
      { problems },
    );
  }
}
