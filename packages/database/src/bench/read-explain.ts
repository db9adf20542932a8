import type { Connection } from '../stores/connection.js';
import { pgDialect } from '../stores/pg/pg-dialect.js';
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
  /** PostgreSQL: EXPLAIN (ANALYZE) of the statement `searchMessages` runs. */
  readonly postgres: string;
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
    const refSql = `SELECT m.rowid ${ref.sql} AND ${f.conds.join(' AND ')}${order}`;
    const pgFrom = pgDialect.searchFrom(terms);
    const pgSql = pgDialect.placeholders(`EXPLAIN (ANALYZE, BUFFERS) SELECT m.* ${pgFrom.sql} AND ${f.conds.join(' AND ')}${order}`);
    const pgRows = await pg.query(pgSql, [...pgFrom.params, ...f.params, READ_LIMIT, offset]);
    out.push({
      call: call.name,
      libsql: plans.join('\n'),
      libsqlReference: await queryPlan(lite, refSql, [...ref.params, ...f.params, READ_LIMIT, offset]),
      postgres: pgRows.map((r) => String(r['QUERY PLAN'])).join('\n'),
    });
  }
  return out;
}
