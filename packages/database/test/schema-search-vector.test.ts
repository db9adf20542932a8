// messages.search_vector (migration 0001): regexp_replace with one bracket expression must give
// exactly the text translate() gave with the 32 ASCII punctuation characters, on any input, and a
// database migrated under 0000 must come out of 0001 with every row's vector recomputed and its
// GIN index back.
// Migration 0002 (leaner indexes): a database at 0001 holding rows loses omega-bot's single-column
// btrees that a longer index serves on PostgreSQL, and gets messages_metadata_idx as GIN
// jsonb_path_ops, which containment (`metadata @> …`) still uses. Migration 0003 then drops
// idx_messages_channel_id and builds messages_search_idx on (channel_id, search_vector).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratePostgres, migrationsFolder } from '../src/migrations/migrate.js';
import { ASCII_PUNCTUATION, ASCII_PUNCTUATION_CLASS } from '../src/schema/pg/index.js';
import { createTestPostgres } from '../src/testing/index.js';

let pg: Awaited<ReturnType<typeof createTestPostgres>>;
let sql: postgres.Sql;

beforeAll(async () => {
  pg = await createTestPostgres('search_vec');
  sql = postgres(pg.url, { max: 1, onnotice: () => {} });
});
afterAll(async () => {
  await sql?.end({ timeout: 5 });
  await pg?.drop();
});

/** Every ASCII character, each punctuation character doubled and at both ends, and non-ASCII look-alikes. */
function hostileTexts(): string[] {
  const ascii = Array.from({ length: 127 }, (_, i) => String.fromCharCode(i + 1)).join('');
  const out = [
    ascii,
    [...ASCII_PUNCTUATION].map((c) => `a${c}${c}b`).join(' '),
    `${ASCII_PUNCTUATION}word${ASCII_PUNCTUATION}`,
    'jpl@debian.org https://x.example/a-b_c?d=e&f=g 3.14 1,000 don\'t C++ C# e-mail',
    'café naïve Ωμέγα 東京タワー дом ！＂＃＄％ ‘quotes’ “double” – — … ¡¿ « » · † ‡ • ‰',
    'e\u0301 decomposed, ZWJ 👩‍💻, tabs\tand\nnewlines\r\n\\backslash\\ [brackets] {braces} ^caret^ `tick`',
    '',
    '---',
    '\\[-`',
  ];
  for (let i = 0; i < 40; i++) {
    let s = '';
    for (let k = 0; k < 60; k++) s += String.fromCodePoint(((i * 7919 + k * 104729) % 0x2fff) + 0x21);
    out.push(s);
  }
  return out;
}

describe('search_vector expression', () => {
  it('regexp_replace with the bracket class equals translate with the 32 characters, text and vector', async () => {
    expect(ASCII_PUNCTUATION).toHaveLength(32);
    const texts = hostileTexts();
    const rows = await sql.unsafe(
      `SELECT t,
              translate(t, $2, $3) AS a, regexp_replace(t, $4, ' ', 'g') AS b,
              to_tsvector('simple', translate(t, $2, $3))::text AS va,
              to_tsvector('simple', regexp_replace(t, $4, ' ', 'g'))::text AS vb
         FROM unnest($1::text[]) AS t`,
      [texts.map((t) => t.replaceAll('\u0000', '')), ASCII_PUNCTUATION, ' '.repeat(32), ASCII_PUNCTUATION_CLASS],
    );
    expect(rows).toHaveLength(texts.length);
    for (const r of rows) {
      expect(r.b, JSON.stringify(r.t)).toBe(r.a);
      expect(r.vb, JSON.stringify(r.t)).toBe(r.va);
    }
    // The class really removes every one of the 32, and nothing else of ASCII.
    const [kept] = await sql.unsafe(`SELECT regexp_replace($1, $2, '', 'g') AS s`, [texts[0]!, ASCII_PUNCTUATION_CLASS]);
    expect(kept!.s).toBe([...texts[0]!].filter((c) => !ASCII_PUNCTUATION.includes(c)).join(''));
  });

  it('a database migrated under 0000 gets every vector recomputed by 0001, and its GIN index back', async () => {
    // Apply 0000 alone, as a database deployed before 0001 holds it.
    const init = readFileSync(join(migrationsFolder('pg'), '0000_init.sql'), 'utf8');
    for (const stmt of init.split('--> statement-breakpoint')) if (stmt.trim()) await sql.unsafe(stmt);
    await sql.unsafe(`CREATE SCHEMA IF NOT EXISTS drizzle`);
    await sql.unsafe(`CREATE TABLE IF NOT EXISTS drizzle.__drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`);
    const journal = JSON.parse(readFileSync(join(migrationsFolder('pg'), 'meta', '_journal.json'), 'utf8')) as { entries: { when: number; tag: string }[] };
    const { createHash } = await import('node:crypto');
    await sql.unsafe(`INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ($1, $2)`, [createHash('sha256').update(init).digest('hex'), journal.entries[0]!.when]);
    await sql.unsafe(
      `INSERT INTO messages (id, timestamp, sender_type, message_content, tool_name, username) VALUES
         ('m1', 1, 'human', 'mail jpl@debian.org about C++', NULL, 'ana'),
         ('m2', 2, 'tool', 'Tool: searchWeb', 'searchWeb', NULL)`,
    );
    const before = await sql.unsafe(`SELECT id, search_vector::text AS v FROM messages ORDER BY id`);

    await migratePostgres(pg.url);

    const after = await sql.unsafe(`SELECT id, search_vector::text AS v FROM messages ORDER BY id`);
    expect(after).toEqual(before); // same vectors, now computed by the new expression
    const [expr] = await sql.unsafe(
      `SELECT pg_get_expr(d.adbin, d.adrelid) AS e FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
        WHERE d.adrelid = 'messages'::regclass AND a.attname = 'search_vector'`,
    );
    expect(expr!.e).toMatch(/regexp_replace/);
    expect(expr!.e).not.toMatch(/translate/);
    const idx = await sql.unsafe(`SELECT indexdef FROM pg_indexes WHERE tablename = 'messages' AND indexname = 'messages_search_idx'`);
    expect(idx).toHaveLength(1);
    expect(idx[0]!.indexdef).toMatch(/USING gin \(channel_id, search_vector\)/); // as migration 0003 builds it
    const hits = await sql.unsafe(`SELECT id FROM messages WHERE search_vector @@ plainto_tsquery('simple', 'debian') ORDER BY id`);
    expect(hits.map((r) => r.id)).toEqual(['m1']);
  });
});

