import { addedUpdatedAt, col, versionColumn, type ColumnSpec } from './columns.js';
import { userProfileDataColumns } from './user-profile-columns.js';

/** An index of a table spec; `unique` adds a UNIQUE constraint on both backends. */
export interface IndexSpec {
  readonly name: string;
  readonly columns: readonly string[];
  readonly unique?: boolean;
  /** The product's own index (not omega-bot's): `adopt` creates it on a legacy file. */
  readonly added?: boolean;
  /** A column-level UNIQUE in omega-bot's DDL (SQLite names its index `sqlite_autoindex_…`). */
  readonly inline?: boolean;
  /**
   * SQLite only: omega-bot's index, kept on LibSQL (its layout, which `adopt` checks), not created
   * on PostgreSQL, where a longer index of the same table whose leading columns these are (or the
   * UNIQUE constraint on the same column) serves the same queries. One build less after a bulk
   * load and one index less to maintain per write (PostgreSQL migration 0002).
   */
  readonly sqliteOnly?: boolean;
}

/** A CHECK (column IN (…)) constraint of omega-bot's DDL. */
export interface CheckSpec {
  readonly column: string;
  readonly values: readonly string[];
}

/** A foreign key with ON DELETE CASCADE (the only kind this schema uses). */
export interface ForeignKeySpec {
  readonly column: string;
  readonly references: { readonly table: TableName; readonly column: string };
}

/**
 * One table of omega-bot's layout (its `initializeSchema`, newest version), plus the product's
 * additive bookkeeping (columns and indexes marked `added`), defined once. The drizzle schemas of both dialects, the row codecs, the
 * version-guarded upserts and the transfer tools are all derived from it.
 */
