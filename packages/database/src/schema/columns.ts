/**
 * Logical column types: the one vocabulary both dialects are generated from.
 *
 * | logical   | JS value            | LibSQL/SQLite        | PostgreSQL        |
 * |-----------|---------------------|----------------------|-------------------|
 * | id        | string (UUID)       | TEXT                 | text              |
 * | text      | string              | TEXT                 | text              |
 * | int       | number (safe int)   | INTEGER              | integer           |
 * | bigint    | string of digits    | INTEGER (exact)      | bigint            |
 * | timestamp | number, unix **s**  | INTEGER              | bigint            |
 * | bool      | boolean             | INTEGER 0/1          | boolean           |
 * | real      | number              | REAL                 | double precision  |
 * | json      | any JSON value      | TEXT holding JSON    | jsonb             |
 *
 * `bigint` values travel as strings so integers beyond 2^53 (chat platform snowflakes,
 * 2^63−1) stay exact in JSON, logs and NDJSON files.
 */
export type LogicalType = 'id' | 'text' | 'int' | 'bigint' | 'timestamp' | 'bool' | 'real' | 'json';

/** One column of a table spec. `name` is the SQL (snake_case) name on both backends. */
export interface ColumnSpec {
  readonly name: string;
  readonly type: LogicalType;
  /** NOT NULL on both backends. Default false. */
  readonly notNull?: boolean;
  /** Value written when a create leaves the column out (a JS value, never a SQL default). */
  readonly default?: unknown;
}

/** Helpers that keep table specs one line per column. */
export const col = {
  id: (name: string): ColumnSpec => ({ name, type: 'id', notNull: true }),
  text: (name: string, notNull = false, dflt?: string): ColumnSpec => ({ name, type: 'text', notNull, default: dflt }),
  int: (name: string, notNull = false, dflt?: number): ColumnSpec => ({ name, type: 'int', notNull, default: dflt }),
  bigint: (name: string): ColumnSpec => ({ name, type: 'bigint' }),
  timestamp: (name: string, notNull = true): ColumnSpec => ({ name, type: 'timestamp', notNull }),
  bool: (name: string, notNull = false, dflt?: boolean): ColumnSpec => ({ name, type: 'bool', notNull, default: dflt }),
  real: (name: string, notNull = false, dflt?: number): ColumnSpec => ({ name, type: 'real', notNull, default: dflt }),
  json: (name: string, notNull = false, dflt?: unknown): ColumnSpec => ({ name, type: 'json', notNull, default: dflt }),
};

/** Columns every table carries (DESIGN.md invariants 2 and 3). */
export const rowMetaColumns: readonly ColumnSpec[] = [
  col.timestamp('created_at'),
  col.timestamp('updated_at'),
  col.int('version', true, 1),
];
