import { isUtf8 } from 'node:buffer';
import type { ColumnSpec } from '../../schema/columns.js';
import { tables, type TableName } from '../../schema/tables.js';
import { HOLD_BACK_BYTES } from '../load/held-rows.js';
import type { ScannedChunk } from '../source/token-chunk.js';
import { DEFAULT_PG_JSON_DEPTH, SECONDS_MAX, type JsonDepthLimit } from './coerce.js';
import { UNIQUE_KEYS } from './convert.js';
import { isPlainJson } from './plain-json.js';

/**
 * The byte path of `copy`: COPY text built straight from a token chunk (token-chunk.ts) for the
 * rows the converter would pass through unchanged, so those rows never become JS objects (no
 * strings per value, no JSON parse and write-back, no conversion). Every other row (a value not
 * in canonical storage, text that is not UTF-8 or holds U+0000, a number the unit rules change,
 * JSON the converter rewrites, a NULL in a NOT NULL column, a duplicate id…) is left to
 * convert.ts, as before. The rule: a row is encoded here only when `PgBatch.add(convert(row))`
 * would write exactly these bytes (test/copy-text.test.ts compares the two on hostile rows), and
 * the converter would leave no note that copy counts.
 *
 * Per column type, a value is encoded when:
 * | type       | condition                                             | COPY text            |
 * |------------|-------------------------------------------------------|----------------------|
 * | id, text   | (the row's UTF-8 is valid, no U+0000)                 | the bytes, `\\ \t \n \r` escaped |
 * | json       | in the form the converter writes back, checked on the bytes (plain-json.ts), shorter than twice PostgreSQL's smaller depth limit | the bytes, escaped as text |
 * | int        | an integer in PostgreSQL `integer` range              | the digits           |
 * | bigint     | an integer (SQLite's are int64)                       | the digits           |
 * | timestamp  | an integer of seconds, \|v\| ≤ 253402300799           | the digits           |
 * | millis     | an integer, \|v\| ≤ 8.64·10^15                        | the digits           |
 * | NULL       | the column is nullable                                | `\N`                 |
 *
 * Tables: only those whose rows the converter judges alone (no foreign key, not referenced by
 * one, no unique key but the id) and whose columns are of the types above ({@link byteLoadable}:
 * messages and queries); within a table, a row whose id equals the
 * previous row's goes to the converter (which rejects it as a duplicate).
 */

/** What the encoder needs beyond the table (plain data: it is posted to the reader thread). */
export interface CopyTextSpec {
  /** JSON values of this many bytes or more go to the converter (its depth check scans them): 2 × the smaller of PostgreSQL's depth limits. */
  readonly jsonMaxBytes: number;
  /**
   * A bulk load's deferred btree columns (held-rows.ts): a row whose values there may exceed
   * {@link HOLD_BACK_BYTES} goes to the converter, so the loader holds it back as before. Null: online load.
   */
  readonly indexedColumns: readonly string[] | null;
}

/** The COPY text of a chunk's encoded rows: row `r`'s line (with its newline) is `text[starts[r], ends[r])`; `starts[r]` is -1 for a row left to the converter. */
export interface CopyRows {
  readonly text: Uint8Array;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
}

/** {@link CopyTextSpec.jsonMaxBytes} for a depth limit (coerce.ts `jsonTooDeep` scans nothing shorter). */
export function jsonMaxBytes(limit: JsonDepthLimit = DEFAULT_PG_JSON_DEPTH): number {
  return 2 * Math.min(limit.arrays, limit.objects);
}

/** Whether rows of `table` may take the byte path: the converter's verdict on a row depends on that row and the previous id only. */
export function byteLoadable(table: TableName): boolean {
  const spec = tables[table];
  const referenced = Object.values(tables).some((t) => t.foreignKeys.some((fk) => fk.references.table === table));
  return spec.foreignKeys.length === 0 && !referenced && !UNIQUE_KEYS.has(table) && spec.columns.every((c) => typeCode(c) > 0);
}

