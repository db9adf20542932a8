import type { ColumnSpec } from '../../schema/columns.js';
import type { Dialect, Fragment } from '../dialect.js';
import type { RecentSpec, SearchSpec } from '../store.js';
import { parseJsonExact, stringifyJsonExact } from '../../json-exact.js';

/**
 * LibSQL/SQLite dialect. The client runs with `intMode: 'bigint'` (DESIGN.md trap: the default
 * `number` mode throws above 2^53), so integers arrive as `bigint` and are narrowed here. JSON
 * text is parsed and written with exact integers (json-exact.ts).
 */
export const sqliteDialect: Dialect = {
  name: 'sqlite',
  placeholders: (sql) => sql,
  cast: () => '',
  encode(col: ColumnSpec, v: unknown): unknown {
    if (v === undefined || v === null) return null;
    switch (col.type) {
      case 'bool':
        return v ? 1 : 0;
      case 'json':
        return stringifyJsonExact(v);
      case 'bigint':
        return BigInt(v as string);
      default:
        return v;
    }
  },
  decode(col: ColumnSpec, v: unknown): unknown {
    if (v === null || v === undefined) return null;
    switch (col.type) {
      case 'int':
      case 'timestamp':
        return Number(v);
      case 'bigint':
        return String(v);
      case 'bool':
        return Number(v) !== 0;
      case 'real':
        return Number(v);
      case 'json':
        return typeof v === 'string' ? parseJsonExact(v) : v;
      default:
        return typeof v === 'string' ? v : String(v);
    }
  },
  searchFrom(spec: SearchSpec): Fragment {
    // Each term is a quoted FTS5 string, so `"`, `-`, NOT, col:x are plain text (FTS5 docs §3.1).
    const match = spec.terms.map((t) => `"${t.replaceAll('"', '""')}"`).join(' ');
    const where = ['messages_fts MATCH ?'];
    const params: unknown[] = [match];
    if (spec.userId !== undefined) (where.push('m.user_id = ?'), params.push(spec.userId));
    if (spec.channelId !== undefined) (where.push('m.channel_id = ?'), params.push(spec.channelId));
    return { sql: `FROM messages_fts f JOIN messages m ON m.rowid = f.rowid WHERE ${where.join(' AND ')}`, params };
  },
  metadataContains(filter): Fragment {
    // json_each compares raw keys, so any key works (a JSON path such as `$."a\"b"` cannot
    // express every key). Types are compared as PostgreSQL's `@>` does: 2 is not '2' nor true,
    // and integers equal reals of the same value.
    const parts: string[] = [];
    const params: unknown[] = [];
    for (const [key, value] of Object.entries(filter)) {
      let test: string;
      if (value === null) test = `j.type = 'null'`;
      else if (typeof value === 'boolean') test = value ? `j.type = 'true'` : `j.type = 'false'`;
      else if (typeof value === 'number') test = `j.type IN ('integer', 'real') AND j.atom = ?`;
      else test = `j.type = 'text' AND j.atom = ?`;
      parts.push(`EXISTS (SELECT 1 FROM json_each(m.metadata) j WHERE j.key = ? AND ${test})`);
      params.push(key);
      if (value !== null && typeof value !== 'boolean') params.push(value);
    }
    return { sql: parts.join(' AND ') || '1=1', params };
  },
};
