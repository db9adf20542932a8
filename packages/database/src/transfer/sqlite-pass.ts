import { isUtf8 } from 'node:buffer';
import type { ColumnSpec } from '../schema/columns.js';
import { tables, type TableName } from '../schema/tables.js';
import { q } from '../stores/table-sql.js';
import { coerce } from './coerce.js';
import { idProblem } from './convert.js';
import { normalizeValue } from './normalize-row.js';
import { decodeText, SqliteBlob } from './sqlite-value.js';

/**
 * How LibSQL text is read. `@libsql/client` and `libsql` cut TEXT at the first U+0000 and abort
 * the whole process (a Rust panic, not an exception) on TEXT that is not UTF-8; such values must
 * come back as BLOB bytes (decoded here as sqlite-value.ts does).
 * - `strict`: every value that is not plain ASCII or holds U+0000 comes back as bytes (a GLOB per
 *   text value: safe anywhere, about 3 µs per row);
 * - `fast`: only values whose character count differs from their byte count (valid non-ASCII
 *   UTF-8, U+0000) come back as bytes. Stray high bytes (Latin-1 text) still come as text and
 *   abort the reader: used only in a child process, whose abort verify catches and answers by
 *   reading that table again in `strict` mode.
 */
export type TextMode = 'strict' | 'fast';

/** GLOB pattern matching text with a character outside U+0001–U+007F (also bytes that are not UTF-8). */
const NON_ASCII_GLOB = `'*[^\u0001-\u007f]*'`;

/**
 * First character of a BLOB read by {@link passSelectList} (`char(65535) || hex(value)`). Text
 * that reaches JS as a string is plain ASCII (anything else comes as bytes), so a string that
 * starts with U+FFFF can only be this marker.
 */
const BLOB_MARK = 0xffff;

/**
 * The LibSQL select list of verify's key-ordered pass, per column one `CASE typeof(…)` that says
 * the storage class without loss where it matters:
 * - text: as text when safe for the driver, else (see {@link TextMode}) as BLOB bytes; in `bigint`
 *   columns always as bytes (so a string there means an integer, below);
 * - blob: `U+FFFF || hex(value)` (a real BLOB is never mistaken for text);
 * - integer: as is, except in `bigint` columns as exact decimal text (the reader runs without
 *   bigint mode: integers beyond 2^53 would lose digits);
 * - real, null: as is.
 */
export function passSelectList(table: TableName, mode: TextMode): string {
  return tables[table].columns
    .map((c) => {
      const v = `m.${q(c.name)}`;
      const risky = mode === 'strict' ? `${v} GLOB ${NON_ASCII_GLOB} OR instr(CAST(${v} AS BLOB), x'00') > 0` : `length(${v}) <> length(CAST(${v} AS BLOB))`;
      const text = c.type === 'bigint' ? `CAST(${v} AS BLOB)` : `CASE WHEN ${risky} THEN CAST(${v} AS BLOB) ELSE ${v} END`;
      const int = c.type === 'bigint' ? ` WHEN 'integer' THEN CAST(${v} AS TEXT)` : '';
      return `CASE typeof(${v}) WHEN 'text' THEN ${text} WHEN 'blob' THEN char(65535) || hex(${v})${int} ELSE ${v} END AS ${q(c.name)}`;
    })
    .join(', ');
}

/** Bytes as the driver returns them (Buffer/Uint8Array; ArrayBuffer from @libsql/client), or null. */
function bytesOf(v: unknown): Uint8Array | null {
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  return null;
}

/**
 * A value read with {@link passSelectList} → the value as copy's source reader has it
 * (sqlite-value.ts): text bytes decoded (or `InvalidUtf8`), the blob marker as a `SqliteBlob`.
 * Integers come as JS numbers here (exact up to 2^53); `bigint` columns' integers as digit strings.
 */
function stored(v: unknown): unknown {
  const b = bytesOf(v);
  if (b) {
    const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    return isUtf8(buf) ? buf.toString('utf8') : decodeText(b);
  }
  if (typeof v === 'string' && v.charCodeAt(0) === BLOB_MARK) return SqliteBlob.fromHex(v.slice(1));
  return v;
}

const SAFE = 2 ** 53;
/** Says "this row needs the exact conversion": returned by a column and by the whole pass form. */
const EXACT: unique symbol = Symbol('exact');
/** A pass form that never equals a PostgreSQL one (those are JSON arrays): the row goes to verify's exact re-check. */
export const NEEDS_EXACT = '!';
/** Prefix of a pass form whose id is unusable: `!id:` then the reason (such a row cannot be read again by id). */
export const UNUSABLE_ID = '!id:';

