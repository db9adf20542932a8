import type { ColumnSpec } from '../../schema/columns.js';
import type { Dialect, Fragment } from '../dialect.js';
import type { SearchSpec } from '../store.js';

const PG_TYPES: Record<ColumnSpec['type'], string> = {
  id: 'text',
  text: 'text',
  int: 'integer',
  bigint: 'bigint',
  timestamp: 'bigint',
  bool: 'boolean',
  real: 'double precision',
  json: 'jsonb',
};

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
    if (col.type === 'json') return JSON.stringify(v);
    if (col.type === 'bigint') return String(v);
    return v;
  },
  decode(col: ColumnSpec, v: unknown): unknown {
    if (v === null || v === undefined) return null;
    switch (col.type) {
      case 'int':
      case 'timestamp':
      case 'real':
        return Number(v);
      case 'bigint':
        return String(v);
      default:
        return v;
    }
  },
  searchFrom(spec: SearchSpec): Fragment {
    // plainto_tsquery never raises on any input (unlike to_tsquery); terms are pre-tokenised.
    const where = [`m.search_vector @@ plainto_tsquery('simple', ?)`];
    const params: unknown[] = [spec.terms.join(' ')];
    if (spec.userId !== undefined) (where.push('m.user_id = ?'), params.push(spec.userId));
    if (spec.channelId !== undefined) (where.push('m.channel_id = ?'), params.push(spec.channelId));
    return { sql: `FROM messages m WHERE ${where.join(' AND ')}`, params };
  },
  metadataContains(filter): Fragment {
    return { sql: `m.metadata @> ?::text::jsonb`, params: [JSON.stringify(filter)] };
  },
};
