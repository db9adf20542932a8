/**
 * Applies an adoption plan to a local LibSQL file: a backup first (`VACUUM INTO` a file beside the
 * database), then ONE write transaction holding every change (columns, tables, indexes, the FTS
 * rebuild, the journal stamp) between two checksum runs that must be equal. A crash or `kill -9`
 * at any moment leaves the old file or the adopted one: SQLite's journal rolls an unfinished
 * transaction back on the next open.
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type Libsql from 'libsql';
import { DatabaseError } from '../errors.js';
import { sqliteFilePath } from '../transfer/source/source.js';
import { checksumDifferences, tableChecksums, type TableChecksum } from './checksum.js';
import { compareLayout } from './compare.js';
import { classifyLayout, detectLayout, type DetectedLayout } from './detect.js';
import { inspectSchema, type SchemaReader } from './inspect.js';
import { buildPlan, planStatements, type AdoptPlan } from './plan.js';
import { openLibsqlFile } from '../stores/sqlite/libsql-client.js';

/** Progress of an adoption, in order: backup written, checksums before, each statement, checksums after. */
export type AdoptEvent =
  | { readonly kind: 'backup'; readonly path: string }
  | { readonly kind: 'before'; readonly checksums: readonly TableChecksum[] }
  | { readonly kind: 'statement'; readonly index: number; readonly total: number }
  | { readonly kind: 'after'; readonly checksums: readonly TableChecksum[] };

/** Options of {@link adoptSqlite}. */
export interface AdoptOptions {
  /** Where the backup goes (default {@link defaultBackupPath}); refused when it exists. */
  readonly backupPath?: string;
  /** Wait this long for another writer's lock (ms). Default 5,000. */
  readonly busyTimeoutMs?: number;
  readonly onEvent?: (e: AdoptEvent) => void;
}

/** What {@link adoptSqlite} did. */
export interface AdoptResult {
  /** The plan applied (built inside the transaction). */
  readonly plan: AdoptPlan;
  /** The backup file, or null when there was nothing to do. */
  readonly backupPath: string | null;
  readonly before: readonly TableChecksum[];
  readonly after: readonly TableChecksum[];
}

/** The default backup of `path`: `<name>.pre-adopt.bak` in the same folder. */
export function defaultBackupPath(path: string): string {
  return join(dirname(path), `${basename(path)}.pre-adopt.bak`);
}

const nativeReader = (db: Libsql.Database): SchemaReader => ({ all: async (sql, args = []) => db.prepare(sql).all(...(args as unknown[])) as Record<string, unknown>[] });

/**
 * The local file of a `file:` URL.
 * @throws DatabaseError `INVALID_INPUT` for a remote URL; `DATABASE_UNREACHABLE` when the file does not exist.
 */
export function adoptableFile(url: string): string {
  const path = sqliteFilePath(url);
  if (path === null) throw new DatabaseError('INVALID_INPUT', 'adopt --apply works on a local LibSQL file (a file: URL): copy the database to a file first', { url });
  if (!existsSync(path)) throw new DatabaseError('DATABASE_UNREACHABLE', `LibSQL file ${path} does not exist`, { path });
  return path;
}

/**
 * Adopts the file at `url` (see the module comment). Nothing is done (no backup either) when the
 * plan is empty (an empty, adopted or migrated file).
 * @throws DatabaseError `UNRECOGNISED_LAYOUT` (not omega-bot's layout: nothing written),
 *   `BACKUP_EXISTS`, `ADOPT_CHECKSUM_MISMATCH` (rolled back), `INVALID_INPUT` / `DATABASE_UNREACHABLE` (see {@link adoptableFile}).
 */
export async function adoptSqlite(url: string, opts: AdoptOptions = {}): Promise<AdoptResult> {
  const path = adoptableFile(url);
  const first = buildPlan(await detectLayout(url));
  if (first.steps.length === 0) return { plan: first, backupPath: null, before: [], after: [] };
  const backup = opts.backupPath ?? defaultBackupPath(path);
  if (existsSync(backup)) throw new DatabaseError('BACKUP_EXISTS', `backup ${backup} exists: move it away (or pass --backup <path>) and run adopt again`, { path: backup });
  const db = openLibsqlFile(path, opts.busyTimeoutMs);
  try {
    // Written under another name and renamed, so a crash never leaves a half backup under the real name.
    const partial = `${backup}.partial`;
    rmSync(partial, { force: true });
    db.prepare('VACUUM INTO ?').run(partial);
    renameSync(partial, backup);
    opts.onEvent?.({ kind: 'backup', path: backup });

    db.exec('BEGIN IMMEDIATE');
    try {
      // The plan again, under the write lock: what is applied is what the file holds now.
      const layout: DetectedLayout = classifyLayout(await inspectSchema(nativeReader(db)));
      const plan = buildPlan(layout);
      const before = tableChecksums(db, plan.checksumColumns);
      opts.onEvent?.({ kind: 'before', checksums: before });
      const statements = planStatements(plan);
      statements.forEach((s, i) => {
        opts.onEvent?.({ kind: 'statement', index: i, total: statements.length });
        if (typeof s === 'string') db.exec(s);
        else db.prepare(s.sql).run(...(s.args as unknown[]));
      });
      const after = tableChecksums(db, plan.checksumColumns);
      opts.onEvent?.({ kind: 'after', checksums: after });
      const diff = checksumDifferences(before, after);
      if (diff.length) throw new DatabaseError('ADOPT_CHECKSUM_MISMATCH', `rows changed during adoption (${diff.join('; ')}): rolled back, the file is as it was`, { diff });
      const check = compareLayout(await inspectSchema(nativeReader(db)));
      const left = check.ok ? check.differences : null;
      if (!left || left.missingColumns.length || left.missingTables.length || left.missingIndexes.length || left.tombstonesMissing || left.fts.kind !== 'current') {
        throw new DatabaseError('UNRECOGNISED_LAYOUT', `the adopted layout is not the product's (${check.ok ? 'something is still missing' : check.mismatch}): rolled back`);
      }
      db.exec('COMMIT');
      return { plan, backupPath: backup, before, after };
    } catch (e) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw e;
    }
  } finally {
    db.close();
  }
}
