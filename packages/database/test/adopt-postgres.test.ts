// `db adopt --target postgres` on real PostgreSQL databases: omega-bot's PostgreSQL layout (as its
// own schema runner leaves it, with rows) is recognised; the product's migrated layout, an empty
// database and foreign layouts are told apart (foreign ones refused in one line, exit 7); the plan
// alone changes nothing; --apply keeps every row and value (full dump before = after, in the form
// each conversion preserves), adds the bookkeeping, stamps drizzle's journal (migrate: nothing
// pending), leaves other tables alone, and the product's services work on the result; a value that
// cannot convert refuses the adoption (table, id, reason) and nothing changes.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectPostgresLayout, pgLayoutLeft } from '../src/adopt/pg/detect.js';
import { inspectPostgres } from '../src/adopt/pg/inspect.js';
import { loadConfig } from '../src/config/env.js';
import { createDatabase } from '../src/database.js';
import { migratePostgres } from '../src/migrations/migrate.js';
import { tableNames } from '../src/schema/tables.js';
import { buildOmegaPostgres, createTestPostgres } from '../src/testing/index.js';
import { runCli } from './adopt-helpers.js';
import { silentLogger } from './helpers/silent-logger.js';

type TestDb = { url: string; drop: () => Promise<void> };
const dbs: TestDb[] = [];
async function freshDb(): Promise<TestDb> {
  const d = await createTestPostgres('adoptpg');
  dbs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dbs) await d.drop();
});

