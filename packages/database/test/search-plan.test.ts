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
import type { Row, Where } from '../src/stores/store.js';
import { openSqliteBackend, type TestBackend } from './helpers/backends.js';
import { messageRow } from './helpers/rows.js';

const N = 1500;
const T = 1_700_000_000_000;

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function rows(): Row[] {
  const r = rng(15);
  const out: Row[] = [];
  for (let i = 0; i < N; i++) {
    const channel = r() < 0.6 ? 'c-big' : r() < 0.7 ? 'c-mid' : 'c-small';
    const words: string[] = [];
    if (r() < 0.6) words.push('alpha');
    if (r() < 0.3) words.push('beta');
    // gamma and delta: each common, together rarely.
    const g = r();
    if (g < 0.25) words.push('gamma');
    else if (g < 0.5) words.push('delta');
    else if (g < 0.505) words.push('gamma delta');
    if (r() < 0.01) words.push('rare');
    if (channel === 'c-big' && r() < 0.5) words.push('zeta'); // common overall, absent from other channels
    if (r() < 0.02) words.push(r() < 0.5 ? 'café' : 'cafe\u0301'); // NFC and NFD forms
    if (r() < 0.02) words.push('"quoted" NOT -minus col:x (paren) star*');
    words.push(`w${i % 37}`);
    // Insertion order is not time order (a third of the rows come from the past) and timestamps tie.
    const ts = r() < 0.33 ? T + Math.floor(r() * N) * 10 : T + Math.floor(i / 3) * 10;
    out.push(
      messageRow({
        timestamp: ts,
        channel_id: channel,
        user_id: `u${Math.floor(r() * 5)}`,
        username: r() < 0.1 ? 'alpha_user' : 'ada',
        sender_type: r() < 0.5 ? 'human' : r() < 0.5 ? 'ai' : 'tool',
        tool_name: r() < 0.05 ? 'beta_tool' : null,
        message_content: words.join(' ').replace(/\s+/g, r() < 0.5 ? ' ' : ', '),
      }),
    );
  }
  return out;
}

const INPUTS = [
  'alpha',
  'beta',
  'alpha beta',
  'gamma delta',
  'rare',
  'zeta',
  'zeta alpha',
  'nohitword',
  '"alpha beta"',
  'café',
  'NOT alpha -beta col:x',
  'star* (paren)',
  'alpha_user',
  'beta_tool',
  '"quoted',
];

const FILTERS: Where[] = [
  {},
  { channel_id: 'c-big' },
  { channel_id: 'c-small' },
  { user_id: 'u1' },
  { sender_type: 'ai' },
  { timestamp: { gte: T + 2000, lte: T + 9000 } },
  { channel_id: 'c-big', timestamp: { gte: T + 3000 } },
  { user_id: 'u2', sender_type: 'human' },
  { channel_id: { in: ['c-mid', 'c-small'] } },
  { channel_id: 'c-big', user_id: 'u3' },
  { channel_id: 'c-none', timestamp: { lte: T + 100 } },
];

const PAGES = [
  { limit: 20, offset: 0 },
  { limit: 5, offset: 37 },
  { limit: 1000, offset: 400 },
];

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
    await lite.store.applyChanges(rows().map((row) => ({ table: 'messages' as const, op: 'upsert' as const, row })));
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
        expect(seen.some((p) => p.plan === 'match' && p.statements === 2)).toBe(true);
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
