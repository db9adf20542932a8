/**
 * PostgreSQL schema (drizzle-orm pg-core), generated from the table specs in `../tables.ts`.
 * drizzle-kit reads this file to generate `drizzle/pg` migrations.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
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
import { SEARCH_COLUMNS, SEARCH_PREFIX_CHARS, TOMBSTONES_TABLE, tables, type TableSpec } from '../tables.js';

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
      case 'millis':
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
  const d = c.sqlDefault === undefined ? b : b.default(c.sqlDefault as never);
  return c.notNull ? d.notNull() : d;
}

function buildTable(spec: TableSpec, extra: Record<string, any> = {}, extraIndexes: (t: any) => any[] = () => []): any {
  const columns: Record<string, any> = {};
  for (const c of spec.columns) {
    // omega-bot's column-level UNIQUE is a UNIQUE constraint here (PostgreSQL names it `<table>_<column>_key`
    // too), created with the table: a foreign key may reference the column (user_analysis_history.user_id),
    // which a unique index created after the foreign keys (drizzle-kit's order) would not allow (42830).
    const inline = spec.indexes.find((i) => i.inline && i.columns.length === 1 && i.columns[0] === c.name);
    columns[c.name] = inline ? pgColumn(c).unique(inline.name) : pgColumn(c);
  }
  Object.assign(columns, extra);
  return pgTable(spec.name, columns, (t: any): any[] => [
    ...spec.indexes.filter((i) => !i.inline && !i.sqliteOnly).map((i) =>
      (i.unique ? uniqueIndex(i.name) : index(i.name)).on(...(i.columns.map((n) => t[n]) as [any, ...any[]])),
    ),
    ...spec.foreignKeys.map((fk) =>
      foreignKey({
        name: `${spec.name}_${fk.column}_fk`,
        columns: [t[fk.column]] as [any],
        foreignColumns: [(pgTables as any)[fk.references.table][fk.references.column]] as [any],
      }).onDelete('cascade'),
    ),
    ...(spec.checks ?? []).map((k) => check(`${spec.name}_${k.column}_check`, sql.raw(`"${k.column}" IN (${k.values.map(sqlText).join(', ')})`))),
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
export const ASCII_PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
const sqlText = (s: string) => `'${s.replaceAll("'", "''")}'`;

/**
 * `messages.search_vector`: omega-bot's searched columns (message_content, tool_name, username, as
 * its FTS5 triggers index them), the first SEARCH_PREFIX_CHARS of the content, ASCII punctuation
 * as spaces, 'simple' configuration (see the dialect's searchFrom).
 */
const searchedText = SEARCH_COLUMNS.map((c) =>
  c === 'message_content' ? `left(coalesce("${c}", ''), ${SEARCH_PREFIX_CHARS})` : `coalesce("${c}", '')`,
).join(` || ' ' || `);
/**
 * The same 32 characters as one bracket expression of ASCII ranges (`!`–`/`, `:`–`@`, `[`–`` ` ``,
 * `{`–`~`): `regexp_replace(…, class, ' ', 'g')` gives exactly `translate(…, ASCII_PUNCTUATION,
 * 32 spaces)`'s text (test/schema-search-vector.test.ts) for about a tenth of the CPU. The expression is
 * computed for every row a load writes: with translate it was ~85 % of PostgreSQL's CPU in a COPY
 * of messages without secondary indexes (migration 0001).
 */
export const ASCII_PUNCTUATION_CLASS = '[!-/:-@\\[-`{-~]';
const messageSearch = {
  search_vector: tsvector('search_vector').generatedAlwaysAs(
    sql.raw(`to_tsvector('simple', regexp_replace(${searchedText}, ${sqlText(ASCII_PUNCTUATION_CLASS)}, ' ', 'g'))`),
  ),
};

export const messages = buildTable(tables.messages, messageSearch, (t) => [
  // channel_id first (btree_gin): a channel's search is one GIN scan that skips through the terms'
  // postings by the channel's, instead of ANDing every posting of the terms with a bitmap of the
  // channel's rows ('the tool' in the bench's largest channel: 25 → 8 ms at 1M). Queries on
  // search_vector alone use it as before; its build takes the same time (migration 0003).
  index('messages_search_idx').using('gin', t.channel_id, t.search_vector),
  // jsonb_path_ops: the only query on metadata is containment (`@>`, json-contains.ts), which it
  // serves; about half the build time and two thirds of the size of the default jsonb_ops, which
  // would also serve key existence (`?`, `?|`, `?&`) that nothing asks (migration 0002).
  index('messages_metadata_idx').using('gin', t.metadata.op('jsonb_path_ops')),
]);
export const queries = buildTable(tables.queries);
export const documents = buildTable(tables.documents);
export const userProfiles = buildTable(tables.user_profiles);
const pgTables: Record<string, any> = { documents, user_profiles: userProfiles };
export const documentCollaborators = buildTable(tables.document_collaborators);
export const userAnalysisHistory = buildTable(tables.user_analysis_history);

/** Deletes, so a late shadow upsert cannot bring a deleted row back (docs/design.md, invariant 3). */
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
