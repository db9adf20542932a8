/**
 * The LibSQL/SQLite layout, as SQL, generated from the table specs in `tables.ts`: omega-bot's own
 * DDL (its `initializeSchema`, newest version: same tables, columns, types, defaults, CHECK,
 * UNIQUE, foreign keys and index names), plus the product's additive bookkeeping. The committed
 * migration `drizzle/sqlite/0000_omega_schema.sql` is this text (a test holds them equal), and
 * `adopt` builds its `ALTER TABLE … ADD COLUMN` and `CREATE INDEX` statements from the same
 * functions, so a migrated file and an adopted one are the same layout.
 *
 * It is written by hand rather than by drizzle-kit because the layout is omega-bot's, not one
 * drizzle-kit would choose (SQL defaults such as `strftime('%s', 'now')`, an inline UNIQUE, an
 * FTS5 table), and the old bot must keep running on it.
 */
import type { ColumnSpec } from './columns.js';
import { SEARCH_COLUMNS, TOMBSTONES_TABLE, tableNames, tables, type IndexSpec, type TableSpec } from './tables.js';

const q = (name: string) => `"${name}"`;
const literal = (v: unknown): string =>
  typeof v === 'string' ? `'${v.replaceAll("'", "''")}'` : typeof v === 'boolean' ? (v ? '1' : '0') : String(v);

/** omega-bot's timestamp default: the unix seconds of the insert. */
const NOW_DEFAULT = "(strftime('%s', 'now'))";
const NOW_COLUMNS = new Set(['created_at', 'updated_at', 'joined_at']);

/** SQLite storage type of a logical type. */
export function sqliteType(c: ColumnSpec): 'TEXT' | 'INTEGER' | 'REAL' {
  switch (c.type) {
    case 'id':
    case 'text':
    case 'json':
      return 'TEXT';
    case 'real':
      return 'REAL';
    default:
      return 'INTEGER';
  }
}

/** One column's definition (`name TYPE [NOT NULL] [DEFAULT …]`), as in omega-bot's DDL. */
export function sqliteColumnDef(spec: TableSpec, c: ColumnSpec): string {
  const parts = [q(c.name), sqliteType(c)];
  if (c.name === 'id') parts.push('PRIMARY KEY');
  else if (c.notNull) parts.push('NOT NULL');
  const inlineUnique = spec.indexes.find((i) => i.inline && i.columns.length === 1 && i.columns[0] === c.name);
  if (inlineUnique) parts.push('UNIQUE');
  const check = spec.checks?.find((k) => k.column === c.name);
  if (check) parts.push(`CHECK(${q(c.name)} IN (${check.values.map(literal).join(', ')}))`);
  if (c.sqlDefault !== undefined) parts.push(`DEFAULT ${literal(c.sqlDefault)}`);
  else if (!c.added && NOW_COLUMNS.has(c.name)) parts.push(`DEFAULT ${NOW_DEFAULT}`);
  else if (!c.added && c.default !== undefined) parts.push(`DEFAULT ${literal(c.default)}`);
  return parts.join(' ');
}

/** `CREATE TABLE IF NOT EXISTS` of a table, every column of the spec. */
export function sqliteCreateTable(spec: TableSpec): string {
  const lines = spec.columns.map((c) => `  ${sqliteColumnDef(spec, c)}`);
  for (const fk of spec.foreignKeys) {
    lines.push(`  FOREIGN KEY (${q(fk.column)}) REFERENCES ${q(fk.references.table)}(${q(fk.references.column)}) ON DELETE CASCADE`);
  }
  return `CREATE TABLE IF NOT EXISTS ${q(spec.name)} (\n${lines.join(',\n')}\n)`;
}

/** `CREATE [UNIQUE] INDEX IF NOT EXISTS` of one (non-inline) index. */
export function sqliteCreateIndex(table: string, i: IndexSpec): string {
  return `CREATE ${i.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${q(i.name)} ON ${q(table)}(${i.columns.map(q).join(', ')})`;
}

