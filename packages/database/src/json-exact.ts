/**
 * JSON with exact numbers and no depth limit (docs/design.md invariant 7: "integers as exact,
 * bigint-safe"; issue 14: every value migrated exactly, never silently changed).
 *
 * `JSON.parse` turns every number into a double: an integer beyond 2^53 (a Discord snowflake in a
 * message's metadata) loses its last digits, `1e400` becomes Infinity (written back as `null`),
 * `0.1000000000000000000001` becomes 0.1. PostgreSQL's jsonb keeps every number exact (numeric),
 * and SQLite keeps the JSON text as it was written. Here a number token is a JS `number` only when
 * that double denotes the same decimal value as the token (`1.50`, `1e300`, `0.1`); otherwise it
 * is kept exact: a plain integer token as `bigint`, any other token as a {@link JsonDecimal}
 * holding its text. `-0` is 0 (as in PostgreSQL's numeric).
 *
 * Depth: nothing here recurses on the data. `JSON.parse` is iterative in V8; the exact parser and
 * the serializer below keep their own stacks, so a value nested 5,000 or 500,000 deep is parsed,
 * written and compared like any other (PostgreSQL itself refuses jsonb deeper than its stack
 * allows, about 13,000 levels with `max_stack_depth` = 2MB: that is PostgreSQL's verdict, see
 * convert/coerce.ts).
 *
 * Cost: texts without a "risky" number token (an exponent, 16+ digits, see RISKY) take
 * `JSON.parse` as is; `JSON.stringify` is tried first and the exact serializer only runs for values
 * holding a bigint or a JsonDecimal, or nested too deep for V8's recursive `JSON.stringify`.
 */

/**
 * A JSON number that no double denotes exactly (`1e400`, `1e-400`, `0.1000000000000000000001`,
 * `1.5e+30000`), kept as its token text. {@link stringifyJsonExact} writes the token as is;
 * `JSON.stringify` (the bot's HTTP answers) writes the nearest double, as it always did.
 */
export class JsonDecimal {
  /** @param text a valid JSON number token. */
  constructor(readonly text: string) {}
  /** The nearest double (Infinity or 0 beyond a double's range). */
  valueOf(): number {
    return Number(this.text);
  }
  toString(): string {
    return this.text;
  }
  /** Inside {@link stringifyJsonExact}: signals that the exact serializer is needed; elsewhere the nearest double. */
  toJSON(): number {
    if (exactStringify > 0) throw NEEDS_EXACT;
    return Number(this.text);
  }
}

/** Set while `stringifyJsonExact` tries `JSON.stringify` (synchronous: no other code runs meanwhile). */
let exactStringify = 0;
const NEEDS_EXACT = new Error('json-exact: exact serializer needed');

