/**
 * Reading TEXT from LibSQL safely.
 *
 * `@libsql/client` (local files) aborts the whole process (a Rust panic inside the driver,
 * SIGABRT: no exception to catch) when a row it returns holds TEXT that is not valid UTF-8, and
 * it cuts TEXT at the first U+0000. SQLite itself stores any bytes in a TEXT column (omega-bot's
 * files hold such rows). So the store never asks the driver for TEXT: every column is selected
 * with {@link safeSelect}, which hands TEXT over as BLOB bytes, and the bytes are decoded here
 * by {@link decodeStoredText} with the read policy:
 * - valid UTF-8 decodes as is (a leading BOM is kept);
 * - each byte sequence that is not UTF-8 becomes one U+FFFD (`invalid_utf8`), except an encoded
 *   surrogate (`ED A0..BF xx`, WTF-8/CESU-8), which decodes to its code unit: a CESU-8 pair
 *   becomes its character, a lone one U+FFFD (`lone_surrogate`), as in `copy`;
 * - U+0000 is stripped (`nul`), as the text policy does on every write (services/sanitize.ts).
 * What changed is reported (the store logs it with the table, row id and column as
 * `read_value_degraded`); nothing is written back: `pnpm db repair` fixes the stored bytes.
 *
 * Cost (measured on 2 shared cores, 3,000 messages): the driver makes a Buffer per TEXT value,
 * ≈ 1 µs more per value than its own TEXT read; decoding is a small part. `queryMessages` of 100
 * rows: p50 ≈ 3 → 5 ms; a 20-row search got faster (≈ 3.8 → 2 ms) because the store now selects
 * a page's rowids first (sql-store.ts `#pageFirst`). A `GLOB` test for non-ASCII text (to read
 * only that as BLOB) cost more than it saved, and no SQLite function tells valid UTF-8 from invalid.
 */

/** Why a stored value was changed on read (or, for JSON, replaced). */
export type ReadIssueReason = 'invalid_utf8' | 'nul' | 'lone_surrogate' | 'invalid_json' | 'bom' | 'decode_error';

/** One value a read could not return as stored. */
export interface ReadIssue {
  readonly column: string;
  readonly reason: ReadIssueReason;
  /** What was done, e.g. `3 invalid UTF-8 sequences → U+FFFD`, `invalid JSON → null`. */
  readonly detail: string;
}

/**
 * The select expression of one column that the driver can always read: TEXT comes back as BLOB
 * bytes, every other storage class as is (a BLOB stays a BLOB). `ref` is the quoted, possibly
 * qualified column (`m."content"`); the result is named `name`.
 */
export function safeSelect(ref: string, name: string): string {
  return `CASE WHEN typeof(${ref}) = 'text' THEN CAST(${ref} AS BLOB) ELSE ${ref} END AS "${name}"`;
}

const lenient = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
// eslint-disable-next-line no-control-regex
const NEEDS_CARE = /[\u0000\uFFFD]/;
// eslint-disable-next-line no-control-regex
const NUL = /\u0000/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Bytes of a value the driver returned for a BLOB (`ArrayBuffer`, `Uint8Array` or Buffer). */
export function bytesOf(v: unknown): Uint8Array | null {
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  return null;
}

/** A decoded text and what the policy changed on the way (empty: stored as is). */
export interface DecodedText {
  readonly text: string;
  readonly changes: { reason: 'invalid_utf8' | 'nul' | 'lone_surrogate'; count: number }[];
}

/**
 * Decodes stored TEXT bytes with the read policy (module comment). Never throws.
 * Fast path: valid UTF-8 without U+0000 or U+FFFD is one native decode and one scan.
 */
export function decodeStoredText(bytes: Uint8Array): DecodedText {
  const s = lenient.decode(bytes);
  if (!NEEDS_CARE.test(s)) return { text: s, changes: [] };
  const { text: decoded, invalid } = decodeLossy(bytes);
  const changes: DecodedText['changes'] = [];
  if (invalid > 0) changes.push({ reason: 'invalid_utf8', count: invalid });
  let text = decoded;
  const nul = text.match(NUL)?.length ?? 0;
  if (nul) (text = text.replace(NUL, '')), changes.push({ reason: 'nul', count: nul });
  const lone = text.match(LONE_SURROGATE)?.length ?? 0;
  if (lone) (text = text.replace(LONE_SURROGATE, '\uFFFD')), changes.push({ reason: 'lone_surrogate', count: lone });
  return { text, changes };
}

/**
 * UTF-8 decode where each byte that does not start a complete, shortest-form sequence gives
 * one U+FFFD and decoding goes on at the next byte; encoded surrogates decode to their code unit.
 */
function decodeLossy(b: Uint8Array): { text: string; invalid: number } {
  let out = '';
  let invalid = 0;
  let start = 0; // start of the pending run of plain bytes, decoded in one go
  let i = 0;
  const flush = (end: number) => {
    if (end > start) out += lenient.decode(b.subarray(start, end));
  };
  while (i < b.length) {
    const x = b[i]!;
    if (x < 0x80) {
      i++;
      continue;
    }
    let n = 0;
    let cp = 0;
    if (x >= 0xc2 && x <= 0xdf) (n = 2), (cp = x & 0x1f);
    else if (x >= 0xe0 && x <= 0xef) (n = 3), (cp = x & 0x0f);
    else if (x >= 0xf0 && x <= 0xf4) (n = 4), (cp = x & 0x07);
    let ok = n > 0 && i + n <= b.length;
    for (let k = 1; ok && k < n; k++) {
      const y = b[i + k]!;
      if ((y & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (y & 0x3f);
    }
    if (ok && ((n === 3 && cp < 0x800) || (n === 4 && (cp < 0x10000 || cp > 0x10ffff)))) ok = false;
    if (ok && !(cp >= 0xd800 && cp <= 0xdfff)) {
      i += n; // a valid multi-byte character: part of the plain run
      continue;
    }
    flush(i);
    if (ok) {
      out += String.fromCharCode(cp); // an encoded surrogate: its code unit (a pair joins up)
      i += n;
    } else {
      out += '\uFFFD';
      invalid++;
      i += 1;
    }
    start = i;
  }
  flush(i);
  return { text: out, invalid };
}

/** A short, printable, one-line form of a string for logs and repair listings (JSON-quoted, cut to `max`). */
export function printable(s: string, max = 80): string {
  const q = JSON.stringify(s.length > max ? s.slice(0, max) : s).replace(/[\u007f-\u009f\u2028\u2029\uFEFF\uFFFD]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return s.length > max ? `${q}… (${s.length} chars)` : q;
}

/** A printable form of raw bytes: `x'…'` hex, cut to `max` bytes. */
export function printableBytes(b: Uint8Array, max = 48): string {
  const hex = Buffer.from(b.subarray(0, max)).toString('hex');
  return b.length > max ? `x'${hex}'… (${b.length} bytes)` : `x'${hex}'`;
}
