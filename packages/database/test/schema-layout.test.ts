/**
 * The migrated layouts against the table specs (src/schema/tables.ts) and omega-bot's own DDL:
 * - LibSQL: a fresh file migrated by `migrateSqlite` has, per table, exactly the spec's columns
 *   with the declared SQLite types, NOT NULL and defaults (`pragma_table_info`), omega-bot's index
 *   names, the CHECK on `sender_type`, the foreign keys with ON DELETE CASCADE, the FTS5 table and
 *   its triggers under omega-bot's names; and the committed `drizzle/sqlite/0000_omega_schema.sql`
 *   is `sqliteMigrationSql()` to the byte.
 * - PostgreSQL: `information_schema.columns` against the spec (type per logical type,
 *   nullability, the `version` default), the index names (without omega-bot's indexes that a
 *   longer index serves there, migration 0002), the CHECK and the foreign keys.
 * The expected index names are written out here, not derived from the specs, so a spec that drifts
 * from omega-bot's layout fails.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createClient, type Client } from '@libsql/client';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratePostgres, migrateSqlite } from '../src/migrations/migrate.js';
import type { ColumnSpec, LogicalType } from '../src/schema/columns.js';
import { sqliteMigrationSql, sqliteType } from '../src/schema/sqlite-ddl.js';
import { TOMBSTONES_TABLE, tableNames, tables, type TableName } from '../src/schema/tables.js';
import { createTestPostgres, createTestSqlite } from '../src/testing/index.js';

/**
 * omega-bot's index names (its initializeSchema), plus the product's own (`added`). `sqliteOnly`:
 * omega's indexes LibSQL keeps and PostgreSQL does not carry (a longer index of the same table, or
 * the UNIQUE constraint on the same column, serves their queries: migrations 0002 and 0003).
 */
const OMEGA_INDEXES: Record<TableName, { omega: string[]; added: string[]; sqliteOnly?: string[] }> = {
  messages: {
    omega: ['idx_messages_timestamp', 'idx_messages_user_id', 'idx_messages_sender_type', 'idx_messages_channel_id', 'idx_messages_session_id'],
    added: ['messages_channel_ts_idx', 'messages_user_ts_idx'],
    sqliteOnly: ['idx_messages_channel_id'],
  },
  queries: { omega: ['idx_queries_timestamp', 'idx_queries_user_id'], added: ['queries_user_ts_idx'], sqliteOnly: ['idx_queries_user_id'] },
  documents: { omega: ['idx_documents_created_by', 'idx_documents_created_at', 'idx_documents_updated_at'], added: [] },
  document_collaborators: { omega: ['idx_collaborators_document_id', 'idx_collaborators_user_id', 'idx_collaborators_unique'], added: [], sqliteOnly: ['idx_collaborators_document_id'] },
  user_profiles: { omega: ['idx_user_profiles_user_id', 'idx_user_profiles_last_analyzed'], added: [], sqliteOnly: ['idx_user_profiles_user_id'] },
  user_analysis_history: { omega: ['idx_analysis_history_user_id', 'idx_analysis_history_timestamp'], added: [] },
};

/** omega-bot's SQL defaults (SQLite spelling), by table and column; `version` is the product's `DEFAULT 1`. */
const NOW = "strftime('%s', 'now')";
const SQLITE_DEFAULTS: Record<TableName, Record<string, string>> = {
  messages: { created_at: NOW, version: '1' },
  queries: { created_at: NOW, version: '1' },
  documents: { content: "''", created_at: NOW, updated_at: NOW, is_public: '1', version: '1' },
  document_collaborators: { role: "'editor'", joined_at: NOW, version: '1' },
  user_profiles: { appearance_confidence: '0', message_count: '0', created_at: NOW, updated_at: NOW, version: '1' },
  user_analysis_history: { created_at: NOW, version: '1' },
};

/** PostgreSQL `information_schema.columns.data_type` of each logical type. */
const PG_DATA_TYPE: Record<LogicalType, string> = {
  id: 'text',
  text: 'text',
  int: 'integer',
  bigint: 'bigint',
  timestamp: 'bigint',
  millis: 'bigint',
  bool: 'boolean',
  real: 'double precision',
  json: 'jsonb',
};

