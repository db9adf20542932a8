import { stringifyJsonExact } from '../../json-exact.js';

/**
 * Values exactly as SQLite stores them, read without loss.
 *
 * `@libsql/client` (local files) truncates TEXT at the first U+0000 and aborts the whole process
 * (a Rust panic, not an exception) on TEXT that is not valid UTF-8. So the source reader asks
 * SQLite for text as BLOB bytes and decodes them here; real BLOBs travel as `hex()` text.
 * Integers arrive as `bigint` (`intMode: 'bigint'`), reals as `number`.
 */

/** A BLOB value (SQLite storage class `blob`). */
export class SqliteBlob {
  constructor(readonly bytes: Uint8Array) {}
  /** Builds a blob from the `hex()` text SQLite returns for it. */
  static fromHex(hex: string): SqliteBlob {
    return new SqliteBlob(Uint8Array.from(Buffer.from(hex, 'hex')));
  }
}

/** TEXT whose bytes are not UTF-8 (other than encoded lone surrogates, which decode to U+D800–U+DFFF). */
export class InvalidUtf8 {
  constructor(
    readonly bytes: Uint8Array,
    /** Byte offset of the first invalid sequence. */
    readonly offset: number,
  ) {}
}

/** One stored value: null, integer (bigint), real (number), text (string), blob, or undecodable text. */
export type SqliteValue = null | bigint | number | string | SqliteBlob | InvalidUtf8;

/** SQLite's storage classes, as `typeof()` names them. */
export type StorageClass = 'null' | 'integer' | 'real' | 'text' | 'blob';

/** The storage class of a value read by the source reader (what `typeof()` would say). */
export function storageClass(v: unknown): StorageClass {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'bigint') return 'integer';
  if (typeof v === 'number') return 'real';
  if (v instanceof SqliteBlob) return 'blob';
  return 'text';
}

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decodes TEXT bytes. Valid UTF-8 decodes as is (a leading BOM is kept, U+0000 is kept).
 * Encoded surrogates (WTF-8 / CESU-8: `ED A0..BF xx`) decode to the surrogate code unit, so a
 * lone surrogate stays visible to the text policy and a CESU pair becomes its character.
 * Anything else that is not UTF-8 yields {@link InvalidUtf8}.
 */
export function decodeText(bytes: Uint8Array): string | InvalidUtf8 {
  try {
    return strict.decode(bytes);
  } catch {
    return decodeGeneralised(bytes);
  }
}

function decodeGeneralised(b: Uint8Array): string | InvalidUtf8 {
  const parts: string[] = [];
  let i = 0;
  while (i < b.length) {
    const x = b[i]!;
    let cp: number;
    let n: number;
    if (x < 0x80) (cp = x), (n = 1);
    else if (x >= 0xc2 && x <= 0xdf) (cp = x & 0x1f), (n = 2);
    else if (x >= 0xe0 && x <= 0xef) (cp = x & 0x0f), (n = 3);
    else if (x >= 0xf0 && x <= 0xf4) (cp = x & 0x07), (n = 4);
    else return new InvalidUtf8(b, i);
    if (i + n > b.length) return new InvalidUtf8(b, i);
    for (let k = 1; k < n; k++) {
      const y = b[i + k]!;
      if ((y & 0xc0) !== 0x80) return new InvalidUtf8(b, i);
      cp = (cp << 6) | (y & 0x3f);
    }
    if ((n === 3 && cp < 0x800) || (n === 4 && (cp < 0x10000 || cp > 0x10ffff))) return new InvalidUtf8(b, i);
    parts.push(cp >= 0xd800 && cp <= 0xdfff ? String.fromCharCode(cp) : String.fromCodePoint(cp));
    i += n;
  }
  return parts.join('');
}

/**
 * A short printable form of any value for reject records and reports: strings JSON-quoted
 * (so U+0000 and lone surrogates show as escapes), bigints as digits, blobs and invalid text as
 * hex. Cut to `max` characters with the total length noted.
 */
export function sampleValue(v: unknown, max = 120): string {
  let s: string;
  if (v === null || v === undefined) s = 'null';
  else if (typeof v === 'bigint') s = v.toString();
  else if (typeof v === 'string') s = JSON.stringify(v);
  else if (v instanceof SqliteBlob) s = `x'${Buffer.from(v.bytes).toString('hex')}'`;
  else if (v instanceof InvalidUtf8) s = `text x'${Buffer.from(v.bytes).toString('hex')}'`;
  else s = stringifyJsonExact(v) ?? String(v); // any depth, numbers exact
  return s.length > max ? `${s.slice(0, max)}… (${s.length} chars)` : s;
}

/**
 * A JSON-safe form of a raw value, for reject files (so a rejected row can be repaired by hand):
 * bigint → string of digits, blob → `{ "$blob": hex }`, invalid text → `{ "$invalidUtf8": hex }`.
 */
export function rawForJson(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof SqliteBlob) return { $blob: Buffer.from(v.bytes).toString('hex') };
  if (v instanceof InvalidUtf8) return { $invalidUtf8: Buffer.from(v.bytes).toString('hex') };
  return v;
}
