import { DatabaseError } from '../errors.js';
import { stringifyJsonExact } from '../json-exact.js';
import type { Fragment } from './dialect.js';

/** A JSON scalar a containment filter compares with: text, a safe integer, a boolean or JSON null. */
export type JsonScalar = string | number | boolean | null;

/**
 * A `Where` entry on a JSON column (e.g. `messages.metadata`): the stored value is a JSON object
 * holding each of these top-level keys with exactly this scalar value (other keys may be present).
 * The supported shape, checked by {@link jsonContainsPairs}:
 * - a non-empty plain object; keys any text without U+0000 (dots, quotes, `$`, brackets are plain
 *   characters: no path syntax);
 * - values: a string without U+0000, a safe integer (|n| ≤ 2^53 − 1), `true`, `false` or `null`.
 *   Types never match across: 1 ≠ "1" ≠ true, null matches only a JSON null (not a missing key).
 * Anything else (nested objects or arrays, fractions, NaN, bigint, U+0000) throws DatabaseError
 * `INVALID_INPUT`: PostgreSQL's `@>` would take them, but LibSQL could not give the same rows.
 *
 * PostgreSQL: `m.metadata @> ?::text::jsonb` (the GIN index `messages_metadata_idx` can serve it;
 * jsonb keeps the last of duplicate keys, PostgreSQL docs §8.14). LibSQL: per key, the LAST member
 * of that key in the stored object (`json_each`, highest `id`), its JSON type and value compared;
 * stored text that is not a JSON object after leading BOMs (stored-json.ts policy) matches nothing.
 * Known limit: a stored number with more digits than a double holds (e.g. 1.0000000000000000001)
 * equals 1 on LibSQL (compared as a double) but not on PostgreSQL (numeric).
 */
export interface JsonContains {
  readonly jsonContains: Readonly<Record<string, JsonScalar>>;
}

/** True when a `Where` entry is a {@link JsonContains}. */
export function isJsonContains(cond: unknown): cond is JsonContains {
  return cond !== null && typeof cond === 'object' && !Array.isArray(cond) && 'jsonContains' in cond;
}

/**
 * The (key, value) pairs of a containment filter, in key order, after checking the supported shape.
 * @throws DatabaseError `INVALID_INPUT` (details: table, column, key) for any other shape.
 */
export function jsonContainsPairs(table: string, column: string, cond: JsonContains): [string, JsonScalar][] {
  const bad = (why: string, key?: string): never => {
    throw new DatabaseError('INVALID_INPUT', `${table}.${column}: jsonContains ${why}`, { table, column, ...(key === undefined ? {} : { key }) });
  };
  const extra = Object.keys(cond).find((k) => k !== 'jsonContains');
  if (extra !== undefined) bad(`cannot be combined with ${extra}`);
  const obj = cond.jsonContains as unknown;
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj) || (Object.getPrototypeOf(obj) !== Object.prototype && Object.getPrototypeOf(obj) !== null)) {
    bad('takes a plain object of top-level keys and scalar values');
  }
  const pairs = Object.entries(obj as Record<string, unknown>);
  if (pairs.length === 0) bad('takes at least one key');
  for (const [k, v] of pairs) {
    if (k.includes('\u0000')) bad('keys cannot hold U+0000', k);
    if (v === null || typeof v === 'boolean') continue;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) bad('string values cannot hold U+0000', k);
      continue;
    }
    if (typeof v === 'number' && Number.isSafeInteger(v)) continue;
    bad(`values must be a string, a safe integer, true, false or null (got ${Array.isArray(v) ? 'array' : typeof v === 'number' ? String(v) : typeof v}); nested values and fractions are not supported`, k);
  }
  return pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) as [string, JsonScalar][];
}

/** PostgreSQL: one jsonb containment (`ref` a quoted, qualified jsonb column). */
export function pgJsonContains(ref: string, pairs: readonly [string, JsonScalar][]): Fragment {
  return { sql: `${ref} @> ?::text::jsonb`, params: [stringifyJsonExact(Object.fromEntries(pairs))] };
}

/** LibSQL: one condition per key on the last member of that key of the stored object (see {@link JsonContains}). */
export function sqliteJsonContains(ref: string, pairs: readonly [string, JsonScalar][]): Fragment {
  const doc = `ltrim(${ref}, char(65279))`;
  const obj = `CASE WHEN json_valid(${doc}) AND json_type(${doc}) = 'object' THEN ${doc} END`;
  const conds: string[] = [];
  const params: unknown[] = [];
  for (const [k, v] of pairs) {
    let check: string;
    const p: unknown[] = [k];
    if (v === null) check = `t = 'null'`;
    else if (v === true) check = `t = 'true'`;
    else if (v === false) check = `t = 'false'`;
    else if (typeof v === 'number') (check = `t IN ('integer', 'real') AND a = ?`), p.push(v);
    else (check = `t = 'text' AND a = ?`), p.push(v);
    conds.push(`EXISTS (SELECT 1 FROM (SELECT j.type AS t, j.atom AS a FROM json_each(${obj}) j WHERE j.key = ? ORDER BY j.id DESC LIMIT 1) WHERE ${check})`);
    params.push(...p);
  }
  return { sql: conds.join(' AND '), params };
}
