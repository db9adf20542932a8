import type { ColumnSpec } from '../../schema/columns.js';
import { PG_JSON_END, type PassLayout } from './pass-sql.js';

/**
 * One key-ordered chunk of pass rows of one side (layout: pass-sql.ts), walked once: per row
 * where it starts, where its id token's bytes are, where its plain part ends, where each json
 * token is. Row `i` spans `[start[i], start[i + 1])` of `bufs[buf[i]]`.
 */
export interface PassChunk {
  readonly n: number;
  /** The buffers rows live in: the chunk as read, then (LibSQL) rows converted in JS. */
  readonly bufs: Buffer[];
  /** Per row: index into `bufs` (0: the chunk as read; 1: rows converted in JS). */
  readonly buf: Uint8Array;
  /** Per row: where it starts and ends in its buffer. */
  readonly start: Int32Array;
  readonly end: Int32Array;
  readonly idStart: Int32Array;
  readonly idEnd: Int32Array;
  /** End of the plain tokens (start of the json tokens). */
  readonly plainEnd: Int32Array;
  /** Per row and json column: the token's start (LibSQL: `<len>:<bytes>`, `:` for NULL; PostgreSQL: the text, ended by U+0001). */
  readonly json: Int32Array;
  /** End of the json tokens (start of the real tokens, PostgreSQL). */
  readonly jsonEnd: Int32Array;
  /**
   * Per row: 0 a pass row as read; 1 (LibSQL) a row converted in JS, in PostgreSQL's layout
   * (compare whole rows); 2 (LibSQL) a row that needs verify's exact re-check (`reason`, if any,
   * says its id is unusable).
   */
  readonly kind: Uint8Array;
  /** LibSQL tables with real columns: per row and real column the value, NaN for NULL (SQLite stores no NaN). */
  readonly reals: Float64Array | null;
  /** Rows of kind 2 with an unusable id: why (convert.ts `idProblem`), by row. */
  readonly unusable: Map<number, string>;
  /** Printable ids of rows whose id is not exact UTF-8 text (kind 2), by row. */
  readonly printableIds: Map<number, string>;
}

const COLON = 58;
const SEMI = 59;
const N = 78;
const X = 88;

/** Thrown when a chunk does not parse (a bug, or a side that does not send what pass-sql.ts asks for). */
export class PassFormatError extends Error {
  override readonly name = 'PassFormatError';
}

/**
 * Whether `b[s1, e1)` sorts strictly before `b[s2, e2)` in byte order. A JS loop for short ids
 * (a native `Buffer.compare` call costs more than comparing 36 bytes), the native call above 64.
 */
export function bytesBefore(b: Buffer, s1: number, e1: number, s2: number, e2: number): boolean {
  const n1 = e1 - s1;
  const n2 = e2 - s2;
  const n = Math.min(n1, n2);
  if (n > 64) return b.compare(b, s2, e2, s1, e1) < 0; // source [s1, e1) before target [s2, e2): -1
  for (let k = 0; k < n; k++) {
    const d = b[s1 + k]! - b[s2 + k]!;
    if (d !== 0) return d < 0;
  }
  return n1 < n2;
}

/** Growable per-row arrays of a chunk under construction. */
export class ChunkBuilder {
  n = 0;
  readonly bufs: Buffer[] = [];
  #cap: number;
  buf: Uint8Array;
  start: Int32Array;
  end: Int32Array;
  idStart: Int32Array;
  idEnd: Int32Array;
  plainEnd: Int32Array;
  json: Int32Array;
  jsonEnd: Int32Array;
  kind: Uint8Array;
  readonly unusable = new Map<number, string>();
  readonly printableIds = new Map<number, string>();
  /** Rows sent as `X<rowid>;`: row index → rowid (decimal). */
  readonly slow = new Map<number, string>();

  constructor(
    readonly layout: PassLayout,
    capacity: number,
  ) {
    this.#cap = Math.max(16, capacity);
    const c = this.#cap;
    this.buf = new Uint8Array(c);
    this.start = new Int32Array(c);
    this.end = new Int32Array(c);
    this.idStart = new Int32Array(c);
    this.idEnd = new Int32Array(c);
    this.plainEnd = new Int32Array(c);
    this.json = new Int32Array(c * Math.max(1, layout.json.length));
    this.jsonEnd = new Int32Array(c);
    this.kind = new Uint8Array(c);
  }

