import type { Row } from '../../stores/store.js';

/**
 * Bytes of indexed values above which a row is held back from a bulk load (btree refuses an index
 * row beyond 2,704 bytes, after compression: PostgreSQL docs, "B-Tree Implementation"; SQLSTATE 54000).
 * Below it no deferred index can refuse the row. GIN entries are safe: `jsonb_ops` hashes long
 * strings and a tsvector lexeme is at most 2,047 bytes.
 */
export const HOLD_BACK_BYTES = 2_000;
/** At most this many rows are held back per table (their converted values stay in memory until the indexes exist). */
export const MAX_HELD_ROWS = 10_000;

/**
 * The columns of the btree indexes a bulk load deferred, from their `pg_get_indexdef`
 * (`CREATE INDEX name ON table USING btree (a, "b")`); expression columns are ignored.
 */
export function btreeColumns(definitions: readonly string[]): string[] {
  const out = new Set<string>();
  for (const d of definitions) {
    const m = /USING btree \((.*)\)\s*$/i.exec(d);
    if (!m) continue;
    for (const part of m[1]!.split(',')) {
      const name = part.trim().replace(/^"(.*)"$/, '$1');
      if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) out.add(name);
    }
  }
  return [...out];
}

/**
 * True when `row`'s values in `columns` may not fit one index row: such a row is held back from the
 * bulk load and written after the indexes are built, by the same path as online mode, so
 * PostgreSQL refuses it (54000) and the loader rejects it alone, exactly as online mode would.
 * (A row that goes in while an index is absent would make the index build fail afterwards, and a
 * deleted row cannot be taken out of a build: PostgreSQL indexes recently dead rows too.)
 */
export function mayExceedIndexRow(row: Readonly<Row>, columns: readonly string[]): boolean {
  let bytes = 0;
  for (const c of columns) {
    const v = row[c];
    if (typeof v === 'string') bytes += v.length > HOLD_BACK_BYTES / 3 ? Buffer.byteLength(v) : v.length * 3;
    else if (v !== null && v !== undefined) bytes += 16;
    if (bytes > HOLD_BACK_BYTES) return true;
  }
  return false;
}
