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
 *   (FTS5 takes `rowid` range constraints, FTS5 docs §4.2 / xBestIndex). Enough hits in the window
 *   (≥ offset + limit): they are the page, since every row after the window is older. Too few: the
 *   window grows ({@link SearchPlanOptions.windowGrowth}×) until it holds the whole filter. Cost ∝
 *   the window plus the term's matches inside its rowid span: small when rows were inserted in
 *   time order (a chat log), at worst about the `match` plan's per step.
 *
 * The plan is chosen per query from the terms' document counts (FTS5's own, read through a
 * per-connection `temp.messages_fts_vocab` fts5vocab table, FTS5 docs §7): a term in at most
 * {@link SearchPlanOptions.matchFirstMaxDocs} messages → `match`; all terms common and the filter
 * walkable in the page's order (channel, user, or none: indexes `messages_channel_ts_idx`,
 * `messages_user_ts_idx`, `idx_messages_timestamp`) → `window`; otherwise `match`. Either plan
 * returns exactly the reference query's rows in its order (test/search-plan.test.ts).
 */
export interface SearchPlanOptions {
  /** A term in at most this many messages makes the search match-first. Default {@link SEARCH_PLAN_DEFAULTS}. */
  readonly matchFirstMaxDocs: number;
  /** Rows of the first window (at least offset + limit are taken). */
  readonly firstWindowRows: number;
  /** Each next window is this many times bigger (> 1). */
  readonly windowGrowth: number;
  /** Force a plan (tests, bench); default: chosen from the term counts. */
  readonly force?: SearchPlanKind | undefined;
}

export type SearchPlanKind = 'match' | 'window';

/**
 * Defaults measured on the bench's 1M-message file: 20,000 matches cost about 14 ms match-first;
 * a 1,000-row window about 4 ms of CPU in a 53k-message channel.
 */
export const SEARCH_PLAN_DEFAULTS: SearchPlanOptions = { matchFirstMaxDocs: 20_000, firstWindowRows: 1_000, windowGrowth: 8 };

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
}

/** Rowids of the page in order, the plan that found them and how many statements it took. */
export interface SearchPage {
  readonly rowids: unknown[];
  readonly plan: SearchPlanKind;
  readonly statements: number;
  /** Smallest document count among the terms (null: not known, the vocab table was unavailable). */
  readonly docs: number | null;
}

const ORDER = 'ORDER BY m.timestamp DESC, m.id DESC';
const VOCAB = 'temp.messages_fts_vocab';

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
 * Smallest number of messages holding a term (the sum over its stored forms), from FTS5's vocab;
 * null when the temp vocab table cannot be made (e.g. a remote connection that refuses it).
 * The table lives in `temp` (per connection, never in the database file): created on first use.
 */
export async function termDocs(run: RunQuery, terms: readonly string[]): Promise<number | null> {
  const forms = terms.map((t) => termForms(t));
  const all = [...new Set(forms.flat())];
  const sql = `SELECT term, doc FROM ${VOCAB} WHERE term IN (${all.map(() => '?').join(', ')})`;
  let rows: Record<string, unknown>[];
  try {
    rows = await run(sql, all);
  } catch {
    try {
      await run(`CREATE VIRTUAL TABLE IF NOT EXISTS ${VOCAB} USING fts5vocab(main, messages_fts, 'row')`, []);
      rows = await run(sql, all);
    } catch {
      return null;
    }
  }
  const docs = new Map(rows.map((r) => [String(r.term), Number(r.doc)]));
  return Math.min(...forms.map((fs) => fs.reduce((n, f) => n + (docs.get(f) ?? 0), 0)));
}

/** The `match` plan's rowids: FTS5 first, then each row by rowid, filtered and sorted. */
export function matchFirstSql(input: SearchPageInput): { sql: string; params: unknown[] } {
  const conds = input.conds.map((c) => ` AND ${c}`).join('');
  return {
    sql: `SELECT m.rowid AS r FROM messages_fts f CROSS JOIN messages m ON m.rowid = f.rowid WHERE messages_fts MATCH ?${conds} ${ORDER} LIMIT ? OFFSET ?`,
    params: [input.match, ...input.params, input.limit, input.offset],
  };
}

/**
 * One `window` step: a row `(kind 0, r = rows in the window)` then the window's first `want`
 * hits `(kind 1, r = rowid)` in the page's order.
 */
export function windowSql(input: SearchPageInput, rows: number, want: number): { sql: string; params: unknown[] } {
  const where = input.conds.length ? ` WHERE ${input.conds.join(' AND ')}` : '';
  const sql =
    `WITH c AS MATERIALIZED (SELECT m.rowid AS r, m.timestamp AS ts, m.id AS id FROM messages m${where} ${ORDER} LIMIT ?) ` +
    `SELECT kind, r FROM (SELECT 0 AS kind, (SELECT count(*) FROM c) AS r, NULL AS ts, NULL AS id UNION ALL ` +
    `SELECT 1, r, ts, id FROM (SELECT c.r AS r, c.ts AS ts, c.id AS id FROM messages_fts f CROSS JOIN c ON c.r = f.rowid ` +
    `WHERE messages_fts MATCH ? AND f.rowid BETWEEN (SELECT min(r) FROM c) AND (SELECT max(r) FROM c) ORDER BY c.ts DESC, c.id DESC LIMIT ?)) ` +
    `ORDER BY kind, ts DESC, id DESC`;
  return { sql, params: [...input.params, rows, input.match, want] };
}

/**
 * The page's rowids, newest first, by the plan chosen as described on {@link SearchPlanOptions}.
 * Errors: the driver's (SQLITE_*), as the reference query would throw them.
 */
export async function sqliteSearchPage(run: RunQuery, input: SearchPageInput, opts: SearchPlanOptions = SEARCH_PLAN_DEFAULTS): Promise<SearchPage> {
  let plan: SearchPlanKind;
  let docs: number | null = null;
  let statements = 0;
  if (opts.force) plan = opts.force;
  else {
    docs = await termDocs(run, input.terms);
    statements++;
    // 0 is not "no hit": a term FTS5 splits into several tokens (a mark inside a word) is no vocab entry.
    plan = windowable(input.where) && (docs === null || docs > opts.matchFirstMaxDocs) ? 'window' : 'match';
  }
  if (plan === 'match') {
    const q = matchFirstSql(input);
    const rows = await run(q.sql, q.params);
    return { rowids: rows.map((r) => r.r), plan, statements: statements + 1, docs };
  }
  const want = input.offset + input.limit;
  let size = Math.max(opts.firstWindowRows, want);
  for (;;) {
    const q = windowSql(input, size, want);
    const rows = await run(q.sql, q.params);
    statements++;
    const inWindow = Number(rows[0]!.r);
    const hits = rows.slice(1).map((r) => r.r);
    if (hits.length >= want || inWindow < size) return { rowids: hits.slice(input.offset), plan, statements, docs };
    size = Math.ceil(size * opts.windowGrowth);
  }
}
