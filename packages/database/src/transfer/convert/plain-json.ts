/**
 * Whether JSON text is exactly what the converter writes back for it (coerce.ts `coerceJson`, then
 * `stringifyJsonExact`), decided on the bytes with no parse and no allocation: copy's byte path
 * (copy-text.ts) passes such text through to COPY as it is.
 *
 * The converter parses the text and writes the value back as `JSON.stringify` does, so the text
 * must be in that exact form. Accepted is a subset of it, each rule a case where the write-back
 * could differ, or the text policy, the numeric range or the depth check could apply:
 * - no whitespace outside strings; `true`, `false`, `null` inside, but not `null` alone (SQL NULL);
 * - strings: raw characters from U+0020 (the caller checked the UTF-8 and that there is no U+0000),
 *   escapes only `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t` (as `JSON.stringify` writes them); no
 *   `\u` escape (a lone surrogate or U+0000 there is changed by the text policy), no `\/`;
 * - numbers: `-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?`, at most 15 digits (a double gives them back
 *   as written: DBL_DIG), not `-0`, no exponent, not below 10^-6 (JavaScript writes 1e-7);
 * - object keys: no duplicate (the last value wins, at the first key's place), no key made of
 *   digits only (JavaScript lists integer keys first), no `__proto__`;
 * - at most {@link MAX_DEPTH} levels and {@link MAX_KEYS} keys per object (the duplicate check).
 * Anything else returns false and goes to the converter, which decides as always.
 */

/** Nesting the check follows; deeper text goes to the converter. */
export const MAX_DEPTH = 64;
/** Keys per object compared for duplicates; an object with more goes to the converter. */
export const MAX_KEYS = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const DOT = 0x2e;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
/** The escapes `JSON.stringify` writes as two characters: `" \ b f n r t`. */
const SHORT_ESCAPE = new Uint8Array(128);
for (const c of '"\\bfnrt') SHORT_ESCAPE[c.charCodeAt(0)] = 1;
const PROTO = Buffer.from('__proto__');

// The check's stack, reused call after call (one JS thread runs one call at a time).
const kinds = new Uint8Array(MAX_DEPTH); // 1 array, 2 object
const keyCount = new Int32Array(MAX_DEPTH);
const keyStart = new Int32Array(MAX_DEPTH * MAX_KEYS);
const keyEnd = new Int32Array(MAX_DEPTH * MAX_KEYS);

/** See the module comment. `b[s, e)` is the text's UTF-8 (valid, without U+0000). */
export function isPlainJson(b: Uint8Array, s: number, e: number): boolean {
  if (e - s === 4 && b[s] === 0x6e && b[s + 1] === 0x75 && b[s + 2] === 0x6c && b[s + 3] === 0x6c) return false;
  let depth = 0;
  let i = s;
  for (;;) {
    // A value at i.
    if (i >= e) return false;
    const c = b[i]!;
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (depth === MAX_DEPTH) return false;
      kinds[depth] = c === OPEN_ARRAY ? 1 : 2;
      keyCount[depth] = 0;
      depth++;
      i++;
      if (b[i] === (c === OPEN_ARRAY ? CLOSE_ARRAY : CLOSE_OBJECT)) {
        i++;
        depth--;
      } else {
        if (c === OPEN_OBJECT && (i = key(b, i, e, depth - 1)) < 0) return false;
        continue;
      }
    } else if (c === QUOTE) {
      if ((i = string(b, i, e)) < 0) return false;
    } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
      if ((i = number(b, i, e)) < 0) return false;
    } else if (c === 0x74 && b[i + 1] === 0x72 && b[i + 2] === 0x75 && b[i + 3] === 0x65) i += 4; // true
    else if (c === 0x66 && b[i + 1] === 0x61 && b[i + 2] === 0x6c && b[i + 3] === 0x73 && b[i + 4] === 0x65) i += 5; // false
    else if (c === 0x6e && b[i + 1] === 0x75 && b[i + 2] === 0x6c && b[i + 3] === 0x6c) i += 4; // null
    else return false;
    // After a value: the next one of its container, or the container's end.
    for (;;) {
      if (depth === 0) return i === e;
      const d = depth - 1;
      const x = b[i];
      if (x === COMMA) {
        i++;
        if (kinds[d] === 2 && (i = key(b, i, e, d)) < 0) return false;
        break;
      }
      if (x !== (kinds[d] === 1 ? CLOSE_ARRAY : CLOSE_OBJECT)) return false;
      i++;
      depth--;
    }
  }
}

/** The key at `i` of the object at `level` and its colon: the position after them, or -1. */
function key(b: Uint8Array, i: number, e: number, level: number): number {
  const start = i;
  const end = string(b, i, e);
  if (end < 0 || b[end] !== COLON) return -1;
  // Inside the quotes: digits only (an integer key JavaScript would list first), or __proto__.
  let digits = true;
  for (let k = start + 1; k < end - 1; k++) if (b[k]! < ZERO || b[k]! > NINE) (digits = false), (k = end);
  if (digits || sameBytes(b, start + 1, end - 1, PROTO, 0, PROTO.length)) return -1;
  const n = keyCount[level]!;
  if (n === MAX_KEYS) return -1;
  const base = level * MAX_KEYS;
  for (let k = 0; k < n; k++) if (sameBytes(b, keyStart[base + k]!, keyEnd[base + k]!, b, start, end)) return -1;
  keyStart[base + n] = start;
  keyEnd[base + n] = end;
  keyCount[level] = n + 1;
  return end + 1;
}

/** The string at `i` (its opening quote): the position after its closing quote, or -1. */
function string(b: Uint8Array, i: number, e: number): number {
  if (b[i] !== QUOTE) return -1;
  for (i++; i < e; i++) {
    const c = b[i]!;
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) {
      const x = b[i + 1]!;
      if (x >= 128 || SHORT_ESCAPE[x] !== 1) return -1;
      i++;
    } else if (c < 0x20) return -1;
  }
  return -1;
}

/** The number at `i`: the position after it, or -1 (see the module comment for what is accepted). */
function number(b: Uint8Array, i: number, e: number): number {
  const neg = b[i] === MINUS;
  if (neg) i++;
  let digits = 0;
  let zeroInt = false;
  if (b[i] === ZERO) {
    zeroInt = true;
    digits = 1;
    i++;
  } else {
    while (i < e && b[i]! >= ZERO && b[i]! <= NINE) i++, digits++;
    if (digits === 0) return -1;
  }
  if (b[i] === DOT) {
    i++;
    const from = i;
    let leadingZeros = 0;
    while (i < e && b[i] === ZERO) i++, leadingZeros++;
    while (i < e && b[i]! >= ZERO && b[i]! <= NINE) i++;
    const frac = i - from;
    if (frac === 0 || b[i - 1] === ZERO) return -1; // `1.` is invalid; `1.50` is written `1.5`
    if (zeroInt && leadingZeros > 5) return -1; // below 10^-6: JavaScript writes an exponent
    digits += frac;
  } else if (neg && zeroInt) return -1; // -0 is written 0
  if (digits > 15) return -1;
  const x = b[i];
  if (x === 0x65 || x === 0x45 || (x !== undefined && x >= ZERO && x <= NINE)) return -1; // an exponent, or a leading zero
  return i;
}

function sameBytes(a: Uint8Array, as: number, ae: number, b: Uint8Array, bs: number, be: number): boolean {
  if (ae - as !== be - bs) return false;
  for (let k = 0; k < ae - as; k++) if (a[as + k] !== b[bs + k]) return false;
  return true;
}
