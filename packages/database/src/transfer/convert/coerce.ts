import type { LogicalType } from '../../schema/columns.js';
import { sanitizeText } from '../../services/sanitize.js';
import { InvalidUtf8, SqliteBlob, storageClass } from '../source/sqlite-value.js';
import { JsonDecimal, mapJson, parseJsonExact } from '../../json-exact.js';

/**
 * The deliberate coercions, one function per logical type (schema/columns.ts). Each takes one
 * non-null value and returns the logical value or a reason to reject the row. Every coercion
 * that changes how a value is represented leaves a `note` (shown by `db check`, counted by
 * import/copy). `canonical` inputs (NDJSON from export) are already logical: no notes.
 *
 * | logical   | accepted (SQLite storage)                                                  | rejected |
 * |-----------|----------------------------------------------------------------------------|----------|
 * | bool      | integer 0/1; text `1 0 true false t f yes no on off` (any case, trimmed)    | anything else |
 * | timestamp | integer/real seconds up to 253402300799 (9999-12-31); above, milliseconds | > 253402300799999, other |
 * |           | ÷ 1000 (floored); 10^11…253402300799 noted ambiguous (see SECONDS_MAX)     | text             |
 * |           | numeric text (same rule); ISO-8601 text (no zone = UTC) → unix seconds      |          |
 * | millis    | integer milliseconds kept exactly (below 10^11 noted: seconds?); integral   | beyond ±8.64·10^15 (Date's |
 * |           | real or numeric text; ISO-8601 text → unix ms                              | range), fractions, other text |
 * | int       | integer in PostgreSQL `integer` range; integral real; integer text          | out of range, fractions |
 * | bigint    | integer (exact, also 2^53+1 … 2^63−1); integral real ≤ 2^53; integer text  | beyond int64, fractions |
 * | real      | real; integer; numeric text                                                 | NaN/±Infinity, other text |
 * | text, id  | text with the policy of services/sanitize.ts (U+0000 stripped, lone        | blob, invalid UTF-8 |
 * |           | surrogate → U+FFFD, noted "sanitized"); integer/real → their decimal text   |          |
 * | json      | text holding JSON (strings sanitized as text); JSON `null` → SQL NULL;     | invalid JSON, blob, |
 * |           | numbers exact (json-exact.ts)                                               | keys colliding after the text policy, numbers beyond numeric, nesting beyond PostgreSQL's stack |
 */
export type Coerced =
  | { readonly ok: true; readonly value: unknown; readonly notes?: readonly string[] | undefined }
  | { readonly ok: false; readonly reason: string };

/** Notes that mean the text policy changed a value (counted as "sanitized", never rejected). */
export const NOTE_NUL = 'U+0000 stripped';
export const NOTE_SURROGATE = 'lone surrogate → U+FFFD';
/** Note of a bigint kept exact beyond 2^53 (informational: nothing changes). */
export const NOTE_BEYOND_2_53 = 'beyond 2^53 (kept exact)';

const ok = (value: unknown, ...notes: (string | false | undefined)[]): Coerced => {
  if (notes.length === 0) return { ok: true, value }; // the common case: no array to filter
  const n = notes.filter((x): x is string => typeof x === 'string');
  return n.length ? { ok: true, value, notes: n } : { ok: true, value };
};
const bad = (reason: string): Coerced => ({ ok: false, reason });
const wrongClass = (v: unknown, what: string): Coerced =>
  v instanceof InvalidUtf8 ? bad(`invalid UTF-8 at byte ${v.offset}`) : bad(`${storageClass(v)} in a ${what} column`);

const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const SAFE = 2n ** 53n;
const INT_TEXT = /^\s*[+-]?\d+\s*$/;
const NUMERIC_TEXT = /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i;

