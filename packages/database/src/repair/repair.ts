/**
 * `pnpm db repair`: fixes in place, in a local LibSQL file, the stored values that no reader can
 * take as they are (what `db check` reports as invalid text or invalid JSON), with the same
 * policy the store's reads apply (stores/sqlite/stored-text.ts, stored-json.ts):
 * - TEXT whose bytes are not UTF-8: each bad sequence → U+FFFD (an encoded lone surrogate → U+FFFD,
 *   an encoded surrogate pair → its character);
 * - U+0000 in TEXT: stripped; a lone surrogate: U+FFFD (the services' text policy);
 * - a JSON column whose text is not JSON: JSON behind leading BOMs → that JSON without them;
 *   anything else → `{"raw": <the text>}` (the user-profile service's rule for text that is not
 *   JSON), so nothing is lost and every reader gets JSON.
 * Key columns (ids, unique and foreign-key columns) are never rewritten: another row may point
 * at the value, or two values may become one. Such values are listed as skipped.
 *
 * Dry run by default: the plan is every change (table, id, column, before → after, printable).
 * With `apply`: a backup first (`VACUUM INTO` beside the file), then one write transaction that
 * re-reads the plan under the lock and updates each value only if it still holds the bytes it
 * was planned from; each changed row's `version` goes up by one, so shadow writes, verify and
 * reconcile see the repaired row as newer than any copy of the old one.
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type Libsql from 'libsql';
import { DatabaseError } from '../errors.js';
import { stringifyJsonExact } from '../json-exact.js';
import { tableNames, tables, type TableName } from '../schema/tables.js';
import { readStoredJson } from '../stores/sqlite/stored-json.js';
import { decodeStoredText, printable, printableBytes } from '../stores/sqlite/stored-text.js';
import { sqliteFilePath } from '../transfer/source/source.js';
import { openLibsqlFile } from '../stores/sqlite/libsql-client.js';

/** Why a value is changed. */
export type RepairReason = 'invalid_utf8' | 'nul' | 'lone_surrogate' | 'bom' | 'invalid_json';

/** One value repair changes (or, for key columns, would change but does not). */
export interface RepairChange {
  readonly table: TableName;
  /** The row's id, printable (it may itself hold the bad bytes). */
  readonly id: string;
  readonly rowid: number;
  readonly column: string;
  readonly reasons: readonly RepairReason[];
  /** The stored value, printable: `x'…'` hex when it is not UTF-8, else a JSON-quoted string. */
  readonly before: string;
  /** The value written, printable (JSON-quoted). */
  readonly after: string;
}

/** What {@link repairSqlite} found and did. */
export interface RepairResult {
  readonly file: string;
  /** Rows read per table. */
  readonly scanned: Readonly<Record<string, number>>;
  /** Values changed (apply) or that would be changed (dry run). */
  readonly changes: readonly RepairChange[];
  /** Values in key columns that need repair and are left as they are (see the module comment). */
  readonly skipped: readonly RepairChange[];
  readonly applied: boolean;
  /** The backup written before applying; null on a dry run or when there was nothing to do. */
  readonly backupPath: string | null;
  /** Planned values that changed under us between the plan and the write (not written; run repair again). */
  readonly changedMeanwhile: number;
}

/** Options of {@link repairSqlite}. */
export interface RepairOptions {
  /** Write the changes (default: dry run). */
  readonly apply?: boolean;
  /** Backup path (default {@link defaultRepairBackupPath}); refused when it exists. */
  readonly backupPath?: string;
  /** Rows read per statement. Default 1,000. */
  readonly chunkRows?: number;
  /** Wait this long for another writer's lock (ms). Default 5,000. */
  readonly busyTimeoutMs?: number;
}

/** The default backup of `path`: `<name>.pre-repair-<UTC time>.bak` in the same folder. */
export function defaultRepairBackupPath(path: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return join(dirname(path), `${basename(path)}.pre-repair-${stamp}.bak`);
}

