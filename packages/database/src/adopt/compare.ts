/**
 * Compares an inspected file with the product's layout (omega-bot's newest + bookkeeping, from the
 * table specs): what is missing and may be added, or the first thing that is not omega-bot's.
 */
import type { ColumnSpec } from '../schema/columns.js';
import { sqliteType } from '../schema/sqlite-ddl.js';
import { tableNames, tables, TOMBSTONES_TABLE, type IndexSpec, type TableName } from '../schema/tables.js';
import { ftsState, type FtsState } from './fts-state.js';
import { JOURNAL_TABLE, type SchemaInspection } from './inspect.js';
import { OMEGA_LATER_COLUMNS } from './omega-history.js';

/** What a file lacks of the product's layout (every item can be added without touching a row). */
export interface LayoutDifferences {
  readonly missingTables: readonly TableName[];
  readonly tombstonesMissing: boolean;
  /** Columns to add: omega-bot's later columns and the product's bookkeeping. */
  readonly missingColumns: ReadonlyArray<{ readonly table: TableName; readonly column: ColumnSpec }>;
  readonly missingIndexes: ReadonlyArray<{ readonly table: TableName; readonly index: IndexSpec }>;
  readonly fts: FtsState;
  /** Columns each existing table holds now (the ones adopt checksums before and after), in the file's order. */
  readonly presentColumns: ReadonlyMap<TableName, readonly string[]>;
  /** True when any of the product's bookkeeping (a `version` / added column, row_tombstones) is there already. */
  readonly hasBookkeeping: boolean;
}

/** The comparison: the differences, or `mismatch`, one line naming what is not omega-bot's. */
export type Comparison = { readonly ok: true; readonly differences: LayoutDifferences } | { readonly ok: false; readonly mismatch: string };

const TOMBSTONE_COLUMNS = ['table_name', 'id', 'version', 'deleted_at'];
const FTS_TRIGGERS = new Set(['messages_fts_insert', 'messages_fts_delete', 'messages_fts_update']);

/** Compares (see {@link Comparison}). Never throws. */
export function compareLayout(s: SchemaInspection): Comparison {
  const bad = (mismatch: string): Comparison => ({ ok: false, mismatch });
  const known = new Set<string>([...tableNames, TOMBSTONES_TABLE, JOURNAL_TABLE]);
  for (const t of s.tables.keys()) if (!known.has(t)) return bad(`table ${t} is not omega-bot's`);
  for (const v of s.virtualTables.keys()) if (v !== 'messages_fts') return bad(`virtual table ${v} is not omega-bot's`);
  for (const v of s.views) return bad(`view ${v} is not omega-bot's`);
  for (const [name, t] of s.triggers) {
    if (!FTS_TRIGGERS.has(name) || t.table !== 'messages') return bad(`trigger ${name} on ${t.table} is not omega-bot's`);
  }
  for (const t of ['messages', 'queries'] as const) if (!s.tables.has(t)) return bad(`missing table ${t}`);
  if (!s.tables.has('documents') && s.tables.has('document_collaborators')) return bad('missing table documents (document_collaborators refers to it)');
  if (!s.tables.has('user_profiles') && s.tables.has('user_analysis_history')) return bad('missing table user_profiles (user_analysis_history refers to it)');

  const missingTables: TableName[] = [];
  const missingColumns: { table: TableName; column: ColumnSpec }[] = [];
  const missingIndexes: { table: TableName; index: IndexSpec }[] = [];
  const presentColumns = new Map<TableName, string[]>();
  let hasBookkeeping = false;
  for (const name of tableNames) {
    const spec = tables[name];
    const cols = s.tables.get(name);
    if (!cols) {
      missingTables.push(name);
      for (const index of spec.indexes) if (!index.inline) missingIndexes.push({ table: name, index });
      continue;
    }
    presentColumns.set(name, cols.map((c) => c.name));
    const byName = new Map(spec.columns.map((c) => [c.name, c]));
    for (const c of cols) {
      const want = byName.get(c.name);
      if (!want) return bad(`table ${name}: column ${c.name} is not omega-bot's`);
      if (want.added) hasBookkeeping = true;
      if (c.type !== sqliteType(want)) return bad(`table ${name}: column ${c.name} is ${c.type || 'untyped'}, omega-bot's is ${sqliteType(want)}`);
      const pk = want.name === 'id';
      if ((c.pk > 0) !== pk) return bad(`table ${name}: column ${c.name} ${pk ? 'is not' : 'is'} the primary key (omega-bot's is id)`);
      if (!pk && c.notNull !== Boolean(want.notNull)) return bad(`table ${name}: column ${c.name} is ${c.notNull ? 'NOT NULL' : 'nullable'}, omega-bot's is ${want.notNull ? 'NOT NULL' : 'nullable'}`);
    }
    const have = new Set(cols.map((c) => c.name));
    for (const c of spec.columns) {
      if (have.has(c.name)) continue;
      if (c.added || OMEGA_LATER_COLUMNS[name]?.has(c.name)) missingColumns.push({ table: name, column: c });
      else return bad(`table ${name}: missing column ${c.name}`);
    }
    for (const index of spec.indexes) {
      if (index.inline) continue;
      const found = s.indexes.find((i) => i.name === index.name);
      if (!found) missingIndexes.push({ table: name, index });
    }
  }
  for (const i of s.indexes) {
    if (i.auto) continue;
    const spec = tableNames.flatMap((t) => tables[t].indexes.map((x) => ({ t, x }))).find((e) => e.x.name === i.name);
    if (!spec || spec.t !== i.table) return bad(`index ${i.name} on ${i.table} is not omega-bot's`);
    if (i.columns.join(',') !== spec.x.columns.join(',') || i.unique !== Boolean(spec.x.unique)) {
      return bad(`index ${i.name}: ${i.unique ? 'unique ' : ''}on (${i.columns.join(', ')}), omega-bot's is ${spec.x.unique ? 'unique ' : ''}on (${spec.x.columns.join(', ')})`);
    }
  }
  const tomb = s.tables.get(TOMBSTONES_TABLE);
  if (tomb) {
    hasBookkeeping = true;
    if (tomb.map((c) => c.name).join(',') !== TOMBSTONE_COLUMNS.join(',')) return bad(`table ${TOMBSTONES_TABLE}: columns (${tomb.map((c) => c.name).join(', ')}), the product's are (${TOMBSTONE_COLUMNS.join(', ')})`);
  }
  const fts = ftsState(s);
  if (fts.kind === 'foreign') return bad(fts.reason);
  return { ok: true, differences: { missingTables, tombstonesMissing: !tomb, missingColumns, missingIndexes, fts, presentColumns, hasBookkeeping } };
}
