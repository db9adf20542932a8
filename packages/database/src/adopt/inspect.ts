/**
 * Reads the layout of a LibSQL database from its catalogue (`sqlite_master`, `PRAGMA table_xinfo`,
 * `PRAGMA index_xinfo`) and drizzle's journal table, changing nothing.
 */

/** Runs a read-only statement and returns rows as objects. */
export interface SchemaReader {
  all(sql: string, args?: readonly unknown[]): Promise<Record<string, unknown>[]>;
}

/** One column as the catalogue declares it. */
export interface ColumnInfo {
  readonly name: string;
  /** Declared type, upper case (`TEXT`, `INTEGER`, `REAL`, '' when none). */
  readonly type: string;
  readonly notNull: boolean;
  /** Position in the primary key (0 = not part of it). */
  readonly pk: number;
  /** The DEFAULT's SQL text, or null. */
  readonly dflt: string | null;
}

/** One index (`auto` for SQLite's own `sqlite_autoindex_*` of a PRIMARY KEY / UNIQUE). */
export interface IndexInfo {
  readonly name: string;
  readonly table: string;
  readonly unique: boolean;
  readonly columns: readonly string[];
  readonly auto: boolean;
}

/** Everything adopt compares: tables, the FTS table, indexes, triggers, views, the drizzle journal. */
export interface SchemaInspection {
  /** Ordinary tables (not virtual, not FTS shadow tables, not `sqlite_*`), with their columns in order. */
  readonly tables: ReadonlyMap<string, readonly ColumnInfo[]>;
  /** Virtual tables: name → CREATE text. */
  readonly virtualTables: ReadonlyMap<string, string>;
  readonly indexes: readonly IndexInfo[];
  /** Triggers: name → table and CREATE text. */
  readonly triggers: ReadonlyMap<string, { readonly table: string; readonly sql: string }>;
  readonly views: readonly string[];
  /** Rows of `__drizzle_migrations` (`created_at` = the journal's `when`, ms), or null when the table does not exist. */
  readonly journalRows: ReadonlyArray<{ readonly hash: string; readonly createdAt: number }> | null;
}

/** drizzle's migrations table (its libsql migrator's name). */
export const JOURNAL_TABLE = '__drizzle_migrations';
const SHADOW_SUFFIXES = ['_data', '_idx', '_docsize', '_config', '_content'];

/** Reads the layout. @throws what the reader throws (the file is not a database, unreachable…). */
export async function inspectSchema(db: SchemaReader): Promise<SchemaInspection> {
  const master = (await db.all(`SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid`)).map((r) => ({
    type: String(r.type),
    name: String(r.name),
    table: String(r.tbl_name),
    sql: r.sql === null ? '' : String(r.sql),
  }));
  const virtualTables = new Map(master.filter((m) => m.type === 'table' && /^CREATE\s+VIRTUAL\s+TABLE/i.test(m.sql)).map((m) => [m.name, m.sql]));
  const shadow = new Set([...virtualTables.keys()].flatMap((v) => SHADOW_SUFFIXES.map((s) => v + s)));
  const tables = new Map<string, ColumnInfo[]>();
  for (const m of master) {
    if (m.type !== 'table' || virtualTables.has(m.name) || shadow.has(m.name)) continue;
    const cols = await db.all(`SELECT name, type, "notnull" AS nn, pk, dflt_value FROM pragma_table_xinfo(?) WHERE hidden = 0 ORDER BY cid`, [m.name]);
    tables.set(
      m.name,
      cols.map((c) => ({ name: String(c.name), type: String(c.type ?? '').toUpperCase(), notNull: Number(c.nn) === 1, pk: Number(c.pk), dflt: c.dflt_value === null ? null : String(c.dflt_value) })),
    );
  }
  const indexes: IndexInfo[] = [];
  for (const t of tables.keys()) {
    for (const i of await db.all(`SELECT name, "unique" AS u FROM pragma_index_list(?)`, [t])) {
      const name = String(i.name);
      const cols = await db.all(`SELECT name FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno`, [name]);
      indexes.push({ name, table: t, unique: Number(i.u) === 1, columns: cols.map((c) => String(c.name)), auto: name.startsWith('sqlite_autoindex_') });
    }
  }
  const triggers = new Map(master.filter((m) => m.type === 'trigger').map((m) => [m.name, { table: m.table, sql: m.sql }]));
  const views = master.filter((m) => m.type === 'view').map((m) => m.name);
  let journalRows: SchemaInspection['journalRows'] = null;
  if (tables.has(JOURNAL_TABLE)) {
    journalRows = (await db.all(`SELECT hash, created_at FROM ${JOURNAL_TABLE}`)).map((r) => ({ hash: String(r.hash), createdAt: Number(r.created_at) }));
  }
  return { tables, virtualTables, indexes, triggers, views, journalRows };
}