/** The tombstones table (the product's own). */
export const SQLITE_TOMBSTONES =
  `CREATE TABLE IF NOT EXISTS ${q(TOMBSTONES_TABLE)} (\n  "table_name" TEXT NOT NULL,\n  "id" TEXT NOT NULL,\n` +
  `  "version" INTEGER NOT NULL,\n  "deleted_at" INTEGER NOT NULL,\n  PRIMARY KEY ("table_name", "id")\n)`;

const cols = SEARCH_COLUMNS.join(', ');
const newCols = SEARCH_COLUMNS.map((c) => `new.${c}`).join(', ');
const oldCols = SEARCH_COLUMNS.map((c) => `old.${c}`).join(', ');

/**
 * omega-bot's full-text search, under its own names (`messages_fts` over message_content,
 * tool_name, username; triggers `messages_fts_insert/delete/update`), so the old bot's
 * `messages_fts MATCH ?` and its `CREATE … IF NOT EXISTS` keep working. Two differences:
 * - the delete and update triggers use FTS5's 'delete' command: omega-bot's
 *   `DELETE FROM messages_fts WHERE rowid = old.rowid` on an external-content table reads the
 *   tokens to remove from `messages`, where the row is already gone or changed, and leaves stale
 *   entries (SQLite FTS5 docs, "External Content Tables");
 * - tokenizer `unicode61 remove_diacritics 0`: the words PostgreSQL's 'simple' configuration
 *   makes (café ≠ cafe), so a search finds the same rows on both backends.
 */
export const SQLITE_FTS: readonly string[] = [
  `CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5(${cols}, content='messages', content_rowid='rowid', tokenize='unicode61 remove_diacritics 0')`,
  `CREATE TRIGGER IF NOT EXISTS messages_fts_insert AFTER INSERT ON messages BEGIN\n` +
    `  INSERT INTO messages_fts(rowid, ${cols}) VALUES (new.rowid, ${newCols});\nEND`,
  `CREATE TRIGGER IF NOT EXISTS messages_fts_delete AFTER DELETE ON messages BEGIN\n` +
    `  INSERT INTO messages_fts(messages_fts, rowid, ${cols}) VALUES ('delete', old.rowid, ${oldCols});\nEND`,
  `CREATE TRIGGER IF NOT EXISTS messages_fts_update AFTER UPDATE OF ${cols} ON messages BEGIN\n` +
    `  INSERT INTO messages_fts(messages_fts, rowid, ${cols}) VALUES ('delete', old.rowid, ${oldCols});\n` +
    `  INSERT INTO messages_fts(rowid, ${cols}) VALUES (new.rowid, ${newCols});\nEND`,
];

/** Drops the FTS table and its triggers (adopt, before re-creating them). */
export const SQLITE_FTS_DROP: readonly string[] = [
  'DROP TRIGGER IF EXISTS messages_fts_insert',
  'DROP TRIGGER IF EXISTS messages_fts_delete',
  'DROP TRIGGER IF EXISTS messages_fts_update',
  'DROP TABLE IF EXISTS messages_fts',
];

/** Fills the FTS index from `messages` (after a re-create). */
export const SQLITE_FTS_REBUILD = `INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')`;

/** Every statement of the full layout, in order: tables and indexes, tombstones, FTS. */
export function sqliteSchemaStatements(): string[] {
  const out: string[] = [];
  for (const name of tableNames) {
    const spec = tables[name];
    out.push(sqliteCreateTable(spec));
    for (const i of spec.indexes) if (!i.inline) out.push(sqliteCreateIndex(name, i));
  }
  out.push(SQLITE_TOMBSTONES, ...SQLITE_FTS);
  return out;
}

/** The migration file's text: statements separated by drizzle's breakpoint marker. */
export function sqliteMigrationSql(): string {
  return (
    '-- omega-bot\'s layout (its initializeSchema, newest version) plus the product\'s bookkeeping:\n' +
    '-- generated by src/schema/sqlite-ddl.ts (a test holds this file equal to it).\n' +
    sqliteSchemaStatements().join(';\n--> statement-breakpoint\n') +
    ';\n'
  );
}
