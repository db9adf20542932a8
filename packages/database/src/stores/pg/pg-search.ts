import type { Fragment } from '../dialect.js';
import type { RunQuery, SearchPage, SearchPageInput } from '../sqlite/sqlite-search.js';
import { windowable } from '../sqlite/sqlite-search.js';

/**
 * How PostgreSQL answers a search page. Its planner, given `search_vector @@ q AND channel_id = ?
 * ORDER BY timestamp DESC, id DESC LIMIT 20`, walks a timestamp index backwards and filters,
 * expecting matches spread evenly; for words each common but rarely together in the channel
 * ('the tool' on the bench's 1M set: 84 of 53k rows) it walked 221k rows (0.5 to 1.3 s). Two
 * statements replace it:
 *
 * - `window`: the filter's newest `W` rows from its ordered index (index-only scan of
 *   `messages_channel_ts_idx`, `messages_user_ts_idx` or `idx_messages_timestamp`), each checked
 *   by primary key against the query. Enough hits (≥ offset + limit), or the window holds the whole
 *   filter: they are the page (every row after the window is older). Cost ∝ W. A small first
 *   window; a second one only when its hits say offset + limit hits fit in `maxWindowRows`.
 * - `bitmap`: the same condition ordered by `timestamp + 0`, an expression no index provides, so
 *   the planner combines the GIN index (and the filter's) in a bitmap and sorts the matches. Run
 *   only after a window found fewer than offset + limit hits in W rows (the hits are sparse in the
 *   filter, so the bitmap's heap visits are few). Cost ∝ the GIN postings of the terms.
 *
 * Both return exactly the single statement's rows in its order (test/search-plan-pg.test.ts).
 */
export interface PgSearchPlanOptions {
  /** Rows of the first window (at least offset + limit are taken). Default 250. */
  readonly windowRows: number;
  /**
   * Largest second window: when the first window's hits say `want` hits take at most this many
   * rows (with 25 % margin), one window of that size is tried before the bitmap. Default 2,000.
   */
  readonly maxWindowRows?: number | undefined;
  readonly force?: 'window' | 'bitmap' | undefined;
}

/**
 * Measured on the bench's 1M set (largest channel, 53k rows): a window costs ≈ 4.6 µs a row (index-only
 * scan, primary key lookup, tsvector check), the bitmap of two common words ('the tool') ≈ 17 ms. A
 * 250-row first window answers a common word (≈ 45 % of rows) and gives up on sparse hits after ≈ 1 ms.
 */
export const PG_SEARCH_PLAN_DEFAULTS: PgSearchPlanOptions = { windowRows: 250, maxWindowRows: 2_000 };

const ORDER = 'ORDER BY m.timestamp DESC, m.id DESC';

/** The page's ids by the plans above; `cond` is the full-text condition on alias `m` (pg-dialect.ts). */
export async function pgSearchPage(
  run: RunQuery,
  input: Omit<SearchPageInput, 'match'> & { cond: Fragment },
  opts: PgSearchPlanOptions = PG_SEARCH_PLAN_DEFAULTS,
): Promise<SearchPage> {
  const conds = input.conds.map((c) => ` AND ${c}`).join('');
  const bitmap = async (statements: number): Promise<SearchPage> => {
    // With the store's select list the page's rows come back at once (no statement by id after it).
    const rows = await run(`SELECT ${input.select ?? 'm.id AS k'} FROM messages m WHERE ${input.cond.sql}${conds} ORDER BY m.timestamp + 0 DESC, m.id DESC LIMIT ? OFFSET ?`, [
      ...input.cond.params,
      ...input.params,
      input.limit,
      input.offset,
    ]);
    const page = { key: 'id' as const, plan: 'match' as const, statements: statements + 1, matches: null };
    return input.select ? { ...page, rowids: [], rows } : { ...page, rowids: rows.map((r) => r.k) };
  };
  if (opts.force === 'bitmap' || (!opts.force && !windowable(input.where))) return bitmap(0);
  const want = input.offset + input.limit;
  const where = input.conds.length ? ` WHERE ${input.conds.join(' AND ')}` : '';
  const windowStep = async (size: number) => {
    const rows = await run(
      `WITH c AS MATERIALIZED (SELECT m.id, m.timestamp FROM messages m${where} ${ORDER} LIMIT ?), ` +
        `h AS (SELECT c.id, row_number() OVER (ORDER BY c.timestamp DESC, c.id DESC) AS n FROM c JOIN messages m ON m.id = c.id WHERE ${input.cond.sql}) ` +
        `SELECT 0 AS kind, (SELECT count(*) FROM c) AS n, NULL AS k UNION ALL SELECT 1, n, id FROM h WHERE n <= ?`,
      [...input.params, size, ...input.cond.params, want],
    );
    const inWindow = Number(rows.find((r) => Number(r.kind) === 0)!.n);
    const hits = rows
      .filter((r) => Number(r.kind) === 1)
      .sort((a, b) => Number(a.n) - Number(b.n))
      .map((r) => r.k);
    return { hits, answered: hits.length >= want || inWindow < size };
  };
  let size = Math.max(opts.windowRows, want);
  for (let statements = 1; ; statements++) {
    const w = await windowStep(size);
    if (w.answered) return { rowids: w.hits.slice(input.offset), key: 'id', plan: 'window', statements, matches: null };
    if (opts.force === 'window') {
      size *= 8;
      continue;
    }
    // One more window when the hits so far say `want` hits fit in it; else the bitmap.
    const need = w.hits.length ? Math.ceil((want / w.hits.length) * size * 1.25) : Infinity;
    if (statements > 1 || need > (opts.maxWindowRows ?? 0)) return bitmap(statements);
    size = Math.max(need, size + 1);
  }
}
