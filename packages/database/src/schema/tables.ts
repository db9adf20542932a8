import { col, rowMetaColumns, type ColumnSpec } from './columns.js';
import { userProfileDataColumns } from './user-profile-columns.js';

/** An index of a table spec; `unique` adds a UNIQUE constraint on both backends. */
export interface IndexSpec {
  readonly name: string;
  readonly columns: readonly string[];
  readonly unique?: boolean;
}

/** A foreign key with ON DELETE CASCADE (the only kind this schema uses). */
export interface ForeignKeySpec {
  readonly column: string;
  readonly references: { readonly table: TableName; readonly column: string };
}

/**
 * One table, defined once. The drizzle schemas of both dialects, the row codecs, the
 * version-guarded upserts and the transfer tools are all derived from it.
 */
export interface TableSpec {
  readonly name: TableName;
  readonly columns: readonly ColumnSpec[];
  readonly indexes: readonly IndexSpec[];
  readonly foreignKeys: readonly ForeignKeySpec[];
}

/** The six tables, in foreign-key order (parents first): import and copy load in this order. */
export const tableNames = [
  'messages',
  'queries',
  'documents',
  'document_collaborators',
  'user_profiles',
  'user_analysis_history',
] as const;
export type TableName = (typeof tableNames)[number];

const messages: TableSpec = {
  name: 'messages',
  columns: [
    col.id('id'),
    col.text('user_id', true),
    col.text('username', true),
    col.text('channel_id', true),
    col.text('role', true),
    col.text('content', true),
    col.bigint('external_id'),
    col.json('metadata', false, {}),
    col.timestamp('timestamp'),
    ...rowMetaColumns,
  ],
  indexes: [
    { name: 'messages_channel_ts_idx', columns: ['channel_id', 'timestamp', 'id'] },
    { name: 'messages_user_ts_idx', columns: ['user_id', 'timestamp', 'id'] },
  ],
  foreignKeys: [],
};

const queries: TableSpec = {
  name: 'queries',
  columns: [
    col.id('id'),
    col.text('user_id', true),
    col.text('channel_id', true),
    col.text('query', true),
    col.text('response'),
    col.int('duration_ms', true, 0),
    col.bool('success', true, true),
    col.text('error'),
    col.json('metadata', false, {}),
    ...rowMetaColumns,
  ],
  indexes: [{ name: 'queries_user_created_idx', columns: ['user_id', 'created_at', 'id'] }],
  foreignKeys: [],
};

const documents: TableSpec = {
  name: 'documents',
  columns: [
    col.id('id'),
    col.text('owner_id', true),
    col.text('title', true),
    col.text('content', true, ''),
    col.json('metadata', false, {}),
    ...rowMetaColumns,
  ],
  indexes: [{ name: 'documents_owner_idx', columns: ['owner_id', 'updated_at'] }],
  foreignKeys: [],
};

const documentCollaborators: TableSpec = {
  name: 'document_collaborators',
  columns: [
    col.id('id'),
    col.text('document_id', true),
    col.text('user_id', true),
    col.text('role', true),
    col.text('added_by', true),
    ...rowMetaColumns,
  ],
  indexes: [
    { name: 'document_collaborators_doc_user_uq', columns: ['document_id', 'user_id'], unique: true },
    { name: 'document_collaborators_user_idx', columns: ['user_id'] },
  ],
  foreignKeys: [{ column: 'document_id', references: { table: 'documents', column: 'id' } }],
};

const userProfiles: TableSpec = {
  name: 'user_profiles',
  columns: [col.id('id'), col.text('user_id', true), col.text('username'), ...userProfileDataColumns, ...rowMetaColumns],
  indexes: [{ name: 'user_profiles_user_uq', columns: ['user_id'], unique: true }],
  foreignKeys: [],
};

const userAnalysisHistory: TableSpec = {
  name: 'user_analysis_history',
  columns: [
    col.id('id'),
    col.text('user_id', true),
    col.int('profile_version', true),
    col.json('changes', true, {}),
    col.text('source'),
    ...rowMetaColumns,
  ],
  indexes: [{ name: 'user_analysis_history_user_idx', columns: ['user_id', 'created_at', 'id'] }],
  foreignKeys: [],
};

/** Every table spec by name. */
export const tables: Readonly<Record<TableName, TableSpec>> = {
  messages,
  queries,
  documents,
  document_collaborators: documentCollaborators,
  user_profiles: userProfiles,
  user_analysis_history: userAnalysisHistory,
};

/** Bookkeeping table of deletes, so a late upsert cannot resurrect a deleted row. */
/**
 * Characters of `content` that full-text search indexes on PostgreSQL. A tsvector holds at most
 * 1 MiB (PostgreSQL docs, "Text Search Limitations"; beyond, the INSERT fails with 54000 "string is
 * too long for tsvector"), which ~1 M characters of distinct words exceed; 100,000 characters stay
 * under half of it in the worst case (4-byte characters), and no chat platform sends longer
 * messages (Discord 4,000, Slack 40,000). The message itself is stored whole; only words past this
 * prefix are not found by search on PostgreSQL (LibSQL's FTS5 has no such limit).
 */
export const SEARCH_PREFIX_CHARS = 100_000;

export const TOMBSTONES_TABLE = 'row_tombstones';

/** Column names of a table, in declaration order. */
export function columnNames(table: TableName): string[] {
  return tables[table].columns.map((c) => c.name);
}