// A number token that JSON.parse may not give exactly: one with an exponent, or with 16+ digits
// (a decimal of at most 15 significant digits without an exponent is always the shortest form of
// its double). At the start, or after `:`, `,` or `[`; quoted digits follow a quote and do not
// match (a match inside a string only costs the slower exact parser).
const RISKY = /(?:^|[:,[])\s*-?(?:\d+(?:\.\d*)?[eE]|(?=(?:\d\.?){16}))/;

/**
 * The decimal value of a JSON number token (or of `String(double)`) as a comparable key:
 * `<sign><digits without leading/trailing zeros>e<exponent of the point>`; every zero is `0`.
 * Two tokens denote the same number exactly when their keys are equal.
 */
export function decimalKey(token: string): string {
  let i = 0;
  let neg = false;
  if (token.charCodeAt(0) === 45) (neg = true), (i = 1);
  else if (token.charCodeAt(0) === 43) i = 1;
  let e = token.length;
  let exp = 0;
  const ePos = token.search(/[eE]/);
  if (ePos >= 0) {
    exp = Number(token.slice(ePos + 1));
    e = ePos;
  }
  const mant = token.slice(i, e);
  const dot = mant.indexOf('.');
  const intPart = dot < 0 ? mant : mant.slice(0, dot);
  const frac = dot < 0 ? '' : mant.slice(dot + 1);
  let digits = intPart + frac;
  let point = intPart.length + exp;
  let lead = 0;
  while (lead < digits.length && digits.charCodeAt(lead) === 48) lead++;
  digits = digits.slice(lead);
  point -= lead;
  let end = digits.length;
  while (end > 0 && digits.charCodeAt(end - 1) === 48) end--;
  digits = digits.slice(0, end);
  if (digits.length === 0) return '0';
  return `${neg ? '-' : ''}${digits}e${point}`;
}

/** Whether the double `d` denotes exactly the decimal value of `token` (both read as decimals). */
function doubleIsExact(token: string, d: number): boolean {
  if (!Number.isFinite(d)) return false;
  return decimalKey(token) === decimalKey(String(d));
}

const INTEGER_TOKEN = /^-?\d+$/;

/** A number token as its exact value: a double when exact, else a bigint (plain integer) or a JsonDecimal. */
export function exactNumber(token: string): number | bigint | JsonDecimal {
  const d = Number(token);
  if (doubleIsExact(token, d)) return d === 0 ? 0 : d;
  return INTEGER_TOKEN.test(token) ? BigInt(token) : new JsonDecimal(token);
}

/** A JSON number value of any of the exact forms, as a {@link decimalKey}. */
export function numberKey(v: number | bigint | JsonDecimal): string {
  return decimalKey(typeof v === 'number' ? (v === 0 ? '0' : String(v)) : v instanceof JsonDecimal ? v.text : v.toString());
}

/**
 * One spelling per exact value, so equal values serialize alike (verify's canonical rows compare
 * LibSQL's `1e400` with PostgreSQL's 401 digits): an integer value as `bigint`, any other as a
 * JsonDecimal in the form `[-]d.ddde<exp>`. Doubles are left to the caller (already one spelling).
 */
export function canonicalNumber(v: bigint | JsonDecimal): bigint | JsonDecimal {
  if (typeof v === 'bigint') return v;
  const key = decimalKey(v.text);
  if (key === '0') return 0n;
  const neg = key.startsWith('-');
  const e = key.lastIndexOf('e');
  const digits = key.slice(neg ? 1 : 0, e);
  const point = Number(key.slice(e + 1));
  if (point >= digits.length && point - digits.length < 1_000_000) return BigInt(`${neg ? '-' : ''}${digits}${'0'.repeat(point - digits.length)}`);
  return new JsonDecimal(`${neg ? '-' : ''}${digits[0]}${digits.length > 1 ? `.${digits.slice(1)}` : ''}e${point - 1}`);
}

/** Whether `v` is a JSON number in one of the exact forms (double, bigint, JsonDecimal). */
export const isJsonNumber = (v: unknown): v is number | bigint | JsonDecimal => typeof v === 'number' || typeof v === 'bigint' || v instanceof JsonDecimal;

/**
 * Whether `text` holds a number token `JSON.parse` may not give exactly (an exponent, or 16+
 * digits): {@link parseJsonExact} then uses its exact parser. Without one, it is `JSON.parse`.
 */
export function needsExactParse(text: string): boolean {
  return RISKY.test(text);
}

/**
 * Parses JSON text like `JSON.parse`, except that numbers no double denotes exactly stay exact:
 * plain integer tokens as `bigint`, others as {@link JsonDecimal}. Iterative: any depth.
 * @throws SyntaxError on invalid JSON (as `JSON.parse`).
 */
export function parseJsonExact(text: string): unknown {
  if (!needsExactParse(text)) return JSON.parse(text);
  return new ExactParser(text).parse();
}

const WS = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** A JSON parser with an explicit stack (no recursion), numbers through {@link exactNumber}. */
class ExactParser {
  #i = 0;
  constructor(readonly s: string) {}

  #fail(what: string): never {
    throw new SyntaxError(`${what} in JSON at position ${this.#i}`);
  }

  #ws(): void {
    const s = this.s;
    while (this.#i < s.length && WS(s.charCodeAt(this.#i))) this.#i++;
  }

  #string(): string {
    const s = this.s;
    const start = this.#i; // at the opening quote
    let j = start + 1;
    let escaped = false;
    for (; j < s.length; j++) {
      const c = s.charCodeAt(j);
      if (c === 34) break;
      if (c === 92) {
        escaped = true;
        j++;
      } else if (c < 32) {
        this.#i = j;
        this.#fail('Bad control character in string literal');
      }
    }
    if (j >= s.length) {
      this.#i = j;
      this.#fail('Unterminated string');
    }
    this.#i = j + 1;
    const lit = s.slice(start, j + 1);
    if (!escaped) return lit.slice(1, -1);
    return JSON.parse(lit) as string; // validates the escapes exactly as JSON.parse does
  }

  #scalar(): unknown {
    const s = this.s;
    const c = s.charCodeAt(this.#i);
    if (c === 34) return this.#string();
    if (s.startsWith('true', this.#i)) return (this.#i += 4), true;
    if (s.startsWith('false', this.#i)) return (this.#i += 5), false;
    if (s.startsWith('null', this.#i)) return (this.#i += 4), null;
    NUMBER.lastIndex = this.#i;
    const m = NUMBER.exec(s);
    if (!m) this.#fail(this.#i >= s.length ? 'Unexpected end of JSON input' : `Unexpected token ${s[this.#i]}`);
    this.#i += m[0].length;
    return exactNumber(m[0]);
  }

  parse(): unknown {
    const s = this.s;
    // Open containers: arrays, or objects with the key awaiting its value.
    const stack: Array<unknown[] | Record<string, unknown>> = [];
    const keys: string[] = [];
    let root: unknown;
    let done = false;
    this.#ws();
    for (;;) {
      // Read one value (opening a container pushes it and continues with its first member).
      let value: unknown;
      const c = s.charCodeAt(this.#i);
      if (c === 91 || c === 123) {
        const container: unknown[] | Record<string, unknown> = c === 91 ? [] : {};
        this.#i++;
        this.#ws();
        const close = c === 91 ? 93 : 125;
        if (s.charCodeAt(this.#i) === close) {
          this.#i++;
          value = container;
        } else {
          stack.push(container);
          if (c === 123) {
            if (s.charCodeAt(this.#i) !== 34) this.#fail('Expected property name');
            keys.push(this.#string());
            this.#ws();
            if (s.charCodeAt(this.#i) !== 58) this.#fail("Expected ':' after property name");
            this.#i++;
          } else keys.push('');
          this.#ws();
          continue;
        }
      } else {
        if (this.#i >= s.length) this.#fail('Unexpected end of JSON input');
        value = this.#scalar();
      }
      // Attach the value, then close every container that ends here.
      for (;;) {
        if (stack.length === 0) {
          root = value;
          done = true;
          break;
        }
        const top = stack[stack.length - 1]!;
        if (Array.isArray(top)) top.push(value);
        else Object.defineProperty(top, keys[keys.length - 1]!, { value, enumerable: true, writable: true, configurable: true });
        this.#ws();
        const d = s.charCodeAt(this.#i);
        if (d === 44) {
          this.#i++;
          this.#ws();
          if (!Array.isArray(top)) {
            if (s.charCodeAt(this.#i) !== 34) this.#fail('Expected property name');
            keys[keys.length - 1] = this.#string();
            this.#ws();
            if (s.charCodeAt(this.#i) !== 58) this.#fail("Expected ':' after property name");
            this.#i++;
            this.#ws();
          }
          break; // read the next member
        }
        if (d !== (Array.isArray(top) ? 93 : 125)) this.#fail(this.#i >= s.length ? 'Unexpected end of JSON input' : `Unexpected token ${s[this.#i]}`);
        this.#i++;
        stack.pop();
        keys.pop();
        value = top;
      }
      if (done) break;
    }
    this.#ws();
    if (this.#i < s.length) this.#fail(`Unexpected non-whitespace character after JSON`);
    return root;
  }
}

/**
 * `JSON.stringify(v)`, except that a `bigint` or {@link JsonDecimal} anywhere in `v` is written as
 * its exact digits, and that any depth works. So `parseJsonExact(stringifyJsonExact(v))` gives `v`
 * back. Returns undefined where `JSON.stringify` does (for `undefined` or a function).
 */
export function stringifyJsonExact(v: unknown): string {
  exactStringify++;
  try {
    return JSON.stringify(v);
  } catch (e) {
    // TypeError on a bigint (ECMA-262, SerializeJSONProperty); NEEDS_EXACT from a JsonDecimal;
    // RangeError when V8's recursive serializer runs out of stack (a few thousand levels).
    if (!(e instanceof TypeError) && e !== NEEDS_EXACT && !(e instanceof RangeError)) throw e;
  } finally {
    exactStringify--;
  }
  return writeExact(v) as string;
}

type Frame = { readonly kind: 'a'; readonly v: readonly unknown[]; i: number; any: boolean } | { readonly kind: 'o'; readonly v: Record<string, unknown>; readonly keys: string[]; i: number; any: boolean };

/** JSON.stringify semantics for one non-container value; undefined when it is skipped (undefined, function, symbol). */
function scalarText(x: unknown): string | undefined {
  if (x === null) return 'null';
  switch (typeof x) {
    case 'string':
      return JSON.stringify(x);
    case 'number':
      return Number.isFinite(x) ? String(x === 0 ? 0 : x) : 'null';
    case 'boolean':
      return x ? 'true' : 'false';
    case 'bigint':
      return x.toString();
    default:
      return undefined;
  }
}

/** The value JSON.stringify would serialize for `x` (after `toJSON`, unwrapping boxed primitives); JsonDecimal stays. */
function prepare(x: unknown, key: string): unknown {
  if (x instanceof JsonDecimal) return x;
  if (x !== null && typeof x === 'object' && typeof (x as { toJSON?: unknown }).toJSON === 'function') x = (x as { toJSON: (k: string) => unknown }).toJSON(key);
  if (x instanceof Number || x instanceof String || x instanceof Boolean) return x.valueOf();
  return x;
}

/** The exact serializer: explicit stack, JSON.stringify's rules otherwise. */
function writeExact(value: unknown): string | undefined {
  const out: string[] = [];
  const stack: Frame[] = [];
  const open = (x: unknown): boolean => {
    // Writes a scalar, or opens a container; false when x is skipped (undefined, function).
    if (x instanceof JsonDecimal) return out.push(x.text), true;
    if (x !== null && typeof x === 'object') {
      if (Array.isArray(x)) {
        out.push('[');
        stack.push({ kind: 'a', v: x, i: 0, any: false });
      } else {
        out.push('{');
        stack.push({ kind: 'o', v: x as Record<string, unknown>, keys: Object.keys(x), i: 0, any: false });
      }
      return true;
    }
    const t = scalarText(x);
    if (t === undefined) return false;
    out.push(t);
    return true;
  };
  if (!open(prepare(value, ''))) return undefined;
  while (stack.length) {
    const f = stack[stack.length - 1]!;
    if (f.kind === 'a') {
      if (f.i >= f.v.length) {
        out.push(']');
        stack.pop();
        continue;
      }
      const i = f.i++;
      if (i > 0) out.push(',');
      if (!open(prepare(f.v[i], String(i)))) out.push('null');
    } else {
      if (f.i >= f.keys.length) {
        out.push('}');
        stack.pop();
        continue;
      }
      const k = f.keys[f.i++]!;
      const x = prepare(f.v[k], k);
      if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
      out.push(`${f.any ? ',' : ''}${JSON.stringify(k)}:`);
      f.any = true;
      open(x);
    }
  }
  return out.join('');
}

/**
 * Maps a JSON value to a new one without recursion: every string value and key through `text`,
 * exact numbers (bigint, JsonDecimal) through `exact`, object keys sorted when `sort` (UTF-16 order, as `Array.prototype.sort`). Returns the value
 * (the input itself when nothing changed and nothing was sorted differently is NOT promised: a
 * new tree is built when `sort` is set) and the first key collision: two keys of one object that
 * `text` maps to the same key (then the later one would overwrite the earlier: data lost).
 */
export function mapJson(
  value: unknown,
  text: (s: string) => string,
  sort: boolean,
  exact: (n: bigint | JsonDecimal) => unknown = (n) => n,
): { value: unknown; collision: { key: string; keys: [string, string] } | null; depth: number } {
  let collision: { key: string; keys: [string, string] } | null = null;
  let depth = 0;
  type F = { src: unknown[] | Record<string, unknown>; dst: unknown[] | Record<string, unknown>; keys: string[] | null; outKeys: string[] | null; i: number; from: Map<string, string> | null };
  const start = (x: unknown): { frame: F | null; value: unknown } => {
    if (typeof x === 'string') return { frame: null, value: text(x) };
    if (typeof x === 'bigint' || x instanceof JsonDecimal) return { frame: null, value: exact(x) };
    if (x === null || typeof x !== 'object') return { frame: null, value: x };
    if (Array.isArray(x)) {
      const dst: unknown[] = new Array(x.length);
      return { frame: { src: x, dst, keys: null, outKeys: null, i: 0, from: null }, value: dst };
    }
    const keys = Object.keys(x);
    const outKeys = keys.map(text);
    const order = keys.map((_k, i) => i);
    if (sort) order.sort((a, b) => (outKeys[a]! < outKeys[b]! ? -1 : outKeys[a]! > outKeys[b]! ? 1 : a - b));
    const dst: Record<string, unknown> = {};
    const from = new Map<string, string>();
    const ks: string[] = [];
    const oks: string[] = [];
    for (const i of order) {
      const ok = outKeys[i]!;
      const prev = from.get(ok);
      if (prev !== undefined && collision === null) collision = { key: ok, keys: [prev, keys[i]!] };
      from.set(ok, keys[i]!);
      ks.push(keys[i]!);
      oks.push(ok);
    }
    return { frame: { src: x as Record<string, unknown>, dst, keys: ks, outKeys: oks, i: 0, from: null }, value: dst };
  };
  const root = start(value);
  const stack: F[] = root.frame ? [root.frame] : [];
  if (root.frame) depth = 1;
  while (stack.length) {
    const f = stack[stack.length - 1]!;
    const n = f.keys ? f.keys.length : (f.src as unknown[]).length;
    if (f.i >= n) {
      stack.pop();
      continue;
    }
    const i = f.i++;
    const x = f.keys ? (f.src as Record<string, unknown>)[f.keys[i]!] : (f.src as unknown[])[i];
    const r = start(x);
    if (f.keys) Object.defineProperty(f.dst, f.outKeys![i]!, { value: r.value, enumerable: true, writable: true, configurable: true });
    else (f.dst as unknown[])[i] = r.value;
    if (r.frame) {
      stack.push(r.frame);
      if (stack.length > depth) depth = stack.length;
    }
  }
  return { value: root.value, collision, depth };
}

/**
 * Equality of two parsed JSON values (keys in any order), without recursion: numbers by exact
 * decimal value (a double, a bigint and a JsonDecimal of the same value are equal; `1.50` = `1.5`;
 * `1e400` ≠ `1e401`), strings exactly, arrays in order.
 */
export function sameJsonValue(x: unknown, y: unknown): boolean {
  const stack: Array<[unknown, unknown]> = [[x, y]];
  while (stack.length) {
    const [a, b] = stack.pop()!;
    if (a === b) continue;
    if (isJsonNumber(a) || isJsonNumber(b)) {
      if (!isJsonNumber(a) || !isJsonNumber(b) || numberKey(a) !== numberKey(b)) return false;
      continue;
    }
    if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
    if (Array.isArray(a)) {
      if (!Array.isArray(b) || a.length !== b.length) return false;
      for (let k = 0; k < a.length; k++) stack.push([a[k], b[k]]);
      continue;
    }
    if (Array.isArray(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    for (const k of ka) {
      if (!Object.hasOwn(b, k)) return false;
      stack.push([(a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]]);
    }
  }
  return true;
}