/** Applies the journal's first `n` migrations by hand and records them, as a database deployed at that migration holds them. */
async function applyFirst(db: postgres.Sql, n: number): Promise<void> {
  const { createHash } = await import('node:crypto');
  const journal = JSON.parse(readFileSync(join(migrationsFolder('pg'), 'meta', '_journal.json'), 'utf8')) as { entries: { when: number; tag: string }[] };
  await db.unsafe(`CREATE SCHEMA IF NOT EXISTS drizzle`);
  await db.unsafe(`CREATE TABLE IF NOT EXISTS drizzle.__drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`);
  for (const e of journal.entries.slice(0, n)) {
    const text = readFileSync(join(migrationsFolder('pg'), `${e.tag}.sql`), 'utf8');
    for (const stmt of text.split('--> statement-breakpoint')) if (stmt.trim()) await db.unsafe(stmt);
    await db.unsafe(`INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ($1, $2)`, [createHash('sha256').update(text).digest('hex'), e.when]);
  }
}

describe('migration 0002 (leaner indexes)', () => {
  // 0002's three, and 0003's idx_messages_channel_id (migratePostgres applies both).
  const DROPPED = ['idx_collaborators_document_id', 'idx_queries_user_id', 'idx_user_profiles_user_id', 'idx_messages_channel_id'];
  const REBUILT = ['messages_metadata_idx', 'messages_search_idx'];
  let pg2: Awaited<ReturnType<typeof createTestPostgres>>;
  let db: postgres.Sql;
  beforeAll(async () => {
    pg2 = await createTestPostgres('leaner_idx');
    db = postgres(pg2.url, { max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    await db?.end({ timeout: 5 });
    await pg2?.drop();
  });

  const indexes = async () =>
    Object.fromEntries((await db.unsafe(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname`)).map((r) => [r.indexname as string, r.indexdef as string]));

  it('a database at 0001 holding rows: the three btrees dropped, metadata GIN rebuilt as jsonb_path_ops, rows and plans kept', async () => {
    await applyFirst(db, 2);
    await db.unsafe(`INSERT INTO documents (id, title, content, created_by) VALUES ('d1', 'doc', '', 'u1')`);
    await db.unsafe(`INSERT INTO document_collaborators (id, document_id, user_id) VALUES ('c1', 'd1', 'u2')`);
    await db.unsafe(`INSERT INTO user_profiles (id, user_id, username, first_seen_at, last_interaction_at) VALUES ('p1', 'u1', 'ana', 1, 1)`);
    await db.unsafe(`INSERT INTO queries (id, timestamp, user_id, username, query_text) VALUES ('q1', 1, 'u1', 'ana', 'how many')`);
    await db.unsafe(
      `INSERT INTO messages (id, timestamp, sender_type, message_content, user_id, channel_id, metadata)
       SELECT 'm' || g, g, 'human', 'text ' || g, 'u' || (g % 7), 'c' || (g % 5),
              CASE WHEN g % 3 = 0 THEN '{"k": "v", "n": 1}'::jsonb ELSE jsonb_build_object('k', 'w' || g) END
         FROM generate_series(1, 300) g`,
    );
    const before = await indexes();
    for (const n of DROPPED) expect(before[n], n).toBeDefined();
    expect(before.messages_metadata_idx).toBe('CREATE INDEX messages_metadata_idx ON public.messages USING gin (metadata)');

    await migratePostgres(pg2.url);

    const after = await indexes();
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).filter((n) => !DROPPED.includes(n)).sort());
    expect(after.messages_metadata_idx).toBe('CREATE INDEX messages_metadata_idx ON public.messages USING gin (metadata jsonb_path_ops)');
    expect(after.messages_search_idx).toBe('CREATE INDEX messages_search_idx ON public.messages USING gin (channel_id, search_vector)');
    for (const [n, d] of Object.entries(after)) if (!REBUILT.includes(n)) expect(d, n).toBe(before[n]);
    const [{ n }] = (await db.unsafe(`SELECT count(*)::int AS n FROM messages WHERE metadata @> '{"k":"v"}'`)) as unknown as [{ n: number }];
    expect(n).toBe(100);
    const applied = await db.unsafe(`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`);
    expect(applied[0]!.n).toBe(4);

    // Plans: containment on the GIN index; a query's, a document's and a profile's rows on the longer indexes.
    const plan = async (q: string) => {
      const rows = await db.begin(async (tx) => {
        await tx.unsafe('SET LOCAL enable_seqscan = off');
        return tx.unsafe(`EXPLAIN (COSTS OFF) ${q}`);
      });
      return rows.map((r) => r['QUERY PLAN'] as string).join('\n');
    };
    await db.unsafe('ANALYZE');
    expect(await plan(`SELECT id FROM messages WHERE metadata @> '{"k":"v"}'`)).toMatch(/messages_metadata_idx/);
    expect(await plan(`SELECT id FROM messages WHERE metadata @> '{"k":"v"}'::text::jsonb AND channel_id = 'c1'`)).toMatch(/messages_metadata_idx|messages_channel_ts_idx|idx_messages_channel_id/);
    expect(await plan(`SELECT id FROM messages WHERE channel_id = 'c1'`)).toMatch(/idx_messages_channel_id|messages_channel_ts_idx/);
    expect(await plan(`SELECT id FROM messages WHERE user_id = 'u1'`)).toMatch(/idx_messages_user_id|messages_user_ts_idx/);
    expect(await plan(`SELECT id FROM queries WHERE user_id = 'u1'`)).toMatch(/queries_user_ts_idx/);
    expect(await plan(`SELECT id FROM document_collaborators WHERE document_id = 'd1'`)).toMatch(/idx_collaborators_unique/);
    expect(await plan(`SELECT id FROM user_profiles WHERE user_id = 'u1'`)).toMatch(/user_profiles_user_id_key/);
  });

  it('a database at 0001 left by a killed bulk load (indexes recorded as deferred): migrate does not build the three again', async () => {
    const killed = await createTestPostgres('leaner_killed');
    const k = postgres(killed.url, { max: 1, onnotice: () => {} });
    try {
      await applyFirst(k, 2);
      const defs = new Map((await k.unsafe(`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'messages' AND indexname NOT IN ('messages_pkey')`)).map((r) => [r.indexname as string, r.indexdef as string]));
      await k.unsafe(`CREATE TABLE transfer_deferred_indexes (index_name text PRIMARY KEY, table_name text NOT NULL, definition text NOT NULL, deferred_at timestamptz NOT NULL DEFAULT now())`);
      for (const [name, def] of defs) {
        await k.unsafe(`INSERT INTO transfer_deferred_indexes (index_name, table_name, definition) VALUES ($1, 'messages', $2)`, [name, def]);
        await k.unsafe(`DROP INDEX "${name}"`);
      }
      await migratePostgres(killed.url);
      const names = (await k.unsafe(`SELECT indexname FROM pg_indexes WHERE tablename = 'messages' ORDER BY indexname`)).map((r) => r.indexname as string);
      expect(names).toEqual([...defs.keys(), 'messages_pkey'].filter((n) => !DROPPED.includes(n)).sort());
      const [m] = await k.unsafe(`SELECT indexdef FROM pg_indexes WHERE indexname = 'messages_metadata_idx'`);
      expect(m!.indexdef).toMatch(/jsonb_path_ops/);
      expect(await k.unsafe(`SELECT index_name FROM transfer_deferred_indexes`)).toEqual([]);
    } finally {
      await k.end({ timeout: 5 });
      await killed.drop();
    }
  });

  it('migrating again changes nothing; 0002 also applies to a fresh database (IF EXISTS)', async () => {
    const before = await indexes();
    await migratePostgres(pg2.url);
    expect(await indexes()).toEqual(before);
    const fresh = await createTestPostgres('leaner_fresh');
    try {
      await migratePostgres(fresh.url);
      const f = postgres(fresh.url, { max: 1, onnotice: () => {} });
      try {
        const names = (await f.unsafe(`SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname`)).map((r) => r.indexname as string);
        expect(names).toEqual(Object.keys(before).sort());
      } finally {
        await f.end({ timeout: 5 });
      }
    } finally {
      await fresh.drop();
    }
  });
});