  #grow(): void {
    const c = this.#cap * 2;
    const g = <T extends Int32Array | Uint8Array>(a: T, m = 1): T => {
      const b = new (a.constructor as new (n: number) => T)(c * m);
      b.set(a);
      return b;
    };
    this.buf = g(this.buf);
    this.start = g(this.start);
    this.end = g(this.end);
    this.idStart = g(this.idStart);
    this.idEnd = g(this.idEnd);
    this.plainEnd = g(this.plainEnd);
    this.json = g(this.json, Math.max(1, this.layout.json.length));
    this.jsonEnd = g(this.jsonEnd);
    this.kind = g(this.kind);
    this.#cap = c;
  }

  /** Start of the bytes of the last `<len>:` token read by {@link #lengthToken}. */
  #at = 0;

  /** Offset after the `<len>:<bytes>` token at `p` (`:` alone: NULL); sets {@link #at} to where its bytes start. */
  #lengthToken(b: Buffer, p: number): number {
    let len = 0;
    let c = b[p]!;
    while (c !== COLON) {
      if (c < 48 || c > 57) throw new PassFormatError(`bad length token at ${p}`);
      len = len * 10 + (c - 48);
      c = b[++p]!;
    }
    this.#at = p + 1;
    return p + 1 + len;
  }

  /** Offset after the plain token of column `c` at `p`. */
  #skipPlain(b: Buffer, p: number, c: ColumnSpec): number {
    switch (c.type) {
      case 'bool':
        return p + 1;
      case 'int':
      case 'bigint':
      case 'timestamp':
      case 'millis': {
        const n = b.length;
        while (p < n && b[p] !== SEMI) p++;
        if (p === n) throw new PassFormatError(`unterminated integer token at ${p}`);
        return p + 1;
      }
      default:
        return this.#lengthToken(b, p);
    }
  }

  /** Adds a buffer; returns its index. */
  addBuffer(b: Buffer): number {
    this.bufs.push(b);
    return this.bufs.length - 1;
  }

  /**
   * Walks the pass rows in `bufs[bi]` from `p` to `stop` (real tokens: PostgreSQL's only). A LibSQL
   * row sent as `X<rowid>;` is recorded in `slow` (kind 2 until converted).
   */
  walk(bi: number, p: number, stop: number, side: 'sqlite' | 'postgres'): void {
    const b = this.bufs[bi]!;
    const { plain, json, real } = this.layout;
    const nj = Math.max(1, json.length);
    while (p < stop) {
      if (this.n === this.#cap) this.#grow();
      const i = this.n++;
      this.buf[i] = bi;
      this.start[i] = p;
      this.kind[i] = 0;
      if (side === 'sqlite' && b[p] === X) {
        // A row not in canonical storage: `X<rowid>;` stands for the whole row (pass-sql.ts).
        p = this.#slowToken(b, p, i);
        this.idStart[i] = this.idEnd[i] = this.plainEnd[i] = this.jsonEnd[i] = this.end[i] = p;
        for (let k = 0; k < json.length; k++) this.json[i * nj + k] = p;
        if (p > stop) throw new PassFormatError(`row ${i} runs past its chunk`);
        continue;
      }
      p = this.#lengthToken(b, p);
      this.idStart[i] = this.#at;
      this.idEnd[i] = p;
      for (let k = 1; k < plain.length; k++) p = this.#skipPlain(b, p, plain[k]!);
      this.plainEnd[i] = p;
      for (let k = 0; k < json.length; k++) {
        this.json[i * nj + k] = p;
        if (side === 'postgres') {
          while (p < stop && b[p] !== PG_JSON_END) p++;
          if (p === stop) throw new PassFormatError(`unterminated json token at ${p}`);
          p++;
        } else p = this.#lengthToken(b, p);
      }
      this.jsonEnd[i] = p;
      if (side === 'postgres') for (let k = 0; k < real.length; k++) p += b[p] === N ? 1 : 16;
      if (p > stop) throw new PassFormatError(`row ${i} runs past its chunk`);
      this.end[i] = p;
    }
  }

  /** Records row `i` as one to convert in JS, by rowid (decimal). */
  markSlow(i: number, rowid: string): void {
    if (this.kind[i] === 0 || this.kind[i] === 2) {
      this.slow.set(i, rowid);
      this.kind[i] = 2;
    }
  }

  /** Records row `i` as one to convert in JS (an `X<rowid>;` token at `p`); returns the offset after the token. */
  #slowToken(b: Buffer, p: number, i: number): number {
    let e = p + 1;
    while (e < b.length && b[e] !== SEMI) e++;
    if (e === b.length) throw new PassFormatError(`unterminated rowid token at ${p}`);
    this.slow.set(i, b.toString('latin1', p + 1, e));
    this.kind[i] = 2;
    return e + 1;
  }

  /** Rows converted in JS, waiting for {@link finishConverted}: row, bytes (null: needs the exact re-check), id bytes, id offset. */
  readonly #converted: Array<{ i: number; bytes: Buffer | null; idBytes: Buffer; idStart: number }> = [];

  /** Sets row `i` to a row converted in JS (PostgreSQL's layout) or to one needing the exact re-check; takes effect at {@link finishConverted}. */
  setConverted(i: number, bytes: Buffer | null, idBytes: Buffer, idStart: number): void {
    this.#converted.push({ i, bytes, idBytes, idStart });
  }

  /** Puts the rows given to {@link setConverted} into one new buffer (rows needing the re-check: their id bytes only). */
  finishConverted(): void {
    if (this.#converted.length === 0) return;
    const parts: Buffer[] = [];
    let at = 0;
    const bi = this.bufs.length;
    for (const r of this.#converted) {
      const b = r.bytes ?? r.idBytes;
      parts.push(b);
      this.buf[r.i] = bi;
      this.start[r.i] = at;
      this.end[r.i] = at + b.length;
      this.kind[r.i] = r.bytes ? 1 : 2;
      this.idStart[r.i] = at + (r.bytes ? r.idStart : 0);
      this.idEnd[r.i] = this.idStart[r.i]! + r.idBytes.length;
      at += b.length;
    }
    this.addBuffer(Buffer.concat(parts, at));
    this.#converted.length = 0;
  }

  /** Drops row `i` (a LibSQL row deleted between the chunk read and its conversion). */
  drop(i: number): void {
    this.kind[i] = 3;
  }

  /** The finished chunk (rows of kind 3 removed). */
  build(reals: Float64Array | null): PassChunk {
    let w = 0;
    const nj = Math.max(1, this.layout.json.length);
    const nr = this.layout.real.length;
    const unusable = new Map<number, string>();
    const printable = new Map<number, string>();
    for (let r = 0; r < this.n; r++) {
      if (this.kind[r] === 3) continue;
      if (w !== r) {
        this.buf[w] = this.buf[r]!;
        this.start[w] = this.start[r]!;
        this.end[w] = this.end[r]!;
        this.idStart[w] = this.idStart[r]!;
        this.idEnd[w] = this.idEnd[r]!;
        this.plainEnd[w] = this.plainEnd[r]!;
        this.jsonEnd[w] = this.jsonEnd[r]!;
        this.kind[w] = this.kind[r]!;
        this.json.copyWithin(w * nj, r * nj, r * nj + nj);
        if (reals && nr) for (let k = 0; k < nr; k++) reals[w * nr + k] = reals[r * nr + k]!;
      }
      const u = this.unusable.get(r);
      if (u !== undefined) unusable.set(w, u);
      const pid = this.printableIds.get(r);
      if (pid !== undefined) printable.set(w, pid);
      w++;
    }
    return {
      n: w,
      bufs: this.bufs,
      buf: this.buf,
      start: this.start,
      end: this.end,
      idStart: this.idStart,
      idEnd: this.idEnd,
      plainEnd: this.plainEnd,
      json: this.json,
      jsonEnd: this.jsonEnd,
      kind: this.kind,
      reals,
      unusable,
      printableIds: printable,
    };
  }
}
