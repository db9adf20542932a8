import type { ColumnSpec } from '../../schema/columns.js';
import { tables, type TableName } from '../../schema/tables.js';
import type { Row } from '../../stores/store.js';
import { parseJsonExact, stringifyJsonExact } from '../../json-exact.js';

const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const escapeText = (s: string): string => (COPY_SPECIAL.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]!) : s);

/** One field of COPY's text format: `\N` for null; backslash, tab, newline and CR escaped. */
export function copyField(text: string | null): string {
  return text === null ? '\\N' : escapeText(text);
}

/**
 * Logical value (as convert.ts makes it) → its COPY text field, per column type: the PostgreSQL
 * text input of the type. Numbers, bigint digit strings and booleans never need escaping; JSON
 * text from `stringifyJsonExact` (as `JSON.stringify`, integers beyond 2^53 as digits) holds no raw tab, newline or CR (it escapes them), only backslashes.
 */
function fieldEncoder(c: ColumnSpec): (v: unknown) => string {
  switch (c.type) {
    case 'json':
      return (v) => {
        const s = stringifyJsonExact(v);
        return s.includes('\\') ? s.replaceAll('\\', '\\\\') : s;
      };
    case 'bool':
      return (v) => (v ? 't' : 'f');
    case 'int':
    case 'timestamp':
    case 'millis':
    case 'real':
    case 'bigint':
      return (v) => String(v);
    case 'id':
    case 'text':
      return (v) => escapeText(String(v));
  }
}

/** COPY text field → logical value (the inverse of {@link fieldEncoder}), for reject records. */
function fieldDecoder(c: ColumnSpec): (f: string) => unknown {
  const unescape = (f: string) => (f.includes('\\') ? f.replace(/\\(.)/g, (_m, x: string) => (x === 't' ? '\t' : x === 'n' ? '\n' : x === 'r' ? '\r' : x)) : f);
  switch (c.type) {
    case 'json':
      return (f) => parseJsonExact(unescape(f));
    case 'bool':
      return (f) => f === 't';
    case 'int':
    case 'timestamp':
    case 'millis':
    case 'real':
      return (f) => Number(f);
    case 'bigint':
    case 'id':
    case 'text':
      return unescape;
  }
}

const NEWLINE = 0x0a;
/** Bytes of one payload chunk; a longer row gets a chunk of its own. */
const CHUNK_BYTES = 256 << 10;
/** Encoded rows are buffered as one string up to this many characters, then written to a chunk at once. */
const PENDING_CHARS = 16 << 10;
/**
 * Chunks of released batches, reused by the next ones: the payload memory of a load stays a
 * fixed set of buffers instead of a stream of fresh allocations awaiting garbage collection.
 */
const spare: Buffer[] = [];
/** At most this many spare chunks are kept (12 MiB). */
const SPARE_MAX = 48;

/**
 * Rows of one table on their way to PostgreSQL, encoded as they are added into COPY text
 * (`<col>\t<col>…\n` per row, in the table spec's column order, every column as the text input
 * of its type), UTF-8 in chunks of 256 KiB. The rows themselves are not kept: no per-row object
 * outlives {@link add} (the payload is outside the JS heap), only the ids, for the guards of
 * pg-loader.ts. {@link row} decodes one row back when it has to be reported as a reject.
 */
export class PgBatch {
  /** The ids, in the order rows were added. */
  readonly ids: string[] = [];
  /** The smallest and largest id (UTF-16 code unit order), null while empty. */
  minId: string | null = null;
  maxId: string | null = null;
  #bytes = 0;
  /** Encoded rows not yet in a chunk (written in pieces of about {@link PENDING_CHARS}). */
  #pending = '';
  #pendingFirst = 0;
  /** Full chunks, then the one being written (views trimmed to their rows). */
  readonly #chunks: Buffer[] = [];
  /** The chunks as allocated, for {@link release}. */
  readonly #owned: Buffer[] = [];
  #released = false;
  /** Index of the first row of each chunk. */
  readonly #firstRow: number[] = [];
  #at = 0;
  readonly #encoders: ReadonlyArray<(v: unknown) => string>;
  readonly #names: readonly string[];

  constructor(readonly table: TableName) {
    const spec = codecs(table);
    this.#encoders = spec.encoders;
    this.#names = spec.names;
  }

