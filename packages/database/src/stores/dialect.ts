import type { ColumnSpec } from '../schema/columns.js';
import type { Row } from './store.js';
import type { ReadIssue } from './sqlite/stored-text.js';
import type { RunQuery, SearchPage, SearchPageInput } from './sqlite/sqlite-search.js';
import type { JsonScalar } from './json-contains.js';

/** A fragment of SQL with `?` placeholders and its parameters. */
export interface Fragment {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/**
 * What differs between LibSQL and PostgreSQL, and nothing else: placeholders, casts, value
 * encoding, full-text search and JSON containment. Everything else in `sql-store.ts` is shared.
 */
export interface Dialect {
  readonly name: 'sqlite' | 'postgres';
  /** Rewrites `?` placeholders into the driver's form (`$1`, `$2`… on PostgreSQL). */
  placeholders(sql: string): string;
  /** A cast after a placeholder so an `INSERT … SELECT ?` knows the column type ('' on LibSQL). */
  cast(col: ColumnSpec): string;
  /** JS value → driver parameter. */
  encode(col: ColumnSpec, value: unknown): unknown;
  /**
   * Driver value → JS value. A stored value that cannot be returned as stored (LibSQL: bytes that
   * are not UTF-8, U+0000, invalid JSON) is returned degraded and described in `issues`
   * (see sqlite/stored-text.ts); it never throws for stored data.
   */
  decode(col: ColumnSpec, value: unknown, issues?: ReadIssue[]): unknown;
  /**
   * The select expression of one column (`ref`: quoted, maybe qualified), named `col.name`, when
   * the driver cannot read every stored value as is (LibSQL: TEXT as BLOB bytes). Absent: `ref`.
   */
  selectColumn?(col: ColumnSpec, ref: string): string;
  /**
   * The condition "the JSON column `ref` (quoted, qualified) is an object holding each key with
   * exactly that scalar" (json-contains.ts; `pairs` already checked by `jsonContainsPairs`).
   */
  jsonContains(ref: string, pairs: readonly [string, JsonScalar][]): Fragment;
  /** `FROM … WHERE <match>` of a full-text search for `terms`, all required (alias `m` for messages). */
  searchFrom(terms: readonly string[]): Fragment;
  /**
   * The rowids of a search page (`searchFrom`'s rows with the filter, ordered `timestamp DESC, id
   * DESC`, offset and limited), found by a plan of the dialect's own (sqlite/sqlite-search.ts
   * and pg/pg-search.ts) instead of one statement. Absent: `searchFrom` in one statement.
   */
  searchPage?(run: RunQuery, input: Omit<SearchPageInput, 'match'>): Promise<SearchPage>;
  /**
   * Multi-row writes: a FROM item that turns ONE parameter into rows of `table` (alias `r`,
   * columns typed as the table's), and the encoder of that parameter. Absent (LibSQL, where a
   * statement costs no round trip): `applyChanges` writes one statement per row.
   */
  readonly rowSet?: {
    /** `FROM` item with one `?` placeholder, e.g. `json_populate_recordset(NULL::"t", ?::text::json) r`. */
    from(table: string): string;
    /** Rows (logical values, defaults filled) → the one parameter. */
    encode(columns: readonly ColumnSpec[], rows: readonly Row[]): unknown;
  };
}