function integer(v: unknown, canonical: boolean): { value: bigint; note?: string } | string {
  if (typeof v === 'bigint') return { value: v };
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return 'not a finite number';
    if (!Number.isInteger(v)) return 'not an integer';
    if (!Number.isSafeInteger(v)) return 'real beyond 2^53: precision already lost';
    return canonical ? { value: BigInt(v) } : { value: BigInt(v), note: 'integral real' };
  }
  if (typeof v === 'string') {
    if (!INT_TEXT.test(v)) return 'not an integer';
    return canonical ? { value: BigInt(v.trim()) } : { value: BigInt(v.trim()), note: 'integer text' };
  }
  return v instanceof InvalidUtf8 ? `invalid UTF-8 at byte ${v.offset}` : `${storageClass(v)} in an integer column`;
}

function coerceInt(v: unknown, canonical: boolean): Coerced {
  const i = integer(v, canonical);
  if (typeof i === 'string') return bad(i);
  if (i.value < INT32_MIN || i.value > INT32_MAX) return bad(`out of range: ${i.value} does not fit PostgreSQL integer (−2^31 … 2^31−1)`);
  return ok(Number(i.value), i.note);
}

function coerceBigint(v: unknown, canonical: boolean): Coerced {
  const i = integer(v, canonical);
  if (typeof i === 'string') return bad(i);
  if (i.value < INT64_MIN || i.value > INT64_MAX) return bad(`out of range: ${i.value} does not fit PostgreSQL bigint (int64)`);
  const big = !canonical && (i.value > SAFE || i.value < -SAFE);
  return ok(i.value.toString(), i.note, big && NOTE_BEYOND_2_53);
}

/**
 * THE unit rule of seconds columns (`timestamp`: created_at, updated_at, joined_at, first_seen_at…),
 * the same for check, export, import, copy and verify, for integers, reals and numeric text alike:
 * - |n| ≤ {@link SECONDS_MAX} (9999-12-31T23:59:59Z in seconds, the last second of a four-digit
 *   year, which ISO-8601 text also reaches): seconds, kept (a fraction floored, noted);
 * - {@link SECONDS_MAX} < |n| ≤ {@link MILLIS_MAX} (the same instant in milliseconds): milliseconds,
 *   ÷ 1000 floored (noted `milliseconds ÷ 1000`);
 * - beyond: rejected (microseconds?).
 * Values in (10^11, SECONDS_MAX] are ambiguous: seconds of the years 5138–9999, or milliseconds of
 * 1973–1978. They are read as seconds and noted {@link NOTE_AMBIGUOUS_SECONDS}; `db check` lists
 * each such row by id. Because the rule is a fixed function whose results are all seconds, applying
 * it to its own output changes nothing: import of an export gives what copy gives.
 */
export const SECONDS_MAX = 253_402_300_799;
/** {@link SECONDS_MAX} in milliseconds (+999): above it, a seconds column's value is rejected. */
export const MILLIS_MAX = 253_402_300_799_999;
/** Below this (10^11, 5138-11-16 in seconds) a seconds value is unambiguous. */
const SECONDS_CLEAR = 1e11;
/** Note of a seconds value that could also be milliseconds (see {@link SECONDS_MAX}). */
export const NOTE_AMBIGUOUS_SECONDS = 'ambiguous: read as seconds (after year 5138), as milliseconds it would be 1973–1978';

