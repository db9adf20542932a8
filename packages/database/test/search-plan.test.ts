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
import { openSqlite } from '../src/stores/sqlite/sqlite-connection.js';
import { ftsMatch, sqliteDialect } from '../src/stores/sqlite/sqlite-dialect.js';
import { SEARCH_PLAN_DEFAULTS, sqliteSearchPage, windowable, type SearchPage, type SearchPlanOptions } from '../src/stores/sqlite/sqlite-search.js';
import type { Dialect } from '../src/stores/dialect.js';
import { openSqliteBackend, type TestBackend } from './helpers/backends.js';
import { FILTERS, INPUTS, PAGES, planRows } from './search-plan-data.js';

/** A store whose LibSQL search runs sqlite-search.ts with `opts`, recording each page's plan. */
function planned(conn: Awaited<ReturnType<typeof openSqlite>>, opts: SearchPlanOptions, seen: SearchPage[]): SqlStore {
  const d: Dialect = {
    ...sqliteDialect,
    searchPage: async (run, input) => {
      const page = await sqliteSearchPage(run, { ...input, match: ftsMatch(input.terms) }, opts);
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
  const expected = new Map<string, unknown[]>();
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
    'chosen, defaults': SEARCH_PLAN_DEFAULTS,
  };

  for (const [name, opts] of Object.entries(PLANS)) {
    it(`${name}: same rows, same order, for every input × filter × page`, async () => {
      const seen: SearchPage[] = [];
      const store = planned(conn, opts, seen);
      let nonEmpty = 0;
      for (const input of INPUTS) {
        const terms = searchTerms(input);
        expect(terms.length).toBeGreaterThan(0);
        for (const where of FILTERS) {
          for (const page of PAGES) {
            const spec = { terms, where, ...page };
            const key = JSON.stringify(spec);
            if (!expected.has(key)) expected.set(key, (await reference.searchMessages(spec)).map((r) => r.id));
            const want = expected.get(key)!;
            const got = (await store.searchMessages(spec)).map((r) => r.id);
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
        expect(seen.some((p) => p.plan === 'match' && p.statements === 1 && p.rowids.length > 0)).toBe(true);
        expect(seen.some((p) => p.matches === 0 && p.rowids.length === 0)).toBe(true);
      }
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

  it('counts matches only up to the threshold, and a search with no match runs no page statement', async () => {
    const ran: string[] = [];
    const run = (sql: string, p: readonly unknown[]) => (ran.push(sql), conn.query(sql, p));
    const page = await sqliteSearchPage(run, { terms: ['alpha'], match: ftsMatch(['alpha']), where: {}, conds: [], params: [], limit: 5, offset: 0 }, { ...SEARCH_PLAN_DEFAULTS, matchFirstMaxDocs: 50 });
    expect(page.matches).toBe(51);
    expect(page.plan).toBe('window');
    expect(page.rowids).toHaveLength(5);
    ran.length = 0;
    const none = await sqliteSearchPage(run, { terms: ['nohitword'], match: ftsMatch(['nohitword']), where: { channel_id: 'c-big' }, conds: ['m."channel_id" = ?'], params: ['c-big'], limit: 5, offset: 0 });
    expect(none).toMatchObject({ rowids: [], matches: 0, statements: 1 });
    expect(ran).toHaveLength(1);
  });
});
