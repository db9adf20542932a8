/**
 * PostgreSQL schema (drizzle-orm pg-core), generated from the table specs in `../tables.ts`.
 * drizzle-kit reads this file to generate `drizzle/pg` migrations.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  customType,
  doublePrecision,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import type { ColumnSpec } from '../columns.js';
import { SEARCH_PREFIX_CHARS, TOMBSTONES_TABLE, tables, type TableSpec } from '../tables.js';

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

function pgColumn(c: ColumnSpec) {
  const b = (() => {
    switch (c.type) {
      case 'id':
      case 'text':
        return text(c.name);
      case 'int':
        return integer(c.name);
      case 'bigint':
      case 'timestamp':
        return bigint(c.name, { mode: 'number' });
      case 'bool':
        return boolean(c.name);
      case 'real':
        return doublePrecision(c.name);
      case 'json':
        return jsonb(c.name);
    }
  })();
  if (c.type === 'id' && c.name === 'id') return b.primaryKey();
  return c.notNull ? b.notNull() : b;
}

function buildTable(spec: TableSpec, extra: Record<string, any> = {}, extraIndexes: (t: any) => any[] = () => []): any {
  const columns: Record<string, any> = {};
  for (const c of spec.columns) columns[c.name] = pgColumn(c);
  Object.assign(columns, extra);
  return pgTable(spec.name, columns, (t: any): any[] => [
    ...spec.indexes.map((i) =>
      (i.unique ? uniqueIndex(i.name) : index(i.name)).on(...(i.columns.map((n) => t[n]) as [any, ...any[]])),
    ),
    ...spec.foreignKeys.map((fk) =>
      foreignKey({
        name: `${spec.name}_${fk.column}_fk`,
        columns: [t[fk.column]] as [any],
        foreignColumns: [(pgTables as any)[fk.references.table][fk.references.column]] as [any],
      }).onDelete('cascade'),
    ),
    ...extraIndexes(t),
  ]);
}

/**
 * ASCII punctuation, turned into spaces before PostgreSQL's text-search parser sees the text. That
 * parser drops XML tags and entities whole (`<nick>`, `&amp;`) and keeps e-mail addresses, host
 * names and decimals as one token (`jpl@debian.org`), while LibSQL's FTS5 (unicode61) and the
 * query side (`searchTerms`: runs of letters and digits) split them into words. Without this, a
 * search found such words on LibSQL and not on PostgreSQL.
 */
const ASCII_PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
const sqlText = (s: string) => `'${s.replaceAll("'", "''")}'`;

/**
 * `messages.search_vector`: the first SEARCH_PREFIX_CHARS of content, ASCII punctuation as spaces,
 * 'simple' configuration (see searchMessages).
 */
const messageSearch = {
  search_vector: tsvector('search_vector').generatedAlwaysAs(
    sql.raw(
      `to_tsvector('simple', translate(left(coalesce("content", ''), ${SEARCH_PREFIX_CHARS}), ` +
        `${sqlText(ASCII_PUNCTUATION)}, ${sqlText(' '.repeat(ASCII_PUNCTUATION.length))}))`,
    ),
  ),
};

export const messages = buildTable(tables.messages, messageSearch, (t) => [
  index('messages_search_idx').using('gin', t.search_vector),
  index('messages_metadata_idx').using('gin', t.metadata),
]);
export const queries = buildTable(tables.queries);
export const documents = buildTable(tables.documents);
const pgTables: Record<string, any> = { documents };
export const documentCollaborators = buildTable(tables.document_collaborators);
export const userProfiles = buildTable(tables.user_profiles);
export const userAnalysisHistory = buildTable(tables.user_analysis_history);

/** Deletes, so a late shadow upsert cannot bring a deleted row back (DESIGN.md invariant 3). */
export const rowTombstones = pgTable(
  TOMBSTONES_TABLE,
  {
    table_name: text('table_name').notNull(),
    id: text('id').notNull(),
    version: integer('version').notNull(),
    deleted_at: bigint('deleted_at', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.table_name, t.id] })],
);
