import { isUtf8 } from 'node:buffer';
import type { TableName } from '../../schema/tables.js';
import { q } from '../../stores/table-sql.js';
import { sqliteFilePath } from '../source/source.js';
import { openLibsqlFile } from '../../stores/sqlite/libsql-client.js';

/**
 * Where PostgreSQL's pass reader gets its range bounds from (pass-reader-pg.ts): up to `count`
 * ids, in ascending byte order, each about `per` rows after the one before, the first about `per`
 * rows after `after` (null: from the start). Fewer than `count` when the source runs out. Any
 * ascending ids do: the bounds only cut the id space into ranges, every range is read whole.
 */
export type BoundSource = (after: string | null, per: number, count: number) => Promise<string[]>;

/** A {@link BoundSource} with its file handle. */
export interface SqliteBounds {
  readonly next: BoundSource;
  close(): void;
}

/**
 * Range bounds for PostgreSQL's side of verify's pass taken from the LibSQL file's id index
 * instead of PostgreSQL's: SQLite skips `per` entries of its covering id index in ~50 ns each,
 * while PostgreSQL's bounds query (`pgBoundsSql`) visits the heap for every row whose page is not
 * all-visible (right after a copy or import, every row: ~10–15 % of PostgreSQL's CPU in a verify).
 * The ids are the same on both sides except for drift, so the ranges hold about as many rows;
 * where PostgreSQL holds more (rows missing in LibSQL), the reader reads a full range on, and past
 * LibSQL's last id it goes on as a keyset pass (pass-reader-pg.ts).
 * Only text ids that are UTF-8 and free of U+0000 become bounds (PostgreSQL text holds no other);
 * one that is not is left out, which merges two ranges. Read as BLOB: the driver never decodes
 * text that is not UTF-8 (it would abort the process). Valid only for a PostgreSQL id collation
 * that sorts bytewise, as SQLite's BINARY does (the reader checks).
 * Returns null for a LibSQL database that is not a local file.
 */
export function openSqliteBounds(libsqlUrl: string, table: TableName): SqliteBounds | null {
  const path = sqliteFilePath(libsqlUrl);
  if (!path) return null;
  const db = openLibsqlFile(path);
  const t = q(table);
  const from = (where: string) =>
    db.prepare(`SELECT CAST(m.id AS BLOB) FROM ${t} m WHERE typeof(m.id) = 'text' ${where} ORDER BY m.id LIMIT 1 OFFSET ?`).raw(true);
  const first = from('');
  const after = from('AND m.id > CAST(? AS TEXT)');
  return {
    async next(start, per, count) {
      const out: string[] = [];
      let at: Buffer | null = start === null ? null : Buffer.from(start, 'utf8');
      while (out.length < count) {
        const row = (at === null ? first.get(per - 1) : after.get(at, per - 1)) as unknown[] | undefined;
        if (!row) break;
        const v = row[0];
        const bytes = v instanceof ArrayBuffer ? Buffer.from(v) : Buffer.from(v as Uint8Array);
        at = bytes;
        if (bytes.length === 0 || !isUtf8(bytes) || bytes.includes(0)) continue; // not a PostgreSQL text: no bound here
        out.push(bytes.toString('utf8'));
      }
      return out;
    },
    close: () => db.close(),
  };
}
