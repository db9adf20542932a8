import type { ColumnSpec } from '../../schema/columns.js';
import { pgJsonContains } from '../json-contains.js';
import type { Dialect, Fragment } from '../dialect.js';
import type { Row } from '../store.js';
import { q } from '../table-sql.js';
import { stringifyJsonExact } from '../../json-exact.js';
import { termForms } from '../../services/search-terms.js';
import { pgSearchPage } from './pg-search.js';

const PG_TYPES: Record<ColumnSpec['type'], string> = {
  id: 'text',
  text: 'text',
  int: 'integer',
  bigint: 'bigint',
  timestamp: 'bigint',
  millis: 'bigint',
  bool: 'boolean',
  real: 'double precision',
  json: 'jsonb',
};

/**
 * The full-text condition on alias `m` for `terms`, all required. plainto_tsquery never raises on
 * any input (unlike to_tsquery); terms are pre-tokenised. A term with a decomposed form matches
 * either form (search-terms.ts termForms).
 */
export function searchCondition(terms: readonly string[]): Fragment {
  const single = terms.filter((t) => termForms(t).length === 1);
  const parts = single.length ? [`plainto_tsquery('simple', ?)`] : [];
  const params: string[] = single.length ? [single.join(' ')] : [];
  for (const t of terms) {
    const forms = termForms(t);
    if (forms.length === 1) continue;
    parts.push(`(${forms.map(() => `plainto_tsquery('simple', ?)`).join(' || ')})`);
    params.push(...forms);
  }
  return { sql: `m.search_vector @@ (${parts.join(' && ')})`, params };
}

/**
 * PostgreSQL dialect (postgres.js). JSON travels as text cast to jsonb (`?::text::jsonb`: every
 * statement that binds a JSON value uses `cast`); int8 arrives as a string (postgres.js default)
 * and is narrowed here for `timestamp` columns.
 */
export const pgDialect: Dialect = {
  name: 'postgres',
  placeholders(sql: string): string {
    let i = 0;
    return sql.replace(/\?/g, () => `$${++i}`);
  },
  // JSON travels as text: a parameter the server types as jsonb would be JSON.stringify'd a second
  // time by postgres.js (its jsonb serializer), storing a jsonb *string*. `$n::text::jsonb` types it text.
  cast: (col) => (col.type === 'json' ? '::text::jsonb' : `::${PG_TYPES[col.type]}`),
  encode(col: ColumnSpec, v: unknown): unknown {
    if (v === undefined || v === null) return null;
    if (col.type === 'json') return stringifyJsonExact(v);
    if (col.type === 'bigint') return String(v);
    return v;
  },
  decode(col: ColumnSpec, v: unknown): unknown {
    if (v === null || v === undefined) return null;
    switch (col.type) {
      case 'int':
      case 'timestamp':
      case 'millis':
      case 'real':
        return Number(v);
      case 'bigint':
        return String(v);
      default:
        return v;
    }
  },
  searchFrom(terms: readonly string[]): Fragment {
    const c = searchCondition(terms);
    return { sql: `FROM messages m WHERE ${c.sql}`, params: c.params };
  },
  // The planner's single statement misjudges words common but rarely together in the filter (pg-search.ts).
  jsonContains: pgJsonContains,
  searchPage: (run, input) => pgSearchPage(run, { ...input, cond: searchCondition(input.terms) }),
  rowSet: {
    // json_populate_recordset reads each field with its column type's input function, so bigint
    // strings stay exact and a nested JSON value lands in a jsonb column as is (PostgreSQL docs,
    // "JSON Processing Functions"). One text parameter: one JSON.stringify in the client instead
    // of one bind per value, and one statement text per table whatever the row count.
    from: (table) => `json_populate_recordset(NULL::${q(table)}, ?::text::json) r`,
    encode: (columns, rows) => stringifyJsonExact(rows.map((row) => jsonRecord(columns, row))),
  },
};

/** One row as a JSON record for {@link pgDialect.rowSet}: non-finite reals as PostgreSQL's float8 spellings. */
function jsonRecord(columns: readonly ColumnSpec[], row: Row): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of columns) {
    let v = row[c.name];
    if (v === undefined) v = c.default ?? null;
    // JSON has no NaN/Infinity (JSON.stringify writes null); float8in reads these strings.
    if (c.type === 'real' && typeof v === 'number' && !Number.isFinite(v)) v = Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
    else if (c.type === 'bigint' && v !== null) v = String(v);
    else if (c.type === 'bool' && typeof v === 'number') v = v !== 0;
    out[c.name] = v;
  }
  return out;
}