const T_TEXT = 1;
const T_JSON = 2;
const T_INT = 3;
const T_BIGINT = 4;
const T_SECONDS = 5;
const T_MILLIS = 6;

/** The encoder's code of a column type; 0 for types it leaves to the converter (bool, real). */
const typeCode = (c: ColumnSpec): number => {
  switch (c.type) {
    case 'id':
    case 'text':
      return T_TEXT;
    case 'json':
      return T_JSON;
    case 'int':
      return T_INT;
    case 'bigint':
      return T_BIGINT;
    case 'timestamp':
      return T_SECONDS;
    case 'millis':
      return T_MILLIS;
    case 'bool':
    case 'real':
      return 0;
  }
};

const BACKSLASH = 0x5c;
const TAB = 0x09;
const NL = 0x0a;
const CR = 0x0d;
const MINUS = 0x2d;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const MILLIS_MAX = 8.64e15;

/**
 * Encodes the rows of a table's token chunks as COPY text, chunk after chunk of one pass (it
 * remembers the previous row's id, so a duplicate across two chunks is seen).
 */
export class CopyTextEncoder {
  readonly #types: Uint8Array;
  readonly #notNull: Uint8Array;
  readonly #indexed: Uint8Array;
  readonly #idIndex: number;
  readonly #jsonMax: number;
  /**
   * The id of the last row of the previous chunk (a copy): undefined before the first row, null
   * when unknown (a row read again by value): the row after it then goes to the converter.
   */
  #prev: Buffer | null | undefined = undefined;
  /** Where lines are written before their exact-size copy; reused chunk after chunk. */
  #scratch = Buffer.alloc(0);

  constructor(table: TableName, spec: CopyTextSpec) {
    if (!byteLoadable(table)) throw new Error(`${table}: its rows need the converter (foreign or unique keys, bool or real columns)`);
    const cols = tables[table].columns;
    this.#types = Uint8Array.from(cols, typeCode);
    this.#notNull = Uint8Array.from(cols, (c) => (c.notNull ? 1 : 0));
    const indexed = new Set(spec.indexedColumns ?? []);
    this.#indexed = Uint8Array.from(cols, (c) => (indexed.has(c.name) ? 1 : 0));
    this.#idIndex = cols.findIndex((c) => c.name === 'id');
    this.#jsonMax = spec.jsonMaxBytes;
  }

