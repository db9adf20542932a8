import type { TableName } from '../schema/tables.js';
import type { JsonContains } from './json-contains.js';

export type { JsonContains, JsonScalar } from './json-contains.js';

/** A row in its logical JS form (see `schema/columns.ts` for value types per column). */
export type Row = Record<string, unknown>;

/**
 * What a committed write did to one row: its full new state, or a delete tombstone.
 * Shadow writes, import and reconcile all apply these with a version guard
 * (docs/design.md, invariant 3), so duplicates and reordering converge.
 */
export type RowChange =
  | { readonly table: TableName; readonly op: 'upsert'; readonly row: Row }
  | { readonly table: TableName; readonly op: 'delete'; readonly id: string; readonly version: number };

/** Options of `Store.applyChanges`. */
export interface ApplyOptions {
  /** Aborts the transaction (the shadow-write deadline). */
  readonly signal?: AbortSignal;
  /**
   * Reconcile's forced mode, for making a target equal to the source of truth: an upsert also
   * replaces a row of the SAME version (`WHERE target.version <= excluded.version`, so a corrupted
   * copy with equal version is repaired, while a newer row written meanwhile still wins) and is
   * blocked only by a tombstone of a higher version; a delete removes the row whatever its version
   * (the tombstone is still recorded). Never used by shadow writes.
   */
  readonly force?: boolean;
}

/** Ordering of `find`: column and direction pairs. */
export type OrderBy = ReadonlyArray<readonly [column: string, direction: 'asc' | 'desc']>;

/**
 * A column compared with another column of the same row: `col < ltColumn`; with `orNull`, a NULL
 * `col` matches too (`col IS NULL OR col < ltColumn`, omega-bot's "needs analysis" test). Both
 * names are checked against the table spec (never interpolated unchecked).
 */
export interface ColumnLess {
  readonly ltColumn: string;
  readonly orNull?: boolean;
}

/**
 * A WHERE of `find`, `count` and `searchMessages`: each entry is a condition on one column, all
 * ANDed. A plain value means equality; `{ gte }` / `{ lte }` bound it (inclusive); `{ in }` is a
 * list of values (empty: no row matches); {@link ColumnLess} compares with another column;
 * {@link JsonContains} (JSON columns only) asks for top-level keys with given scalar values, the
 * same rows on both backends (json-contains.ts: supported shape, INVALID_INPUT otherwise).
 * `undefined` entries are ignored.
 */
export type Where = Readonly<
  Record<
    string,
    unknown | { readonly gte?: unknown; readonly lte?: unknown } | { readonly in: readonly unknown[] } | ColumnLess | JsonContains | undefined
  >
>;

/** Options of `find`. */
export interface FindOptions {
  readonly orderBy: OrderBy;
  readonly limit: number;
  /** Rows to skip after ordering (omega-bot's `offset`). Default 0. */
  readonly offset?: number | undefined;
  /** Only these columns (others absent from the returned rows). */
  readonly columns?: readonly string[] | undefined;
}

/** Options of a full-text search over messages (omega-bot's `searchText`). */
export interface SearchSpec {
  /** Tokens already extracted from user input (see `services/search-terms.ts`). Non-empty. */
  readonly terms: readonly string[];
  /** Further conditions on `messages`, as in `find` (user, channel, sender type, time range). */
  readonly where: Where;
  readonly limit: number;
  readonly offset?: number | undefined;
}

/**
 * One backend. Implemented once in `sql-store.ts` over a dialect (`sqlite/`, `pg/`); wrapped by
 * the router (`routing/routed-store.ts`), which implements this same interface.
 *
 * Writes take and return logical rows. Errors thrown: `DatabaseError` `VERSION_CONFLICT`
 * and `NOT_FOUND` from `update`; driver errors otherwise (with their SQLSTATE / SQLITE_* code).
 */
export interface Store {
  /** Which backend (for the router: 'routed'). */
  readonly kind: 'sqlite' | 'postgres' | 'routed';

  /** Inserts a full row (ids, timestamps and version set by the caller). Returns it as stored. */
  insert(table: TableName, row: Row): Promise<Row>;
  /**
   * Sets `patch` columns, `updated_at = now` (unix s) and `version = version + 1`.
   * With `expectedVersion`, only when the stored version equals it.
   * @throws DatabaseError `NOT_FOUND` (no such id), `VERSION_CONFLICT` (details.currentVersion).
   */
  update(table: TableName, id: string, patch: Row, opts: { now: number; expectedVersion?: number | undefined }): Promise<Row>;
  /** Deletes a row and records its tombstone (version + 1). Returns the tombstone, or null if absent. */
  delete(table: TableName, id: string, now: number): Promise<RowChange | null>;
  /** One row by id, or null. */
  get(table: TableName, id: string): Promise<Row | null>;
  /** Rows matching `where` (see {@link Where}), ordered, offset and limited. @throws DatabaseError `INVALID_INPUT` for an unknown column. */
  find(table: TableName, where: Where, opts: FindOptions): Promise<Row[]>;
  /** How many rows match `where`. @throws DatabaseError `INVALID_INPUT` for an unknown column. */
  count(table: TableName, where: Where): Promise<number>;
  /** The version of a deleted row's tombstone, or null when the id was never deleted. */
  tombstoneVersion(table: TableName, id: string): Promise<number | null>;
  /** Runs `fn` in one transaction; rolls back when it throws. */
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T>;

  /**
   * Applies changes in one transaction with the version guard; older or equal versions are no-ops.
   * `force` (reconcile only, see {@link ApplyOptions}) also lets an equal version win.
   */
  applyChanges(changes: readonly RowChange[], opts?: ApplyOptions): Promise<void>;

  /**
   * Full-text search over omega-bot's searched columns (message_content, tool_name, username);
   * every term must match, and every `where` condition. Newest first (timestamp, then id).
   */
  searchMessages(spec: SearchSpec): Promise<Row[]>;

  /** Round-trips `SELECT 1`. Rejects when the backend does not answer. */
  ping(): Promise<void>;
  /** Closes connections. Idempotent. */
  close(): Promise<void>;
}
