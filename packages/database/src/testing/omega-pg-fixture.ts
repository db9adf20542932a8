/**
 * Builds a PostgreSQL database the way omega-bot's own PostgreSQL schema runner leaves it (its
 * `001_initial_schema.sql`: the six tables with omega's columns, BIGINT times, JSONB for its JSON
 * columns but TEXT for messages.tool_args / tool_result, REAL profile scores, BOOLEAN is_public,
 * `EXTRACT(EPOCH FROM NOW())` defaults, unnamed foreign keys (`…_fkey`), DESC time indexes and an
 * english GIN expression index for search; no bookkeeping, no drizzle journal), then rows as its
 * services write them (the same generated rows as {@link buildOmegaDatabase}). The DDL is
 * generated here from the product's table specs with omega's PostgreSQL types.
 */
import postgres from 'postgres';
import type { ColumnSpec } from '../schema/columns.js';
import { tableNames, tables, type TableName } from '../schema/tables.js';
import { omegaRows } from './omega-fixture.js';

/** Options of {@link buildOmegaPostgres}. */
export interface OmegaPgFixtureOptions {
  /** Messages to write (the other tables scale with it). Default 200. */
  readonly size?: number;
  readonly seed?: number;
  /** `documents.is_public` as INTEGER 0/1 (a hand-made variant; omega's runner makes it BOOLEAN). */
  readonly isPublicInteger?: boolean;
  /** Also create a table of another omega-bot feature (`todo_list`, 3 rows), which adopt leaves alone. */
  readonly otherTable?: boolean;
}

/** Rows written, per table. */
export type OmegaPgFixture = Readonly<Record<string, number>>;

const TEXT_JSON = new Set(['messages.tool_args', 'messages.tool_result']);
const DESC_INDEXES = new Set(['idx_messages_timestamp', 'idx_queries_timestamp', 'idx_documents_created_at', 'idx_documents_updated_at', 'idx_analysis_history_timestamp']);
const NOW_S = 'EXTRACT(EPOCH FROM NOW())::BIGINT';

function omegaPgType(table: TableName, c: ColumnSpec, opts: OmegaPgFixtureOptions): string {
  if (TEXT_JSON.has(`${table}.${c.name}`)) return 'TEXT';
  if (opts.isPublicInteger && table === 'documents' && c.name === 'is_public') return 'INTEGER';
  switch (c.type) {
    case 'id':
    case 'text':
      return 'TEXT';
    case 'int':
      return 'INTEGER';
    case 'bigint':
    case 'timestamp':
    case 'millis':
      return 'BIGINT';
    case 'bool':
      return 'BOOLEAN';
    case 'real':
      return 'REAL';
    case 'json':
      return 'JSONB';
  }
}

function omegaPgDefault(table: TableName, c: ColumnSpec, type: string): string | null {
  if (['created_at', 'updated_at', 'joined_at'].includes(c.name) && c.type === 'timestamp') return NOW_S;
  if (c.default === undefined || c.default === null) return null;
  if (typeof c.default === 'string') return `'${c.default.replaceAll("'", "''")}'`;
  if (typeof c.default === 'boolean') return type === 'INTEGER' ? (c.default ? '1' : '0') : c.default ? 'TRUE' : 'FALSE';
  if (typeof c.default === 'number') return type === 'REAL' ? c.default.toFixed(1) : String(c.default);
  return null;
}

/** omega-bot's PostgreSQL DDL for the six tables (see the module comment). */
export function omegaPgSchemaStatements(opts: OmegaPgFixtureOptions = {}): string[] {
  const out: string[] = [];
  for (const name of tableNames) {
    const spec = tables[name];
    const lines = spec.columns
      .filter((c) => !c.added)
      .map((c) => {
        const type = omegaPgType(name, c, opts);
        const dflt = omegaPgDefault(name, c, type);
        const unique = name === 'user_profiles' && c.name === 'user_id' ? ' UNIQUE' : '';
        const check = name === 'messages' && c.name === 'sender_type' ? ` CHECK(sender_type IN ('human', 'ai', 'tool'))` : '';
        return `  ${c.name} ${type}${c.name === 'id' ? ' PRIMARY KEY' : ''}${c.notNull && c.name !== 'id' ? ' NOT NULL' : ''}${unique}${check}${dflt ? ` DEFAULT ${dflt}` : ''}`;
      });
    for (const fk of spec.foreignKeys ?? []) lines.push(`  FOREIGN KEY (${fk.column}) REFERENCES ${fk.references.table}(${fk.references.column}) ON DELETE CASCADE`);
    out.push(`CREATE TABLE IF NOT EXISTS ${name} (\n${lines.join(',\n')}\n)`);
    for (const i of spec.indexes) {
      if (!i.name.startsWith('idx_')) continue;
      const cols = i.columns.map((c) => (DESC_INDEXES.has(i.name) ? `${c} DESC` : c)).join(', ');
      out.push(`CREATE ${i.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${i.name} ON ${name}(${cols})`);
    }
    if (name === 'messages') {
      out.push(`CREATE INDEX IF NOT EXISTS idx_messages_fts ON messages USING GIN(to_tsvector('english', COALESCE(message_content, '') || ' ' || COALESCE(tool_name, '') || ' ' || COALESCE(username, '')))`);
    }
  }
  return out;
}

/**
 * Creates omega-bot's PostgreSQL tables in the (fresh) database at `url` and fills them.
 * @returns rows written per table.
 * @throws what postgres.js throws (e.g. the tables exist with other columns).
 */
export async function buildOmegaPostgres(url: string, opts: OmegaPgFixtureOptions = {}): Promise<OmegaPgFixture> {
  const rows = omegaRows({ size: opts.size ?? 200, seed: opts.seed ?? 1 });
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await sql.begin(async (tx) => {
      for (const s of omegaPgSchemaStatements(opts)) await tx.unsafe(s);
      if (opts.otherTable) {
        await tx.unsafe('CREATE TABLE todo_list (id SERIAL PRIMARY KEY, task TEXT NOT NULL, is_completed BOOLEAN NOT NULL DEFAULT FALSE)');
        await tx.unsafe(`INSERT INTO todo_list (task) VALUES ('water the plants'), ('adopt the database'), ('stop the old bot')`);
      }
      const counts: Record<string, number> = {};
      for (const name of tableNames) {
        const cols = tables[name].columns.filter((c) => !c.added);
        const values = cols.map((c, i) => {
          const type = omegaPgType(name, c, opts);
          return type === 'JSONB' ? `$${i + 1}::text::jsonb` : type === 'REAL' ? `$${i + 1}::text::real` : `$${i + 1}`;
        });
        const insert = `INSERT INTO ${name} (${cols.map((c) => c.name).join(', ')}) VALUES (${values.join(', ')})`;
        for (const row of rows[name] ?? []) {
          const args = cols.map((c) => {
            const v = row[c.name];
            if (v === undefined || v === null) return null;
            if (c.type === 'bool') return omegaPgType(name, c, opts) === 'INTEGER' ? Number(v) : Boolean(v);
            if (c.type === 'real') return String(v);
            return typeof v === 'number' ? String(v) : v;
          });
          await tx.unsafe(insert, args as never[]);
        }
        counts[name] = rows[name]?.length ?? 0;
      }
      return counts;
    });
  } finally {
    await sql.end({ timeout: 5 });
  }
}
