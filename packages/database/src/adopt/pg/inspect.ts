/**
 * Reads the layout of a PostgreSQL database (schema `public`) from its catalogue, and drizzle's
 * journal (`drizzle.__drizzle_migrations`), changing nothing.
 */
import type postgres from 'postgres';

/** One column as the catalogue declares it. */
export interface PgColumnInfo {
  readonly name: string;
  /** `format_type` of the column: `text`, `bigint`, `integer`, `real`, `double precision`, `jsonb`, `boolean`, `tsvector`… */
  readonly type: string;
  readonly notNull: boolean;
  /** The DEFAULT expression's text, or null. */
  readonly dflt: string | null;
  /** True for a `GENERATED ALWAYS AS (…) STORED` column. */
  readonly generated: boolean;
}

/** One index: `columns` holds null for an expression. */
export interface PgIndexInfo {
  readonly name: string;
  readonly table: string;
  readonly unique: boolean;
  readonly primary: boolean;
  readonly method: string;
  readonly columns: ReadonlyArray<string | null>;
  /** The index belongs to a constraint (primary key, UNIQUE). */
  readonly constraint: boolean;
}

/** One constraint: `kind` p (primary key), u (unique), f (foreign key), c (check). */
export interface PgConstraintInfo {
  readonly name: string;
  readonly table: string;
  readonly kind: 'p' | 'u' | 'f' | 'c' | string;
  readonly columns: readonly string[];
  readonly refTable: string | null;
  readonly refColumns: readonly string[];
  /** `pg_get_constraintdef` text. */
  readonly definition: string;
}

/** Everything `adopt --target postgres` compares. */
export interface PgSchemaInspection {
  /** Ordinary tables of `public` with their columns in order. */
  readonly tables: ReadonlyMap<string, readonly PgColumnInfo[]>;
  readonly indexes: readonly PgIndexInfo[];
  readonly constraints: readonly PgConstraintInfo[];
  /** User triggers on tables of `public`: name → table. */
  readonly triggers: ReadonlyMap<string, string>;
  /** Rows of `drizzle.__drizzle_migrations` (`created_at` = the journal's `when`, ms), or null when it does not exist. */
  readonly journalRows: ReadonlyArray<{ readonly hash: string; readonly createdAt: number }> | null;
}

/** Reads the layout on `sql` (a connection, or a transaction). @throws what postgres.js throws. */
export async function inspectPostgres(sql: postgres.Sql | postgres.TransactionSql): Promise<PgSchemaInspection> {
  // Checked first: a failed statement would abort the caller's transaction.
  const [probe] = await sql<{ exists: boolean }[]>`SELECT to_regclass('drizzle.__drizzle_migrations') IS NOT NULL AS exists`;
  const exists = probe?.exists === true;
  const journal = exists ? await sql<{ hash: string; created_at: string }[]>`SELECT hash, created_at::text AS created_at FROM drizzle.__drizzle_migrations` : null;
  const cols = await sql<{ table: string; name: string; type: string; not_null: boolean; dflt: string | null; generated: string }[]>`
    SELECT c.relname AS table, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
           pg_get_expr(d.adbin, d.adrelid) AS dflt, a.attgenerated::text AS generated
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
    ORDER BY c.relname, a.attnum`;
  const tables = new Map<string, PgColumnInfo[]>();
  for (const c of cols) {
    const list = tables.get(c.table) ?? [];
    list.push({ name: c.name, type: c.type, notNull: c.not_null, dflt: c.dflt, generated: c.generated === 's' });
    tables.set(c.table, list);
  }
  const idx = await sql<{ name: string; table: string; unique: boolean; primary: boolean; method: string; columns: (string | null)[]; constraint: boolean }[]>`
    SELECT i.relname AS name, t.relname AS table, x.indisunique AS unique, x.indisprimary AS primary, am.amname AS method,
           ARRAY(SELECT a.attname::text FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                 LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord) AS columns,
           EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.contype IN ('p', 'u')) AS constraint
    FROM pg_index x
    JOIN pg_class i ON i.oid = x.indexrelid
    JOIN pg_class t ON t.oid = x.indrelid
    JOIN pg_am am ON am.oid = i.relam
    JOIN pg_namespace n ON n.oid = t.relnamespace
    WHERE n.nspname = 'public'
    ORDER BY t.relname, i.relname`;
  const cons = await sql<{ name: string; table: string; kind: string; columns: string[]; ref_table: string | null; ref_columns: string[]; definition: string }[]>`
    SELECT k.conname AS name, t.relname AS table, k.contype::text AS kind,
           ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(attnum, ord) JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum ORDER BY u.ord) AS columns,
           r.relname AS ref_table,
           ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY u(attnum, ord) JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.attnum ORDER BY u.ord) AS ref_columns,
           pg_get_constraintdef(k.oid) AS definition
    FROM pg_constraint k
    JOIN pg_class t ON t.oid = k.conrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    LEFT JOIN pg_class r ON r.oid = k.confrelid
    WHERE n.nspname = 'public'
    ORDER BY t.relname, k.conname`;
  const trg = await sql<{ name: string; table: string }[]>`
    SELECT g.tgname AS name, t.relname AS table FROM pg_trigger g JOIN pg_class t ON t.oid = g.tgrelid JOIN pg_namespace n ON n.oid = t.relnamespace
    WHERE n.nspname = 'public' AND NOT g.tgisinternal`;
  return {
    tables,
    indexes: idx.map((i) => ({ ...i, columns: i.columns })),
    constraints: cons.map((c) => ({ name: c.name, table: c.table, kind: c.kind, columns: c.columns, refTable: c.ref_table, refColumns: c.ref_columns, definition: c.definition })),
    triggers: new Map(trg.map((t) => [t.name, t.table])),
    journalRows: journal === null ? null : journal.map((r) => ({ hash: r.hash, createdAt: Number(r.created_at) })),
  };
}
