import Libsql from 'libsql';
import { TOMBSTONES_TABLE, tables, type TableName } from '../schema/tables.js';
import type { Row } from '../stores/store.js';
import { PgConnection } from '../stores/pg/pg-connection.js';
import { q, tableSql } from '../stores/table-sql.js';
import type { Side } from './backend-pair.js';
import type { Reject } from './convert.js';
import { ImportFormReader } from './import-form.js';
import { openRemoteChunkSource } from './row-stream-thread.js';
import { normalizeRow, normalizeValue } from './normalize-row.js';
import { sqliteFilePath } from './source.js';
import { passForm, passId, passSelectList, sortKeys, type TextMode } from './sqlite-pass.js';

export type { TextMode } from './sqlite-pass.js';

/**
 * A key-ordered slice of one table: ids (as stored) and each row's pass form (`pgPassForm`, or
 * sqlite-pass.ts `passForm` for LibSQL, whose forms may be `NEEDS_EXACT` / `UNUSABLE_ID + reason`).
 */
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

/** The select list of the pass: LibSQL's per {@link TextMode} (sqlite-pass.ts), PostgreSQL's plain. */
function selectList(side: Side, table: TableName, mode: TextMode): string {
  return side.name === 'sqlite' ? passSelectList(table, mode) : tableSql(side.dialect, table).selectList;
}

/**
 * A raw PostgreSQL row (by column index) → its *pass form*: the JSON array of its column values
 * in the canonical form of `normalizeRow` (the dialect's codec, then the per-column rule, in
 * column order), except that the text policy (`sanitizeText`/`sanitizeJson`) is not applied
 * (PostgreSQL text cannot hold what the policy removes). The LibSQL side's pass form
 * (sqlite-pass.ts) is the row as import/copy would write it, with the same rule: equal pass forms
 * therefore mean equal canonical forms (`canonicalJson`); rows that differ only by the policy
 * (U+0000 or a lone surrogate in LibSQL) differ here and are settled by verify's exact re-check.
 * Skipping the policy's string scans and the column names keeps the hot loop small. Overwrites
 * `raw` in place.
 */
function pgPassForm(side: Side, table: TableName): (raw: unknown[]) => string {
  const columns = tableSql(side.dialect, table).columns;
  const decode = side.dialect.decode;
  return (raw) => {
    for (let j = 0; j < columns.length; j++) {
      const c = columns[j]!;
      const v = decode(c, raw[j]);
      raw[j] = v === null || v === undefined ? null : c.type === 'json' ? sortKeys(v) : c.type === 'id' || c.type === 'text' ? String(v) : normalizeValue(c.type, v);
    }
    return JSON.stringify(raw);
  };
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
  const lite = side.name === 'sqlite';
  const canonical = lite ? passForm(table) : pgPassForm(side, table);
  const idOf = lite ? passId : String;
  const toChunk = (raw: unknown[][]): CanonChunk => {
    const ids: string[] = new Array(raw.length);
    const canon: string[] = new Array(raw.length);
    for (let i = 0; i < raw.length; i++) {
      const r = raw[i]!;
      ids[i] = idOf(r[0]);
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

/** Rows of one side by id: the rows, and (LibSQL only) the rows import would reject. */
export interface FetchedRows {
  /** Logical rows by id; for LibSQL the import form (what import/copy write), see import-form.ts. */
  readonly rows: Map<string, Row>;
  /** LibSQL rows import/copy reject, with the reason; always empty for PostgreSQL. */
  readonly rejected: Map<string, Reject>;
}

/**
 * Rows by id, missing ids absent from both maps. PostgreSQL: through the store's codec, batches of
 * 500 ids. LibSQL: the import form (`ImportFormReader`; pass one to share parent verdicts).
 */
export async function fetchRows(side: Side, table: TableName, ids: readonly string[], form?: ImportFormReader): Promise<FetchedRows> {
  if (side.name === 'sqlite') return (form ?? new ImportFormReader(side)).read(table, ids);
  const t = tableSql(side.dialect, table);
  const rows = new Map<string, Row>();
  for (let i = 0; i < ids.length; i += ID_BATCH) {
    const batch = ids.slice(i, i + ID_BATCH);
    for (const r of await side.query(`SELECT ${t.selectList} FROM ${q(table)} m WHERE m.id IN (${batch.map(() => '?').join(', ')})`, batch)) {
      const row = t.decodeRow(r);
      rows.set(String(row.id), row);
    }
  }
  return { rows, rejected: new Map() };
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
