import type { Where } from '../store.js';
import { termForms } from '../../services/search-terms.js';

/**
 * How LibSQL answers a full-text search page (`searchMessages`): which rows, in which order. The
 * reference query, `FROM messages_fts f JOIN messages m ON m.rowid = f.rowid WHERE MATCH … AND
 * <filters> ORDER BY m.timestamp DESC, m.id DESC LIMIT ? OFFSET ?`, is left to SQLite's planner,
 * which walks the filter's index (e.g. `messages_channel_ts_idx`) and runs one FTS5 lookup per
 * row of the channel (`SCAN f VIRTUAL TABLE INDEX 0:=M1`): measured 0.1 ms per row on the bench's
 * 1M-message file, so 0.3 to 2.5 s for a word rare in a 53k-message channel. Two plans replace it:
 *
 * - `match` (match first): FTS5 lists every matching rowid, each is looked up in `messages` by
 *   rowid and filtered, then sorted (`messages_fts f CROSS JOIN messages m`: SQLite keeps the
 *   written join order for CROSS JOIN, SQLite docs "The Query Optimizer Overview" §7.1). Cost ∝
 *   the matches (about 0.7 µs each), whatever the filter.
 * - `window` (newest rows first): the newest `W` rows of the filter (one index walk, in the page's
 *   order), and FTS5 asked only for the rowids between the window's smallest and largest rowid
 *   (FTS5 takes `rowid` range constraints: `INDEX 0:M3><` in EXPLAIN QUERY PLAN). Enough hits in
 *   the window (≥ offset + limit): they are the page, since every row after the window is older.
 *   The window holds the whole filter: its hits are the answer. Else a bigger window when the
 *   hits so far say it will do, at most {@link SearchPlanOptions.maxWindows} windows, then `match`.
 *   Cost ∝ the window plus the matches inside its rowid span: small when rows were inserted in
 *   time order (a chat log).
 *
 * The plan is chosen per query. A filter walkable in the page's order (channel, user, or none:
 * indexes `messages_channel_ts_idx`, `messages_user_ts_idx`, `idx_messages_timestamp`) tries the
 * first window before anything else: a word common in the filter is answered there (≈3 ms on the
 * 1M file), without counting its matches. A first window with two or more hits but too few is followed by
 * one `span` step ({@link spanSql}) of the rows those hits say the page needs (× 1.5, at most
 * `spanMaxRows`), which answers unless its rowid span holds `spanMaxMatches` matches ('the tool' on
 * the 1M file: 84 hits in the 53k-row channel, two words each in 122k to 448k messages, whose FTS5
 * AND over all messages costs ≥ 12 ms). Otherwise (or when those did not answer) the matches
 * are counted up to {@link SearchPlanOptions.matchFirstMaxDocs}
 * (`WITH f AS MATERIALIZED (SELECT rowid FROM messages_fts WHERE MATCH ? LIMIT n)`: FTS5 stops at
 * n, so this costs at most n rowids; FTS5's fts5vocab would count every document of a common
 * term, 40 ms for a word in 450k messages), in the statement that also answers match first when
 * they are few ({@link cappedMatchSql}): at most that many → `match`; more, and the filter
 * walkable → further windows as above; otherwise `match`. Every plan returns exactly the
 * reference query's rows in its order (test/search-plan.test.ts).
 */
export interface SearchPlanOptions {
  /** At most this many matches in all messages make the search match-first. */
  readonly matchFirstMaxDocs: number;
  /** Rows of the first window (at least offset + limit are taken). */
  readonly firstWindowRows: number;
  /** Each next window is this many times bigger (> 1). */
  readonly windowGrowth: number;
  /** Windows tried before falling back to `match` (Infinity: grow until the window holds the whole filter). */
  readonly maxWindows: number;
  /**
   * The `span` step (see {@link spanSql}) after a first window that found at least two hits but too few:
   * its rows are the first window's hits' estimate × 1.5, at most this many (0: no span step).
   */
  readonly spanMaxRows?: number | undefined;
  /** The `span` step gives up (to the count) past this many matches in the window's rowid span. */
  readonly spanMaxMatches?: number | undefined;
  /** Force a plan (tests, bench); default: chosen from the match count. */
  readonly force?: SearchPlanKind | undefined;
}

export type SearchPlanKind = 'match' | 'window';

/**
 * Defaults measured on the bench's 1M-message file: 20,000 matches cost about 14 ms match-first;
 * a 1,000-row window of a 53k-message channel 3 ms, an 8,000-row one 30 to 40 ms.
 */
