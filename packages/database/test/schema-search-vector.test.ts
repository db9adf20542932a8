// messages.search_vector (migration 0001): regexp_replace with one bracket expression must give
// exactly the text translate() gave with the 32 ASCII punctuation characters, on any input, and a
// database migrated under 0000 must come out of 0001 with every row's vector recomputed and its
// GIN index back.
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
    expect(idx[0]!.indexdef).toMatch(/USING gin \(search_vector\)/);
    const hits = await sql.unsafe(`SELECT id FROM messages WHERE search_vector @@ plainto_tsquery('simple', 'debian') ORDER BY id`);
    expect(hits.map((r) => r.id)).toEqual(['m1']);
  });
});
