import type { LogicalType } from '../../schema/columns.js';
import { sanitizeJson, sanitizeText } from '../../services/sanitize.js';
import { InvalidUtf8, SqliteBlob, storageClass } from '../source/sqlite-value.js';
import { parseJsonExact } from '../../json-exact.js';

/**
 * The deliberate coercions, one function per logical type (schema/columns.ts). Each takes one
 * non-null value and returns the logical value or a reason to reject the row. Every coercion
 * that changes how a value is represented leaves a `note` (shown by `db check`, counted by
 * import/copy). `canonical` inputs (NDJSON from export) are already logical: no notes.
 *
 * | logical   | accepted (SQLite storage)                                                  | rejected |
 * |-----------|----------------------------------------------------------------------------|----------|
 * | bool      | integer 0/1; text `1 0 true false t f yes no on off` (any case, trimmed)    | anything else |
 * | timestamp | integer/real seconds; > 10^11 taken as milliseconds ÷ 1000 (floored);     | > 10^14 (µs?), other text |
 * |           | numeric text (same rule); ISO-8601 text (no zone = UTC) → unix seconds      |          |
 * | millis    | integer milliseconds kept exactly (below 10^11 noted: seconds?); integral   | beyond ±8.64·10^15 (Date's |
 * |           | real or numeric text; ISO-8601 text → unix ms                              | range), fractions, other text |
 * | int       | integer in PostgreSQL `integer` range; integral real; integer text          | out of range, fractions |
 * | bigint    | integer (exact, also 2^53+1 … 2^63−1); integral real ≤ 2^53; integer text  | beyond int64, fractions |
 * | real      | real; integer; numeric text                                                 | NaN/±Infinity, other text |
 * | text, id  | text with the policy of services/sanitize.ts (U+0000 stripped, lone        | blob, invalid UTF-8 |
 * |           | surrogate → U+FFFD, noted "sanitized"); integer/real → their decimal text   |          |
 * | json      | text holding JSON (strings sanitized as text); JSON `null` → SQL NULL       | invalid JSON, blob |
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

const SECONDS_MAX = 1e11; // 5138-11-16 in seconds; above it, a value is taken as milliseconds
const MILLIS_MAX = 1e14; // the same instant in milliseconds; above it (microseconds?), reject

function seconds(n: number, via: string | undefined): Coerced {
  if (!Number.isFinite(n)) return bad('not a finite number');
  if (Math.abs(n) > MILLIS_MAX) return bad(`out of range: ${n} is beyond milliseconds (microseconds?)`);
  if (Math.abs(n) > SECONDS_MAX) return ok(Math.floor(n / 1000), via, 'milliseconds ÷ 1000');
  return Number.isInteger(n) ? ok(n, via) : ok(Math.floor(n), via, 'fraction of a second dropped');
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
    if (v > BigInt(MILLIS_MAX) || v < -BigInt(MILLIS_MAX)) return bad(`out of range: ${v} is beyond milliseconds (microseconds?)`);
    return seconds(Number(v), undefined);
  }
  if (typeof v === 'number') return seconds(v, canonical || Number.isInteger(v) ? undefined : 'real');
  if (typeof v === 'string') {
    if (NUMERIC_TEXT.test(v)) return seconds(Number(v), 'numeric text');
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
  return ok(n, via, n !== 0 && Math.abs(n) < SECONDS_MAX && NOTE_MILLIS_SMALL);
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

function jsonNotes(v: unknown, into: Set<string>): void {
  if (typeof v === 'string') for (const n of textPolicyNotes(v)) into.add(n);
  else if (Array.isArray(v)) for (const x of v) jsonNotes(x, into);
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      jsonNotes(k, into);
      jsonNotes(x, into);
    }
  }
}

// eslint-disable-next-line no-control-regex
const MAY_NEED_POLICY = /[\u0000\uD800-\uDFFF]/;

function coerceJson(v: unknown, canonical: boolean): Coerced {
  let parsed: unknown = v;
  if (!canonical) {
    if (typeof v === 'string') {
      try {
        parsed = parseJsonExact(v);
      } catch (e) {
        return bad(`invalid JSON: ${(e as Error).message}`);
      }
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
  // JSON text without escapes, U+0000 or surrogates parses to strings the text policy leaves alone.
  if (typeof v === 'string' && !v.includes('\\') && !MAY_NEED_POLICY.test(v)) return ok(parsed);
  const clean = sanitizeJson(parsed);
  if (clean === parsed) return ok(parsed);
  const notes = new Set<string>();
  jsonNotes(parsed, notes);
  return ok(clean, ...notes);
}

/**
 * Coerces one non-null value to the logical type `type`. `canonical` is true for values that are
 * already logical (NDJSON from export): JSON values are taken as parsed, and no notes are made
 * for representation changes that cannot occur there.
 */
export function coerce(type: LogicalType, v: unknown, canonical: boolean): Coerced {
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
      return coerceJson(v, canonical);
  }
}
