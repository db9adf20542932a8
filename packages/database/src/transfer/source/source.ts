import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DatabaseError, describeError } from '../../errors.js';
import { redact, redactUrl } from '../../logger.js';
import { tables, type TableName } from '../../schema/tables.js';
import { clientReader, fileReader, type ReaderFactory, type SnapshotReader } from './source-reader.js';
import { decodeText, SqliteBlob, type SqliteValue } from './sqlite-value.js';
import { materializeTokenChunk, tokenChunkSql, tokenIdReader, tokenReadable, tokenRowReader } from './token-chunk.js';
import { byteLoadable, type CopyRows, type CopyTextSpec } from '../convert/copy-text.js';
import { tokenPass, type PassChunk, type TokenPassSpec } from './token-pass.js';
import { readerThreadAvailable, threadReader } from './reader-thread.js';

/** Where the LibSQL source is. */
export interface SourceOptions {
  /** `file:path.db` or `libsql://…` (Turso). A `file:` that does not exist is an error, never created. */
  readonly url: string;
  readonly authToken?: string | undefined;
  /** Busy timeout in ms (SQLITE_BUSY while the bot writes). Default 5,000. */
  readonly busyTimeoutMs?: number | undefined;
  /** Read a `file:` through `@libsql/client` as for remote databases (tests of that path). @internal */
  readonly viaClient?: boolean | undefined;
  /** Read a local file in a worker thread (reader-thread.ts; default true, when the compiled worker exists). @internal */
  readonly readerThread?: boolean | undefined;
  /** Read every table value by value, never as tokens (token-chunk.ts): tests compare the two reads. @internal */
  readonly valueByValue?: boolean | undefined;
}

/** One source row: its rowid, its values by spec column, and whether each foreign key's parent exists. */
export interface SourceRow {
  readonly rowid: bigint;
  readonly values: Record<string, SqliteValue>;
  readonly parentExists: Record<string, boolean>;
}

/**
 * A source row copy's byte path encoded (convert/copy-text.ts): the row needs no conversion, and
 * its COPY text line (newline included) is `copyText[start, end)`, shared with the other rows of its chunk.
 */
export interface EncodedRow {
  readonly id: string;
  readonly rowid: bigint;
  readonly copyText: Buffer;
  readonly start: number;
  readonly end: number;
}

/** How a source table compares with its spec. */
export interface SourceTableInfo {
  readonly exists: boolean;
  /** Spec columns the source table lacks (read as NULL). */
  readonly missingColumns: readonly string[];
  /** Source columns the spec does not know (not migrated). */
  readonly extraColumns: readonly string[];
}

/** A consistent read of the whole source: one read transaction, so all tables are from one instant. */
export interface Snapshot {
  describe(table: TableName): Promise<SourceTableInfo>;
  /** `count(*)` of a table in this snapshot (0 when it does not exist). */
  count(table: TableName): Promise<number>;
  /**
   * Streams a table in chunks of at most `chunkRows`, fewer while rows are large (about 256 Ki
   * characters of text per chunk, so memory does not depend on row size): first the rows whose
   * id is not text (NULL, integer, blob: rejects, by rowid), then every text id in `(id, rowid)`
   * keyset order, so rows are in id order and duplicate ids (a hand-made table without a primary
   * key) are adjacent.
   * A chunk is the consumer's: it may empty the array once done with it (table-loader.ts does,
   * so the rows can be collected while it waits for a connection).
   * @throws Error when the rows read do not add up to `count(*)` (nothing is ever skipped silently).
   */
  rows(table: TableName, chunkRows: number): AsyncGenerator<SourceRow[]>;
  /**
   * {@link rows} for copy: where the byte path applies (a table `byteLoadable`, read as tokens),
   * the rows that need no conversion come as {@link EncodedRow} (their COPY text), the others as
   * before, in the same order.
   */
  copyRows(table: TableName, chunkRows: number, spec: CopyTextSpec): AsyncGenerator<Array<SourceRow | EncodedRow>>;
}

/** An open LibSQL source. */
export interface Source {
  /** The URL with credentials removed, for reports. */
  readonly label: string;
  /** `wal`, `delete`… for files; null for remote databases. */
  readonly journalMode: string | null;
  /** Runs `fn` inside one read transaction. */
  snapshot<T>(fn: (s: Snapshot) => Promise<T>): Promise<T>;
  close(): void;
}

/** The local path of a `file:` URL, or null for remote URLs and `:memory:`. */
export function sqliteFilePath(url: string): string | null {
  if (!url.startsWith('file:')) return null;
  const bare = url.split('?')[0]!;
  const path = bare.startsWith('file://') ? fileURLToPath(bare) : bare.slice('file:'.length);
  return path && path !== ':memory:' ? path : null;
}

