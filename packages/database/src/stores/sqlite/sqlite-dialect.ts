import type { ColumnSpec } from '../../schema/columns.js';
import type { Dialect, Fragment } from '../dialect.js';
import type { RecentSpec, SearchSpec } from '../store.js';

/**
 * LibSQL/SQLite dialect. The client runs with `intMode: 'bigint'` (DESIGN.md trap: the default
 * `number` mode throws above 2^53), so integers arrive as `bigint` and are narrowed here.
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
        return JSON.stringify(v);
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
        return typeof v === 'string' ? JSON.parse(v) : v;
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
    const parts: string[] = [];
    const params: unknown[] = [];
    for (const [key, value] of Object.entries(filter)) {
      const path = `$."${key.replaceAll('"', '\\"')}"`;
      if (value === null) {
        parts.push(`json_type(m.metadata, ?) = 'null'`);
        params.push(path);
      } else if (typeof value === 'boolean') {
        parts.push(`json_type(m.metadata, ?) = ?`);
        params.push(path, value ? 'true' : 'false');
      } else {
        parts.push(`json_extract(m.metadata, ?) = ? AND json_type(m.metadata, ?) = ?`);
        params.push(path, value, path, typeof value === 'string' ? 'text' : Number.isInteger(value) ? 'integer' : 'real');
      }
    }
    return { sql: parts.join(' AND ') || '1=1', params };
  },
};