function seconds(n: number, via: string | undefined, canonical: boolean): Coerced {
  if (!Number.isFinite(n)) return bad('not a finite number');
  const a = Math.abs(n);
  if (a > MILLIS_MAX) return bad(`out of range: ${n} is beyond milliseconds of year 9999 (microseconds?)`);
  if (a > SECONDS_MAX) {
    const s = Math.floor(n / 1000);
    // Floored, -253402300799999 ms would be -253402300800 s: beyond the seconds range, so rejected.
    if (Math.abs(s) > SECONDS_MAX) return bad(`out of range: ${n} is beyond milliseconds of year 9999 (microseconds?)`);
    return ok(s, via, 'milliseconds ÷ 1000');
  }
  const ambiguous = !canonical && a > SECONDS_CLEAR && NOTE_AMBIGUOUS_SECONDS;
  return Number.isInteger(n) ? ok(n, via, ambiguous) : ok(Math.floor(n), via, 'fraction of a second dropped', ambiguous);
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

/** Unix seconds of an ISO-8601 date or date-time; no zone means UTC (SQLite's `datetime()` form). */
export function parseIsoSeconds(s: string): number | null {
  const ms = parseIsoMillis(s);
  return ms === null ? null : Math.floor(ms / 1000);
}

/** Unix milliseconds of an ISO-8601 date or date-time (fractions beyond ms dropped); no zone means UTC. */
export function parseIsoMillis(s: string): number | null {
  const m = ISO.exec(s.trim());
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00', sec = '00', frac = '', zone = 'Z'] = m;
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (day.getUTCMonth() !== Number(mo) - 1 || day.getUTCDate() !== Number(d)) return null;
  if (Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59) return null;
  const z = /^z$/i.test(zone) ? 'Z' : zone.length === 3 ? `${zone}:00` : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${sec}${frac.slice(0, 4)}${z}`);
  return Number.isNaN(ms) ? null : ms;
}

function coerceTimestamp(v: unknown, canonical: boolean): Coerced {
  if (typeof v === 'bigint') {
    if (v > BigInt(MILLIS_MAX) || v < -BigInt(MILLIS_MAX)) return bad(`out of range: ${v} is beyond milliseconds of year 9999 (microseconds?)`);
    return seconds(Number(v), undefined, canonical);
  }
  if (typeof v === 'number') return seconds(v, canonical || Number.isInteger(v) ? undefined : 'real', canonical);
  if (typeof v === 'string') {
    if (NUMERIC_TEXT.test(v)) return seconds(Number(v), 'numeric text', canonical);
    const s = parseIsoSeconds(v);
    return s === null ? bad('not a timestamp (unix seconds, milliseconds or ISO-8601)') : ok(s, 'ISO-8601 text');
  }
  return wrongClass(v, 'timestamp');
}

/** The largest instant a JS Date holds, in ms (ECMA-262 §21.4.1.1): beyond it, not a time. */
const DATE_MS_MAX = 8.64e15;
export const NOTE_MILLIS_SMALL = 'below 10^11: seconds? kept as milliseconds';

function millis(n: number, via: string | undefined): Coerced {
  if (!Number.isFinite(n) || !Number.isInteger(n)) return bad('not an integer number of milliseconds');
  if (Math.abs(n) > DATE_MS_MAX) return bad(`out of range: ${n} is beyond a date in milliseconds`);
  return ok(n, via, n !== 0 && Math.abs(n) < SECONDS_CLEAR && NOTE_MILLIS_SMALL);
}

function coerceMillis(v: unknown, canonical: boolean): Coerced {
  if (typeof v === 'bigint') {
    if (v > BigInt(DATE_MS_MAX) || v < -BigInt(DATE_MS_MAX)) return bad(`out of range: ${v} is beyond a date in milliseconds`);
    return millis(Number(v), undefined);
  }
  if (typeof v === 'number') return millis(v, canonical || Number.isInteger(v) ? undefined : 'real');
  if (typeof v === 'string') {
    if (NUMERIC_TEXT.test(v)) return millis(Number(v), 'numeric text');
    const s = parseIsoMillis(v);
    return s === null ? bad('not a timestamp (unix milliseconds or ISO-8601)') : ok(s, 'ISO-8601 text');
  }
  return wrongClass(v, 'timestamp');
}

const TRUE = new Set(['1', 'true', 't', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'f', 'no', 'off']);

function coerceBool(v: unknown): Coerced {
  if (typeof v === 'boolean') return ok(v);
  if (typeof v === 'bigint') return v === 1n ? ok(true) : v === 0n ? ok(false) : bad(`not a boolean: integer ${v}`);
  if (typeof v === 'number') return v === 1 ? ok(true, 'real 1') : v === 0 ? ok(false, 'real 0') : bad(`not a boolean: real ${v}`);
  if (typeof v === 'string') {
    const k = v.trim().toLowerCase();
    if (TRUE.has(k)) return ok(true, `text '${v}'`);
    if (FALSE.has(k)) return ok(false, `text '${v}'`);
    return bad('not a boolean');
  }
  return wrongClass(v, 'boolean');
}

function coerceReal(v: unknown, canonical: boolean): Coerced {
  if (typeof v === 'number') return Number.isFinite(v) ? ok(v) : bad('not a finite number');
  if (typeof v === 'bigint') {
    const big = v > SAFE || v < -SAFE;
    return ok(Number(v), !canonical && 'integer', big && 'integer beyond 2^53 rounded');
  }
  if (typeof v === 'string') return NUMERIC_TEXT.test(v) ? ok(Number(v), 'numeric text') : bad('not a number');
  return wrongClass(v, 'real');
}

/** Which notes of the text policy apply to `s` (empty when it is clean). */
export function textPolicyNotes(s: string): string[] {
  if (sanitizeText(s) === s) return [];
  const noNul = s.replaceAll('\u0000', '');
  const notes: string[] = [];
  if (noNul !== s) notes.push(NOTE_NUL);
  if (sanitizeText(noNul) !== noNul) notes.push(NOTE_SURROGATE);
  return notes;
}

function coerceText(v: unknown): Coerced {
  if (typeof v === 'string') {
    const clean = sanitizeText(v);
    return clean === v ? ok(v) : ok(clean, ...textPolicyNotes(v));
  }
  if (typeof v === 'bigint') return ok(v.toString(), 'integer as text');
  if (typeof v === 'number') return ok(String(v), 'real as text');
  if (v instanceof SqliteBlob || v instanceof InvalidUtf8) return wrongClass(v, 'text');
  return bad('not text');
}

// eslint-disable-next-line no-control-regex
const MAY_NEED_POLICY = /[\u0000\uD800-\uDFFF]/;
/** JSON text that may hold a number beyond a double (exponent or 16+ digits): its numbers are range-checked. */
const MAY_BE_HUGE = /\d[eE]|\d{16}/;

/** PostgreSQL numeric's limits (its docs, "Arbitrary Precision Numbers"): 131072 digits before the point, 16383 after. */
const NUMERIC_INT_DIGITS = 131_072;
const NUMERIC_SCALE = 16_383;

/**
 * Why PostgreSQL's jsonb cannot hold this exact number (numeric's range), or null when it can.
 * `1e131072` and `1.5e-16383` are refused there ("value overflows numeric format").
 */
export function numericProblem(v: JsonDecimal | bigint): string | null {
  const t = v.toString();
  const ePos = t.search(/[eE]/);
  const exp = ePos < 0 ? 0 : Number(t.slice(ePos + 1));
  const mant = (ePos < 0 ? t : t.slice(0, ePos)).replace(/^[-+]/, '');
  const dot = mant.indexOf('.');
  const intDigits = (dot < 0 ? mant : mant.slice(0, dot)).replace(/^0+/, '').length;
  const frac = dot < 0 ? 0 : mant.length - dot - 1;
  const scale = Math.max(0, frac - exp);
  const before = intDigits === 0 ? 0 : intDigits + exp;
  if (before > NUMERIC_INT_DIGITS || scale > NUMERIC_SCALE) return `out of range: JSON number ${t.length > 40 ? `${t.slice(0, 40)}…` : t} is beyond PostgreSQL numeric (${NUMERIC_INT_DIGITS} digits before the point, ${NUMERIC_SCALE} after)`;
  return null;
}

/** The first number of `v` PostgreSQL's numeric cannot hold (see {@link numericProblem}), without recursion. */
function firstNumericProblem(v: unknown): string | null {
  const stack: unknown[] = [v];
  while (stack.length) {
    const x = stack.pop();
    if (x instanceof JsonDecimal || typeof x === 'bigint') {
      const p = numericProblem(x);
      if (p) return p;
    } else if (Array.isArray(x)) for (const y of x) stack.push(y);
    else if (x !== null && typeof x === 'object') for (const y of Object.values(x)) stack.push(y);
  }
  return null;
}

/** The text-policy notes of every string and key of `v`, without recursion. */
function jsonNotes(v: unknown, into: Set<string>): void {
  const stack: unknown[] = [v];
  while (stack.length) {
    const x = stack.pop();
    if (typeof x === 'string') for (const n of textPolicyNotes(x)) into.add(n);
    else if (Array.isArray(x)) for (const y of x) stack.push(y);
    else if (x !== null && typeof x === 'object' && !(x instanceof JsonDecimal)) {
      for (const [k, y] of Object.entries(x)) {
        for (const n of textPolicyNotes(k)) into.add(n);
        stack.push(y);
      }
    }
  }
}

/**
 * How deep PostgreSQL's jsonb input accepts JSON: its parser recurses, so the limit is the server's
 * stack (`max_stack_depth`), and an object level costs more than an array level. Measured on
 * PostgreSQL 15 with the default 2MB: 14,543 nested arrays, 13,089 nested objects. A value fits
 * when, along its deepest path, `arrays / arrays-limit + objects / objects-limit ≤ 1`.
 */
export interface JsonDepthLimit {
  readonly arrays: number;
  readonly objects: number;
}

/** PostgreSQL's limit with the default `max_stack_depth` (2MB), as measured (see {@link JsonDepthLimit}); `check` predicts with it. */
export const DEFAULT_PG_JSON_DEPTH: JsonDepthLimit = { arrays: 14_543, objects: 13_089 };

/**
 * Whether the JSON text nests deeper than `limit` allows (brackets outside strings, per path:
 * `arrays / limit.arrays + objects / limit.objects > 1`), and how deep. Text shorter than twice
 * the smaller limit cannot, and is not scanned.
 */
export function jsonTooDeep(text: string, limit: JsonDepthLimit): string | null {
  if (text.length < 2 * Math.min(limit.arrays, limit.objects)) return null;
  const kinds: number[] = []; // 1 array, 2 object
  let arrays = 0;
  let objects = 0;
  let worst = 0;
  let worstDepth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      for (i++; i < text.length; i++) {
        const x = text.charCodeAt(i);
        if (x === 92) i++;
        else if (x === 34) break;
      }
    } else if (c === 91 || c === 123) {
      kinds.push(c === 91 ? 1 : 2);
      if (c === 91) arrays++;
      else objects++;
      const load = arrays / limit.arrays + objects / limit.objects;
      if (load > worst) (worst = load), (worstDepth = kinds.length);
    } else if (c === 93 || c === 125) {
      if (kinds.pop() === 1) arrays--;
      else objects--;
    }
  }
  if (worst <= 1) return null;
  return `too deep: JSON nested ${worstDepth} levels; PostgreSQL's jsonb accepts about ${limit.arrays} levels of arrays or ${limit.objects} of objects (max_stack_depth)`;
}

/** {@link jsonTooDeep} of a parsed value (import's canonical rows), without recursion. */
export function valueTooDeep(v: unknown, limit: JsonDepthLimit): string | null {
  // Each entry: a container and the arrays/objects on the path down to it (itself included).
  const stack: Array<[unknown, number, number]> = [];
  const push = (x: unknown, a: number, o: number) => {
    if (x !== null && typeof x === 'object' && !(x instanceof JsonDecimal)) stack.push(Array.isArray(x) ? [x, a + 1, o] : [x, a, o + 1]);
  };
  push(v, 0, 0);
  let worst = 0;
  let worstDepth = 0;
  while (stack.length) {
    const [x, a, o] = stack.pop()!;
    const load = a / limit.arrays + o / limit.objects;
    if (load > worst) (worst = load), (worstDepth = a + o);
    for (const y of Array.isArray(x) ? x : Object.values(x as object)) push(y, a, o);
  }
  if (worst <= 1) return null;
  return `too deep: JSON nested ${worstDepth} levels; PostgreSQL's jsonb accepts about ${limit.arrays} levels of arrays or ${limit.objects} of objects (max_stack_depth)`;
}

/** Options of {@link coerce}. */
export interface CoerceOptions {
  /** Reject JSON nested beyond this (PostgreSQL's limit, see {@link JsonDepthLimit}). Default {@link DEFAULT_PG_JSON_DEPTH}. */
  readonly jsonDepth?: JsonDepthLimit | undefined;
}

function coerceJson(v: unknown, canonical: boolean, opts: CoerceOptions | undefined): Coerced {
  let parsed: unknown = v;
  let text: string | null = null;
  if (!canonical) {
    if (typeof v === 'string') {
      try {
        parsed = parseJsonExact(v);
      } catch (e) {
        return bad(`invalid JSON: ${(e as Error).message}`);
      }
      text = v;
    } else if (typeof v === 'bigint') {
      // Beyond 2^53 it stays a bigint: written as its digits, exact in jsonb (json-exact.ts).
      return ok(v > SAFE || v < -SAFE ? v : Number(v), 'integer as JSON number');
    } else if (typeof v === 'number') {
      return Number.isFinite(v) ? ok(v, 'real as JSON number') : bad('not a finite number');
    } else {
      return wrongClass(v, 'json');
    }
  }
  if (parsed === null) return ok(null, !canonical && 'JSON null → SQL NULL');
  if (parsed instanceof JsonDecimal || typeof parsed === 'bigint') {
    const p = numericProblem(parsed);
    return p ? bad(p) : ok(parsed);
  }
  if (typeof parsed !== 'object') {
    if (typeof parsed === 'string') {
      const clean = sanitizeText(parsed);
      return clean === parsed ? ok(parsed) : ok(clean, ...textPolicyNotes(parsed));
    }
    return ok(parsed);
  }
  const limit = opts?.jsonDepth ?? DEFAULT_PG_JSON_DEPTH;
  const deep = text !== null ? jsonTooDeep(text, limit) : valueTooDeep(parsed, limit);
  if (deep) return bad(deep);
  if ((text === null || MAY_BE_HUGE.test(text))) {
    const p = firstNumericProblem(parsed);
    if (p) return bad(p);
  }
  // JSON text without escapes, U+0000 or surrogates parses to strings the text policy leaves alone.
  if (text !== null && !text.includes('\\') && !MAY_NEED_POLICY.test(text)) return ok(parsed);
  const notes = new Set<string>();
  jsonNotes(parsed, notes);
  if (notes.size === 0) return ok(parsed);
  const m = mapJson(parsed, sanitizeText, false);
  if (m.collision) {
    const [a, b] = m.collision.keys;
    return bad(`JSON key collision: keys ${JSON.stringify(a)} and ${JSON.stringify(b)} of one object both become ${JSON.stringify(m.collision.key)} under the text policy (U+0000 stripped, lone surrogate → U+FFFD): a value would be lost`);
  }
  return ok(m.value, ...notes);
}

/**
 * Coerces one non-null value to the logical type `type`. `canonical` is true for values that are
 * already logical (NDJSON from export): JSON values are taken as parsed, and no notes are made
 * for representation changes that cannot occur there.
 */
export function coerce(type: LogicalType, v: unknown, canonical: boolean, opts?: CoerceOptions): Coerced {
  switch (type) {
    case 'id':
    case 'text':
      return coerceText(v);
    case 'int':
      return coerceInt(v, canonical);
    case 'bigint':
      return coerceBigint(v, canonical);
    case 'timestamp':
      return coerceTimestamp(v, canonical);
    case 'millis':
      return coerceMillis(v, canonical);
    case 'bool':
      return coerceBool(v);
    case 'real':
      return coerceReal(v, canonical);
    case 'json':
      return coerceJson(v, canonical, opts);
  }
}