export const SEARCH_PLAN_DEFAULTS: SearchPlanOptions = {
  matchFirstMaxDocs: 20_000,
  firstWindowRows: 1_000,
  windowGrowth: 8,
  maxWindows: 2,
  spanMaxRows: 16_000,
  spanMaxMatches: 4_000,
};

/** Runs one statement (`?` placeholders) and returns its rows. */
export type RunQuery = (sql: string, params: readonly unknown[]) => Promise<Record<string, unknown>[]>;

/** The input of {@link sqliteSearchPage}: the FTS5 MATCH expression, the filter (alias `m`) and the page. */
export interface SearchPageInput {
  readonly match: string;
  readonly terms: readonly string[];
  readonly where: Where;
  /** `m.`-qualified conditions of `where` and their parameters (sql-store.ts #where). */
  readonly conds: readonly string[];
  readonly params: readonly unknown[];
  readonly limit: number;
  readonly offset: number;
  /**
   * The store's select list of `messages m` (table-sql.ts). Given, the plan's last statement
   * returns the page's rows themselves as `rows` (with extra `kind` and `r` columns on LibSQL),
   * saving the store a statement by rowid.
   */
  readonly select?: string | undefined;
}

/** Rowids of the page in order, the plan that found them and how many statements it took. */
export interface SearchPage {
  readonly rowids: unknown[];
  /** The page's rows themselves, in order, selected with `input.select` (then `rowids` is empty). */
  readonly rows?: Record<string, unknown>[] | undefined;
  /** The column `rowids` hold: `rowid` (LibSQL, default) or `id` (PostgreSQL, pg-search.ts). */
  readonly key?: 'rowid' | 'id';
  readonly plan: SearchPlanKind;
  readonly statements: number;
  /** Matches in all messages, counted up to `matchFirstMaxDocs` + 1 (null: not counted: the plan was forced, or the first window answered). */
  readonly matches: number | null;
}

const ORDER = 'ORDER BY m.timestamp DESC, m.id DESC';

/** True when the filter can be walked newest first by an index (equality on channel or user, or no filter but time). */
export function windowable(where: Where): boolean {
  const keys = Object.entries(where)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ({ k, scalar: v === null || typeof v !== 'object' }));
  const ordered = keys.find((x) => (x.k === 'channel_id' || x.k === 'user_id') && x.scalar);
  if (ordered) return true;
  return keys.every((x) => x.k === 'timestamp');
}

/**
 * The `match` plan's rowids (`r`), or the page's rows with `input.select`: FTS5 first, then each
 * row by rowid, filtered and sorted. The select list is joined to the page's rowids after the sort,
 * so the sort carries (rowid, timestamp, id) of every match, not whole rows.
 */
export function matchFirstSql(input: SearchPageInput): { sql: string; params: unknown[] } {
  const conds = input.conds.map((c) => ` AND ${c}`).join('');
  const page = `SELECT m.rowid AS r, m.timestamp AS ts, m.id AS id FROM messages_fts f CROSS JOIN messages m ON m.rowid = f.rowid WHERE messages_fts MATCH ?${conds} ${ORDER} LIMIT ? OFFSET ?`;
  return {
    sql: input.select ? `SELECT ${input.select} FROM (${page}) p CROSS JOIN messages m ON m.rowid = p.r ORDER BY p.ts DESC, p.id DESC` : page,
    params: [input.match, ...input.params, input.limit, input.offset],
  };
}

/**
 * The last step of a plan statement: its `(kind, r, ts, id)` rows (`union`) as `(kind, r)` in the
 * order `kind, ts DESC, id DESC`; with `select` (the store's select list of `messages m`), each
 * row of kind `pageKind` (a hit's rowid) also carries that message's columns, so the store needs no
 * statement by rowid after the plan (≈ 1 ms of the 1M file's two-word search).
 */
function finish(union: string, pageKind: number, select: string | undefined): string {
  if (!select) return `SELECT kind, r FROM (${union}) ORDER BY kind, ts DESC, id DESC`;
  return `SELECT x.kind AS kind, x.r AS r, ${select} FROM (${union}) x LEFT JOIN messages m ON x.kind = ${pageKind} AND m.rowid = x.r ORDER BY x.kind, x.ts DESC, x.id DESC`;
}