export interface TableSpec {
  readonly name: TableName;
  readonly columns: readonly ColumnSpec[];
  readonly indexes: readonly IndexSpec[];
  readonly foreignKeys: readonly ForeignKeySpec[];
  readonly checks?: readonly CheckSpec[];
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

const created = col.timestamp('created_at');
const updated = col.timestamp('updated_at');

const messages: TableSpec = {
  name: 'messages',
  columns: [
    col.id('id'),
    /** When the message was sent, unix **milliseconds** (omega-bot writes `Date.now()`). */
    col.millis('timestamp', true),
    /** 'human' | 'ai' | 'tool' (CHECK on both backends). */
    col.text('sender_type', true),
    ...['user_id', 'username', 'channel_id', 'channel_name', 'guild_id'].map((n) => col.text(n)),
    col.text('message_content', true),
    col.text('tool_name'),
    col.json('tool_args'),
    col.json('tool_result'),
    col.text('session_id'),
    col.text('parent_message_id'),
    col.json('metadata'),
    col.text('ai_summary'),
    col.json('sentiment_analysis'),
    col.json('response_decision'),
    ...['interaction_type', 'user_intent', 'bot_perception', 'conversation_quality'].map((n) => col.text(n)),
    created,
    addedUpdatedAt,
    versionColumn,
  ],
  indexes: [
    { name: 'idx_messages_timestamp', columns: ['timestamp'] },
    { name: 'idx_messages_user_id', columns: ['user_id'] }, // kept on PostgreSQL although messages_user_ts_idx leads with user_id: a search in a user's messages ANDs the GIN matches with the user's rows in a bitmap, and this deduplicated index reads far fewer pages
    { name: 'idx_messages_sender_type', columns: ['sender_type'] },
    { name: 'idx_messages_channel_id', columns: ['channel_id'], sqliteOnly: true }, // messages_search_idx leads with channel_id for a channel's search, messages_channel_ts_idx serves the rest (migration 0003)
    { name: 'idx_messages_session_id', columns: ['session_id'] },
    // The product's own: a channel's or a user's newest messages without a sort.
    { name: 'messages_channel_ts_idx', columns: ['channel_id', 'timestamp', 'id'], added: true },
    { name: 'messages_user_ts_idx', columns: ['user_id', 'timestamp', 'id'], added: true },
  ],
  foreignKeys: [],
  checks: [{ column: 'sender_type', values: ['human', 'ai', 'tool'] }],
};

const queries: TableSpec = {
  name: 'queries',
  columns: [
    col.id('id'),
    /** Unix **milliseconds** (omega-bot writes `Date.now()`). */
    col.millis('timestamp', true),
    col.text('user_id', true),
    col.text('username', true),
    col.text('query_text', true),
    col.text('translated_sql'),
    col.text('ai_summary'),
    col.json('query_result'),
    col.int('result_count'),
    col.text('error'),
    col.int('execution_time_ms'),
    col.json('sentiment_analysis'),
    col.text('query_complexity'),
    col.text('user_satisfaction'),
    created,
    addedUpdatedAt,
    versionColumn,
  ],
  indexes: [
    { name: 'idx_queries_timestamp', columns: ['timestamp'] },
    { name: 'idx_queries_user_id', columns: ['user_id'], sqliteOnly: true }, // queries_user_ts_idx
    { name: 'queries_user_ts_idx', columns: ['user_id', 'timestamp', 'id'], added: true },
  ],
  foreignKeys: [],
};

const documents: TableSpec = {
  name: 'documents',
  columns: [
    col.id('id'),
    col.text('title', true),
    col.text('content', true, ''),
    col.text('created_by', true),
    col.text('created_by_username'),
    created,
    updated,
    col.bool('is_public', false, true),
    col.json('metadata'),
    versionColumn,
  ],
  indexes: [
    { name: 'idx_documents_created_by', columns: ['created_by'] },
    { name: 'idx_documents_created_at', columns: ['created_at'] },
    { name: 'idx_documents_updated_at', columns: ['updated_at'] },
  ],
  foreignKeys: [],
};

const documentCollaborators: TableSpec = {
  name: 'document_collaborators',
  columns: [
    col.id('id'),
    col.text('document_id', true),
    col.text('user_id', true),
    col.text('username'),
    col.text('role', false, 'editor'),
    col.timestamp('joined_at'),
    addedUpdatedAt,
    versionColumn,
  ],
  indexes: [
    { name: 'idx_collaborators_document_id', columns: ['document_id'], sqliteOnly: true }, // idx_collaborators_unique
    { name: 'idx_collaborators_user_id', columns: ['user_id'] },
    { name: 'idx_collaborators_unique', columns: ['document_id', 'user_id'], unique: true },
  ],
  foreignKeys: [{ column: 'document_id', references: { table: 'documents', column: 'id' } }],
};

const userProfiles: TableSpec = {
  name: 'user_profiles',
  columns: [col.id('id'), col.text('user_id', true), col.text('username', true), ...userProfileDataColumns, created, updated, versionColumn],
  indexes: [
    // omega-bot declares `user_id TEXT NOT NULL UNIQUE`; SQLite names that index itself.
    { name: 'user_profiles_user_id_key', columns: ['user_id'], unique: true, inline: true },
    { name: 'idx_user_profiles_user_id', columns: ['user_id'], sqliteOnly: true }, // user_profiles_user_id_key
    { name: 'idx_user_profiles_last_analyzed', columns: ['last_analyzed_at'] },
  ],
  foreignKeys: [],
};

const userAnalysisHistory: TableSpec = {
  name: 'user_analysis_history',
  columns: [
    col.id('id'),
    col.text('user_id', true),
    col.timestamp('analysis_timestamp', true),
    col.json('feelings_snapshot'),
    col.json('personality_snapshot'),
    col.int('message_count_at_analysis'),
    col.text('changes_summary'),
    created,
    addedUpdatedAt,
    versionColumn,
  ],
  indexes: [
    { name: 'idx_analysis_history_user_id', columns: ['user_id'] },
    { name: 'idx_analysis_history_timestamp', columns: ['analysis_timestamp'] },
  ],
  foreignKeys: [{ column: 'user_id', references: { table: 'user_profiles', column: 'user_id' } }],
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

/**
 * Characters of `message_content` that full-text search indexes on PostgreSQL. A tsvector holds at most
 * 1 MiB (PostgreSQL docs, "Text Search Limitations"; beyond, the INSERT fails with 54000 "string is
 * too long for tsvector"), which ~1 M characters of distinct words exceed; 100,000 characters stay
 * under half of it in the worst case (4-byte characters), and no chat platform sends longer
 * messages (Discord 4,000, Slack 40,000). The message itself is stored whole; only words past this
 * prefix are not found by search on PostgreSQL (LibSQL's FTS5 has no such limit).
 */
export const SEARCH_PREFIX_CHARS = 100_000;

/** Bookkeeping table of deletes, so a late upsert cannot resurrect a deleted row. */
export const TOMBSTONES_TABLE = 'row_tombstones';

/** The columns omega-bot's FTS5 table `messages_fts` indexes (and PostgreSQL's search_vector). */
export const SEARCH_COLUMNS = ['message_content', 'tool_name', 'username'] as const;

/** Columns of omega-bot's own layout (not the product's `added` bookkeeping), in table order. */
export function legacyColumns(table: TableName): ColumnSpec[] {
  return tables[table].columns.filter((c) => !c.added);
}

/** Column names of a table, in declaration order. */
export function columnNames(table: TableName): string[] {
  return tables[table].columns.map((c) => c.name);
}
