import { isAscii } from 'node:buffer';
import type { ColumnSpec } from '../../schema/columns.js';
import { tables, type TableName } from '../../schema/tables.js';
import { decodeText, type SqliteValue } from './sqlite-value.js';
import { rowFactory } from '../convert/row-shape.js';
import { q } from '../../stores/table-sql.js';
import { concatSql } from '../sql-concat.js';

/**
 * The fast read of copy and export: one chunk of a table as ONE blob of tokens built by SQLite,
 * instead of one driver value per column. Reading the 25 columns of 1M messages value by value
 * (each text tested for plain ASCII with `GLOB`, as source.ts's `rowSelect`) cost 27 s of CPU;
 * as tokens it costs about 7 s (SQLite builds the tokens, JS parses them in one pass).
 *
 * Row grammar (fixed per column position, so a row parses one way only; rows follow one another):
 * | part                       | token                                                     |
 * |----------------------------|-----------------------------------------------------------|
 * | the row                    | `<rowid>;` then one token per present column, spec order, then one per foreign key |
 * | id, text, json column      | `<UTF-8 byte length>:<bytes>`; NULL: `:` alone            |
 * | int, bigint, timestamp, millis, bool column | SQLite's text of the number, then `;`; NULL: `;` alone |
 * | foreign-key flag           | `1;` when the parent row exists, else `0;`                |
 * | a row not in canonical storage (a blob, text in a number column, a number in a text column) | `X<rowid>;` alone |
 *
 * NULL tokens are what `concat()` makes of NULL arguments (it skips them). An `X` row, and a
 * number token that is not an integer (a REAL stored in an integer column: SQLite prints `1.5`,
 * `1.0e+20`, `Inf`), are read again by rowid through the value-by-value select, so every value
 * reaches the converter exactly as stored, as before. Text bytes are never decoded by the driver
 * (the chunk is a BLOB), so text that is not UTF-8 cannot crash it: {@link decodeText} decides.
 *
 * Tables with REAL columns are not read this way (SQLite's text of a REAL is not exact).
 */

/** Whether {@link tokenChunkSql} can read `table`: no REAL column. */
export function tokenReadable(table: TableName): boolean {
  return tables[table].columns.every((c) => c.type !== 'real');
}

const isTextLike = (c: ColumnSpec) => c.type === 'id' || c.type === 'text' || c.type === 'json';

/**
 * The SQL of one token chunk: one row `(b, n)`, `b` the chunk's token rows as a BLOB, `n` their
 * number. Placeholders: the keyset bound (the last id's bytes, cast to TEXT, and its rowid) and
 * the row limit; rows whose id is text only, in `(id, rowid)` order (source.ts's second pass).
 *
 * @param present the source's columns (a spec column the source lacks reads as NULL)
 * @param fkExists per foreign key, the SQL of its `EXISTS (…)` flag (source.ts builds them)
 */
export function tokenChunkSql(table: TableName, present: ReadonlySet<string>, fkExists: readonly string[]): string {
  const cols = tables[table].columns.filter((c) => present.has(c.name));
  const canonical = cols.map((c) => {
    const v = `t.${q(c.name)}`;
    // SQLite orders NULL < numbers < text < blobs and compares with a literal without converting the stored value.
    const test = isTextLike(c) ? `${v} >= '' AND ${v} < x''` : `${v} < ''`;
    return `(${v} IS NULL OR ${test})`;
  });
  const tokens = [
    `t.rowid, ';'`,
    ...cols.map((c) => (isTextLike(c) ? `octet_length(t.${q(c.name)}), ':', t.${q(c.name)}` : `t.${q(c.name)}, ';'`)),
    ...fkExists.map((e) => `${e}, ';'`),
  ];
  const row = `CASE WHEN ${canonical.join(' AND ') || '1'} THEN ${concatSql(tokens)} ELSE 'X' || t.rowid || ';' END`;
  return (
    `SELECT CAST(group_concat(r, '') AS BLOB) AS b, count(*) AS n FROM (SELECT ${row} AS r FROM ${q(table)} t ` +
    `WHERE typeof(t.id) = 'text' AND (t.id, t.rowid) > (CAST(? AS TEXT), ?) ORDER BY t.id, t.rowid LIMIT ?)`
  );
}

/**
 * A chunk as scanned: the blob and the positions of its tokens, no strings or objects, so a reader
 * thread can scan it and post it without a copy (every field is a typed array or a bigint).
 */
