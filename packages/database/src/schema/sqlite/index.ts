/**
 * LibSQL/SQLite schema (drizzle-orm sqlite-core), generated from the table specs in
 * `../tables.ts`. drizzle-kit reads this file to generate `drizzle/sqlite` migrations; the FTS5
 * table and its triggers are a custom migration there (drizzle-kit has no virtual tables).
 */
import {
  foreignKey,
  index,
  integer,
  primaryKey,
  real,
  sqliteTable,
  text,
  uniqueIndex,
} from 'drizzle-orm/sqlite-core';
import type { ColumnSpec } from '../columns.js';
import { TOMBSTONES_TABLE, tables, type TableSpec } from '../tables.js';

function sqliteColumn(c: ColumnSpec) {
  const b = (() => {
    switch (c.type) {
      case 'id':
      case 'text':
      case 'json':
        return text(c.name);
      case 'int':
      case 'bigint':
      case 'timestamp':
      case 'bool':
        return integer(c.name);
      case 'real':
        return real(c.name);
    }
  })();
  if (c.type === 'id' && c.name === 'id') return b.primaryKey();
  return c.notNull ? b.notNull() : b;
}

function buildTable(spec: TableSpec): any {
  const columns: Record<string, any> = {};
  for (const c of spec.columns) columns[c.name] = sqliteColumn(c);
  return sqliteTable(spec.name, columns, (t: any): any[] => [
    ...spec.indexes.map((i) =>
      (i.unique ? uniqueIndex(i.name) : index(i.name)).on(...(i.columns.map((n) => t[n]) as [any, ...any[]])),
    ),
    ...spec.foreignKeys.map((fk) =>
      foreignKey({
        name: `${spec.name}_${fk.column}_fk`,
        columns: [t[fk.column]] as [any],
        foreignColumns: [(sqliteTables as any)[fk.references.table][fk.references.column]] as [any],
      }).onDelete('cascade'),
    ),
  ]);
}

export const messages = buildTable(tables.messages);
export const queries = buildTable(tables.queries);
export const documents = buildTable(tables.documents);
const sqliteTables: Record<string, any> = { documents };
export const documentCollaborators = buildTable(tables.document_collaborators);
export const userProfiles = buildTable(tables.user_profiles);
export const userAnalysisHistory = buildTable(tables.user_analysis_history);

/** Deletes, so a late shadow upsert cannot bring a deleted row back (DESIGN.md invariant 3). */
export const rowTombstones = sqliteTable(
  TOMBSTONES_TABLE,
  {
    table_name: text('table_name').notNull(),
    id: text('id').notNull(),
    version: integer('version').notNull(),
    deleted_at: integer('deleted_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.table_name, t.id] })],
);
