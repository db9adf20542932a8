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
 * | millis    | number, unix **ms** | INTEGER              | bigint            |
 * | bool      | boolean             | INTEGER 0/1          | boolean           |
 * | real      | number              | REAL                 | double precision  |
 * | json      | any JSON value      | TEXT holding JSON    | jsonb             |
 *
 * `bigint` values travel as strings so integers beyond 2^53 (chat platform snowflakes,
 * 2^63−1) stay exact in JSON, logs and NDJSON files.
 */
export type LogicalType = 'id' | 'text' | 'int' | 'bigint' | 'timestamp' | 'millis' | 'bool' | 'real' | 'json';

/** One column of a table spec. `name` is the SQL (snake_case) name on both backends. */
export interface ColumnSpec {
  readonly name: string;
  readonly type: LogicalType;
  /** NOT NULL on both backends. Default false. */
  readonly notNull?: boolean;
  /** Value written when a create leaves the column out (a JS value, never a SQL default). */
  readonly default?: unknown;
  /**
   * The product's own bookkeeping, not a column of omega-bot's layout: `adopt` adds it to a legacy
   * file (`ALTER TABLE … ADD COLUMN`, with {@link ColumnSpec.sqlDefault}), and the legacy
   * checksums that `adopt` prints before and after leave it out.
   */
  readonly added?: boolean;
  /** A constant SQL default on both backends (only for {@link ColumnSpec.added} columns, so rows the old bot inserts get it). */
  readonly sqlDefault?: number;
}

/** Helpers that keep table specs one line per column. */
export const col = {
  id: (name: string): ColumnSpec => ({ name, type: 'id', notNull: true }),
  text: (name: string, notNull = false, dflt?: string): ColumnSpec => ({ name, type: 'text', notNull, default: dflt }),
  int: (name: string, notNull = false, dflt?: number): ColumnSpec => ({ name, type: 'int', notNull, default: dflt }),
  bigint: (name: string): ColumnSpec => ({ name, type: 'bigint' }),
  timestamp: (name: string, notNull = false): ColumnSpec => ({ name, type: 'timestamp', notNull }),
  millis: (name: string, notNull = false): ColumnSpec => ({ name, type: 'millis', notNull }),
  bool: (name: string, notNull = false, dflt?: boolean): ColumnSpec => ({ name, type: 'bool', notNull, default: dflt }),
  real: (name: string, notNull = false, dflt?: number): ColumnSpec => ({ name, type: 'real', notNull, default: dflt }),
  json: (name: string, notNull = false, dflt?: unknown): ColumnSpec => ({ name, type: 'json', notNull, default: dflt }),
};

/**
 * The product's bookkeeping on every table (docs/design.md, invariants 2 and 3): `version`, which
 * every change increments and every shadow write, import and reconcile is guarded by. Added with
 * `DEFAULT 1`, so a row the old bot inserts after adoption starts at version 1.
 */
export const versionColumn: ColumnSpec = { name: 'version', type: 'int', notNull: true, default: 1, added: true, sqlDefault: 1 };

/** `updated_at` (unix s) where omega-bot's table has none; NULL on rows the old bot wrote (never updated). */
export const addedUpdatedAt: ColumnSpec = { name: 'updated_at', type: 'timestamp', added: true };
