/**
 * LibSQL search plans (src/stores/sqlite/sqlite-search.ts): every plan — match first, newest-rows
 * windows (growing, or falling back to match first), and the plan chosen from the match count —
 * returns exactly the rows, in the order, of the single reference statement SQLite planned before
 * (`sqliteDialect.searchFrom`), for every filter shape `searchMessages` takes, pages deep into
 * the results, and hostile search text. The data puts rows in rowid order unlike time order, ties
 * on timestamp, words common overall but absent from a channel, and words common but rarely
 * together, so the window's rowid span and the id tiebreak are both exercised.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchTerms } from '../src/services/search-terms.js';
import { SqlStore } from '../src/stores/sql-store.js';
import type { Row } from '../src/stores/store.js';
import { openSqlite } from '../src/stores/sqlite/sqlite-connection.js';
import { ftsMatch, sqliteDialect } from '../src/stores/sqlite/sqlite-dialect.js';
import { SEARCH_PLAN_DEFAULTS, sqliteSearchPage, windowable, type SearchPage, type SearchPlanOptions } from '../src/stores/sqlite/sqlite-search.js';
import type { Dialect } from '../src/stores/dialect.js';
import { openSqliteBackend, type TestBackend } from './helpers/backends.js';
import { FILTERS, INPUTS, PAGES, planRows } from './search-plan-data.js';

/**
 * A store whose LibSQL search runs sqlite-search.ts with `opts`, recording each page's plan. With
 * `withRows` false the plan is not given the store's select list: it returns rowids and the store
 * reads the rows by rowid after it.
 */
function planned(conn: Awaited<ReturnType<typeof openSqlite>>, opts: SearchPlanOptions, seen: SearchPage[], withRows = true): SqlStore {
  const d: Dialect = {
    ...sqliteDialect,
    searchPage: async (run, input) => {
      const page = await sqliteSearchPage(run, { ...input, match: ftsMatch(input.terms), select: withRows ? input.select : undefined }, opts);
      seen.push(page);
      return page;
    },
  };
  return new SqlStore(conn, d, async () => {});
}