/** Columns repair never rewrites: ids, unique and foreign-key columns, and columns other tables reference. */
export function keyColumns(table: TableName): Set<string> {
  const spec = tables[table];
  const keys = new Set<string>(spec.columns.filter((c) => c.type === 'id').map((c) => c.name));
  for (const i of spec.indexes) if (i.unique) for (const c of i.columns) keys.add(c);
  for (const fk of spec.foreignKeys) keys.add(fk.column);
  for (const other of tableNames) for (const fk of tables[other].foreignKeys) if (fk.references.table === table) keys.add(fk.references.column);
  return keys;
}

const qi = (name: string) => `"${name.replaceAll('"', '""')}"`;

interface Planned extends RepairChange {
  /** The stored bytes (guard of the update). */
  readonly bytes: Buffer;
  /** The text to write. */
  readonly value: string;
}

/** The repaired value of one stored TEXT value of a `text`/`id`/`json` column, or null when it needs none. */
export function repairValue(type: 'text' | 'id' | 'json', bytes: Uint8Array): { value: string; reasons: RepairReason[] } | null {
  const d = decodeStoredText(bytes);
  const reasons: RepairReason[] = d.changes.map((c) => c.reason);
  let value = d.text;
  if (type === 'json') {
    const r = readStoredJson(value);
    if (!r.ok) (value = stringifyJsonExact({ raw: value })), reasons.push('invalid_json');
    else if (r.bom) (value = value.replace(/^\uFEFF+/, '')), reasons.push('bom');
  }
  return reasons.length ? { value, reasons } : null;
}

function plan(db: Libsql.Database, chunkRows: number): { scanned: Record<string, number>; changes: Planned[]; skipped: Planned[] } {
  const scanned: Record<string, number> = {};
  const changes: Planned[] = [];
  const skipped: Planned[] = [];
  const present = new Set((db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]).map((r) => r.name));
  for (const table of tableNames) {
    if (!present.has(table)) continue;
    const existing = new Set((db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[]).map((r) => r.name));
    const cols = tables[table].columns.filter((c) => (c.type === 'text' || c.type === 'id' || c.type === 'json') && existing.has(c.name));
    const keys = keyColumns(table);
    // Every TEXT value as bytes (the driver aborts the process on TEXT that is not UTF-8).
    const list = cols.map((c) => `CASE WHEN typeof(${qi(c.name)}) = 'text' THEN CAST(${qi(c.name)} AS BLOB) END`).join(', ');
    const stmt = db.prepare(`SELECT rowid, ${list} FROM ${qi(table)} WHERE rowid > ? ORDER BY rowid LIMIT ?`).raw(true);
    let last = Number.MIN_SAFE_INTEGER;
    let n = 0;
    for (;;) {
      const rows = stmt.all(last, chunkRows) as unknown[][];
      if (rows.length === 0) break;
      for (const r of rows) {
        const rowid = Number(r[0]);
        last = rowid;
        n++;
        const idBytes = cols.findIndex((c) => c.name === 'id');
        const idRaw = idBytes >= 0 ? (r[idBytes + 1] as Buffer | null) : null;
        const id = idRaw ? decodeStoredText(idRaw).text : `rowid ${rowid}`;
        cols.forEach((c, j) => {
          const raw = r[j + 1] as Buffer | null;
          if (!raw) return;
          const fix = repairValue(c.type as 'text' | 'id' | 'json', raw);
          if (!fix) return;
          const beforeIsUtf8 = !fix.reasons.includes('invalid_utf8') && !fix.reasons.includes('lone_surrogate');
          const entry: Planned = {
            table,
            id: printable(id, 60),
            rowid,
            column: c.name,
            reasons: fix.reasons,
            before: beforeIsUtf8 ? printable(Buffer.from(raw).toString('utf8'), 80) : printableBytes(raw),
            after: printable(fix.value, 80),
            bytes: Buffer.from(raw),
            value: fix.value,
          };
          (keys.has(c.name) ? skipped : changes).push(entry);
        });
      }
      if (rows.length < chunkRows) break;
    }
    scanned[table] = n;
  }
  return { scanned, changes, skipped };
}

