import { isAscii } from 'node:buffer';
import type { ColumnSpec } from '../../schema/columns.js';
import { tables, type TableName } from '../../schema/tables.js';
import { decodeText, type SqliteValue } from './sqlite-value.js';
import { rowFactory } from '../convert/row-shape.js';

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

const qi = (name: string) => `"${name.replaceAll('"', '""')}"`;

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
    const v = `t.${qi(c.name)}`;
    // SQLite orders NULL < numbers < text < blobs and compares with a literal without converting the stored value.
    const test = isTextLike(c) ? `${v} >= '' AND ${v} < x''` : `${v} < ''`;
    return `(${v} IS NULL OR ${test})`;
  });
  const tokens = [
    `t.rowid, ';'`,
    ...cols.map((c) => (isTextLike(c) ? `octet_length(t.${qi(c.name)}), ':', t.${qi(c.name)}` : `t.${qi(c.name)}, ';'`)),
    ...fkExists.map((e) => `${e}, ';'`),
  ];
  const row = `CASE WHEN ${canonical.join(' AND ') || '1'} THEN ${concat(tokens)} ELSE 'X' || t.rowid || ';' END`;
  return (
    `SELECT CAST(group_concat(r, '') AS BLOB) AS b, count(*) AS n FROM (SELECT ${row} AS r FROM ${qi(table)} t ` +
    `WHERE typeof(t.id) = 'text' AND (t.id, t.rowid) > (CAST(? AS TEXT), ?) ORDER BY t.id, t.rowid LIMIT ?)`
  );
}

/** `concat()` of the tokens, nested so no call has more than 90 arguments (SQLite allows 127). */
function concat(tokens: readonly string[]): string {
  const groups: string[] = [];
  let group: string[] = [];
  let args = 0;
  for (const t of tokens) {
    const n = t.split(', ').length;
    if (args + n > 90) {
      groups.push(`concat(${group.join(', ')})`);
      group = [];
      args = 0;
    }
    group.push(t);
    args += n;
  }
  groups.push(`concat(${group.join(', ')})`);
  return groups.length === 1 ? groups[0]! : `concat(${groups.join(', ')})`;
}

/** One parsed row: its values, or the rowid of a row to read again value by value. */
export type TokenRow = { readonly rowid: bigint; readonly values: Record<string, SqliteValue>; readonly parentExists: Record<string, boolean> } | { readonly reread: bigint };

/** A parsed chunk, and the keyset position after its last row. */
export interface TokenChunk {
  readonly rows: TokenRow[];
  /** The last row's rowid. */
  readonly lastRowid: bigint;
  /** The last row's id bytes (null when the last row is one to read again: its id comes with that read). */
  readonly lastId: Uint8Array | null;
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

/**
 * Parses the blob of {@link tokenChunkSql} into rows.
 * @throws Error when the blob does not follow the grammar, or holds a number of rows other than `n`
 *   (nothing is ever skipped silently).
 */
export function parseTokenChunk(table: TableName, present: ReadonlySet<string>, blob: Uint8Array, n: number): TokenChunk {
  const spec = tables[table];
  const ncols = spec.columns.length;
  const kinds = columnKinds(table, present);
  const fkColumns = spec.foreignKeys.map((fk) => fk.column);
  const idIndex = spec.columns.findIndex((c) => c.name === 'id');
  const make = rowFactory(table);
  const buf = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  const end = buf.length;
  const rows: TokenRow[] = [];
  /** Token spans of the row being parsed: start (-1: NULL) and end. */
  const starts = new Int32Array(ncols);
  const ends = new Int32Array(ncols);
  const values: unknown[] = new Array(ncols);
  let at = 0;
  let lastRowid = -1n;
  let lastId: Uint8Array | null = null;
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
    if (buf[at] === X) {
      at++;
      const e = until(SEMI);
      lastRowid = BigInt(buf.toString('latin1', at, e));
      lastId = null;
      at = e + 1;
      rows.push({ reread: lastRowid });
      continue;
    }
    let e = until(SEMI);
    const rowid = intAt(buf, at, e);
    at = e + 1;
    const rowStart = at;
    let reread = false;
    for (let i = 0; i < ncols; i++) {
      const kind = kinds[i]!;
      if (kind === 0) {
        starts[i] = -1;
      } else if (kind === 1) {
        e = until(COLON);
        if (e === at) starts[i] = -1; // NULL
        else {
          let len = 0;
          for (let k = at; k < e; k++) {
            const d = buf[k]! - 0x30;
            if (d < 0 || d > 9 || len > 1e12) fail(`bad length for ${spec.columns[i]!.name}`);
            len = len * 10 + d;
          }
          if (e + 1 + len > end) fail(`bad length for ${spec.columns[i]!.name}`);
          starts[i] = e + 1;
          ends[i] = e + 1 + len;
          e += len;
        }
        at = e + 1;
      } else {
        e = until(SEMI);
        if (e === at) starts[i] = -1;
        else {
          if (!isIntegerText(buf, at, e)) reread = true; // a REAL in an integer column: read it exactly
          starts[i] = at;
          ends[i] = e;
        }
        at = e + 1;
      }
    }
    const parentExists: Record<string, boolean> = {};
    for (const column of fkColumns) {
      e = until(SEMI);
      parentExists[column] = buf[at] === ONE;
      at = e + 1;
    }
    lastRowid = rowid;
    lastId = starts[idIndex]! >= 0 ? buf.subarray(starts[idIndex]!, ends[idIndex]!) : null;
    if (reread) {
      rows.push({ reread: rowid });
      continue;
    }
    const ascii = isAscii(buf.subarray(rowStart, at));
    for (let i = 0; i < ncols; i++) {
      const s = starts[i]!;
      if (s < 0) values[i] = null;
      else if (kinds[i] === 1) values[i] = ascii ? latin1(buf, s, ends[i]!) : decodeText(buf.subarray(s, ends[i]!));
      else values[i] = intAt(buf, s, ends[i]!);
    }
    rows.push({ rowid, values: make(values) as Record<string, SqliteValue>, parentExists });
  }
  if (rows.length !== n) fail(`parsed ${rows.length} rows, SQLite sent ${n}`);
  return { rows, lastRowid, lastId };
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
