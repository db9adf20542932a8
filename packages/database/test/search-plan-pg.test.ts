/**
 * PostgreSQL search plans (src/stores/pg/pg-search.ts): the newest-rows window and the bitmap
 * statement return exactly the rows, in the order, of the single statement the planner was given
 * before (`pgDialect.searchFrom`), for every filter shape, page and hostile input of
 * test/search-plan-data.ts; and the window gives way to the bitmap when its hits are too few.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchTerms } from '../src/services/search-terms.js';
import { SqlStore } from '../src/stores/sql-store.js';
import { pgDialect, searchCondition } from '../src/stores/pg/pg-dialect.js';
import { PG_SEARCH_PLAN_DEFAULTS, pgSearchPage, type PgSearchPlanOptions } from '../src/stores/pg/pg-search.js';
import type { SearchPage } from '../src/stores/sqlite/sqlite-search.js';
import type { Dialect } from '../src/stores/dialect.js';
import { PgConnection } from '../src/stores/pg/pg-connection.js';
import { openPostgresBackend, type TestBackend } from './helpers/backends.js';
import { FILTERS, INPUTS, PAGES, planRows } from './search-plan-data.js';

describe('PostgreSQL search plans return what the single statement returns', () => {
  let pg: TestBackend;
  let conn: PgConnection;
  let reference: SqlStore;
  const expected = new Map<string, unknown[]>();
  beforeAll(async () => {
    pg = await openPostgresBackend();
    await pg.store.applyChanges(planRows().map((row) => ({ table: 'messages' as const, op: 'upsert' as const, row })));
    conn = new PgConnection({ url: pg.url, max: 2 });
    const { searchPage: _ignored, ...plain } = pgDialect;
    reference = new SqlStore(conn, plain, async () => {});
  });
  afterAll(async () => {
    await conn?.close();
    await pg?.cleanup();
  });

  const PLANS: Record<string, PgSearchPlanOptions> = {
    'bitmap (forced)': { ...PG_SEARCH_PLAN_DEFAULTS, force: 'bitmap' },
    'windows growing to the whole filter (forced)': { windowRows: 3, force: 'window' },
    'chosen, a small window (window, else bitmap)': { windowRows: 10 },
    'chosen, a small window then a second one when the hits say it suffices': { windowRows: 10, maxWindowRows: 200 },
    'chosen, defaults': PG_SEARCH_PLAN_DEFAULTS,
  };

  for (const [name, opts] of Object.entries(PLANS)) {
    it(`${name}: same rows, same order, for every input × filter × page`, async () => {
      const seen: SearchPage[] = [];
      const d: Dialect = {
        ...pgDialect,
        searchPage: async (run, input) => {
          const page = await pgSearchPage(run, { ...input, cond: searchCondition(input.terms) }, opts);
          seen.push(page);
          return page;
        },
      };
      const store = new SqlStore(conn, d, async () => {});
      let nonEmpty = 0;
      for (const input of INPUTS) {
        const terms = searchTerms(input);
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
      expect(nonEmpty).toBeGreaterThan(INPUTS.length * FILTERS.length * PAGES.length * 0.3);
      const plans = new Set(seen.map((p) => p.plan));
      if (opts.force === 'bitmap') expect([...plans]).toEqual(['match']);
      if (opts.force === 'window') expect(seen.filter((p) => p.plan === 'window').length).toBeGreaterThan(seen.length / 2);
      if (!opts.force && opts.windowRows === 10) {
        // A window that answered (1 statement) and one that gave way to the bitmap (2).
        expect(seen.some((p) => p.plan === 'window' && p.statements === 1)).toBe(true);
        expect(seen.some((p) => p.plan === 'match' && p.statements === 2)).toBe(true);
      }
      if (!opts.force && opts.maxWindowRows === 200) {
        // A second window that answered, a second window that gave way to the bitmap (3 statements),
        // and a first window whose hits said the second would not do (straight to the bitmap).
        expect(seen.some((p) => p.plan === 'window' && p.statements === 2)).toBe(true);
        expect(seen.some((p) => p.plan === 'match' && p.statements === 3)).toBe(true);
        expect(seen.some((p) => p.plan === 'match' && p.statements === 2)).toBe(true);
        expect(seen.every((p) => p.statements <= 3)).toBe(true);
      }
    });
  }
});