const strip = (p: Planned): RepairChange => ({ table: p.table, id: p.id, rowid: p.rowid, column: p.column, reasons: p.reasons, before: p.before, after: p.after });

/**
 * Plans (and with `apply`, makes) the repair of the local LibSQL file at `url` (module comment).
 * The caller checks the layout first (`assertAdopted`: a legacy file is refused).
 * @throws DatabaseError `INVALID_INPUT` (not a local `file:` URL), `DATABASE_UNREACHABLE` (no such
 *   file), `BACKUP_EXISTS` (the backup path exists); what the driver throws (busy, I/O).
 */
export function repairSqlite(url: string, opts: RepairOptions = {}): RepairResult {
  const path = sqliteFilePath(url);
  if (path === null) throw new DatabaseError('INVALID_INPUT', 'repair works on a local LibSQL file (a file: URL): copy the database to a file first', {});
  if (!existsSync(path)) throw new DatabaseError('DATABASE_UNREACHABLE', `LibSQL file ${path} does not exist`, { path });
  const chunkRows = opts.chunkRows ?? 1_000;
  const db = openLibsqlFile(path, opts.busyTimeoutMs);
  try {
    const first = plan(db, chunkRows);
    if (!opts.apply || first.changes.length === 0) {
      return { file: path, scanned: first.scanned, changes: first.changes.map(strip), skipped: first.skipped.map(strip), applied: false, backupPath: null, changedMeanwhile: 0 };
    }
    const backup = opts.backupPath ?? defaultRepairBackupPath(path);
    if (existsSync(backup)) throw new DatabaseError('BACKUP_EXISTS', `backup ${backup} exists: move it away (or pass --backup <path>) and run repair again`, { path: backup });
    // Written under another name and renamed, so a crash never leaves a half backup under the real name.
    const partial = `${backup}.partial`;
    rmSync(partial, { force: true });
    db.prepare('VACUUM INTO ?').run(partial);
    renameSync(partial, backup);

    db.exec('BEGIN IMMEDIATE');
    try {
      // The plan again, under the write lock: what is written is what the file holds now.
      const locked = plan(db, chunkRows);
      let changedMeanwhile = 0;
      const done: Planned[] = [];
      for (const ch of locked.changes) {
        const r = db
          .prepare(`UPDATE ${qi(ch.table)} SET ${qi(ch.column)} = ?, version = version + 1 WHERE rowid = ? AND CAST(${qi(ch.column)} AS BLOB) = ?`)
          .run(ch.value, ch.rowid, ch.bytes);
        if (r.changes === 1) done.push(ch);
        else changedMeanwhile++;
      }
      db.exec('COMMIT');
      return { file: path, scanned: locked.scanned, changes: done.map(strip), skipped: locked.skipped.map(strip), applied: true, backupPath: backup, changedMeanwhile };
    } catch (e) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw e;
    }
  } finally {
    db.close();
  }
}

/** The human lines of a result: one per change, then the totals. */
export function formatRepair(r: RepairResult): string[] {
  const lines: string[] = [];
  for (const c of r.changes) lines.push(`${r.applied ? 'fixed' : 'would fix'} ${c.table} ${c.id} ${c.column} (${c.reasons.join(', ')}): ${c.before} → ${c.after}`);
  for (const c of r.skipped) lines.push(`skipped ${c.table} ${c.id} ${c.column} (${c.reasons.join(', ')}): key column, left as ${c.before}; fix it by hand (backup first)`);
  const rows = Object.values(r.scanned).reduce((a, b) => a + b, 0);
  if (r.changes.length === 0 && r.skipped.length === 0) {
    lines.push(`${rows} rows read; nothing to fix`);
    return lines;
  }
  lines.push(
    `${rows} rows read; ${r.changes.length} value${r.changes.length === 1 ? '' : 's'} ${r.applied ? 'fixed' : 'to fix'}` +
      (r.skipped.length ? `, ${r.skipped.length} in key columns skipped` : '') +
      (r.changedMeanwhile ? `, ${r.changedMeanwhile} changed by another writer meanwhile (not written: run repair again)` : ''),
  );
  return lines;
}
