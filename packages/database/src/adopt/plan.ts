/**
 * The adoption plan: every change adopt makes to a legacy file, each with its SQL, built from the
 * same specs and DDL functions as the committed migration (src/schema/sqlite-ddl.ts), so an
 * adopted file and a migrated one have the same layout. Only additive statements: `ALTER TABLE …
 * ADD COLUMN` with a constant default (or none), `CREATE TABLE / INDEX`, the FTS index dropped and
 * rebuilt from `messages` (derived data), and drizzle's journal stamp. No legacy column is renamed,
 * rewritten or dropped, so omega-bot's own code still runs on the adopted file.
 */
import { DatabaseError } from '../errors.js';
import type { ColumnSpec } from '../schema/columns.js';
import { SQLITE_FTS, SQLITE_FTS_DROP, SQLITE_FTS_REBUILD, SQLITE_TOMBSTONES, sqliteColumnDef, sqliteCreateIndex, sqliteCreateTable } from '../schema/sqlite-ddl.js';
import { tables, TOMBSTONES_TABLE, type IndexSpec, type TableName } from '../schema/tables.js';
import { journal } from '../transfer/source/migration-status.js';
import type { DetectedLayout } from './detect.js';
import { JOURNAL_TABLE } from './inspect.js';

/** A statement of the plan: DDL text, or a parameterised one. */
export type PlanStatement = string | { readonly sql: string; readonly args: readonly unknown[] };

/** One change of the plan, with the statements that make it. */
export type PlanStep =
  | { readonly kind: 'add-column'; readonly table: TableName; readonly column: string; readonly definition: string; readonly sql: readonly string[] }
  | { readonly kind: 'create-table'; readonly table: string; readonly sql: readonly string[] }
  | { readonly kind: 'create-index'; readonly table: TableName; readonly index: string; readonly definition: string; readonly sql: readonly string[] }
  | { readonly kind: 'rebuild-fts'; readonly reason: string; readonly sql: readonly string[] }
  | { readonly kind: 'stamp-journal'; readonly tag: string; readonly hash: string; readonly createdAt: number; readonly sql: readonly PlanStatement[] };

/** The plan of a file (empty `steps` when there is nothing to do). */
export interface AdoptPlan {
  readonly layout: DetectedLayout;
  readonly steps: readonly PlanStep[];
  /** Columns each existing table holds: adopt checksums them before and after (they must be equal). */
  readonly checksumColumns: ReadonlyMap<TableName, readonly string[]>;
}

/** DROP statements run before the other steps (the FTS triggers reference `messages`), then the rest in order. */
export function planStatements(plan: AdoptPlan): PlanStatement[] {
  const fts = plan.steps.some((s) => s.kind === 'rebuild-fts');
  return [...(fts ? SQLITE_FTS_DROP : []), ...plan.steps.flatMap((s) => s.sql)];
}

const JOURNAL_CREATE = `CREATE TABLE IF NOT EXISTS "${JOURNAL_TABLE}" (\n  id SERIAL PRIMARY KEY,\n  hash text NOT NULL,\n  created_at numeric\n)`;

function addColumn(table: TableName, column: ColumnSpec): PlanStep {
  const definition = sqliteColumnDef(tables[table], column);
  // SQLite adds a column to existing rows only with a constant default; omega-bot's own ALTERs add none.
  if (/DEFAULT\s*\(/i.test(definition) || /PRIMARY KEY|UNIQUE/i.test(definition)) {
    throw new DatabaseError('UNRECOGNISED_LAYOUT', `cannot add ${table}.${column.name} (${definition}) with ALTER TABLE: not a constant default`, { table, column: column.name });
  }
  return { kind: 'add-column', table, column: column.name, definition, sql: [`ALTER TABLE "${table}" ADD COLUMN ${definition}`] };
}

function createIndex(table: TableName, index: IndexSpec): PlanStep {
  const definition = `${index.unique ? 'UNIQUE ' : ''}ON ${table}(${index.columns.join(', ')})`;
  return { kind: 'create-index', table, index: index.name, definition, sql: [sqliteCreateIndex(table, index)] };
}

/**
 * The plan for a detected layout: nothing for `empty` and `adopted` files.
 * @throws DatabaseError `UNRECOGNISED_LAYOUT` for an unrecognised file (its mismatch in the message).
 */
export function buildPlan(layout: DetectedLayout): AdoptPlan {
  if (layout.kind === 'unrecognised') throw new DatabaseError('UNRECOGNISED_LAYOUT', layout.mismatch ?? layout.description, { mismatch: layout.mismatch });
  const d = layout.differences;
  if (!d) return { layout, steps: [], checksumColumns: new Map() };
  const steps: PlanStep[] = [];
  for (const m of d.missingColumns) steps.push(addColumn(m.table, m.column));
  for (const t of d.missingTables) steps.push({ kind: 'create-table', table: t, sql: [sqliteCreateTable(tables[t])] });
  if (d.tombstonesMissing) steps.push({ kind: 'create-table', table: TOMBSTONES_TABLE, sql: [SQLITE_TOMBSTONES] });
  for (const m of d.missingIndexes) steps.push(createIndex(m.table, m.index));
  if (d.fts.kind !== 'current') steps.push({ kind: 'rebuild-fts', reason: d.fts.reason, sql: [...SQLITE_FTS, SQLITE_FTS_REBUILD] });
  // Legacy files have no journal, or the empty one a failed `migrate` left: every entry is stamped.
  for (const e of journal('sqlite')) {
    steps.push({
      kind: 'stamp-journal',
      tag: e.tag,
      hash: e.hash,
      createdAt: e.createdAt,
      sql: [JOURNAL_CREATE, { sql: `INSERT INTO "${JOURNAL_TABLE}" ("hash", "created_at") VALUES (?, ?)`, args: [e.hash, e.createdAt] }],
    });
  }
  return { layout, steps, checksumColumns: d.presentColumns };
}
