import { isUtf8 } from 'node:buffer';
import Libsql from 'libsql';
import { TOMBSTONES_TABLE, tables, type TableName } from '../schema/tables.js';
import type { Row } from '../stores/store.js';
import { PgConnection } from '../stores/pg/pg-connection.js';
import { q, tableSql } from '../stores/table-sql.js';
import type { Side } from './backend-pair.js';
import { openRemoteChunkSource } from './row-stream-thread.js';
import { normalizeRow, normalizeValue } from './normalize-row.js';
import { sqliteFilePath } from './source.js';
import { decodeText } from './sqlite-value.js';

/** A key-ordered slice of one table: ids (as stored) and each row's pass form (see `passForm`). */
export interface CanonChunk {
  readonly ids: readonly string[];
  /** Equal pass forms ⇒ equal canonical forms (`canonicalJson`); unequal ones get an exact re-check. */
  readonly canon: readonly string[];
}

/** Reads a table in id order, one chunk ahead of the caller. */
export interface ChunkSource {
  /** The next chunk, or null at the end. */
  next(): Promise<CanonChunk | null>;
  close(): Promise<void>;
}

/** How many ids go into one `IN (…)` list. */
const ID_BATCH = 500;

type ChunkReader = (afterId: string | null, limit: number) => Promise<CanonChunk>;

/** GLOB pattern matching text with a character outside U+0001–U+007F (also bytes that are not UTF-8). */
const NON_ASCII_GLOB = `'*[^\u0001-\u007f]*'`;

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

/**
 * The LibSQL select list, read losslessly: text per {@link TextMode}, and integers of `bigint`
 * columns as their exact decimal text (so no other integer needs `bigint` mode).
 */
function selectList(side: Side, table: TableName, mode: TextMode = 'strict'): string {
  const t = tableSql(side.dialect, table);
  if (side.name !== 'sqlite') return t.selectList;
  return t.columns
    .map((c) => {
      const v = `m.${q(c.name)}`;
      const risky = mode === 'strict' ? `${v} GLOB ${NON_ASCII_GLOB} OR instr(CAST(${v} AS BLOB), x'00') > 0` : `length(${v}) <> length(CAST(${v} AS BLOB))`;
      const text = `WHEN typeof(${v}) = 'text' AND (${risky}) THEN CAST(${v} AS BLOB)`;
      const int = c.type === 'bigint' ? ` WHEN typeof(${v}) = 'integer' THEN CAST(${v} AS TEXT)` : '';
      return `CASE ${text}${int} ELSE ${v} END AS ${q(c.name)}`;
    })
    .join(', ');
}

/** Bytes of a LibSQL text value → string (invalid UTF-8 with U+FFFD: such a row can only be drift). */
function bytesToText(v: unknown): unknown {
  if (v instanceof ArrayBuffer) v = new Uint8Array(v);
  if (!(v instanceof Uint8Array)) return v;
  const b = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (isUtf8(b)) return b.toString('utf8');
  const t = decodeText(b);
  return typeof t === 'string' ? t : b.toString('utf8');
}

/** A raw row (by column index) → the logical row, through the dialect's codec. */
function decoder(side: Side, table: TableName): (raw: readonly unknown[]) => Row {
  const columns = tableSql(side.dialect, table).columns;
  const decode = side.dialect.decode;
  const lossless = side.name === 'sqlite';
  return (raw) => {
    const row: Row = {};
    for (let j = 0; j < columns.length; j++) {
      const c = columns[j]!;
      row[c.name] = decode(c, lossless ? bytesToText(raw[j]) : raw[j]);
    }
    return row;
  };
}

/**
 * A raw row (by column index) → its *pass form*: the JSON array of its column values in the
 * canonical form of `normalizeRow` (the dialect's codec, then the per-column rule, in column
 * order), except that the text policy (`sanitizeText`/`sanitizeJson`) is not applied. Equal pass
 * forms therefore mean equal canonical forms (`canonicalJson`); rows that differ only by the
 * policy (U+0000 or a lone surrogate in LibSQL; PostgreSQL text can hold neither) differ here and
 * are settled by verify's exact re-check. Skipping the policy's string scans and the column
 * names keeps the hot loop small. Overwrites `raw` in place.
 */
function passForm(side: Side, table: TableName): (raw: unknown[]) => string {
  const columns = tableSql(side.dialect, table).columns;
  const decode = side.dialect.decode;
  const lossless = side.name === 'sqlite';
  return (raw) => {
    for (let j = 0; j < columns.length; j++) {
      const c = columns[j]!;
      const v = decode(c, lossless ? bytesToText(raw[j]) : raw[j]);
      raw[j] = v === null || v === undefined ? null : c.type === 'json' ? sortKeys(v) : c.type === 'id' || c.type === 'text' ? String(v) : normalizeValue(c.type, v);
    }
    return JSON.stringify(raw);
  };
}

/** JSON value with object keys sorted (as `normalizeRow` sorts them). */
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/**
 * Keyset pagination (`WHERE id > last ORDER BY id LIMIT n`) through the store's codecs: each
 * side decodes to the same logical row, then its pass form is built.
 * A local LibSQL file is read through the `libsql` driver in raw mode (arrays; integers as
 * numbers, which is what the codec makes of `int`/`timestamp` anyway), avoiding
 * @libsql/client's per-column property definitions (several times faster); PostgreSQL rows come
 * as arrays too (postgres.js `.values()`).
 */