  /** Adds one logical row (as convert.ts makes it; `id` a string). @throws Error after {@link release}. */
  add(row: Row): void {
    if (this.#released) throw new Error('PgBatch: add after release');
    const names = this.#names;
    const enc = this.#encoders;
    let line = '';
    for (let i = 0; i < names.length; i++) {
      const v = row[names[i]!];
      line += (i === 0 ? '' : '\t') + (v === null || v === undefined ? '\\N' : enc[i]!(v));
    }
    if (this.#pending.length === 0) this.#pendingFirst = this.ids.length;
    this.#pending += `${line}\n`;
    const id = String(row.id);
    this.ids.push(id);
    if (this.minId === null || id < this.minId) this.minId = id;
    if (this.maxId === null || id > this.maxId) this.maxId = id;
    if (this.#pending.length >= PENDING_CHARS) this.#writePending();
  }

  /**
   * Adds one row already encoded as a COPY text line (`src[start, end)`, its newline included:
   * convert/copy-text.ts, the byte path), as {@link add} would have encoded it. The bytes are
   * copied: `src` may be reused once this returns. @throws Error after {@link release}.
   */
  addLine(id: string, src: Buffer, start: number, end: number): void {
    if (this.#released) throw new Error('PgBatch: add after release');
    this.#writePending();
    const len = end - start;
    let chunk = this.#chunks[this.#chunks.length - 1];
    if (chunk === undefined || chunk.length - this.#at < len) {
      if (chunk !== undefined) this.#chunks[this.#chunks.length - 1] = chunk.subarray(0, this.#at);
      chunk = len <= CHUNK_BYTES ? (spare.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES)) : Buffer.allocUnsafe(len);
      this.#owned.push(chunk);
      this.#chunks.push(chunk);
      this.#firstRow.push(this.ids.length);
      this.#at = 0;
    }
    this.#at += src.copy(chunk, this.#at, start, end);
    this.#bytes += len;
    this.ids.push(id);
    if (this.minId === null || id < this.minId) this.minId = id;
    if (this.maxId === null || id > this.maxId) this.maxId = id;
  }

  /** Payload size so far: bytes written plus characters still pending (≈ bytes). */
  get bytes(): number {
    return this.#bytes + this.#pending.length;
  }

  /** Encodes the pending rows into the current chunk, or into a new one (rows never span two chunks). */
  #writePending(): void {
    const text = this.#pending;
    if (text.length === 0) return;
    this.#pending = '';
    let chunk = this.#chunks[this.#chunks.length - 1];
    // A UTF-16 code unit takes at most 3 bytes of UTF-8.
    if (chunk === undefined || chunk.length - this.#at < text.length * 3) {
      if (chunk !== undefined) this.#chunks[this.#chunks.length - 1] = chunk.subarray(0, this.#at);
      chunk = text.length * 3 <= CHUNK_BYTES ? (spare.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES)) : Buffer.allocUnsafe(text.length * 3);
      this.#owned.push(chunk);
      this.#chunks.push(chunk);
      this.#firstRow.push(this.#pendingFirst);
      this.#at = 0;
    }
    const n = chunk.write(text, this.#at, 'utf8');
    this.#at += n;
    this.#bytes += n;
  }

  /** Rows in the batch. */
  get size(): number {
    return this.ids.length;
  }

  /**
   * Gives the payload's memory back for reuse by later batches. Call it only when nothing will
   * read the payload again: after the batch's load settled (its COPY acknowledged or rolled back).
   */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    for (const c of this.#owned) if (c.length === CHUNK_BYTES && spare.length < SPARE_MAX) spare.push(c);
    this.#owned.length = 0;
    this.#chunks.length = 0;
  }

  /** The COPY text so far, as UTF-8 chunks (views, not copies), each ending at a row boundary. @throws Error after {@link release}. */
  payload(): Buffer[] {
    if (this.#released) throw new Error('PgBatch: payload after release');
    this.#writePending();
    const out = this.#chunks.slice();
    if (out.length > 0) out[out.length - 1] = out[out.length - 1]!.subarray(0, this.#at);
    return out;
  }

  /** Row `i` decoded from the payload (the logical row that was added), for reject records. */
  row(i: number): Row {
    if (i < 0 || i >= this.size) throw new RangeError(`PgBatch: no row ${i} (size ${this.size})`);
    const chunks = this.payload(); // also encodes pending rows
    let c = this.#firstRow.length - 1;
    while (this.#firstRow[c]! > i) c--;
    const buf = chunks[c]!;
    let start = 0;
    for (let k = this.#firstRow[c]!; k < i; k++) start = buf.indexOf(NEWLINE, start) + 1;
    const fields = buf.toString('utf8', start, buf.indexOf(NEWLINE, start)).split('\t');
    const { names, decoders } = codecs(this.table);
    const out: Row = {};
    for (let k = 0; k < names.length; k++) out[names[k]!] = fields[k] === '\\N' ? null : decoders[k]!(fields[k]!);
    return out;
  }
}

interface Codecs {
  readonly names: readonly string[];
  readonly encoders: ReadonlyArray<(v: unknown) => string>;
  readonly decoders: ReadonlyArray<(f: string) => unknown>;
}
const cache = new Map<TableName, Codecs>();
function codecs(table: TableName): Codecs {
  let c = cache.get(table);
  if (!c) {
    const cols = tables[table].columns;
    c = { names: cols.map((x) => x.name), encoders: cols.map(fieldEncoder), decoders: cols.map(fieldDecoder) };
    cache.set(table, c);
  }
  return c;
}
