import type { TableName } from '../schema/tables.js';

/** A row in its logical JS form (see `schema/columns.ts` for value types per column). */
export type Row = Record<string, unknown>;

/**
 * What a committed write did to one row: its full new state, or a delete tombstone.
 * Shadow writes, import and reconcile all apply these with a version guard
 * (DESIGN.md invariant 3), so duplicates and reordering converge.
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

/** Options of a full-text search. Scoping by user and/or channel is applied in SQL. */
export interface SearchSpec {
  /** Tokens already extracted from user input (see `services/search-terms.ts`). Non-empty. */
  readonly terms: readonly string[];
  readonly userId?: string | undefined;
  readonly channelId?: string | undefined;
  readonly limit: number;
}

/** Options of `recentMessages`. At least one of `channelId`/`userId`. */
export interface RecentSpec {
  readonly channelId?: string | undefined;
  readonly userId?: string | undefined;
  /** Flat containment filter: `{ topic: 'billing' }` matches rows whose metadata has that key/value. */
  readonly metadata?: Readonly<Record<string, string | number | boolean | null>> | undefined;
  readonly limit: number;
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
  /** Rows matching every `where` equality, ordered and limited. */
  find(table: TableName, where: Readonly<Row>, opts: { orderBy: OrderBy; limit: number; columns?: readonly string[] }): Promise<Row[]>;
  /** The version of a deleted row's tombstone, or null when the id was never deleted. */
  tombstoneVersion(table: TableName, id: string): Promise<number | null>;
  /** Runs `fn` in one transaction; rolls back when it throws. */
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T>;

  /**
   * Applies changes in one transaction with the version guard; older or equal versions are no-ops.
   * `force` (reconcile only, see {@link ApplyOptions}) also lets an equal version win.
   */
  applyChanges(changes: readonly RowChange[], opts?: ApplyOptions): Promise<void>;

  /** Messages newest first (timestamp, then id), scoped to a channel and/or a user. */
  recentMessages(spec: RecentSpec): Promise<Row[]>;
  /** Full-text search over message content; every term must match. Newest first. */
  searchMessages(spec: SearchSpec): Promise<Row[]>;
  /** Documents the user owns or collaborates on, most recently updated first. */
  listDocumentsForUser(userId: string, limit: number): Promise<Row[]>;

  /** Round-trips `SELECT 1`. Rejects when the backend does not answer. */
  ping(): Promise<void>;
  /** Closes connections. Idempotent. */
  close(): Promise<void>;
}