/**
 * Match first with the count up to `cap` in one statement: a row `(kind 0, r = matches, at most
 * cap)`, then, only when they are fewer than `cap`, the page's rowids `(kind 1, r)` in order.
 * The FTS5 rowids are materialised once (at most `cap`), so a query whose matches are costly to
 * find (two words common apart, rare together) is evaluated once, not once to count and once to answer.
 */
export function cappedMatchSql(input: SearchPageInput, cap: number): { sql: string; params: unknown[] } {
  const conds = input.conds.map((c) => ` AND ${c}`).join('');
  const sql =
    `WITH f AS MATERIALIZED (SELECT rowid AS r FROM messages_fts WHERE messages_fts MATCH ? LIMIT ?) ` +
    finish(
      `SELECT 0 AS kind, (SELECT count(*) FROM f) AS r, NULL AS ts, NULL AS id UNION ALL ` +
        `SELECT 1, r, ts, id FROM (SELECT m.rowid AS r, m.timestamp AS ts, m.id AS id FROM f CROSS JOIN messages m ON m.rowid = f.r ` +
        `WHERE (SELECT count(*) FROM f) < ?${conds} ${ORDER} LIMIT ? OFFSET ?)`,
      1,
      input.select,
    );
  return { sql, params: [input.match, cap, cap, ...input.params, input.limit, input.offset] };
}

/**
 * One `window` step: a row `(kind 0, r = rows in the window)` then the window's first `want`
 * hits `(kind 1, r = rowid)` in the page's order.
 */
export function windowSql(input: SearchPageInput, rows: number, want: number): { sql: string; params: unknown[] } {
  const where = input.conds.length ? ` WHERE ${input.conds.join(' AND ')}` : '';
  const sql =
    `WITH c AS MATERIALIZED (SELECT m.rowid AS r, m.timestamp AS ts, m.id AS id FROM messages m${where} ${ORDER} LIMIT ?) ` +
    finish(
      `SELECT 0 AS kind, (SELECT count(*) FROM c) AS r, NULL AS ts, NULL AS id UNION ALL ` +
        `SELECT 1, r, ts, id FROM (SELECT c.r AS r, c.ts AS ts, c.id AS id FROM messages_fts f CROSS JOIN c ON c.r = f.rowid ` +
        `WHERE messages_fts MATCH ? AND f.rowid BETWEEN (SELECT min(r) FROM c) AND (SELECT max(r) FROM c) ORDER BY c.ts DESC, c.id DESC LIMIT ?)`,
      1,
      input.select,
    );
  return { sql, params: [...input.params, rows, input.match, want] };
}

/**
 * The `span` step: a window of `rows` rows found without materialising them. The filter's index
 * gives the window's rowid range and its last row (timestamp, id) (two walks of the covering index,
 * ≈ 0.1 µs a row); FTS5 lists the matches in that rowid range (integer bounds: `INDEX 0:M3><`),
 * at most `cap`; each is looked up by rowid and kept when it passes the filter and is not older than
 * the window's last row, i.e. is in the window (ids are unique, so (timestamp, id) ≥ the last
 * row's is exactly "among the first `rows`"). Rows: `(kind 0, r = rows in the window)`,
 * `(kind 1, r = matches in the span, at most cap)`, then, when under the cap, the first `want`
 * hits `(kind 2, r = rowid)` in the page's order. Cheaper than {@link windowSql} when the window is
 * big and its span holds few matches (two words common apart, rare together: ≈ 9 ms for 20k rows
 * of the 1M file's largest channel against ≈ 35 ms); the cap bounds it when they are many.
 */
export function spanSql(input: SearchPageInput, rows: number, want: number, cap: number): { sql: string; params: unknown[] } {
  const where = input.conds.length ? ` WHERE ${input.conds.join(' AND ')}` : '';
  const conds = input.conds.map((c) => ` AND ${c}`).join('');
  const walk = `FROM messages m${where} ${ORDER}`;
  const sql =
    `WITH b AS MATERIALIZED (SELECT count(*) AS n, min(r) AS lo, max(r) AS hi FROM (SELECT m.rowid AS r ${walk} LIMIT ?)), ` +
    `e AS MATERIALIZED (SELECT m.timestamp AS ts, m.id AS id ${walk} LIMIT 1 OFFSET ?), ` +
    `h AS MATERIALIZED (SELECT rowid AS r FROM messages_fts WHERE messages_fts MATCH ? AND rowid BETWEEN (SELECT lo FROM b) AND (SELECT hi FROM b) LIMIT ?) ` +
    finish(
      `SELECT 0 AS kind, (SELECT n FROM b) AS r, NULL AS ts, NULL AS id UNION ALL ` +
        `SELECT 1, (SELECT count(*) FROM h), NULL, NULL UNION ALL ` +
        `SELECT 2, r, ts, id FROM (SELECT m.rowid AS r, m.timestamp AS ts, m.id AS id FROM h CROSS JOIN messages m ON m.rowid = h.r ` +
        `WHERE (SELECT count(*) FROM h) < ?${conds} AND (NOT EXISTS (SELECT 1 FROM e) OR m.timestamp > (SELECT ts FROM e) OR ` +
        `(m.timestamp = (SELECT ts FROM e) AND m.id >= (SELECT id FROM e))) ${ORDER} LIMIT ?)`,
      2,
      input.select,
    );
  const walkParams = input.params;
  return { sql, params: [...walkParams, rows, ...walkParams, rows - 1, input.match, cap, cap, ...input.params, want] };
}