/**
 * Opens the LibSQL source for reading, with integers as bigint so nothing loses precision: a
 * local file through the `libsql` native binding, a remote database through `@libsql/client`
 * (see source-reader.ts). Does not change the database (no journal-mode switch): check `journalMode` and warn when it is
 * not `wal`, because then a long read transaction blocks the bot's writers.
 * @throws DatabaseError `DATABASE_UNREACHABLE` when the file does not exist or the server does not answer.
 */
export async function openSource(opts: SourceOptions): Promise<Source> {
  const path = sqliteFilePath(opts.url);
  const label = redactUrl(opts.url) ?? '';
  if (path !== null && !existsSync(path)) {
    throw new DatabaseError('DATABASE_UNREACHABLE', `LibSQL file ${path} does not exist (LIBSQL_URL=${label}); nothing to read`, { backend: 'sqlite' });
  }
  let factory: ReaderFactory;
  try {
    const timeout = opts.busyTimeoutMs ?? 5_000;
    factory =
      path === null || opts.viaClient
        ? await clientReader(opts.url, opts.authToken, timeout)
        : (opts.readerThread ?? true) && readerThreadAvailable()
          ? await threadReader(path, timeout)
          : fileReader(path, timeout);
  } catch (e) {
    const d = describeError(e);
    throw new DatabaseError('DATABASE_UNREACHABLE', `LibSQL at ${label} is unreachable: ${redact(d.message)} (${d.code})`, { backend: 'sqlite' }, { cause: e });
  }
  return {
    label,
    journalMode: factory.journalMode,
    async snapshot(fn) {
      const reader = await factory.begin();
      try {
        return await fn(new ReaderSnapshot(reader, opts.valueByValue ?? false));
      } finally {
        reader.close();
      }
    },
    close: () => factory.close(),
  };
}

/**
 * Source rows per read for a table: about 10,000 values (≈830 messages, 75 profiles, at least
 * 50). A chunk stays alive while its rows are converted and written; a small one dies young in
 * V8's heap instead of being promoted, which keeps peak memory flat (read, convert and canonical
 * JSON of 1M messages, one run: 40,000 values peaked at 186 MB RSS and 39 s CPU, 10,000 at 118 MB, 32 s).
 */
export const defaultChunkRows = (table: TableName): number => Math.max(50, Math.floor(10_000 / tables[table].columns.length));

/** Text per chunk that {@link Snapshot.rows} aims at (characters and bytes of text and blob values): 256 Ki. */
const CHUNK_CHARS = 256 << 10;

/** Characters of strings plus bytes of byte values in raw rows: the size of a chunk's text. */
function textSize(rows: readonly unknown[][]): number {
  let n = 0;
  for (const r of rows) {
    for (const v of r) {
      if (typeof v === 'string') n += v.length;
      else if (v instanceof Uint8Array) n += v.byteLength;
      else if (v instanceof ArrayBuffer) n += v.byteLength;
    }
  }
  return n;
}

const qi = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * The select expression that reads column `col` without loss: text comes back as BLOB bytes
 * (decoded in JS by {@link decodeLossless}) and BLOBs as `hex()` text: see sqlite-value.ts for
 * why. Every other storage class comes back as is. Also used by verify's exact re-read. @internal
 */
export const losslessSelect = (col: string, alias = '') => {
  const c = `${alias}${qi(col)}`;
  return `CASE typeof(${c}) WHEN 'text' THEN CAST(${c} AS BLOB) WHEN 'blob' THEN hex(${c}) ELSE ${c} END`;
};

/** GLOB pattern of text with a character outside U+0001–U+007F (bytes that are not UTF-8 included). */
const NON_ASCII_GLOB = `'*[^\u0001-\u007f]*'`;
/** First character of a BLOB read by {@link rowSelect}: ASCII text never starts with it. */
const BLOB_MARK = 0xffff;

/**
 * The select expression of the snapshot's row reads: as {@link losslessSelect}, but text that is
 * plain ASCII without U+0000 (most text) comes back as text: the driver reads it exactly, and it
 * saves a Buffer and a decode per value. Other text comes back as BLOB bytes, BLOBs as
 * `U+FFFF || hex()`. Decoded by {@link decodeRowValue}.
 */
const rowSelect = (col: string) => {
  const c = `t.${qi(col)}`;
  return (
    `CASE typeof(${c}) WHEN 'text' THEN CASE WHEN ${c} GLOB ${NON_ASCII_GLOB} OR instr(CAST(${c} AS BLOB), x'00') > 0 THEN CAST(${c} AS BLOB) ELSE ${c} END ` +
    `WHEN 'blob' THEN char(65535) || hex(${c}) ELSE ${c} END`
  );
};

