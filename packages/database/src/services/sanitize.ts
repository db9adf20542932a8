/**
 * The text policy, the same on both backends (docs/design.md "Known traps"): PostgreSQL rejects
 * U+0000 in text and jsonb and lone UTF-16 surrogates in jsonb; SQLite stores both. So before any
 * write, and in `normalizeRow`, we **strip U+0000** and **replace each lone surrogate with
 * U+FFFD**, in text columns and in every JSON string (keys and values). The service logs the row
 * id and the fields changed (`event: 'input_sanitized'`), so nothing changes silently.
 */
import { mapJson } from '../json-exact.js';

// eslint-disable-next-line no-control-regex
const NUL = /\u0000/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Applies the policy to one string. */
export function sanitizeText(s: string): string {
  // Fast path: most text has neither.
  if (!s.includes('\u0000') && !/[\uD800-\uDFFF]/.test(s)) return s;
  return s.replace(NUL, '').replace(LONE_SURROGATE, '\uFFFD');
}

/**
 * Applies the policy to every string of a JSON value, keys included. Returns a new value only when
 * something changed. Without recursion (json-exact.ts `mapJson`): any depth.
 */
export function sanitizeJson(v: unknown): unknown {
  if (typeof v === 'string') return sanitizeText(v);
  if (v === null || typeof v !== 'object') return v;
  const stack: unknown[] = [v];
  let dirty = false;
  while (stack.length && !dirty) {
    const x = stack.pop();
    if (typeof x === 'string') dirty = sanitizeText(x) !== x;
    else if (Array.isArray(x)) for (const y of x) stack.push(y);
    else if (x !== null && typeof x === 'object') {
      for (const [k, y] of Object.entries(x)) {
        if (sanitizeText(k) !== k) dirty = true;
        stack.push(y);
      }
    }
  }
  return dirty ? mapJson(v, sanitizeText, false).value : v;
}

/** Text below U+0300 is in NFC whatever follows it in the string is not: nothing there composes. */
const MAY_COMPOSE = /[^\u0000-\u02ff]/;

/**
 * Unicode NFC of `s` (canonical composition: `e` + U+0301 → `é`), the form the services store
 * text columns in and search terms are made in, so a word typed or stored decomposed is the same
 * word on both backends' indexes (docs/design.md "Known traps"). Fast path for text below U+0300.
 */
export function toNfc(s: string): string {
  return MAY_COMPOSE.test(s) ? s.normalize('NFC') : s;
}

/**
 * Sanitises the named fields of `row` in place; returns the names of the fields that changed.
 * Text fields (strings) are also stored in NFC ({@link toNfc}); JSON values are data and keep
 * their strings' form (only the text policy applies to them).
 */
export function sanitizeFields(row: Record<string, unknown>, fields: readonly string[]): string[] {
  const changed: string[] = [];
  for (const f of fields) {
    const v = row[f];
    const s = typeof v === 'string' ? toNfc(sanitizeText(v)) : sanitizeJson(v);
    if (s !== v) {
      row[f] = s;
      changed.push(f);
    }
  }
  return changed;
}
