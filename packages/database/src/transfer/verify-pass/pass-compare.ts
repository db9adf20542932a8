import { isUtf8 } from 'node:buffer';
import { idProblem } from '../convert/convert.js';
import { PassFormatError, type PassChunk } from './pass-chunk.js';
import { sameJsonBytes } from './pass-json-bytes.js';
import { sameRealHex } from './pass-json.js';
import { PG_JSON_END, type PassLayout } from './pass-sql.js';
import { decodeText } from '../source/sqlite-value.js';
import { parseJsonExact, sameJsonValue } from '../../json-exact.js';

const COLON = 58;
const N = 78;
const NULL_TOKEN = Buffer.from('4:null');

/** Below this many bytes a JS loop compares faster than a native `Buffer.compare` call. */
const SHORT = 64;

/** Whether `a[as, as + n)` equals `b[bs, bs + n)`. */
function equalBytes(a: Buffer, as: number, b: Buffer, bs: number, n: number): boolean {
  if (n > SHORT) return a.compare(b, bs, bs + n, as, as + n) === 0;
  for (let k = 0; k < n; k++) if (a[as + k] !== b[bs + k]) return false;
  return true;
}

/** Equality of two `parseJsonExact` results (json-exact.ts: numbers by exact value, any depth). */
export { sameJsonValue };

/**
 * Compares LibSQL pass rows with PostgreSQL's. True means *certainly equal* canonical rows
 * (normalize-row.ts) of what import writes and what PostgreSQL holds:
 * - plain columns: equal bytes, and PostgreSQL's bytes are UTF-8 text / decimal integers / 0 or 1,
 *   so LibSQL's value was already canonical and equal;
 * - json columns: equal bytes, equal tokens in any key order and spacing (pass-json-bytes.ts), or
 *   equal values once both texts are parsed ({@link sameJsonValue};
 *   `JSON.parse` of PostgreSQL's `jsonb` text is what PostgreSQL's row decodes to, and of
 *   LibSQL's text what import writes);
 * - real columns: the same IEEE 754 bits;
 * - rows converted in JS (pass-convert.ts): equal bytes of PostgreSQL's layout.
 * False means "look again": verify's exact re-check decides (the text policy, `1.50` against
 * `1.5` and the like are settled there).
 */
export class PassComparer {
  readonly #nj: number;
  readonly #nr: number;
  /** Per LibSQL chunk: whether its first buffer is entirely UTF-8 (then no json token needs a check). */
  #chunk: PassChunk | null = null;
  #valid = false;

  constructor(readonly layout: PassLayout) {
    this.#nj = Math.max(1, layout.json.length);
    this.#nr = layout.real.length;
  }

