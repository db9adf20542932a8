/**
 * Compares a LibSQL JSON text with PostgreSQL's `jsonb` text of the same value without parsing
 * either into objects: verify's pass calls it for every json column, and `JSON.parse` of both
 * costs more than the rest of a row. It answers `true` only when the two texts certainly denote
 * the same JSON value, `false` when it cannot tell (the caller then parses both: pass-compare.ts).
 *
 * How: the LibSQL text is scanned (any whitespace, keys in any order); PostgreSQL's text has the
 * fixed `jsonb_out` shape (`{"k": v, "k2": v2}`, `[a, b]`, keys sorted by byte length then bytes).
 * LibSQL's object members are sorted the same way, then every key, string, number and literal
 * must be byte-for-byte PostgreSQL's token. Equal tokens denote equal values (PostgreSQL's are
 * valid JSON, so LibSQL's equal bytes are too, and parse the same). Keys with escapes, duplicate
 * keys, and tokens that differ only in spelling (`1.50` and `1.5`, `\u00e9` and `é`) give `false`.
 */

const SPACE = 32;
const QUOTE = 34;
const COMMA = 44;
const COLON = 58;
const LBRACKET = 91;
const BACKSLASH = 92;
const RBRACKET = 93;
const LBRACE = 123;
const RBRACE = 125;

const isWs = (c: number | undefined) => c === SPACE || c === 9 || c === 10 || c === 13;
/** Bytes a JSON number or literal (`true`, `false`, `null`) consists of. */
const isAtom = (c: number | undefined) => c !== undefined && ((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46 || (c >= 97 && c <= 122) || c === 69);

/** Position after the string whose opening quote is at `i`, or -1 (unterminated, raw control character). */
function skipString(b: Buffer, i: number, end: number): number {
  for (i++; i < end; i++) {
    const c = b[i]!;
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) i++;
    else if (c < SPACE) return -1;
  }
  return -1;
}

function skipWs(b: Buffer, i: number, end: number): number {
  while (i < end && isWs(b[i])) i++;
  return i;
}

/** Position after the LibSQL value at `i` (no leading whitespace), or -1. */
function skipValue(b: Buffer, i: number, end: number, depth: number): number {
  const c = b[i];
  if (c === QUOTE) return skipString(b, i, end);
  if (c === LBRACE || c === LBRACKET) {
    if (depth > 64) return -1;
    const close = c === LBRACE ? RBRACE : RBRACKET;
    i = skipWs(b, i + 1, end);
    if (b[i] === close) return i + 1;
    for (;;) {
      if (c === LBRACE) {
        if (b[i] !== QUOTE) return -1;
        i = skipString(b, i, end);
        if (i < 0) return -1;
        i = skipWs(b, i, end);
        if (b[i] !== COLON) return -1;
        i = skipWs(b, i + 1, end);
      }
      i = skipValue(b, i, end, depth + 1);
      if (i < 0) return -1;
      i = skipWs(b, i, end);
      if (b[i] === close) return i + 1;
      if (b[i] !== COMMA) return -1;
      i = skipWs(b, i + 1, end);
    }
  }
  const s = i;
  while (i < end && isAtom(b[i])) i++;
  return i > s ? i : -1;
}

/** Whether `a[as, as + n)` equals `b[bs, bs + n)`. */
function same(a: Buffer, as: number, b: Buffer, bs: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (a[as + k] !== b[bs + k]) return false;
  return true;
}

/** Whether key `[as, ae)` comes after key `[bs, be)` in PostgreSQL's order (byte length, then bytes). */
function keyAfter(l: Buffer, as: number, ae: number, bs: number, be: number): boolean {
  const d = ae - as - (be - bs);
  if (d !== 0) return d > 0;
  for (let k = 0; k < ae - as; k++) {
    const x = l[as + k]! - l[bs + k]!;
    if (x !== 0) return x > 0;
  }
  return false;
}

/** Where the comparison of the last value ended, on each side (set by {@link value}). */
let liteAt = 0;
let pgAt = 0;

/** Compares the LibSQL value at `li` (whitespace allowed) with PostgreSQL's at `pi`; on success sets liteAt/pgAt. */
function value(l: Buffer, li: number, le: number, p: Buffer, pi: number, pe: number, depth: number, base: number): boolean {
  li = skipWs(l, li, le);
  const c = l[li];
  if (c === LBRACE) return object(l, li, le, p, pi, pe, depth, base);
  if (c === LBRACKET) return array(l, li, le, p, pi, pe, depth, base);
  const e = c === QUOTE ? skipString(l, li, le) : skipValue(l, li, le, depth);
  if (e < 0) return false;
  const n = e - li;
  if (pi + n > pe || !same(l, li, p, pi, n)) return false;
  if (c !== QUOTE && isAtom(p[pi + n])) return false; // PostgreSQL's number goes on
  liteAt = e;
  pgAt = pi + n;
  return true;
}

