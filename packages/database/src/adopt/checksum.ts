/**
 * Row counts and per-table checksums of the columns a file holds before adoption: adopt computes
 * them before and after its changes, inside its one transaction, and commits only when they are
 * equal (every row kept, every value unchanged).
 */
import { createHash } from 'node:crypto';
import type Libsql from 'libsql';
import type { TableName } from '../schema/tables.js';

/** One table's count and checksum. */
export interface TableChecksum {
  readonly table: TableName;
  readonly rows: number;
  /**
   * sha256 (hex) over the rows in `id` order (then rowid), each value of `columns` in order encoded
   * as its storage class and exact content: `n` (NULL), `i<decimal>` (INTEGER, exact 64-bit),
   * `r<IEEE-754 bits, hex>` (REAL), `t<byte length>:<UTF-8 bytes as stored>` (TEXT),
   * `b<byte length>:<bytes>` (BLOB), each followed by a 0x1f byte, rows by 0x1e.
   */
  readonly sha256: string;
  readonly columns: readonly string[];
}

const US = Buffer.from([0x1f]);
const RS = Buffer.from([0x1e]);

function encode(type: string, v: unknown): Buffer {
  switch (type) {
    case 'null':
      return Buffer.from('n');
    case 'integer':
      return Buffer.from(`i${String(v)}`);
    case 'real': {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(Number(v));
      return Buffer.from(`r${b.toString('hex')}`);
    }
    default: {
      // text comes as its stored bytes (CAST AS BLOB), so invalid UTF-8 is compared exactly too
      const bytes = Buffer.isBuffer(v) ? v : v instanceof Uint8Array ? Buffer.from(v) : Buffer.from(String(v));
      return Buffer.concat([Buffer.from(`${type === 'text' ? 't' : 'b'}${bytes.length}:`), bytes]);
    }
  }
}

/** Checksums of the given tables and columns (see {@link TableChecksum}), read on `db` (inside its transaction, if any). */
export function tableChecksums(db: Libsql.Database, columns: ReadonlyMap<TableName, readonly string[]>): TableChecksum[] {
  const out: TableChecksum[] = [];
  for (const [table, cols] of columns) {
    const select = cols.flatMap((c) => [`typeof("${c}")`, `CASE typeof("${c}") WHEN 'text' THEN CAST("${c}" AS BLOB) ELSE "${c}" END`]).join(', ');
    const st = db.prepare(`SELECT ${select} FROM "${table}" ORDER BY "id", rowid`).raw(true).safeIntegers(true);
    const hash = createHash('sha256');
    let rows = 0;
    for (const row of st.iterate() as Iterable<unknown[]>) {
      for (let i = 0; i < row.length; i += 2) {
        hash.update(encode(String(row[i]), row[i + 1]));
        hash.update(US);
      }
      hash.update(RS);
      rows++;
    }
    out.push({ table, rows, sha256: hash.digest('hex'), columns: cols });
  }
  return out;
}

/** Tables whose count or checksum differ between two runs (empty when every table is equal). */
export function checksumDifferences<T extends { readonly table: string; readonly rows: number; readonly sha256: string }>(
  before: readonly T[],
  after: readonly T[],
): string[] {
  const byTable = new Map(after.map((a) => [a.table, a]));
  const out: string[] = [];
  for (const b of before) {
    const a = byTable.get(b.table);
    if (!a) out.push(`${b.table}: gone`);
    else if (a.rows !== b.rows) out.push(`${b.table}: ${b.rows} rows before, ${a.rows} after`);
    else if (a.sha256 !== b.sha256) out.push(`${b.table}: checksum ${b.sha256.slice(0, 12)} before, ${a.sha256.slice(0, 12)} after`);
  }
  return out;
}