  /** The COPY text of the chunk's rows that need no conversion (see the module comment). */
  encode(c: ScannedChunk): CopyRows {
    const ncols = this.#types.length;
    const blob = Buffer.from(c.blob.buffer, c.blob.byteOffset, c.blob.byteLength);
    // Every byte may double (escapes); each column adds at most 3 (`\N` and a tab).
    const need = 2 * blob.length + c.n * (3 * ncols + 1);
    if (this.#scratch.length < need) this.#scratch = Buffer.allocUnsafe(need);
    const out = this.#scratch;
    const starts = new Int32Array(c.n).fill(-1);
    const ends = new Int32Array(c.n);
    // Token headers are ASCII, so the whole chunk is valid UTF-8 exactly when every value is.
    const clean = isUtf8(blob) && blob.indexOf(0) < 0;
    let at = 0;
    // The previous row's id: [prevS, prevE) of this blob, or (prevS -1) this.#prev.
    let prevS = -1;
    let prevE = -1;
    let prev = this.#prev;
    for (let r = 0; r < c.n; r++) {
      const base = r * ncols;
      const idS = c.starts[base + this.#idIndex]!;
      if (idS < 0) {
        // Read again by value (`X` row): its id is not in the chunk.
        prevS = -1;
        prev = null;
        continue;
      }
      const idE = c.ends[base + this.#idIndex]!;
      const dup = prevS >= 0 ? blob.compare(blob, prevS, prevE, idS, idE) === 0 : prev === null || (prev !== undefined && prev.compare(blob, idS, idE) === 0);
      prevS = idS;
      prevE = idE;
      if (dup || c.reread[r] === 1) continue;
      const end = this.#row(blob, c, base, r, clean, out, at);
      if (end < 0) continue;
      starts[r] = at;
      ends[r] = end;
      at = end;
    }
    // The last id outlives this chunk's blob (posted away with it): a copy.
    this.#prev = prevS >= 0 ? Buffer.from(blob.subarray(prevS, prevE)) : prev;
    // Memory of its own, of its exact size: it moves to the loading thread without a copy (reader-protocol.ts).
    const text = new Uint8Array(at);
    text.set(out.subarray(0, at));
    return { text, starts, ends };
  }

  /** Writes row `r`'s line at `at`; its end, or -1 when the row needs the converter. */
  #row(blob: Buffer, c: ScannedChunk, base: number, r: number, clean: boolean, out: Buffer, at: number): number {
    const types = this.#types;
    const ncols = types.length;
    let indexedBytes = 0;
    for (let i = 0; i < ncols; i++) {
      if (i > 0) out[at++] = TAB;
      const s = c.starts[base + i]!;
      if (s < 0) {
        if (this.#notNull[i] === 1) return -1;
        out[at++] = BACKSLASH;
        out[at++] = 0x4e; // N
        continue;
      }
      const e = c.ends[base + i]!;
      if (this.#indexed[i] === 1) {
        indexedBytes += Math.max(16, 3 * (e - s));
        if (indexedBytes > HOLD_BACK_BYTES) return -1;
      }
      switch (types[i]) {
        case T_TEXT:
          if (!clean && !cleanText(blob, s, e)) return -1;
          at = escape(blob, s, e, out, at);
          break;
        case T_JSON:
          if (e - s >= this.#jsonMax || (!clean && !cleanText(blob, s, e)) || !isPlainJson(blob, s, e)) return -1;
          at = escape(blob, s, e, out, at);
          break;
        case T_BIGINT:
          at += blob.copy(out, at, s, e);
          break;
        default: {
          // int, timestamp, millis: at most 17 characters, exact enough to compare with the bounds.
          if (e - s > 17) return -1;
          const v = digits(blob, s, e);
          const t = types[i];
          if (t === T_INT ? v < INT32_MIN || v > INT32_MAX : Math.abs(v) > (t === T_SECONDS ? SECONDS_MAX : MILLIS_MAX)) return -1;
          at += blob.copy(out, at, s, e);
        }
      }
    }
    out[at++] = NL;
    return at;
  }
}

/** Valid UTF-8 without U+0000 (the converter's text policy would change it otherwise). */
function cleanText(blob: Buffer, s: number, e: number): boolean {
  const v = blob.subarray(s, e);
  return isUtf8(v) && v.indexOf(0) < 0;
}

/** Copies bytes [s, e) of `src` to `out` at `at` in COPY text form; returns the new end. */
function escape(src: Buffer, s: number, e: number, out: Buffer, at: number): number {
  for (let k = s; k < e; k++) {
    const b = src[k]!;
    if (b > CR && b !== BACKSLASH) out[at++] = b;
    else if (b === BACKSLASH) (out[at++] = BACKSLASH), (out[at++] = BACKSLASH);
    else if (b === TAB) (out[at++] = BACKSLASH), (out[at++] = 0x74);
    else if (b === NL) (out[at++] = BACKSLASH), (out[at++] = 0x6e);
    else if (b === CR) (out[at++] = BACKSLASH), (out[at++] = 0x72);
    else out[at++] = b;
  }
  return at;
}

/** The integer `-?[0-9]+` at [s, e) (the scan checked the digits). */
function digits(blob: Buffer, s: number, e: number): number {
  let i = s;
  const neg = blob[i] === MINUS;
  if (neg) i++;
  let v = 0;
  for (; i < e; i++) v = v * 10 + (blob[i]! - 0x30);
  return neg ? -v : v;
}

