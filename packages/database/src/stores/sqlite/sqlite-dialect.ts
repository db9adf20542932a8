import type { ColumnSpec } from '../../schema/columns.js';
import type { Dialect, Fragment } from '../dialect.js';
import { parseJsonExact, stringifyJsonExact } from '../../json-exact.js';

/**
 * LibSQL/SQLite dialect. The client runs with `intMode: 'bigint'` (docs/design.md trap: the default
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
      case 'millis':
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
  searchFrom(terms: readonly string[]): Fragment {
    // Each term is a quoted FTS5 string, so `"`, `-`, NOT, col:x are plain text (FTS5 docs §3.1).
    const match = terms.map((t) => `"${t.replaceAll('"', '""')}"`).join(' ');
    return { sql: `FROM messages_fts f JOIN messages m ON m.rowid = f.rowid WHERE messages_fts MATCH ?`, params: [match] };
  },
};