export interface ScannedChunk {
  readonly blob: Uint8Array;
  /** Rows in the chunk. */
  readonly n: number;
  /** Per row × column (row-major): start of the value's bytes in `blob`, -1 for NULL; and its end. */
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly rowids: BigInt64Array;
  /** Per row: 1 when the row must be read again value by value (`X` row, or a REAL in an integer column). */
  readonly reread: Uint8Array;
  /** Per row: 1 when its bytes are all ASCII (its text values decode as Latin-1). */
  readonly ascii: Uint8Array;
  /** Per row × foreign key: 1 when the parent row exists. */
  readonly parents: Uint8Array;
  /** The last row's rowid, and its id's bytes in `blob` ([-1, -1] when that row is read again: its id comes with that read). */
  readonly lastRowid: bigint;
  readonly lastIdStart: number;
  readonly lastIdEnd: number;
}

const COLON = 0x3a;
const SEMI = 0x3b;
const X = 0x58;
const MINUS = 0x2d;
const ONE = 0x31;

/**
 * Bytes [s, e) as Latin-1 (ASCII here): Node's own `latin1Slice` (what `toString('latin1')` calls
 * after checking its arguments, ~1.4 s of 1M messages), else `toString`.
 */
const latin1: (b: Buffer, s: number, e: number) => string =
  typeof (Buffer.prototype as { latin1Slice?: unknown }).latin1Slice === 'function'
    ? (b, s, e) => (b as Buffer & { latin1Slice(s: number, e: number): string }).latin1Slice(s, e)
    : (b, s, e) => b.toString('latin1', s, e);

/** Per column: 0 absent from the source (NULL), 1 text-like (`<len>:<bytes>`), 2 number (`<digits>;`). */
function columnKinds(table: TableName, present: ReadonlySet<string>): Uint8Array {
  return Uint8Array.from(tables[table].columns, (c) => (!present.has(c.name) ? 0 : isTextLike(c) ? 1 : 2));
}

const asBuffer = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/**
 * Scans the blob of {@link tokenChunkSql}: where each value is, which rows to read again.
 * @throws Error when the blob does not follow the grammar, or holds a number of rows other than `n`
 *   (nothing is ever skipped silently).
 */
export function scanTokenChunk(table: TableName, present: ReadonlySet<string>, blob: Uint8Array, n: number): ScannedChunk {
  const spec = tables[table];
  const ncols = spec.columns.length;
  const nfk = spec.foreignKeys.length;
  const kinds = columnKinds(table, present);
  const idIndex = spec.columns.findIndex((c) => c.name === 'id');
  const buf = asBuffer(blob);
  const end = buf.length;
  const starts = new Int32Array(n * ncols);
  const ends = new Int32Array(n * ncols);
  const rowids = new BigInt64Array(n);
  const reread = new Uint8Array(n);
  const ascii = new Uint8Array(n);
  const parents = new Uint8Array(n * nfk);
  let at = 0;
  let r = 0;
  const fail = (why: string): never => {
    throw new Error(`${table}: token chunk unreadable at byte ${at} of ${end}: ${why}`);
  };
  /** The index of the next `stop` byte from `at` (tokens before a stop are a few digits: a plain loop beats indexOf). */
  const until = (stop: number): number => {
    let e = at;
    while (e < end && buf[e] !== stop) e++;
    if (e >= end) fail(`no '${String.fromCharCode(stop)}'`);
    return e;
  };
  while (at < end) {
    if (r >= n) fail(`more rows than the ${n} SQLite sent`);
    const base = r * ncols;
    if (buf[at] === X) {
      at++;
      const e = until(SEMI);
      rowids[r] = intAt(buf, at, e);
      reread[r] = 1;
      starts.fill(-1, base, base + ncols);
      at = e + 1;
      r++;
      continue;
    }
    let e = until(SEMI);
    rowids[r] = intAt(buf, at, e);
    at = e + 1;
    const rowStart = at;
    for (let i = 0; i < ncols; i++) {
      const kind = kinds[i]!;
      if (kind === 0) {
        starts[base + i] = -1;
      } else if (kind === 1) {
        e = until(COLON);
        if (e === at) starts[base + i] = -1; // NULL
        else {
          let len = 0;
          for (let k = at; k < e; k++) {
            const d = buf[k]! - 0x30;
            if (d < 0 || d > 9 || len > 1e12) fail(`bad length for ${spec.columns[i]!.name}`);
            len = len * 10 + d;
          }
          if (e + 1 + len > end) fail(`bad length for ${spec.columns[i]!.name}`);
          starts[base + i] = e + 1;
          ends[base + i] = e + 1 + len;
          e += len;
        }
        at = e + 1;
      } else {
        e = until(SEMI);
        if (e === at) starts[base + i] = -1;
        else {
          if (!isIntegerText(buf, at, e)) reread[r] = 1; // a REAL in an integer column: read it exactly
          starts[base + i] = at;
          ends[base + i] = e;
        }
        at = e + 1;
      }
    }
    for (let k = 0; k < nfk; k++) {
      e = until(SEMI);
      parents[r * nfk + k] = buf[at] === ONE ? 1 : 0;
      at = e + 1;
    }
    ascii[r] = isAscii(buf.subarray(rowStart, at)) ? 1 : 0;
    r++;
  }
  if (r !== n) fail(`parsed ${r} rows, SQLite sent ${n}`);
  const last = (n - 1) * ncols + idIndex;
  const noId = n === 0 || starts[last]! < 0; // an `X` row: its id comes with the value-by-value read
  return {
    blob,
    n,
    starts,
    ends,
    rowids,
    reread,
    ascii,
    parents,
    lastRowid: n > 0 ? rowids[n - 1]! : -1n,
    lastIdStart: noId ? -1 : starts[last]!,
    lastIdEnd: noId ? -1 : ends[last]!,
  };
}