const FOREIGN_KEYS = [
  { table: 'document_collaborators', column: 'document_id', references: 'documents', to: 'id' },
  { table: 'user_analysis_history', column: 'user_id', references: 'user_profiles', to: 'user_id' },
] as const;

describe('LibSQL layout (migrateSqlite on a fresh file)', () => {
  let file: ReturnType<typeof createTestSqlite>;
  let db: Client;
  const rows = async (sql: string, args: unknown[] = []) => (await db.execute({ sql, args: args as never })).rows as unknown as Record<string, unknown>[];

  beforeAll(async () => {
    file = createTestSqlite();
    await migrateSqlite(file.url);
    db = createClient({ url: file.url });
  });
  afterAll(() => {
    db?.close();
    file?.remove();
  });

  it('the committed migration is sqliteMigrationSql(), to the byte', () => {
    const committed = readFileSync(fileURLToPath(new URL('../drizzle/sqlite/0000_omega_schema.sql', import.meta.url)), 'utf8');
    expect(committed).toBe(sqliteMigrationSql());
  });

  it('has the six tables, the tombstones and the FTS table, and nothing else of ours', async () => {
    const names = (await rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'messages_fts_%' AND name <> '__drizzle_migrations'")).map((r) => r.name);
    expect(names.sort()).toEqual([...tableNames, TOMBSTONES_TABLE, 'messages_fts'].sort());
  });

  for (const table of tableNames) {
    it(`${table}: exactly the spec's columns, in order, with their SQLite types, NOT NULL and defaults`, async () => {
      const info = await rows('SELECT name, type, "notnull" AS nn, dflt_value AS dflt, pk FROM pragma_table_info(?) ORDER BY cid', [table]);
      const spec = tables[table].columns;
      expect(info.map((r) => r.name)).toEqual(spec.map((c) => c.name));
      for (const c of spec) {
        const r = info.find((x) => x.name === c.name)!;
        expect(r.type, `${table}.${c.name} type`).toBe(sqliteType(c));
        // `id TEXT PRIMARY KEY` (omega-bot's DDL): SQLite does not add NOT NULL to a non-INTEGER primary key.
        expect(Number(r.nn), `${table}.${c.name} NOT NULL`).toBe(c.notNull && c.name !== 'id' ? 1 : 0);
        expect(Number(r.pk), `${table}.${c.name} primary key`).toBe(c.name === 'id' ? 1 : 0);
        const dflt = r.dflt === null ? null : String(r.dflt).replace(/^\((.*)\)$/, '$1');
        expect(dflt, `${table}.${c.name} default`).toBe(SQLITE_DEFAULTS[table][c.name] ?? null);
      }
    });

    it(`${table}: omega-bot's index names (plus the product's own), on the spec's columns`, async () => {
      const list = await rows("SELECT name, \"unique\" AS u, origin FROM pragma_index_list(?) WHERE origin = 'c'", [table]);
      const expected = [...OMEGA_INDEXES[table].omega, ...OMEGA_INDEXES[table].added];
      expect(list.map((r) => String(r.name)).sort()).toEqual([...expected].sort());
      for (const i of tables[table].indexes.filter((x) => !x.inline)) {
        const cols = (await rows('SELECT name FROM pragma_index_info(?) ORDER BY seqno', [i.name])).map((r) => r.name);
        expect(cols, i.name).toEqual(i.columns);
        expect(Number(list.find((r) => r.name === i.name)!.u), `${i.name} unique`).toBe(i.unique ? 1 : 0);
      }
    });
  }

  it("user_profiles.user_id is UNIQUE inline, as omega-bot declares it (SQLite's autoindex)", async () => {
    const unique = await rows("SELECT name FROM pragma_index_list('user_profiles') WHERE origin = 'u'");
    expect(unique).toHaveLength(1);
    const cols = (await rows('SELECT name FROM pragma_index_info(?)', [unique[0]!.name])).map((r) => r.name);
    expect(cols).toEqual(['user_id']);
  });

  it("messages has the CHECK on sender_type ('human', 'ai', 'tool'), and it refuses other values", async () => {
    const [{ sql }] = (await rows("SELECT sql FROM sqlite_master WHERE name = 'messages'")) as [{ sql: string }];
    expect(sql).toContain(`CHECK("sender_type" IN ('human', 'ai', 'tool'))`);
    const insert = (id: string, sender: string) => db.execute({ sql: "INSERT INTO messages (id, timestamp, sender_type, message_content) VALUES (?, 1, ?, 'x')", args: [id, sender] });
    await insert('check-ok', 'ai');
    await expect(insert('check-bad', 'bot')).rejects.toThrow(/CHECK/);
  });

  it('has the foreign keys with ON DELETE CASCADE', async () => {
    for (const fk of FOREIGN_KEYS) {
      const list = await rows('SELECT "table" AS ref, "from" AS col, "to" AS target, on_delete FROM pragma_foreign_key_list(?)', [fk.table]);
      expect(list).toEqual([{ ref: fk.references, col: fk.column, target: fk.to, on_delete: 'CASCADE' }]);
    }
  });

  it("has omega-bot's FTS5 table over message_content, tool_name, username and its three triggers", async () => {
    const cols = (await rows("SELECT name FROM pragma_table_info('messages_fts') ORDER BY cid")).map((r) => r.name);
    expect(cols).toEqual(['message_content', 'tool_name', 'username']);
    const triggers = (await rows("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'messages' ORDER BY name")).map((r) => r.name);
    expect(triggers).toEqual(['messages_fts_delete', 'messages_fts_insert', 'messages_fts_update']);
  });

  it('the tombstones table: (table_name, id) primary key, version and deleted_at NOT NULL', async () => {
    const info = await rows('SELECT name, type, "notnull" AS nn, pk FROM pragma_table_info(?) ORDER BY cid', [TOMBSTONES_TABLE]);
    expect(info.map((r) => [r.name, r.type, Number(r.nn), Number(r.pk)])).toEqual([
      ['table_name', 'TEXT', 1, 1],
      ['id', 'TEXT', 1, 2],
      ['version', 'INTEGER', 1, 0],
      ['deleted_at', 'INTEGER', 1, 0],
    ]);
  });
});

describe('PostgreSQL layout (migratePostgres on a fresh database)', () => {
  let db: Awaited<ReturnType<typeof createTestPostgres>>;
  let sql: postgres.Sql;

  beforeAll(async () => {
    db = await createTestPostgres('layout');
    await migratePostgres(db.url);
    sql = postgres(db.url, { max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    await sql?.end({ timeout: 5 });
    await db?.drop();
  });

  it('has the six tables and the tombstones in the public schema', async () => {
    const names = (await sql`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`).map((r) => r.table_name);
    expect(names.sort()).toEqual([...tableNames, TOMBSTONES_TABLE].sort());
  });

  for (const table of tableNames) {
    it(`${table}: exactly the spec's columns, in order, with the type of each logical type and its nullability`, async () => {
      const cols = await sql<{ column_name: string; data_type: string; is_nullable: string; column_default: string | null; is_generated: string }[]>`
        SELECT column_name, data_type, is_nullable, column_default, is_generated FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = ${table} ORDER BY ordinal_position`;
      const spec: readonly ColumnSpec[] = tables[table].columns;
      const stored = cols.filter((c) => c.is_generated === 'NEVER');
      expect(stored.map((c) => c.column_name)).toEqual(spec.map((c) => c.name));
      for (const c of spec) {
        const r = stored.find((x) => x.column_name === c.name)!;
        expect(r.data_type, `${table}.${c.name} type`).toBe(PG_DATA_TYPE[c.type]);
        expect(r.is_nullable, `${table}.${c.name} nullable`).toBe(c.notNull ? 'NO' : 'YES');
        expect(r.column_default, `${table}.${c.name} default`).toBe(c.sqlDefault === undefined ? null : String(c.sqlDefault));
      }
      // messages only: the generated search vector.
      expect(cols.filter((c) => c.is_generated !== 'NEVER').map((c) => [c.column_name, c.data_type])).toEqual(table === 'messages' ? [['search_vector', 'tsvector']] : []);
    });

    it(`${table}: omega-bot's index names (plus the product's own, less the SQLite-only ones), on the spec's columns`, async () => {
      const idx = await sql<{ indexname: string; indexdef: string }[]>`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = ${table}`;
      const extra: string[] = [`${table}_pkey`];
      if (table === 'messages') extra.push('messages_search_idx', 'messages_metadata_idx');
      if (table === 'user_profiles') extra.push('user_profiles_user_id_key');
      const sqliteOnly = OMEGA_INDEXES[table].sqliteOnly ?? [];
      const carried = OMEGA_INDEXES[table].omega.filter((n) => !sqliteOnly.includes(n));
      expect(idx.map((r) => r.indexname).sort()).toEqual([...carried, ...OMEGA_INDEXES[table].added, ...extra].sort());
      expect(tables[table].indexes.filter((i) => i.sqliteOnly).map((i) => i.name).sort(), 'specs flagged sqliteOnly').toEqual([...sqliteOnly].sort());
      for (const i of tables[table].indexes.filter((x) => !x.sqliteOnly)) {
        const def = idx.find((r) => r.indexname === i.name)!.indexdef.replaceAll('"', '');
        expect(def, i.name).toContain(`(${i.columns.join(', ')})`);
        expect(def.startsWith('CREATE UNIQUE INDEX'), `${i.name} unique`).toBe(Boolean(i.unique));
      }
    });
  }

  it('each SQLite-only index is served on PostgreSQL by an index (or UNIQUE constraint) of the same table that starts with its columns', async () => {
    const defs = await sql<{ tablename: string; indexname: string; indexdef: string }[]>`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'`;
    for (const table of tableNames) {
      for (const i of tables[table].indexes.filter((x) => x.sqliteOnly)) {
        const prefix = `USING btree (${i.columns.join(', ')}`;
        const servers = defs.filter((d) => d.tablename === table && d.indexname !== i.name && d.indexdef.replaceAll('"', '').includes(prefix));
        expect(servers.length, `${table}.${i.name} served by a longer index`).toBeGreaterThan(0);
      }
    }
  });

  it('messages_search_idx is GIN on (channel_id, search_vector) (btree_gin): a channel\'s search is one index scan', async () => {
    const [r] = await sql<{ indexdef: string }[]>`SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND indexname = 'messages_search_idx'`;
    expect(r?.indexdef).toBe('CREATE INDEX messages_search_idx ON public.messages USING gin (channel_id, search_vector)');
  });

  it('messages_metadata_idx is GIN with jsonb_path_ops (containment only)', async () => {
    const [r] = await sql<{ indexdef: string }[]>`SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND indexname = 'messages_metadata_idx'`;
    expect(r?.indexdef).toBe('CREATE INDEX messages_metadata_idx ON public.messages USING gin (metadata jsonb_path_ops)');
  });

  it("messages has the CHECK on sender_type, and it refuses other values", async () => {
    const [check] = await sql`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 'messages_sender_type_check'`;
    expect(check?.def).toMatch(/sender_type.*'human'.*'ai'.*'tool'/);
    await sql`INSERT INTO messages (id, timestamp, sender_type, message_content) VALUES ('check-ok', 1, 'tool', 'x')`;
    await expect(sql`INSERT INTO messages (id, timestamp, sender_type, message_content) VALUES ('check-bad', 1, 'bot', 'x')`).rejects.toMatchObject({ code: '23514' });
  });

  it('has the foreign keys with ON DELETE CASCADE', async () => {
    const fks = await sql`
      SELECT tc.table_name, kcu.column_name, ccu.table_name AS references, ccu.column_name AS to, rc.delete_rule
      FROM information_schema.table_constraints tc
      JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema
      JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = tc.constraint_name AND ccu.table_schema = tc.table_schema
      JOIN information_schema.referential_constraints rc ON rc.constraint_name = tc.constraint_name AND rc.constraint_schema = tc.table_schema
      WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = 'public' ORDER BY tc.table_name`;
    expect(fks.map((r) => ({ ...r }))).toEqual(FOREIGN_KEYS.map((f) => ({ table_name: f.table, column_name: f.column, references: f.references, to: f.to, delete_rule: 'CASCADE' })));
  });

  it('the tombstones table: (table_name, id) primary key, every column NOT NULL', async () => {
    const cols = await sql`SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ${TOMBSTONES_TABLE} ORDER BY ordinal_position`;
    expect(cols.map((c) => [c.column_name, c.data_type, c.is_nullable])).toEqual([
      ['table_name', 'text', 'NO'],
      ['id', 'text', 'NO'],
      ['version', 'integer', 'NO'],
      ['deleted_at', 'bigint', 'NO'],
    ]);
  });
});
