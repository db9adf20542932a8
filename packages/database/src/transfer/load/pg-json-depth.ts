import type { JsonDepthLimit } from '../convert/coerce.js';

/** Runs one statement with parameters (`$1`…); rejects with PostgreSQL's error. */
export type PgQuery = (sql: string, params: readonly unknown[]) => Promise<unknown>;

/** Whether PostgreSQL's jsonb input accepts `text` (false on stack depth exceeded, 54001). @throws other errors. */
async function accepts(query: PgQuery, text: string, placeholder: string): Promise<boolean> {
  try {
    await query(`SELECT length((${placeholder}::text)::jsonb::text) AS n`, [text]);
    return true;
  } catch (e) {
    if ((e as { code?: unknown }).code === '54001') return false;
    throw e;
  }
}

/** Searched up to this depth: beyond any stack PostgreSQL allows (max_stack_depth ≤ the OS limit, 8MB by default). */
const SEARCH_MAX = 1_000_000;

async function deepest(query: PgQuery, open: string, close: string, leaf: string, placeholder: string): Promise<number> {
  const text = (d: number) => open.repeat(d) + leaf + close.repeat(d);
  let lo = 1; // accepted
  let hi = 1024;
  while (hi < SEARCH_MAX && (await accepts(query, text(hi), placeholder))) (lo = hi), (hi *= 2);
  if (hi >= SEARCH_MAX) return SEARCH_MAX;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (await accepts(query, text(mid), placeholder)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * Measures how deep THIS PostgreSQL server's jsonb input nests (its recursive parser stops at
 * `max_stack_depth`, 54001): nested arrays and nested objects, ~25 small statements. Import, copy
 * and verify convert with the result (coerce.ts `JsonDepthLimit`), so every depth the server
 * accepts migrates and deeper values are rejects with their id and reason, the same in all three.
 * `placeholder`: how `query` spells its first parameter (`$1` for postgres.js, `?` for a backend pair's side).
 * @throws driver errors (connection lost).
 */
export async function measurePgJsonDepth(query: PgQuery, placeholder = '$1'): Promise<JsonDepthLimit> {
  const arrays = await deepest(query, '[', ']', '', placeholder);
  const objects = await deepest(query, '{"k":', '}', '1', placeholder);
  return { arrays, objects };
}

const measured = new WeakMap<object, Promise<JsonDepthLimit>>();

/** {@link measurePgJsonDepth} of a backend pair's PostgreSQL side, measured once per pair (verify, reconcile). */
export function pairJsonDepth(postgres: { query(sql: string, params: readonly unknown[]): Promise<unknown> }): Promise<JsonDepthLimit> {
  let p = measured.get(postgres);
  if (!p) measured.set(postgres, (p = measurePgJsonDepth((q, params) => postgres.query(q, params), '?')));
  return p;
}