  same(a: PassChunk, i: number, b: PassChunk, j: number): boolean {
    const kind = a.kind[i];
    if (kind === 2) return false;
    const la = a.bufs[a.buf[i]!]!;
    const pb = b.bufs[b.buf[j]!]!;
    if (kind === 1) {
      const n = a.end[i]! - a.start[i]!;
      return n === b.end[j]! - b.start[j]! && equalBytes(la, a.start[i]!, pb, b.start[j]!, n);
    }
    const plain = a.plainEnd[i]! - a.start[i]!;
    if (plain !== b.plainEnd[j]! - b.start[j]! || !equalBytes(la, a.start[i]!, pb, b.start[j]!, plain)) return false;
    const nj = this.layout.json.length;
    for (let k = 0; k < nj; k++) {
      // PostgreSQL's token ends one byte (U+0001) before the next token starts, as its walk found (pass-chunk.ts).
      const pp = b.json[j * this.#nj + k]!;
      const pe = (k + 1 < nj ? b.json[j * this.#nj + k + 1]! : b.jsonEnd[j]!) - 1;
      if (!this.#sameJson(a, la, a.json[i * this.#nj + k]!, pb, pp, pe)) return false;
    }
    let p = b.jsonEnd[j]!;
    for (let k = 0; k < this.#nr; k++) {
      const v = a.reals![i * this.#nr + k]!;
      if (Number.isNaN(v)) {
        if (pb[p] !== N) return false;
        p++;
        continue;
      }
      if (pb[p] === N || !Number.isFinite(v) || !sameRealHex(pb, p, v)) return false;
      p += 16;
    }
    return true;
  }

  #sameJson(a: PassChunk, la: Buffer, lp: number, pb: Buffer, pp: number, pe: number): boolean {
    // Spans without allocating (this runs for every json column of every row): LibSQL's
    // `<len>:<bytes>` token (`:` alone: NULL), PostgreSQL's text `[pp, pe)` before its U+0001 (empty: NULL).
    const lNull = la[lp] === COLON;
    let ls = lp;
    let len = 0;
    if (!lNull) {
      for (let c = la[ls]!; c !== COLON; c = la[++ls]!) len = len * 10 + (c - 48);
      ls++;
    }
    const le = ls + len;
    if (pb[pe] !== PG_JSON_END) throw new PassFormatError(`PostgreSQL json token not ended by U+0001 at ${pe}`);
    const pNull = pe === pp;
    if (!lNull && !pNull && len === pe - pp && equalBytes(la, ls, pb, pp, len)) return true;
    const pgNull = pNull || (pe - pp === 4 && equalBytes(pb, pp, NULL_TOKEN, 2, 4));
    if (lNull) return pgNull;
    if (!pgNull && sameJsonBytes(la, ls, le, pb, pp, pe)) return true;
    if (!this.#utf8(a, la, ls, le)) return false;
    let v: unknown;
    try {
      v = parseJsonExact(la.toString('utf8', ls, le));
    } catch {
      return false; // import rejects it: the re-check says so
    }
    if (v === null) return pgNull;
    return !pgNull && sameJsonValue(v, parseJsonExact(pb.toString('utf8', pp, pe)));
  }

  /** Whether a LibSQL json token is UTF-8 (text that is not would be decoded with U+FFFD, hiding what import rejects). */
  #utf8(a: PassChunk, la: Buffer, start: number, end: number): boolean {
    if (this.#chunk !== a) {
      this.#chunk = a;
      this.#valid = a.bufs.length > 0 && isUtf8(a.bufs[0]!);
    }
    return (la === a.bufs[0] && this.#valid) || isUtf8(la.subarray(start, end));
  }
}

/** The id of LibSQL row `i` as verify reports it, and why it is unusable (convert.ts `idProblem`), if it is. */
export function liteId(a: PassChunk, i: number): { id: string; unusable: string | null } {
  const printable = a.printableIds.get(i);
  const known = a.unusable.get(i);
  const bytes = a.bufs[a.buf[i]!]!.subarray(a.idStart[i], a.idEnd[i]);
  if (known !== undefined) return { id: printable ?? bytes.toString('utf8'), unusable: known };
  if (printable !== undefined) return { id: printable, unusable: null };
  const text = decodeText(bytes);
  const wrong = idProblem(text);
  return { id: typeof text === 'string' ? text : bytes.toString('utf8'), unusable: wrong };
}

/** The id of PostgreSQL row `j`. */
export function pgId(b: PassChunk, j: number): string {
  return b.bufs[b.buf[j]!]!.toString('utf8', b.idStart[j], b.idEnd[j]);
}

/** Byte order of LibSQL row `i`'s id against PostgreSQL row `j`'s: negative, 0, positive. */
export function compareIds(a: PassChunk, i: number, b: PassChunk, j: number): number {
  const x = a.bufs[a.buf[i]!]!;
  const y = b.bufs[b.buf[j]!]!;
  const xs = a.idStart[i]!;
  const ys = b.idStart[j]!;
  const xn = a.idEnd[i]! - xs;
  const yn = b.idEnd[j]! - ys;
  const n = Math.min(xn, yn);
  if (n > SHORT) return x.compare(y, ys, ys + yn, xs, xs + xn);
  for (let k = 0; k < n; k++) {
    const d = x[xs + k]! - y[ys + k]!;
    if (d !== 0) return d;
  }
  return xn - yn;
}
