import type { Connection } from '../stores/connection.js';
import { pgDialect, searchCondition } from '../stores/pg/pg-dialect.js';
import { pgSearchPage } from '../stores/pg/pg-search.js';
import { ftsMatch, sqliteDialect } from '../stores/sqlite/sqlite-dialect.js';
import { sqliteSearchPage } from '../stores/sqlite/sqlite-search.js';
import { searchTerms } from '../services/search-terms.js';
import { READ_LIMIT, type ReadCall } from './read-calls.js';
import type { ReadScope } from './read-scope.js';

/** The plans of one search call on each backend, as text for the report. */
export interface SearchExplain {
  readonly call: string;
  /** LibSQL: the plan chosen by sqlite-search.ts, the terms' document count, and EXPLAIN QUERY PLAN of each statement it ran. */
  readonly libsql: string;
  /** EXPLAIN QUERY PLAN of the single reference statement (what SQLite's planner did before). */
  readonly libsqlReference: string;
  /** PostgreSQL: the plan chosen by pg-search.ts and EXPLAIN (ANALYZE, BUFFERS) of each statement it ran. */
  readonly postgres: string;
  /** EXPLAIN (ANALYZE, BUFFERS) of the single statement the planner was given before. */
  readonly postgresReference: string;
  /** Whether each backend's plan returned the single statement's rows in its order (on this data). */
  readonly sameAsReference: { libsql: boolean; postgres: boolean };
}

function filterOf(call: ReadCall, scope: ReadScope) {
  return call.by === 'user'
    ? { where: { user_id: scope.userId }, conds: ['m."user_id" = ?'], params: [scope.userId] }
    : { where: { channel_id: scope.channelId }, conds: ['m."channel_id" = ?'], params: [scope.channelId] };
}

async function queryPlan(conn: Connection, sql: string, params: readonly unknown[]): Promise<string> {
  const rows = await conn.query(`EXPLAIN QUERY PLAN ${sql}`, params);
  const depth = new Map<number, number>();
  return rows
    .map((r) => {
      const d = (depth.get(Number(r.parent)) ?? -1) + 1;
      depth.set(Number(r.id), d);
      return `${'  '.repeat(d)}${String(r.detail)}`;
    })
    .join('\n');
}

/** EXPLAIN of every search call on both backends (`lite`: a LibSQL connection, `pg`: a PostgreSQL one). */
export async function explainSearches(calls: readonly ReadCall[], scope: ReadScope, lite: Connection, pg: Connection): Promise<SearchExplain[]> {
  const out: SearchExplain[] = [];
  for (const call of calls) {
    if (call.searchText === undefined) continue;
    const terms = searchTerms(call.searchText);
    const f = filterOf(call, scope);
    const offset = call.offset ?? 0;
    const order = ' ORDER BY m.timestamp DESC, m.id DESC LIMIT ? OFFSET ?';
    const ran: { sql: string; params: readonly unknown[] }[] = [];
    const page = await sqliteSearchPage(
      (sql, params) => (ran.push({ sql, params }), lite.query(sql, params)),
      { terms, match: ftsMatch(terms), ...f, limit: READ_LIMIT, offset },
    );
    const plans: string[] = [`plan: ${page.plan}, ${page.statements} statement(s), matches counted (up to 20,001): ${page.matches ?? 'not counted'}`];
    for (const s of ran.filter((s) => !s.sql.startsWith('SELECT count(*)')).slice(0, 3)) plans.push(await queryPlan(lite, s.sql, s.params));
    const ref = sqliteDialect.searchFrom(terms);
    const refSql = `SELECT m.rowid AS r ${ref.sql} AND ${f.conds.join(' AND ')}${order}`;
    const refParams = [...ref.params, ...f.params, READ_LIMIT, offset];
    const liteSame = JSON.stringify((await lite.query(refSql, refParams)).map((r) => String(r.r))) === JSON.stringify(page.rowids.map(String));
    const pgRan: { sql: string; params: readonly unknown[] }[] = [];
    const pgRun = (sql: string, params: readonly unknown[]) => {
      const text = pgDialect.placeholders(sql);
      pgRan.push({ sql: text, params });
      return pg.query(text, params);
    };
    const pgPage = await pgSearchPage(pgRun, { terms, ...f, limit: READ_LIMIT, offset, cond: searchCondition(terms) });
    const pgPlans: string[] = [`plan: ${pgPage.plan === 'match' ? 'bitmap' : 'window'}, ${pgPage.statements} statement(s)`];
    for (const st of pgRan) pgPlans.push((await pg.query(`EXPLAIN (ANALYZE, BUFFERS) ${st.sql}`, st.params)).map((r) => String(r['QUERY PLAN'])).join('\n'));
    const pgFrom = pgDialect.searchFrom(terms);
    const pgRef = pgDialect.placeholders(`SELECT m.id ${pgFrom.sql} AND ${f.conds.join(' AND ')}${order}`);
    const pgRefParams = [...pgFrom.params, ...f.params, READ_LIMIT, offset];
    const pgSame = JSON.stringify((await pg.query(pgRef, pgRefParams)).map((r) => String(r.id))) === JSON.stringify(pgPage.rowids.map(String));
    const pgRows = await pg.query(`EXPLAIN (ANALYZE, BUFFERS) ${pgRef}`, pgRefParams);
    out.push({
      call: call.name,
      libsql: plans.join('\n'),
      libsqlReference: await queryPlan(lite, refSql, refParams),
      postgres: pgPlans.join('\n'),
      postgresReference: pgRows.map((r) => String(r['QUERY PLAN'])).join('\n'),
      sameAsReference: { libsql: liteSame, postgres: pgSame },
    });
  }
  return out;
}