function chunkReader(side: Side, table: TableName, mode: TextMode): { read: ChunkReader; close: () => void } {
  const list = selectList(side, table, mode);
  const first = `SELECT ${list} FROM ${q(table)} m ORDER BY m.id LIMIT ?`;
  const after = `SELECT ${list} FROM ${q(table)} m WHERE m.id > ? ORDER BY m.id LIMIT ?`;
  const canonical = passForm(side, table);
  const toChunk = (raw: unknown[][]): CanonChunk => {
    const ids: string[] = new Array(raw.length);
    const canon: string[] = new Array(raw.length);
    for (let i = 0; i < raw.length; i++) {
      const r = raw[i]!;
      ids[i] = String(bytesToText(r[0]));
      canon[i] = canonical(r);
    }
    return { ids, canon };
  };
  const path = side.name === 'sqlite' ? sqliteFilePath(side.url) : null;
  if (path) {
    const db = new Libsql(path, { timeout: 5_000 } as Libsql.Options);
    const stmts = [db.prepare(first), db.prepare(after)].map((s) => s.raw(true));
    return {
      read: async (afterId, limit) => toChunk((afterId === null ? stmts[0]!.all(limit) : stmts[1]!.all(afterId, limit)) as unknown[][]),
      close: () => db.close(),
    };
  }
  if (side.conn instanceof PgConnection) {
    const pg = side.conn;
    const [pf, pa] = [first, after].map((s) => side.dialect.placeholders(s)) as [string, string];
    return {
      read: async (afterId, limit) => toChunk((await (afterId === null ? pg.sql.unsafe(pf, [limit]) : pg.sql.unsafe(pa, [afterId, limit])).values()) as unknown[][]),
      close: () => {},
    };
  }
  const names = tableSql(side.dialect, table).columns.map((c) => c.name);
  return {
    read: async (afterId, limit) => {
      const rows = afterId === null ? await side.query(first, [limit]) : await side.query(after, [afterId, limit]);
      return toChunk(rows.map((r) => names.map((n) => r[n])));
    },
    close: () => {},
  };
}

/**
 * Streams `table` of `side` in id order, `chunkSize` rows at a time, always reading the next
 * chunk while the caller works on the current one (so both sides of a verify read at once).
 * With `threads` (default true) and the compiled reader present (`dist/`), reading and building
 * pass forms run off this thread, so two cores work at once: PostgreSQL in a worker thread,
 * LibSQL in a child process (text mode `text`, default `fast`; an abort of the child rejects
 * `next()` with {@link TextAbortError}). Otherwise here, in `strict` text mode.
 */
export function openChunkSource(side: Side, table: TableName, chunkSize: number, opts: { threads?: boolean; text?: TextMode } = {}): ChunkSource {
  const text = opts.text ?? 'fast';
  return (opts.threads !== false && openRemoteChunkSource(side, table, chunkSize, text)) || openLocalChunkSource(side, table, chunkSize, 'strict');
}

/** {@link openChunkSource} in this thread. @internal */
export function openLocalChunkSource(side: Side, table: TableName, chunkSize: number, text: TextMode): ChunkSource {
  const reader = chunkReader(side, table, text);
  let done = false;
  const fetch = (afterId: string | null): Promise<CanonChunk> =>
    // setImmediate: a synchronous LibSQL read must not start before the caller's other awaits.
    new Promise<void>((r) => setImmediate(r)).then(() => reader.read(afterId, chunkSize));
  let pending: Promise<CanonChunk> | null = fetch(null);
  pending.catch(() => {}); // surfaced by next()
  return {
    async next() {
      if (done || !pending) return null;
      const chunk = await pending;
      if (chunk.ids.length < chunkSize) {
        done = true;
        pending = null;
      } else {
        pending = fetch(chunk.ids[chunk.ids.length - 1]!);
        pending.catch(() => {});
      }
      return chunk.ids.length > 0 ? chunk : null;
    },
    async close() {
      done = true;
      await pending?.catch(() => {});
      reader.close();
    },
  };
}

/** Rows by id (logical rows, LibSQL text read losslessly), missing ids absent from the map. Batches of 500 ids. */
export async function fetchRows(side: Side, table: TableName, ids: readonly string[]): Promise<Map<string, Row>> {
  const list = selectList(side, table);
  const decode = decoder(side, table);
  const names = tableSql(side.dialect, table).columns.map((c) => c.name);
  const out = new Map<string, Row>();
  for (let i = 0; i < ids.length; i += ID_BATCH) {
    const batch = ids.slice(i, i + ID_BATCH);
    const rows = await side.query(`SELECT ${list} FROM ${q(table)} m WHERE m.id IN (${batch.map(() => '?').join(', ')})`, batch);
    for (const r of rows) {
      const row = decode(names.map((n) => r[n]));
      out.set(String(row.id), row);
    }
  }
  return out;
}

/** Tombstone versions by id (ids never deleted are absent from the map). */
export async function fetchTombstones(side: Side, table: TableName, ids: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < ids.length; i += ID_BATCH) {
    const batch = ids.slice(i, i + ID_BATCH);
    const rows = await side.query(
      `SELECT id, version FROM ${q(TOMBSTONES_TABLE)} WHERE table_name = ? AND id IN (${batch.map(() => '?').join(', ')})`,
      [table, ...batch],
    );
    for (const r of rows) out.set(String(r.id), Number(r.version));
  }
  return out;
}

/** `SELECT count(*)` of a table. */
export async function countRows(side: Side, table: TableName): Promise<number> {
  const rows = await side.query(`SELECT count(*) AS n FROM ${q(table)}`, []);
  return Number(rows[0]?.n ?? 0);
}

/** Column names whose canonical values (`normalizeRow`) differ between two rows of `table`. */
export function differingColumns(table: TableName, a: Row, b: Row): string[] {
  const na = normalizeRow(table, a);
  const nb = normalizeRow(table, b);
  return tables[table].columns.map((c) => c.name).filter((n) => JSON.stringify(na[n]) !== JSON.stringify(nb[n]));
}