describe('LibSQL search plans return what the reference query returns', () => {
  let lite: TestBackend;
  let conn: Awaited<ReturnType<typeof openSqlite>>;
  let reference: SqlStore;
  const expected = new Map<string, Row[]>();
  beforeAll(async () => {
    lite = await openSqliteBackend();
    await lite.store.applyChanges(planRows().map((row) => ({ table: 'messages' as const, op: 'upsert' as const, row })));
    conn = await openSqlite({ url: lite.url });
    // The single statement of before: a dialect without searchPage.
    const { searchPage: _ignored, ...plain } = sqliteDialect;
    reference = new SqlStore(conn, plain, async () => {});
  });
  afterAll(async () => {
    await conn?.close();
    await lite?.cleanup();
  });

  const PLANS: Record<string, SearchPlanOptions> = {
    'match first (forced)': { ...SEARCH_PLAN_DEFAULTS, force: 'match' },
    'windows growing to the whole filter (forced)': { matchFirstMaxDocs: 0, firstWindowRows: 3, windowGrowth: 2, maxWindows: Infinity, force: 'window' },
    'chosen, small thresholds (windows, then match first)': { matchFirstMaxDocs: 10, firstWindowRows: 5, windowGrowth: 4, maxWindows: 2 },
    'chosen, small thresholds with span steps': { matchFirstMaxDocs: 10, firstWindowRows: 5, windowGrowth: 4, maxWindows: 2, spanMaxRows: 400, spanMaxMatches: 2_000 },
    'chosen, defaults': SEARCH_PLAN_DEFAULTS,
  };

  /** Rows of a page, whichever way the plan returned them. */
  const found = (p: SearchPage) => p.rows?.length ?? p.rowids.length;
  const CASES = [
    ...Object.entries(PLANS).map(([name, opts]) => ({ name, opts, withRows: true })),
    // The rowid form (no select list): the store reads the page by rowid after the plan.
    ...['match first (forced)', 'chosen, small thresholds with span steps'].map((name) => ({ name: `${name}, rowids then rows`, opts: PLANS[name]!, withRows: false })),
  ];

  for (const { name, opts, withRows } of CASES) {
    it(`${name}: same rows, same order, for every input × filter × page`, async () => {
      const seen: SearchPage[] = [];
      const store = planned(conn, opts, seen, withRows);
      let nonEmpty = 0;
      for (const input of INPUTS) {
        const terms = searchTerms(input);
        expect(terms.length).toBeGreaterThan(0);
        for (const where of FILTERS) {
          for (const page of PAGES) {
            const spec = { terms, where, ...page };
            const key = JSON.stringify(spec);
            if (!expected.has(key)) expected.set(key, await reference.searchMessages(spec));
            const want = expected.get(key)!;
            // Whole rows: the page's rows read with the plan's last statement are the rows themselves.
            const got = await store.searchMessages(spec);
            expect(got, `${input} ${JSON.stringify(where)} ${JSON.stringify(page)}`).toEqual(want);
            if (want.length) nonEmpty++;
          }
        }
      }
      // The comparisons are not vacuous: most searches find rows.
      expect(nonEmpty).toBeGreaterThan(INPUTS.length * FILTERS.length * PAGES.length * 0.3);
      const plans = new Set(seen.map((p) => p.plan));
      if (opts.force) expect([...plans]).toEqual([opts.force]);
      else if (opts !== SEARCH_PLAN_DEFAULTS) {
        // Small thresholds exercise each branch: match first, a window that answered, and
        // windows that gave up to match first (more statements than count + one window).
        expect(plans).toEqual(new Set(['match', 'window']));
        expect(seen.some((p) => p.plan === 'match' && p.statements > 2)).toBe(true);
        expect(seen.some((p) => p.plan === 'window' && p.statements > 2)).toBe(true);
        expect(seen.some((p) => p.plan === 'match' && p.statements === 1 && found(p) > 0)).toBe(true);
        expect(seen.some((p) => p.matches === 0 && found(p) === 0)).toBe(true);
      }
      // Each page came back in the form asked for.
      expect(seen.every((p) => (withRows ? p.rows !== undefined && p.rowids.length === 0 : p.rows === undefined))).toBe(true);
      // A span step that answered: a window page of two statements, matches not counted.
      if (opts.spanMaxRows === 400) expect(seen.some((p) => p.plan === 'window' && p.statements === 2 && p.matches === null)).toBe(true);
      if (opts.force === 'window') expect(seen.some((p) => p.statements > 3)).toBe(true);
    });
  }

  it('windows only filters an index walks newest first', () => {
    expect(windowable({})).toBe(true);
    expect(windowable({ channel_id: 'c', user_id: undefined })).toBe(true);
    expect(windowable({ user_id: 'u', sender_type: 'ai' })).toBe(true);
    expect(windowable({ timestamp: { gte: 1 } })).toBe(true);
    expect(windowable({ sender_type: 'ai' })).toBe(false);
    expect(windowable({ channel_id: { in: ['a'] } })).toBe(false);
  });

  describe('order of steps', () => {
    const ran: string[] = [];
    const run = (sql: string, p: readonly unknown[]) => (ran.push(sql), conn.query(sql, p));
    const kind = (sql: string) => (sql.startsWith('WITH c AS') ? 'window' : sql.startsWith('WITH b AS') ? 'span' : sql.startsWith('WITH f AS') ? 'count' : 'match');
    const page = (term: string, where: Record<string, string>, opts: Partial<SearchPlanOptions> = {}, limit = 5) => {
      ran.length = 0;
      const entries = Object.entries(where);
      return sqliteSearchPage(
        run,
        { terms: [term], match: ftsMatch([term]), where, conds: entries.map(([k]) => `m."${k}" = ?`), params: entries.map(([, v]) => v), limit, offset: 0 },
        { ...SEARCH_PLAN_DEFAULTS, matchFirstMaxDocs: 50, spanMaxRows: 0, ...opts },
      );
    };

    it('a windowable filter tries the first window before counting: a word common in it costs one statement, not counted', async () => {
      const p = await page('alpha', {});
      expect(p).toMatchObject({ plan: 'window', statements: 1, matches: null });
      expect(p.rowids).toHaveLength(5);
      expect(ran.map(kind)).toEqual(['window']);
      // The same with a channel filter.
      const c = await page('alpha', { channel_id: 'c-big' });
      expect(c).toMatchObject({ plan: 'window', statements: 1, matches: null });
      expect(ran.map(kind)).toEqual(['window']);
    });

    it('a window without enough hits is followed by the capped count, which answers match first when the matches are few', async () => {
      const p = await page('rare', { channel_id: 'c-big' }, { firstWindowRows: 20 });
      expect(ran.map(kind)).toEqual(['window', 'count']);
      expect(p.plan).toBe('match');
      expect(p.statements).toBe(2);
      expect(p.matches).toBeGreaterThan(0);
      expect(p.matches).toBeLessThanOrEqual(50);
      expect(p.rowids.length).toBeGreaterThan(0);
    });

    it('many matches but none in the window: window, count, then match first (no hopeless second window)', async () => {
      // zeta: hundreds of rows, all in c-big; none in c-small.
      const p = await page('zeta', { channel_id: 'c-small' }, { firstWindowRows: 20 });
      expect(ran.map(kind)).toEqual(['window', 'count', 'match']);
      expect(p).toMatchObject({ plan: 'match', statements: 3, matches: 51, rowids: [] });
    });

    it('many matches, sparse in the first window: a second window when the hits say it suffices', async () => {
      const p = await page('beta', { channel_id: 'c-big' }, { firstWindowRows: 5, windowGrowth: 8, maxWindows: 2 }, 3);
      expect(ran.map(kind).slice(0, 2)).toEqual(['window', 'count']);
      expect(p.matches).toBe(51);
      if (p.plan === 'window') expect(ran.map(kind)).toEqual(['window', 'count', 'window']);
      else expect(ran.map(kind)).toEqual(['window', 'count', 'match']);
      expect(p.rowids).toHaveLength(3);
    });

    it('some hits but too few in the first window: a span step answers when the estimate is right', async () => {
      // beta: ~30 % of rows; a 12-row first window finds a few, the span of the estimate holds the page.
      const p = await page('beta', { channel_id: 'c-big' }, { firstWindowRows: 12, spanMaxRows: 10_000, spanMaxMatches: 10_000 }, 10);
      expect(ran.map(kind)).toEqual(['window', 'span']);
      expect(p).toMatchObject({ plan: 'window', statements: 2, matches: null });
      expect(p.rowids).toHaveLength(10);
    });

    it('a span whose rowid range holds more matches than spanMaxMatches gives way to the count', async () => {
      const p = await page('beta', { channel_id: 'c-big' }, { firstWindowRows: 12, spanMaxRows: 10_000, spanMaxMatches: 3 }, 10);
      expect(ran.map(kind).slice(0, 3)).toEqual(['window', 'span', 'count']);
      expect(p.rowids).toHaveLength(10);
    });

    it('no span step when the first window found no hit, or the estimate passes spanMaxRows', async () => {
      await page('rare', { channel_id: 'c-big' }, { firstWindowRows: 20, spanMaxRows: 10_000 });
      expect(ran.map(kind)).not.toContain('span');
      await page('beta', { channel_id: 'c-big' }, { firstWindowRows: 12, spanMaxRows: 13 }, 10);
      expect(ran.map(kind)).not.toContain('span');
    });

    it('a filter no index walks in order is counted first, only up to the threshold', async () => {
      const p = await page('alpha', { sender_type: 'ai' });
      expect(ran.map(kind)).toEqual(['count', 'match']);
      expect(p).toMatchObject({ plan: 'match', statements: 2, matches: 51 });
      expect(p.rowids).toHaveLength(5);
    });

    it('a search with no match costs one statement: the count (filter not windowable) or the window that holds the whole filter', async () => {
      expect(await page('nohitword', { sender_type: 'ai' })).toMatchObject({ rowids: [], matches: 0, statements: 1 });
      expect(ran.map(kind)).toEqual(['count']);
      expect(await page('nohitword', { channel_id: 'c-big' })).toMatchObject({ rowids: [], plan: 'window', matches: null, statements: 1 });
      expect(ran.map(kind)).toEqual(['window']);
      // A window smaller than the filter cannot answer "none": the count does.
      expect(await page('nohitword', { channel_id: 'c-big' }, { firstWindowRows: 20 })).toMatchObject({ rowids: [], plan: 'match', matches: 0, statements: 2 });
      expect(ran.map(kind)).toEqual(['window', 'count']);
    });
  });
});