/** A value read with {@link rowSelect} → the stored value (sqlite-value.ts), as {@link decodeLossless} gives it. */
function decodeRowValue(v: unknown): SqliteValue {
  if (typeof v === 'string') return v.charCodeAt(0) === BLOB_MARK ? SqliteBlob.fromHex(v.slice(1)) : v;
  if (v instanceof Uint8Array) return decodeText(v);
  if (v instanceof ArrayBuffer) return decodeText(new Uint8Array(v));
  return v as SqliteValue;
}

/** A value read with {@link losslessSelect} → the stored value (sqlite-value.ts). @internal */
export function decodeLossless(v: unknown): SqliteValue {
  if (v instanceof Uint8Array) return decodeText(v);
  if (v instanceof ArrayBuffer) return decodeText(new Uint8Array(v));
  if (typeof v === 'string') return SqliteBlob.fromHex(v);
  return v as SqliteValue;
}

/** Where a table read stands: rows per read, the last rowid and id key read. */
interface ReadPosition {
  limit: number;
  rowid: bigint;
  key: unknown;
}

class ReaderSnapshot implements Snapshot {
  readonly #info = new Map<TableName, SourceTableInfo & { present: Set<string> }>();
  /** Whether the database's text encoding is UTF-8 (`PRAGMA encoding`), once asked. */
  #utf8: boolean | undefined;
  constructor(
    private readonly reader: SnapshotReader,
    private readonly valueByValue: boolean,
  ) {}