function array(l: Buffer, li: number, le: number, p: Buffer, pi: number, pe: number, depth: number, base: number): boolean {
  if (p[pi] !== LBRACKET || depth > 64) return false;
  pi++;
  li = skipWs(l, li + 1, le);
  if (l[li] === RBRACKET) {
    if (p[pi] !== RBRACKET) return false;
    liteAt = li + 1;
    pgAt = pi + 1;
    return true;
  }
  for (let first = true; ; first = false) {
    if (!first) {
      if (p[pi] !== COMMA || p[pi + 1] !== SPACE) return false;
      pi += 2;
    }
    if (!value(l, li, le, p, pi, pe, depth + 1, base)) return false;
    li = skipWs(l, liteAt, le);
    pi = pgAt;
    if (l[li] === RBRACKET) {
      if (p[pi] !== RBRACKET) return false;
      liteAt = li + 1;
      pgAt = pi + 1;
      return true;
    }
    if (l[li] !== COMMA) return false;
    li++;
  }
}

/** Members of the objects being compared, nested objects above their parents: key start, key end, value start, value end. */
let stack = new Int32Array(4 * 64);

/** Position after the key string whose opening quote is at `i`, or -1 (unterminated, raw control character, or an escape: let JSON.parse decide). */
function skipKey(b: Buffer, i: number, end: number): number {
  for (i++; i < end; i++) {
    const c = b[i]!;
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH || c < SPACE) return -1;
  }
  return -1;
}

/** Whether LibSQL's scalar `l[ls, le)` (a string, number or literal, already delimited) is PostgreSQL's token at `pi`; sets pgAt. */
function scalarAt(l: Buffer, ls: number, le: number, p: Buffer, pi: number, pe: number): boolean {
  const n = le - ls;
  if (pi + n > pe || !same(l, ls, p, pi, n)) return false;
  if (l[ls] !== QUOTE && isAtom(p[pi + n])) return false; // PostgreSQL's number goes on
  pgAt = pi + n;
  return true;
}

function object(l: Buffer, li: number, le: number, p: Buffer, pi: number, pe: number, depth: number, base: number): boolean {
  if (p[pi] !== LBRACE || depth > 64) return false;
  pi++;
  // LibSQL's members in text order, at stack[base …]: key (without quotes) start and end, value start and end.
  let n = 0;
  li = skipWs(l, li + 1, le);
  if (l[li] !== RBRACE) {
    for (;;) {
      if (l[li] !== QUOTE) return false;
      const ks = li + 1;
      const ke = skipKey(l, li, le); // escaped keys: let JSON.parse decide
      if (ke < 0) return false;
      li = skipWs(l, ke, le);
      if (l[li] !== COLON) return false;
      li = skipWs(l, li + 1, le);
      const at = base + 4 * n++;
      if (at + 4 > stack.length) {
        const grown = new Int32Array(stack.length * 2);
        grown.set(stack);
        stack = grown;
      }
      const vs = li;
      li = skipValue(l, li, le, depth + 1);
      if (li < 0) return false;
      // Insertion sort by PostgreSQL's key order (byte length, then bytes): objects are small.
      let k = at;
      while (k > base && keyAfter(l, stack[k - 4]!, stack[k - 3]!, ks, ke - 1)) {
        stack[k] = stack[k - 4]!;
        stack[k + 1] = stack[k - 3]!;
        stack[k + 2] = stack[k - 2]!;
        stack[k + 3] = stack[k - 1]!;
        k -= 4;
      }
      stack[k] = ks;
      stack[k + 1] = ke - 1;
      stack[k + 2] = vs;
      stack[k + 3] = li;
      li = skipWs(l, li, le);
      if (l[li] === RBRACE) break;
      if (l[li] !== COMMA) return false;
      li = skipWs(l, li + 1, le);
    }
  }
  const end = li + 1;
  const top = base + 4 * n;
  for (let m = 0; m < n; m++) {
    const at = base + 4 * m;
    const s = stack[at]!;
    const len = stack[at + 1]! - s;
    if (m > 0) {
      if (stack[at - 3]! - stack[at - 4]! === len && same(l, stack[at - 4]!, l, s, len)) return false; // duplicate key
      if (p[pi] !== COMMA || p[pi + 1] !== SPACE) return false;
      pi += 2;
    }
    if (p[pi] !== QUOTE || pi + len + 3 > pe || !same(l, s, p, pi + 1, len) || p[pi + len + 1] !== QUOTE || p[pi + len + 2] !== COLON || p[pi + len + 3] !== SPACE) return false;
    const vs = stack[at + 2]!;
    const c = l[vs];
    // A string, number or literal was delimited by skipValue above: compared without a second scan.
    if (c === LBRACE || c === LBRACKET ? !value(l, vs, le, p, pi + len + 4, pe, depth + 1, top) : !scalarAt(l, vs, stack[at + 3]!, p, pi + len + 4, pe)) return false;
    pi = pgAt;
  }
  if (p[pi] !== RBRACE) return false;
  liteAt = end;
  pgAt = pi + 1;
  return true;
}

/**
 * True when LibSQL's JSON text `l[ls, le)` and PostgreSQL's `jsonb` text `p[ps, pe)` certainly
 * denote the same value; false when they differ or it cannot tell (see the module comment).
 */
export function sameJsonBytes(l: Buffer, ls: number, le: number, p: Buffer, ps: number, pe: number): boolean {
  if (!value(l, ls, le, p, ps, pe, 0, 0)) return false;
  return skipWs(l, liteAt, le) === le && pgAt === pe;
}
