/**
 * Text forms of verify's key-ordered pass that PostgreSQL produces and JS must reproduce exactly:
 * `jsonb` output text and `float8send` bytes in hex. Only used to decide "certainly equal": a
 * value whose JS form differs from PostgreSQL's text although both mean the same (a JSON number
 * written `1.50`, `-0`) is a mismatch of the pass and is settled by verify's exact re-check.
 */

/**
 * A JSON number as PostgreSQL's `jsonb` prints it after reading JS's `String(n)` (what import and
 * the app write): `numeric_out` of the parsed numeric, i.e. plain decimal notation without an
 * exponent (`1e+21` → `1000000000000000000000`, `1.5e-7` → `0.00000015`). `n` must be finite.
 */
export function pgNumber(n: number): string {
  const s = String(n);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const neg = s.charCodeAt(0) === 45; // '-'
  const mantissa = s.slice(neg ? 1 : 0, e);
  const exp = Number(s.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const digits = dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  const point = (dot < 0 ? mantissa.length : dot) + exp; // position of the decimal point in `digits`
  let out: string;
  if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return neg ? `-${out}` : out;
}

const ASCII = /^[\x00-\x7f]*$/;

/** PostgreSQL's `jsonb` key order: shorter UTF-8 byte length first, then bytewise. */
function keyOrder(a: string, b: string): number {
  if (ASCII.test(a) && ASCII.test(b)) return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length - y.length || Buffer.compare(x, y);
}

/**
 * A parsed JSON value (from `JSON.parse`) in PostgreSQL's `jsonb` output format (`jsonb_out`):
 * object keys in jsonb order, `", "` and `": "` separators, numbers by {@link pgNumber}, strings
 * escaped as `JSON.stringify` does (which for PostgreSQL-storable strings is `escape_json`:
 * `\" \\ \b \f \n \r \t`, other control characters as lowercase `\u00xx`).
 * `JSON.parse` of the result gives back a value equal to `v`, whatever `v` is: so equal text on
 * both sides means equal parsed values.
 */
export function pgJsonText(v: unknown): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return pgNumber(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint': // an integer beyond 2^53 (parseJsonExact): jsonb prints its digits
      return v.toString();
  }
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) out += (i ? ', ' : '') + pgJsonText(v[i]);
    return `${out}]`;
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length > 1) keys.sort(keyOrder);
  let out = '{';
  for (let i = 0; i < keys.length; i++) out += `${i ? ', ' : ''}${JSON.stringify(keys[i])}: ${pgJsonText(o[keys[i]!])}`;
  return `${out}}`;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The 16 lowercase hex digits of `encode(float8send(v), 'hex')`: the IEEE 754 bits, big-endian. */
export function realHex(v: number): string {
  f64[0] = v;
  const hi = u32[LITTLE_ENDIAN ? 1 : 0]!;
  const lo = u32[LITTLE_ENDIAN ? 0 : 1]!;
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

/** Value of 8 lowercase hex digits at `p`, or -1 when one is not a hex digit. */
function hex32(b: Uint8Array, p: number): number {
  let x = 0;
  for (let k = 0; k < 8; k++) {
    const c = b[p + k]!;
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0) return -1;
    x = x * 16 + d;
  }
  return x;
}

/** Whether the 16 hex digits at `b[p]` are {@link realHex}`(v)`: the same IEEE 754 bits. */
export function sameRealHex(b: Uint8Array, p: number, v: number): boolean {
  f64[0] = v;
  return hex32(b, p) === u32[LITTLE_ENDIAN ? 1 : 0] && hex32(b, p + 8) === u32[LITTLE_ENDIAN ? 0 : 1];
}