  async #describe(table: TableName) {
    const hit = this.#info.get(table);
    if (hit) return hit;
    const rows = await this.reader.all('SELECT name FROM pragma_table_info(?)', [table]);
    const present = new Set(rows.map((r) => String(r[0])));
    const spec = tables[table].columns.map((c) => c.name);
    const info = {
      exists: present.size > 0,
      present,
      missingColumns: present.size ? spec.filter((c) => !present.has(c)) : spec,
      extraColumns: [...present].filter((c) => !spec.includes(c)),
    };
    this.#info.set(table, info);
    return info;
  }

  async describe(table: TableName): Promise<SourceTableInfo> {
    const { exists, missingColumns, extraColumns } = await this.#describe(table);
    return { exists, missingColumns, extraColumns };
  }

  async count(table: TableName): Promise<number> {
    if (!(await this.#describe(table)).exists) return 0;
    const rows = await this.reader.all(`SELECT count(*) FROM ${qi(table)}`);
    return Number(rows[0]![0]);
  }

  /** Per foreign key of `table`, the SQL of its flag: 1 when the parent row exists in the snapshot. */
  async #fkExists(table: TableName): Promise<string[]> {
    const info = await this.#describe(table);
    const out: string[] = [];
    for (const fk of tables[table].foreignKeys) {
      const parent = await this.#describe(fk.references.table);
      out.push(
        parent.exists && info.present.has(fk.column)
          ? `EXISTS (SELECT 1 FROM ${qi(fk.references.table)} p WHERE p.${qi(fk.references.column)} = t.${qi(fk.column)})`
          : '0',
      );
    }
    return out;
  }

  async #selectList(table: TableName): Promise<string> {
    const info = await this.#describe(table);
    const cols = tables[table].columns.map((c) => (info.present.has(c.name) ? `${rowSelect(c.name)} AS ${qi(c.name)}` : `NULL AS ${qi(c.name)}`));
    (await this.#fkExists(table)).forEach((exists, k) => cols.push(`${exists} AS ${qi(`__fk_${tables[table].foreignKeys[k]!.column}`)}`));
    return `t.rowid AS __rowid, ${cols.join(', ')}`;
  }

  /** Row arrays are in select-list order: rowid, the spec's columns, one flag per foreign key. */
  #toRow(table: TableName, r: readonly unknown[]): SourceRow {
    const cols = tables[table].columns;
    const values: Record<string, SqliteValue> = {};
    for (let i = 0; i < cols.length; i++) values[cols[i]!.name] = decodeRowValue(r[i + 1]);
    const parentExists: Record<string, boolean> = {};
    tables[table].foreignKeys.forEach((fk, k) => (parentExists[fk.column] = Number(r[cols.length + 1 + k]) === 1));
    return { rowid: r[0] as bigint, values, parentExists };
  }

  /**
   * Reads the next chunk of one pass and moves `at` past it; null at the end of the pass.
   * @param idIndex position of the id in a raw row for the keyset pass, null for the rowid pass.
   */
  async #chunk(table: TableName, sql: string, idIndex: number | null, chunkRows: number, at: ReadPosition): Promise<SourceRow[] | null> {
    const rows = await this.reader.all(sql, idIndex === null ? [at.rowid, at.limit] : [at.key, at.rowid, at.limit]);
    if (rows.length === 0) return null;
    at.limit = Math.max(1, Math.min(chunkRows, Math.floor((rows.length * CHUNK_CHARS) / Math.max(1, textSize(rows)))));
    const last = rows[rows.length - 1]!;
    if (idIndex !== null) at.key = last[idIndex]; // the id as read: ASCII text, or its bytes
    at.rowid = last[0] as bigint;
    return rows.map((r) => this.#toRow(table, r));
  }

  /** Whether chunks of `table` can be read as tokens (token-chunk.ts): no REAL column, a UTF-8 database. */
  async #tokens(table: TableName): Promise<boolean> {
    if (this.valueByValue || !tokenReadable(table)) return false;
    this.#utf8 ??= String((await this.reader.all('PRAGMA encoding'))[0]?.[0] ?? '').toUpperCase() === 'UTF-8';
    return this.#utf8;
  }

  rows(table: TableName, chunkRows: number): AsyncGenerator<SourceRow[]> {
    return this.#rows(table, chunkRows, null) as AsyncGenerator<SourceRow[]>;
  }

  copyRows(table: TableName, chunkRows: number, spec: CopyTextSpec): AsyncGenerator<Array<SourceRow | EncodedRow>> {
    return this.#rows(table, chunkRows, byteLoadable(table) ? spec : null);
  }

  async *#rows(table: TableName, chunkRows: number, copyText: CopyTextSpec | null): AsyncGenerator<Array<SourceRow | EncodedRow>> {
    const info = await this.#describe(table);
    if (!info.exists) return;
    if (!info.present.has('id')) throw new Error(`${table} has no id column in the source`);
    const select = `SELECT ${await this.#selectList(table)} FROM ${qi(table)} t`;
    // Rows per read: `chunkRows`, fewer while rows are large (long text), so a chunk holds about CHUNK_CHARS.
    const at: ReadPosition = { limit: chunkRows, rowid: -1n, key: new Uint8Array(0) };
    const idIndex = 1 + tables[table].columns.findIndex((c) => c.name === 'id');
    const tokens: TokenPassSpec | null = (await this.#tokens(table))
      ? { table, present: [...info.present], chunkRows, chunkBytes: CHUNK_CHARS, sql: tokenChunkSql(table, info.present, await this.#fkExists(table)), select, copyText: copyText ?? undefined }
      : null;
    let read = 0;
    // Pass 1: ids that are not text (NULL, numbers, blobs) sort outside the text keyset; by rowid.
    // Pass 2: text ids in (id, rowid) order; the key is the id as read, so it round-trips exactly
    // (as tokens, token-chunk.ts, when the table allows).
    // Each chunk is read by #chunk: no raw row stays referenced here while the consumer holds a chunk.
    const passes = [
      `${select} WHERE typeof(t.id) <> 'text' AND t.rowid > ? ORDER BY t.rowid LIMIT ?`,
      `${select} WHERE typeof(t.id) = 'text' AND (t.id, t.rowid) > (CAST(? AS TEXT), ?) ORDER BY t.id, t.rowid LIMIT ?`,
    ] as const;
    for (const [pass, sql] of passes.entries()) {
      if (pass === 1 && tokens !== null) {
        const chunks = this.reader.tokenPass?.(tokens) ?? tokenPass((q, args) => this.reader.all(q, args), tokens);
        for await (const c of chunks) {
          const again = new Map(c.again.map((raw) => [raw[0] as bigint, raw]));
          const byRowid = (rowid: bigint) => {
            const raw = again.get(rowid);
            return raw && this.#toRow(table, raw);
          };
          const chunk = c.copy ? mixedChunk(table, c, c.copy, byRowid) : materializeTokenChunk(table, c, byRowid);
          read += chunk.length;
          yield chunk;
        }
        continue;
      }
      at.rowid = -1n;
      for (;;) {
        const chunk = await this.#chunk(table, sql, pass === 0 ? null : idIndex, chunkRows, at);
        if (chunk === null) break;
        read += chunk.length;
        yield chunk;
      }
    }
    const total = await this.count(table);
    if (read !== total) throw new Error(`${table}: read ${read} rows but the snapshot holds ${total}; refusing to continue`);
  }
}

/** A chunk of copy's byte path: the encoded rows as {@link EncodedRow}, the others materialized, in order. */
function mixedChunk(table: TableName, c: PassChunk, copy: CopyRows, byRowid: (rowid: bigint) => SourceRow | undefined): Array<SourceRow | EncodedRow> {
  const rowAt = tokenRowReader(table, c, byRowid);
  const idAt = tokenIdReader(table, c);
  const text = Buffer.from(copy.text.buffer, copy.text.byteOffset, copy.text.byteLength);
  const out: Array<SourceRow | EncodedRow> = new Array(c.n);
  for (let r = 0; r < c.n; r++) {
    const start = copy.starts[r]!;
    out[r] = start < 0 ? rowAt(r) : { id: idAt(r), rowid: c.rowids[r]!, copyText: text, start, end: copy.ends[r]! };
  }
  return out;
}
