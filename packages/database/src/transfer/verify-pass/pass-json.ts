import { JsonDecimal } from '../../json-exact.js';

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
 * An exact JSON number token (a {@link JsonDecimal} or bigint digits) as PostgreSQL's numeric
 * prints it: plain notation, the token's digits after the point kept (`1e2` → `100`, `1.50e1` →
 * `15.0`, `1e-3` → `0.001`). Only used for "certainly equal": a difference is settled by the re-check.
 */
export function pgDecimal(token: string): string {
  const neg = token.charCodeAt(0) === 45;
  const ePos = token.search(/[eE]/);
  const exp = ePos < 0 ? 0 : Number(token.slice(ePos + 1));
  const mant = (ePos < 0 ? token : token.slice(0, ePos)).slice(neg ? 1 : 0);
  const dot = mant.indexOf('.');
  const intPart = dot < 0 ? mant : mant.slice(0, dot);
  const frac = dot < 0 ? '' : mant.slice(dot + 1);
  const scale = Math.max(0, frac.length - exp);
  let digits = intPart + frac;
  let point = intPart.length + exp; // position of the point in `digits`
  if (point > digits.length) digits += '0'.repeat(point - digits.length);
  if (point < 0) (digits = '0'.repeat(-point) + digits), (point = 0);
  const i = digits.slice(0, point).replace(/^0+/, '') || '0';
  let f = digits.slice(point);
  f = f.length > scale ? f.slice(0, scale) : f + '0'.repeat(scale - f.length);
  const out = f.length ? `${i}.${f}` : i;
  return neg && /[1-9]/.test(out) ? `-${out}` : out; // PostgreSQL has no negative zero
}

/**
 * A parsed JSON value (from `parseJsonExact`) in PostgreSQL's `jsonb` output format (`jsonb_out`):
 * object keys in jsonb order, `", "` and `": "` separators, numbers by {@link pgNumber} (exact ones
 * by {@link pgDecimal}), strings escaped as `JSON.stringify` does (which for PostgreSQL-storable
 * strings is `escape_json`: `\" \\ \b \f \n \r \t`, other control characters as lowercase `\u00xx`).
 * `parseJsonExact` of the result gives back a value equal to `v`, whatever `v` is: so equal text on
 * both sides means equal parsed values. Without recursion: any depth.
 */
export function pgJsonText(v: unknown): string {
  const out: string[] = [];
  type F = { readonly arr: readonly unknown[] | null; readonly obj: Record<string, unknown> | null; readonly keys: string[] | null; i: number };
  const stack: F[] = [];
  const put = (x: unknown): void => {
    if (x === null) return void out.push('null');
    switch (typeof x) {
      case 'string':
        return void out.push(JSON.stringify(x));
      case 'number':
        return void out.push(pgNumber(x));
      case 'boolean':
        return void out.push(x ? 'true' : 'false');
      case 'bigint': // an integer beyond 2^53 (parseJsonExact): jsonb prints its digits
        return void out.push(x.toString());
    }
    if (x instanceof JsonDecimal) return void out.push(pgDecimal(x.text));
    if (Array.isArray(x)) {
      out.push('[');
      stack.push({ arr: x, obj: null, keys: null, i: 0 });
      return;
    }
    const o = x as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length > 1) keys.sort(keyOrder);
    out.push('{');
    stack.push({ arr: null, obj: o, keys, i: 0 });
  };
  put(v);
  while (stack.length) {
    const f = stack[stack.length - 1]!;
    const n = f.arr ? f.arr.length : f.keys!.length;
    if (f.i >= n) {
      out.push(f.arr ? ']' : '}');
      stack.pop();
      continue;
    }
    const i = f.i++;
    if (i) out.push(', ');
    if (f.arr) put(f.arr[i]);
    else {
      const k = f.keys![i]!;
      out.push(`${JSON.stringify(k)}: `);
      put(f.obj![k]);
    }
  }
  return out.join('');
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