async function withSql<T>(url: string, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** The whole catalogue of `public` and `drizzle` (tables, columns, indexes, constraints) as one string: equal when nothing changed. */
async function catalogue(url: string): Promise<string> {
  return withSql(url, async (sql) => {
    const cols = await sql`SELECT table_schema, table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns WHERE table_schema IN ('public', 'drizzle') ORDER BY 1, 2, ordinal_position`;
    const idx = await sql`SELECT schemaname, indexname, indexdef FROM pg_indexes WHERE schemaname IN ('public', 'drizzle') ORDER BY 1, 2`;
    const cons = await sql`SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1`;
    return JSON.stringify({ cols, idx, cons });
  });
}

/** Every row of the six tables (columns that existed before), each value as the product reads it: JSON parsed, numbers from their text, booleans. */
async function dumpRows(url: string, columns: Map<string, string[]>): Promise<Record<string, unknown[]>> {
  return withSql(url, async (sql) => {
    const out: Record<string, unknown[]> = {};
    for (const [t, cols] of columns) {
      const typed = await sql<{ column_name: string; data_type: string }[]>`SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ${t}`;
      const type = new Map(typed.map((c) => [c.column_name, c.data_type]));
      const rows = await sql.unsafe(`SELECT ${cols.map((c) => `"${c}"::text AS "${c}"`).join(', ')} FROM "${t}" ORDER BY id COLLATE "C"`);
      out[t] = rows.map((r) =>
        cols.map((c) => {
          const v = r[c] as string | null;
          if (v === null) return null;
          const ty = type.get(c)!;
          if (ty === 'jsonb' || (ty === 'text' && (c === 'tool_args' || c === 'tool_result'))) return { json: JSON.parse(v) };
          if (ty === 'boolean') return v === 'true';
          if (ty === 'integer' && c === 'is_public') return v === '1';
          if (ty === 'real' || ty === 'double precision') return { num: v };
          return v;
        }),
      );
    }
    return out;
  });
}

async function legacyColumns(url: string): Promise<Map<string, string[]>> {
  const s = await withSql(url, (sql) => inspectPostgres(sql));
  return new Map(tableNames.map((t) => [t, s.tables.get(t)!.map((c) => c.name)]));
}

const errorLines = (stderr: string) => stderr.trim().split('\n').filter((l) => l.startsWith('error'));

describe('detection', () => {
  it('omega-bot\'s PostgreSQL layout: the plan is printed and nothing changes; migrate refuses it (LEGACY_SCHEMA, exit 8)', async () => {
    const d = await freshDb();
    await buildOmegaPostgres(d.url, { size: 80, seed: 3, otherTable: true });
    expect((await detectPostgresLayout(d.url)).kind).toBe('omega-pg');
    const before = await catalogue(d.url);
    const r = await runCli(['adopt', '--target', 'postgres'], { DATABASE_URL: d.url });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('layout: omega-pg');
    expect(r.stdout).toMatch(/convert +messages\.tool_args text → jsonb/);
    expect(r.stdout).toMatch(/convert +user_profiles\.archetype_confidence real → double precision/);
    expect(r.stdout).toMatch(/add column +messages\.version integer DEFAULT 1 NOT NULL/);
    expect(r.stdout).toMatch(/add column +messages\.search_vector/);
    expect(r.stdout).toMatch(/create ext   btree_gin \(for messages_search_idx\)\n(.*\n)*  create index messages_search_idx ON messages USING gin \(channel_id, search_vector\)/);
    expect(r.stdout).toMatch(/rename .*document_collaborators_document_id_fkey → document_collaborators_document_id_fk/);
    expect(r.stdout).toContain('create table row_tombstones');
    expect(r.stdout).toMatch(/stamp +drizzle\.__drizzle_migrations: 0000_init/);
    expect(r.stdout).toContain('left alone: other tables todo_list');
    expect(r.stdout).toContain('stop the old bot, then run again with --apply');
    const m = await runCli(['migrate', '--target', 'postgres'], { DATABASE_URL: d.url });
    expect(m.code, m.stderr).toBe(8);
    expect(errorLines(m.stderr)).toEqual([expect.stringMatching(/^error LEGACY_SCHEMA: PostgreSQL .* run `pnpm db adopt --target postgres`/)]);
    await expect(migratePostgres(d.url)).rejects.toMatchObject({ code: 'LEGACY_SCHEMA' });
    expect(await catalogue(d.url)).toBe(before);
  });

  it('the product\'s migrated layout is adopted (nothing to do); an empty database is left to migrate', async () => {
    const migrated = await freshDb();
    await migratePostgres(migrated.url);
    expect((await detectPostgresLayout(migrated.url)).kind).toBe('adopted');
    const a = await runCli(['adopt', '--target', 'postgres', '--apply'], { DATABASE_URL: migrated.url });
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toContain('nothing to do');
    const empty = await freshDb();
    const before = await catalogue(empty.url);
    const e = await runCli(['adopt', '--target', 'postgres', '--apply', '--database-url', empty.url]);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toContain('layout: empty');
    expect(e.stdout).toContain('`pnpm db migrate --target postgres` creates the layout');
    expect(await catalogue(empty.url)).toBe(before);
  });

  const foreign: Array<[string, string, RegExp]> = [
    ['an extra column', 'ALTER TABLE messages ADD COLUMN reactions TEXT', /table messages: column reactions is not omega-bot's/],
    ['another type', 'ALTER TABLE queries ALTER COLUMN result_count TYPE TEXT', /table queries: column result_count is text, omega-bot's is integer/],
    ['a missing table', 'DROP TABLE user_analysis_history', /missing table user_analysis_history/],
    ['an unknown index', 'CREATE INDEX idx_custom ON messages (username)', /index idx_custom on messages is not omega-bot's/],
    ['a trigger', `CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'; CREATE TRIGGER audit BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION f()`, /trigger audit on messages is not omega-bot's/],
    ['a journal of other migrations', `CREATE SCHEMA drizzle; CREATE TABLE drizzle.__drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint); INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ('abc', 42)`, /holds 1 migration\(s\), not this code's/],
  ];
  it.each(foreign)('omega-bot\'s layout with %s is refused in one line (UNRECOGNISED_LAYOUT, exit 7) and nothing changes', async (_what, change, mismatch) => {
    const d = await freshDb();
    await buildOmegaPostgres(d.url, { size: 20, seed: 4 });
    await withSql(d.url, (sql) => sql.unsafe(change).simple());
    const before = await catalogue(d.url);
    const r = await runCli(['adopt', '--target', 'postgres', '--apply'], { DATABASE_URL: d.url });
    expect(r.code, r.stderr).toBe(7);
    expect(errorLines(r.stderr)).toEqual([expect.stringMatching(/^error UNRECOGNISED_LAYOUT: PostgreSQL .* is not omega-bot's layout: /)]);
    expect(r.stderr).toMatch(mismatch);
    const m = await runCli(['migrate', '--target', 'postgres'], { DATABASE_URL: d.url });
    expect(m.code, m.stderr).toBe(7);
    expect(await catalogue(d.url)).toBe(before);
  });
});

describe('adopt --target postgres --apply on omega-bot\'s layout', () => {
  let d: TestDb;
  let columns: Map<string, string[]>;
  let rowsBefore: Record<string, unknown[]>;
  let counts: Record<string, number>;
  let out: string;

  beforeAll(async () => {
    d = await freshDb();
    counts = { ...(await buildOmegaPostgres(d.url, { size: 300, seed: 9, otherTable: true })) };
    // Values a careless conversion would change: a JSON integer beyond 2^53, JSON key order and spacing, a REAL 0.1.
    await withSql(d.url, async (sql) => {
      await sql`UPDATE messages SET tool_args = ${'{"z": 1,  "id": 12345678901234567890, "a": [1.10, "é"]}'} WHERE id = (SELECT min(id) FROM messages WHERE sender_type = 'tool')`;
      await sql`UPDATE user_profiles SET emoji_usage_rate = 0.1 WHERE id = (SELECT min(id) FROM user_profiles)`;
    });
    columns = await legacyColumns(d.url);
    rowsBefore = await dumpRows(d.url, columns);
    const r = await runCli(['adopt', '--target', 'postgres', '--apply'], { DATABASE_URL: d.url });
    expect(r.code, r.stderr).toBe(0);
    out = r.stdout;
  });

  it('prints equal row counts and checksums before and after, and keeps every row and value', async () => {
    const sums = (label: string) => out.split('\n').filter((l) => l.startsWith(label)).map((l) => l.slice(label.length).trim());
    expect(sums('before')).toHaveLength(6);
    expect(sums('after')).toEqual(sums('before'));
    expect(out).toContain('adopted: ');
    expect(await dumpRows(d.url, columns)).toEqual(rowsBefore);
    for (const t of tableNames) expect(rowsBefore[t]!.length).toBe(counts[t]);
  });

  it('has the product\'s layout: converted types, bookkeeping, search_vector, indexes, row_tombstones, journal', async () => {
    const s = await withSql(d.url, (sql) => inspectPostgres(sql));
    expect(pgLayoutLeft(s)).toBeNull();
    const type = (t: string, c: string) => s.tables.get(t)!.find((x) => x.name === c)?.type;
    expect(type('messages', 'tool_args')).toBe('jsonb');
    expect(type('user_profiles', 'emoji_usage_rate')).toBe('double precision');
    expect(type('messages', 'search_vector')).toBe('tsvector');
    const v = await withSql(d.url, async (sql) => ({
      versions: await sql`SELECT DISTINCT version FROM messages`,
      emoji: await sql`SELECT emoji_usage_rate::text AS t FROM user_profiles ORDER BY id COLLATE "C" LIMIT 1`,
      big: await sql`SELECT tool_args->>'id' AS id FROM messages WHERE tool_args ? 'z'`,
      todo: await sql`SELECT count(*)::int AS n FROM todo_list`,
      fts: await sql`SELECT count(*)::int AS n FROM pg_indexes WHERE indexname = 'idx_messages_fts'`,
      metadataIdx: await sql`SELECT indexdef FROM pg_indexes WHERE indexname = 'messages_metadata_idx'`,
    }));
    // As migration 0002 leaves it; omega's single-column btrees the product carries on LibSQL only are kept, like idx_messages_fts.
    expect(v.metadataIdx).toEqual([{ indexdef: 'CREATE INDEX messages_metadata_idx ON public.messages USING gin (metadata jsonb_path_ops)' }]);
    expect(v.versions).toEqual([{ version: 1 }]);
    expect(v.emoji).toEqual([{ t: '0.1' }]);
    expect(v.big).toEqual([{ id: '12345678901234567890' }]);
    expect(v.todo).toEqual([{ n: 3 }]);
    expect(v.fts).toEqual([{ n: 1 }]);
    expect(s.constraints.map((c) => c.name)).toEqual(expect.arrayContaining(['document_collaborators_document_id_fk', 'user_analysis_history_user_id_fk', 'user_profiles_user_id_key', 'messages_sender_type_check']));
  });

  it('migrate --target postgres has nothing pending; adopt again is a no-op', async () => {
    const m = await runCli(['migrate', '--target', 'postgres'], { DATABASE_URL: d.url });
    expect(m.code, m.stderr).toBe(0);
    expect(m.stdout).toContain('postgres: nothing to apply');
    const before = await catalogue(d.url);
    const again = await runCli(['adopt', '--target', 'postgres', '--apply'], { DATABASE_URL: d.url });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('layout: adopted');
    expect(await catalogue(d.url)).toBe(before);
  });

  it('the product\'s services work on it (phase 6): legacy rows read, written, searched, versioned', async () => {
    const db = await createDatabase(loadConfig({ DATABASE_URL: d.url, USE_POSTGRES_PRIMARY: 'true', LIBSQL_URL: 'file:/nonexistent/unused.db' }), { logger: silentLogger });
    try {
      const [legacyId] = (await withSql(d.url, (sql) => sql<{ id: string }[]>`SELECT id FROM messages WHERE sender_type = 'tool' AND tool_args ? 'z'`)).map((r) => r.id);
      const legacy = await db.messageService.getMessageById(legacyId!);
      expect(legacy?.message_content).toMatch(/^Tool: /);
      const id = await db.messageService.saveHumanMessage({
        userId: 'u-adopt',
        username: 'adopter',
        channelId: 'c-adopt',
        channelName: '#adopt',
        messageContent: 'zanzibarian quokka after adoption',
        messageId: 'm-adopt-1',
        timestamp: 1_767_225_600_123,
      });
      const found = await db.messageService.queryMessages({ searchText: 'quokka', limit: 10 });
      expect(found.map((m) => m.id)).toEqual([id]);
      const row = await withSql(d.url, (sql) => sql`SELECT version, timestamp::text AS ts FROM messages WHERE id = ${id}`);
      expect(row).toEqual([{ version: 1, ts: '1767225600123' }]);
      const profiles = await withSql(d.url, (sql) => sql<{ user_id: string }[]>`SELECT user_id FROM user_profiles ORDER BY id COLLATE "C" LIMIT 1`);
      const p = await db.userProfileService.getUserProfile(profiles[0]!.user_id);
      expect(p).not.toBeNull();
      expect(p!.emoji_usage_rate).toBe(0.1);
    } finally {
      await db.close();
    }
  });

  it('omega-bot\'s own INSERT (its columns only) still works: version 1, found by the product\'s search', async () => {
    await withSql(d.url, (sql) => sql`INSERT INTO messages (id, timestamp, sender_type, message_content, tool_args) VALUES ('omega-after', 1767225700000, 'tool', 'Tool: marmalade', '{"q": 1}')`);
    const r = await withSql(d.url, (sql) => sql`SELECT version, updated_at, tool_args, search_vector @@ to_tsquery('simple', 'marmalade') AS hit FROM messages WHERE id = 'omega-after'`);
    expect(r).toEqual([{ version: 1, updated_at: null, tool_args: { q: 1 }, hit: true }]);
  });
});

describe('a value that cannot convert', () => {
  it('refuses the adoption with the table, id and reason (exit 5) and changes nothing', async () => {
    const d = await freshDb();
    await buildOmegaPostgres(d.url, { size: 40, seed: 6 });
    const target = await withSql(d.url, async (sql) => {
      const [m] = await sql<{ id: string }[]>`SELECT id FROM messages WHERE sender_type = 'tool' ORDER BY id COLLATE "C" LIMIT 1`;
      await sql`UPDATE messages SET tool_args = ${'query=weather in Paris'} WHERE id = ${m!.id}`;
      return m!.id;
    });
    const before = await catalogue(d.url);
    const r = await runCli(['adopt', '--target', 'postgres', '--apply'], { DATABASE_URL: d.url });
    expect(r.code, r.stderr).toBe(5);
    expect(errorLines(r.stderr)).toEqual([expect.stringMatching(new RegExp(`^error ADOPT_VALUE_REFUSED: messages id ${target}: tool_args cannot convert text → jsonb without loss \\(invalid input syntax for type json.*; nothing was changed$`))]);
    expect(await catalogue(d.url)).toBe(before);
    expect((await detectPostgresLayout(d.url)).kind).toBe('omega-pg');
  });

  it('INTEGER 0/1 converts to boolean; a 2 is refused', async () => {
    const ok = await freshDb();
    await buildOmegaPostgres(ok.url, { size: 40, seed: 7, isPublicInteger: true });
    const cols = await legacyColumns(ok.url);
    const before = await dumpRows(ok.url, cols);
    const r = await runCli(['adopt', '--target', 'postgres', '--apply'], { DATABASE_URL: ok.url });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/convert +documents\.is_public integer → boolean/);
    expect(await dumpRows(ok.url, cols)).toEqual(before);
    const dflt = await withSql(ok.url, (sql) => sql`SELECT column_default FROM information_schema.columns WHERE table_name = 'documents' AND column_name = 'is_public'`);
    expect(dflt).toEqual([{ column_default: 'true' }]);

    const bad = await freshDb();
    await buildOmegaPostgres(bad.url, { size: 40, seed: 7, isPublicInteger: true });
    const id = await withSql(bad.url, async (sql) => (await sql<{ id: string }[]>`UPDATE documents SET is_public = 2 WHERE id = (SELECT max(id) FROM documents) RETURNING id`)[0]!.id);
    const cat = await catalogue(bad.url);
    const refused = await runCli(['adopt', '--target', 'postgres', '--apply'], { DATABASE_URL: bad.url });
    expect(refused.code, refused.stderr).toBe(5);
    expect(refused.stderr).toContain(`documents id ${id}: is_public cannot convert integer → boolean without loss (value 2 is not 0 or 1)`);
    expect(await catalogue(bad.url)).toBe(cat);
  });
});