/**
 * The page's rowids, newest first, by the plan chosen as described on {@link SearchPlanOptions}.
 * Errors: the driver's (SQLITE_*), as the reference query would throw them.
 */
export async function sqliteSearchPage(run: RunQuery, input: SearchPageInput, opts: SearchPlanOptions = SEARCH_PLAN_DEFAULTS): Promise<SearchPage> {
  let matches: number | null = null;
  let statements = 0;
  /** The page from its hits in order (the page's rows themselves when the store gave its select list). */
  const answer = (page: Record<string, unknown>[], plan: SearchPlanKind): SearchPage =>
    input.select ? { rowids: [], rows: page, plan, statements, matches } : { rowids: page.map((r) => r.r), plan, statements, matches };
  const matchFirst = async (): Promise<SearchPage> => {
    const q = matchFirstSql(input);
    const rows = await run(q.sql, q.params);
    statements++;
    return answer(rows, 'match');
  };
  if (opts.force === 'match') return matchFirst();
  const want = input.offset + input.limit;
  let size = Math.max(opts.firstWindowRows, want);
  let windows = 0;
  /** Hits of the last window that did not answer. */
  let hits: Record<string, unknown>[] = [];
  /** One window: the page when it answers, else null (its hits kept in `hits`). */
  const windowStep = async (): Promise<SearchPage | null> => {
    const q = windowSql(input, size, want);
    const rows = await run(q.sql, q.params);
    statements++;
    windows++;
    const inWindow = Number(rows[0]!.r);
    hits = rows.slice(1);
    return hits.length >= want || inWindow < size ? answer(hits.slice(input.offset), 'window') : null;
  };
  if (!opts.force) {
    // Window first when the filter allows it: a word common in the filter is answered by the
    // newest rows alone, without counting its matches (the count costs up to the cap's rowids).
    const canWindow = windowable(input.where);
    if (canWindow) {
      const page = await windowStep();
      if (page) return page;
      // Some hits but too few: one bigger window by rowid span when its matches are few.
      // One hit says little (a rare word's newest message): at least two, else the count decides.
      const spanRows = hits.length >= 2 ? Math.ceil((want / hits.length) * size * 1.5) : Infinity;
      if (spanRows <= (opts.spanMaxRows ?? 0)) {
        const cap = opts.spanMaxMatches ?? 0;
        const q = spanSql(input, spanRows, want, cap);
        const rows = await run(q.sql, q.params);
        statements++;
        const inWindow = Number(rows[0]!.r);
        const spanHits = rows.slice(2);
        if (Number(rows[1]!.r) < cap && (spanHits.length >= want || inWindow < spanRows)) return answer(spanHits.slice(input.offset), 'window');
      }
    }
    // One statement counts the matches up to the cap and, under it, answers match first too.
    const q = cappedMatchSql(input, opts.matchFirstMaxDocs + 1);
    const rows = await run(q.sql, q.params);
    statements++;
    matches = Number(rows[0]!.r);
    if (matches <= opts.matchFirstMaxDocs) return answer(rows.slice(1), 'match');
    if (!canWindow) return matchFirst();
  } else {
    const page = await windowStep();
    if (page) return page;
  }
  for (;;) {
    const next = Math.ceil(size * opts.windowGrowth);
    // The hits so far say how many rows `want` hits take; past the next window, `match` is cheaper.
    const enough = hits.length > 0 && (want / hits.length) * size <= next;
    if (windows >= opts.maxWindows || (!enough && opts.force !== 'window')) return matchFirst();
    size = next;
    const page = await windowStep();
    if (page) return page;
  }
}