/** One row of a chunk: its rowid, values by spec column, and whether each foreign key's parent exists (source.ts's SourceRow). */
export interface TokenRow {
  readonly rowid: bigint;
  readonly values: Record<string, SqliteValue>;
  readonly parentExists: Record<string, boolean>;
}

/**
 * The rows of a scanned chunk, in order; a row to read again is taken from `again(rowid)` (the
 * value-by-value read).
 * @throws Error when a row to read again is not in `again` (it vanished: nothing is skipped silently).
 */
export function materializeTokenChunk(table: TableName, c: ScannedChunk, again: (rowid: bigint) => TokenRow | undefined): TokenRow[] {
  const rowAt = tokenRowReader(table, c, again);
  const rows: TokenRow[] = new Array(c.n);
  for (let r = 0; r < c.n; r++) rows[r] = rowAt(r);
  return rows;
}

/**
 * Row `r` of a scanned chunk, as {@link materializeTokenChunk} gives it, one row at a time (copy's
 * byte path materializes only the rows it did not encode).
 * @throws Error when a row to read again is not in `again`.
 */
export function tokenRowReader(table: TableName, c: ScannedChunk, again: (rowid: bigint) => TokenRow | undefined): (r: number) => TokenRow {
  const spec = tables[table];
  const cols = spec.columns;
  const ncols = cols.length;
  const fkColumns = spec.foreignKeys.map((fk) => fk.column);
  const nfk = fkColumns.length;
  const isText = Uint8Array.from(cols, (col) => (isTextLike(col) ? 1 : 0));
  const make = rowFactory(table);
  const buf = asBuffer(c.blob);
  const values: unknown[] = new Array(ncols);
  return (r) => {
    const rowid = c.rowids[r]!;
    if (c.reread[r] === 1) {
      const row = again(rowid);
      if (!row) throw new Error(`${table}: row ${rowid} vanished from the snapshot`);
      return row;
    }
    const base = r * ncols;
    const ascii = c.ascii[r] === 1;
    for (let i = 0; i < ncols; i++) {
      const s = c.starts[base + i]!;
      if (s < 0) values[i] = null;
      else if (isText[i] === 1) values[i] = ascii ? latin1(buf, s, c.ends[base + i]!) : decodeText(buf.subarray(s, c.ends[base + i]!));
      else values[i] = intAt(buf, s, c.ends[base + i]!);
    }
    const parentExists: Record<string, boolean> = {};
    for (let k = 0; k < nfk; k++) parentExists[fkColumns[k]!] = c.parents[r * nfk + k] === 1;
    return { rowid, values: make(values) as Record<string, SqliteValue>, parentExists };
  };
}

/** The id of row `r` of a scanned chunk as text, for rows whose bytes are valid UTF-8 (copy's byte path encodes no other). */
export function tokenIdReader(table: TableName, c: ScannedChunk): (r: number) => string {
  const cols = tables[table].columns;
  const ncols = cols.length;
  const idIndex = cols.findIndex((col) => col.name === 'id');
  const buf = asBuffer(c.blob);
  return (r) => {
    const k = r * ncols + idIndex;
    return c.ascii[r] === 1 ? latin1(buf, c.starts[k]!, c.ends[k]!) : buf.toString('utf8', c.starts[k]!, c.ends[k]!);
  };
}

/** The integer `-?[0-9]+` at [s, e) as a bigint (up to 15 digits without a string). */
function intAt(buf: Buffer, s: number, e: number): bigint {
  if (e - s > 15) return BigInt(latin1(buf, s, e));
  let neg = false;
  let i = s;
  if (buf[i] === MINUS) (neg = true), i++;
  let v = 0;
  for (; i < e; i++) v = v * 10 + (buf[i]! - 0x30);
  return BigInt(neg ? -v : v);
}

/** Whether bytes [s, e) are `-?[0-9]+` (SQLite's text of an INTEGER; a REAL has `.`, `e` or `Inf`). */
function isIntegerText(buf: Buffer, s: number, e: number): boolean {
  let i = buf[s] === MINUS ? s + 1 : s;
  if (i >= e) return false;
  for (; i < e; i++) {
    const b = buf[i]!;
    if (b < 0x30 || b > 0x39) return false;
  }
  return true;
}
