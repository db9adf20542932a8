import { tableNames, type TableName } from '../schema/tables.js';
import type { Row, RowChange } from './store.js';

/** Rows per multi-row statement at most (bounds the one parameter's size and the statement's work). */
export const MAX_ROWS_PER_STATEMENT = 500;

/** One statement's worth of a {@link planChanges} plan. */
export type PlanStep =
  | { readonly kind: 'upserts'; readonly table: TableName; readonly rows: readonly Row[] }
  | { readonly kind: 'delete'; readonly change: Extract<RowChange, { op: 'delete' }> };

const versionOf = (c: RowChange): number => (c.op === 'upsert' ? Number(c.row.version) : c.version);

/**
 * Orders a batch of row changes for multi-row statements, with the same end state as applying
 * them one by one under the version guard (docs/design.md invariant 3):
 * - per row (table + id) only the upsert of the highest version is kept, and only the delete of
 *   the highest version: the guard would have made every lower one a no-op;
 * - upserts are grouped per table in foreign-key order (parents first, `tableNames`), at most
 *   {@link MAX_ROWS_PER_STATEMENT} rows per step;
 * - deletes follow, in their original order (children's rows go by ON DELETE CASCADE). Upserting
 *   first is safe: a delete of a higher version still removes the row, one of a lower version
 *   (a row re-created after its tombstone) leaves it and still records its tombstone.
 */
export function planChanges(changes: readonly RowChange[]): PlanStep[] {
  const latest = new Map<string, RowChange>();
  for (const c of changes) {
    const key = `${c.op}\u0000${c.table}\u0000${c.op === 'upsert' ? String(c.row.id) : c.id}`;
    const seen = latest.get(key);
    if (!seen || versionOf(c) > versionOf(seen)) latest.set(key, c);
  }
  const byTable = new Map<TableName, Row[]>();
  const deletes: PlanStep[] = [];
  for (const c of latest.values()) {
    if (c.op === 'delete') deletes.push({ kind: 'delete', change: c });
    else {
      const rows = byTable.get(c.table);
      if (rows) rows.push(c.row);
      else byTable.set(c.table, [c.row]);
    }
  }
  const steps: PlanStep[] = [];
  for (const table of tableNames) {
    const rows = byTable.get(table);
    if (!rows) continue;
    for (let i = 0; i < rows.length; i += MAX_ROWS_PER_STATEMENT) steps.push({ kind: 'upserts', table, rows: rows.slice(i, i + MAX_ROWS_PER_STATEMENT) });
  }
  return [...steps, ...deletes];
}