/** Pass-form value of a logical (coerced) value: the rule of the PostgreSQL pass form. */
function passValue(type: ColumnSpec['type'], v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (type === 'json') return sortKeys(v);
  if (type === 'id' || type === 'text') return String(v);
  return normalizeValue(type, v);
}

/**
 * The slow path of one column: the value as stored (see {@link stored}) → coerce.ts (THE
 * coercion of import/copy) → pass form, or {@link EXACT} when coerce rejects it or the read
 * cannot tell what copy would read (an integral number beyond 2^53: an integer read without
 * bigint mode, or a huge real).
 */
function slow(type: ColumnSpec['type'], v: unknown): unknown {
  if (typeof v === 'bigint' && v >= -BigInt(SAFE) && v <= BigInt(SAFE)) v = Number(v);
  if (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) > SAFE) return EXACT;
  const r = coerce(type, v, false);
  return r.ok ? passValue(type, r.value) : EXACT;
}

/**
 * One column's pass-form builder. Values already in their canonical storage (the fast path: an
 * integer seconds timestamp, 0/1 booleans, an in-range integer, a finite real, text, integers of
 * `bigint` columns, JSON text) cost what they cost before; anything else takes {@link slow}. Text
 * is not put through the text policy here (equal pass forms ⇒ equal canonical forms; the policy
 * is applied by the exact re-check).
 */
function columnPass(type: ColumnSpec['type']): (raw: unknown) => unknown {
  const plain = (v: unknown): v is string => typeof v === 'string' && v.charCodeAt(0) !== BLOB_MARK;
  switch (type) {
    case 'id':
    case 'text':
      return (v) => {
        if (plain(v)) return v;
        const s = stored(v);
        return typeof s === 'string' ? s : slow(type, s);
      };
    case 'timestamp':
      return (v) => (typeof v === 'number' && Number.isInteger(v) && v <= 1e11 && v >= -1e11 ? v : slow(type, stored(v)));
    case 'int':
      return (v) => (typeof v === 'number' && Number.isInteger(v) && v <= 2_147_483_647 && v >= -2_147_483_648 ? v : slow(type, stored(v)));
    case 'bool':
      return (v) => (v === 1 ? true : v === 0 ? false : slow(type, stored(v)));
    case 'real':
      return (v) => (typeof v === 'number' && Number.isFinite(v) ? v : slow(type, stored(v)));
    case 'bigint':
      return (v) => (plain(v) ? v : slow(type, stored(v)));
    case 'json':
      return (v) => {
        const s = plain(v) ? v : stored(v);
        if (typeof s !== 'string') return slow(type, s);
        try {
          return passValue(type, JSON.parse(s));
        } catch {
          return EXACT;
        }
      };
  }
}

/**
 * The id of a LibSQL row as read by {@link passSelectList}: the text itself, or (for an id that
 * is not exact text) a printable stand-in. Pair with {@link passForm}, which then returns
 * `UNUSABLE_ID + reason`.
 */
export function passId(raw: unknown): string {
  if (typeof raw === 'string' && raw.charCodeAt(0) !== BLOB_MARK) return raw;
  const b = bytesOf(raw);
  if (b) {
    const t = decodeText(b);
    return typeof t === 'string' ? t : Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
  }
  const v = stored(raw);
  return v instanceof SqliteBlob ? `x'${Buffer.from(v.bytes).toString('hex')}'` : v === null || v === undefined ? '' : String(v);
}

/**
 * The LibSQL pass form of `table`: the JSON array of each column's value exactly as import/copy
 * would write it to PostgreSQL (the coercions of coerce.ts: milliseconds → seconds, ISO text →
 * seconds, text booleans, numeric text…), text policy aside. Returns {@link NEEDS_EXACT} when a
 * column needs the exact conversion (import would reject the row, or the read is ambiguous), and
 * `UNUSABLE_ID + reason` when the id itself is unusable. Overwrites `raw` in place.
 */
export function passForm(table: TableName): (raw: unknown[]) => string {
  const columns = tables[table].columns;
  const conv = columns.map((c) => columnPass(c.type));
  const idAt = columns.findIndex((c) => c.name === 'id');
  return (raw) => {
    const id = raw[idAt];
    if (typeof id !== 'string' || id.charCodeAt(0) === BLOB_MARK) {
      const wrong = idProblem(stored(id));
      if (wrong !== null) return UNUSABLE_ID + wrong;
    }
    for (let j = 0; j < conv.length; j++) {
      const v = raw[j];
      if (v === null || v === undefined) {
        raw[j] = null;
        continue;
      }
      const out = conv[j]!(v);
      if (out === EXACT) return NEEDS_EXACT;
      raw[j] = out;
    }
    return JSON.stringify(raw);
  };
}

/** JSON value with object keys sorted (as `normalizeRow` sorts them). */
export function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}
