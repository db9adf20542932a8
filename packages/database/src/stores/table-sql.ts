import type { ColumnSpec } from '../schema/columns.js';
import { TOMBSTONES_TABLE, tables, type TableName } from '../schema/tables.js';
import type { Dialect } from './dialect.js';
import type { Row } from './store.js';
import type { ReadIssue } from './sqlite/stored-text.js';

/** Called by {@link TableSql.decodeRow} when values of one row could not be returned as stored. */
export type ReadIssueSink = (table: TableName, id: unknown, issues: readonly ReadIssue[]) => void;

/** A column as selected: through the dialect's safe select when it has one. @internal */
export function selectColumn(dialect: Dialect, c: ColumnSpec, ref: string): string {
  return dialect.selectColumn ? dialect.selectColumn(c, ref) : ref;
}

/**
 * Decodes one column; a value whose decoding throws is degraded to null and reported (one bad
 * stored value never fails the read of its row or of the other rows). @internal
 */
export function decodeValue(dialect: Dialect, c: ColumnSpec, v: unknown, issues: ReadIssue[]): unknown {
  try {
    return dialect.decode(c, v, issues);
  } catch (e) {
    issues.push({ column: c.name, reason: 'decode_error', detail: `${e instanceof Error ? e.message : String(e)} → null` });
    return null;
  }
}

/** Quotes an identifier that comes from the table specs (never from user input). */
export const q = (name: string): string => `"${name}"`;

/** Prepared SQL text and codecs of one table in one dialect. @internal */
export interface TableSql {
  readonly columns: readonly ColumnSpec[];
  readonly byName: ReadonlyMap<string, ColumnSpec>;
  readonly selectList: string;
  /** Unqualified column list for RETURNING (SQLite forbids qualified names there). */
  readonly returnList: string;
  readonly insert: string;
  /** Version-guarded upsert of one row; params = row values then (table, id, version) for the tombstone check. */
  readonly guardedUpsert: string;
  /**
   * Reconcile's forced upsert (same params): also replaces a row of EQUAL version (same version,
   * different content: a corrupted copy), and only a tombstone of a HIGHER version blocks it.
   */
  readonly forcedUpsert: string;
  /**
   * The same two upserts over many rows at once (params: the dialect's one row-set parameter, then
   * the table name), or null when the dialect has no {@link Dialect.rowSet}. A row set must not hold
   * one id twice (PostgreSQL: "ON CONFLICT DO UPDATE command cannot affect row a second time").
   */
  readonly bulk: { readonly guarded: string; readonly forced: string } | null;
  encodeRow(row: Row): unknown[];
  /** A selected row → logical values; values that cannot be returned as stored are degraded and passed to `onIssues` with the row id. */
  decodeRow(raw: Record<string, unknown>, onIssues?: ReadIssueSink): Row;
}

const cache = new Map<string, TableSql>();

/** The SQL and codecs of `table` for `dialect`, built once. @internal */
export function tableSql(dialect: Dialect, table: TableName): TableSql {
  const key = `${dialect.name}:${table}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const columns = tables[table].columns;
  const names = columns.map((c) => q(c.name)).join(', ');
  const casted = columns.map((c) => `?${dialect.cast(c)}`).join(', ');
  const updates = columns
    .filter((c) => c.name !== 'id')
    .map((c) => `${q(c.name)} = excluded.${q(c.name)}`)
    .join(', ');
  const conflict = (guard: '>=' | '>', replace: '<' | '<=') =>
    `NOT EXISTS (SELECT 1 FROM ${q(TOMBSTONES_TABLE)} t WHERE t.table_name = ? AND t.id = %ID% AND t.version ${guard} %VERSION%) ` +
    `ON CONFLICT (id) DO UPDATE SET ${updates} WHERE ${q(table)}.version ${replace} excluded.version`;
  const single = (guard: '>=' | '>', replace: '<' | '<=') =>
    dialect.placeholders(`INSERT INTO ${q(table)} (${names}) SELECT ${casted} WHERE ` + conflict(guard, replace).replace('%ID%', '?').replace('%VERSION%', '?'));
  const rowSet = dialect.rowSet;
  const bulk = (guard: '>=' | '>', replace: '<' | '<=') =>
    dialect.placeholders(
      `INSERT INTO ${q(table)} (${names}) SELECT ${columns.map((c) => `r.${q(c.name)}`).join(', ')} FROM ${rowSet!.from(table)} WHERE ` +
        conflict(guard, replace).replace('%ID%', 'r.id').replace('%VERSION%', 'r.version'),
    );
  const built: TableSql = {
    columns,
    byName: new Map(columns.map((c) => [c.name, c])),
    selectList: columns.map((c) => selectColumn(dialect, c, `m.${q(c.name)}`)).join(', '),
    returnList: columns.map((c) => selectColumn(dialect, c, q(c.name))).join(', '),
    insert: dialect.placeholders(`INSERT INTO ${q(table)} (${names}) VALUES (${casted})`),
    guardedUpsert: single('>=', '<'),
    forcedUpsert: single('>', '<='),
    bulk: rowSet ? { guarded: bulk('>=', '<'), forced: bulk('>', '<=') } : null,
    encodeRow: (row) => columns.map((c) => dialect.encode(c, row[c.name] === undefined ? c.default ?? null : row[c.name])),
    decodeRow: (raw, onIssues) => {
      const out: Row = {};
      const issues: ReadIssue[] = [];
      for (const c of columns) out[c.name] = decodeValue(dialect, c, raw[c.name], issues);
      if (issues.length) onIssues?.(table, out.id ?? null, issues);
      return out;
    },
  };
  cache.set(key, built);
  return built;
}
