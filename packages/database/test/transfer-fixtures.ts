// A LibSQL database holding every trap of docs/design.md "Known traps", built with the real
// migrations and then raw SQL (as a hand-made or old database would hold them), plus helpers
// shared by the transfer-*.test.ts files.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createClient, type Client, type InValue } from '@libsql/client';
import type postgres from 'postgres';
import { expect } from 'vitest';
import { parseJsonExact } from '../src/json-exact.js';
import { migrateSqlite } from '../src/migrations/migrate.js';
import { tables, type TableName } from '../src/schema/tables.js';
import { pgDialect } from '../src/stores/pg/pg-dialect.js';
import { tableSql } from '../src/stores/table-sql.js';
import { createTestSqlite } from '../src/testing/index.js';

export const T0 = 1_700_000_000;

/** A value spliced into the INSERT as SQL (for bytes no parameter can carry). */
export const raw = (sql: string) => ({ sql });
type Value = InValue | { sql: string };

/** Inserts one row with plain SQL: spec defaults for columns not given, row-meta columns filled. */
export async function insertRow(c: Pick<Client, 'execute'>, table: TableName, values: Record<string, Value>): Promise<void> {
  const row: Record<string, Value> = {};
  for (const col of tables[table].columns) {
    if (col.name in values) row[col.name] = values[col.name]!;
    else if (col.name === 'created_at' || col.name === 'updated_at') row[col.name] = T0;
    else if (col.default !== undefined) row[col.name] = typeof col.default === 'boolean' ? Number(col.default) : typeof col.default === 'object' ? JSON.stringify(col.default) : (col.default as InValue);
  }
  const names = Object.keys(row);
  const args: InValue[] = [];
  const exprs = names.map((n) => {
    const v = row[n]!;
    if (v !== null && typeof v === 'object' && 'sql' in v) return v.sql;
    args.push(v);
    return '?';
  });
  await c.execute({ sql: `INSERT INTO "${table}" (${names.map((n) => `"${n}"`).join(', ')}) VALUES (${exprs.join(', ')})`, args });
}

const msg = (id: string, extra: Record<string, Value> = {}): Record<string, Value> => ({
  id,
  user_id: 'u1',
  username: 'ada',
  channel_id: 'c1',
  role: 'user',
  content: `hello from ${id}`,
  metadata: '{"topic":"general"}',
  timestamp: T0,
  ...extra,
});

/** 5 MiB of text with 1,000 distinct words (its tsvector stays under PostgreSQL's 1 MiB limit). */
export const FIVE_MB_TEXT = (() => {
  const words: string[] = [];
  let n = 0;
  for (let i = 0; n < 5 * 1024 * 1024; i++) {
    const w = `w${i % 1000}`;
    words.push(w);
    n += w.length + 1;
  }
  return words.join(' ');
})();

/** Metadata of the `bigJson` trap: integers beyond 2^53 as JSON numbers, and one as a string. */
export const BIG_JSON = '{"snowflake":9007199254740993,"ids":[18446744073709551615,-123456789012345678901],"ok":1.5,"quoted":"12345678901234567890"}';

/** What the trap database holds, and what import/copy must do with it. */
export const TRAPS = {
  messages: {
    ok: ['m-ok-1', 'm-ok-2', 'm-ok-3'],
    nulText: 'm-nul-text',
    nulJson: 'm-nul-json',
    surrogateText: 'm-surrogate-text',
    surrogateJson: 'm-surrogate-json',
    timestampMs: 'm-ts-ms',
    timestampIso: 'm-ts-iso',
    big53: 'm-big-2p53',
    big63: 'm-big-2p63',
    /** Integers beyond 2^53 inside JSON (a snowflake, 2^64−1, a 30-digit negative): kept exact. */
    bigJson: 'm-big-json',
    fiveMb: 'm-5mb',
    rejected: { 'm-invalid-json': 'invalid JSON', 'm-invalid-utf8': 'invalid UTF-8' } as Record<string, string>,
  },
  queries: {
    bools: { 'q-true': true, 'q-t': true, 'q-yes': true, 'q-int-1': true, 'q-off': false, 'q-F': false } as Record<string, boolean>,
    rejected: { 'q-maybe': 'not a boolean', 'q-range': 'out of range' } as Record<string, string>,
  },
  documents: { ok: ['d1'], rejected: { d2: 'invalid JSON' } as Record<string, string> },
  document_collaborators: { ok: ['dc1'], rejected: { 'dc-orphan': 'orphan: document d-missing missing', 'dc-of-d2': 'orphan: document d2 was rejected' } as Record<string, string> },
  user_profiles: { ok: ['p1', 'p2'] },
} as const;

/** Rows read per table from the trap database. */
export const TRAP_COUNTS: Record<TableName, { read: number; rejected: number }> = {
  messages: { read: 15, rejected: 2 },
  queries: { read: 8, rejected: 2 },
  documents: { read: 2, rejected: 1 },
  document_collaborators: { read: 3, rejected: 2 },
  user_profiles: { read: 2, rejected: 0 },
  user_analysis_history: { read: 0, rejected: 0 },
};

/** Builds the trap database in a temp file. `remove()` deletes it. */
export async function buildTrapDatabase(): Promise<{ url: string; path: string; remove: () => void }> {
  const file = createTestSqlite('traps.db');
  await migrateSqlite(file.url);
  const c = createClient({ url: file.url, intMode: 'bigint' });
  try {
    await c.execute('PRAGMA foreign_keys = OFF'); // as a source database may have been written
    const m = TRAPS.messages;
    for (const id of m.ok) await insertRow(c, 'messages', msg(id));
    await insertRow(c, 'messages', msg(m.nulText, { content: raw(`'before' || char(0) || 'after'`) }));
    await insertRow(c, 'messages', msg(m.nulJson, { metadata: '{"note":"a\\u0000b","k\\u0000":1}' }));
    await insertRow(c, 'messages', msg(m.surrogateText, { content: raw(`CAST(X'61EDA08062' AS TEXT)`) })); // a, lone U+D800 (WTF-8), b
    await insertRow(c, 'messages', msg(m.surrogateJson, { metadata: '{"s":"x\\ud800y"}' }));
    await insertRow(c, 'messages', msg(m.timestampMs, { timestamp: 1_627_303_906_122n }));
    await insertRow(c, 'messages', msg(m.timestampIso, { timestamp: '2021-07-26T12:51:46Z' }));
    await insertRow(c, 'messages', msg(m.big53, { external_id: 2n ** 53n + 1n }));
    await insertRow(c, 'messages', msg(m.big63, { external_id: 2n ** 63n - 1n }));
    await insertRow(c, 'messages', msg(m.bigJson, { metadata: BIG_JSON }));
    await insertRow(c, 'messages', msg(m.fiveMb, { content: FIVE_MB_TEXT }));
    await insertRow(c, 'messages', msg('m-invalid-json', { metadata: '{"unterminated": ' }));
    await insertRow(c, 'messages', msg('m-invalid-utf8', { content: raw(`CAST(X'61FF62' AS TEXT)`) }));

    const q = (id: string, success: Value, extra: Record<string, Value> = {}) =>
      insertRow(c, 'queries', { id, user_id: 'u1', channel_id: 'c1', query: 'weather?', duration_ms: 12, success, ...extra });
    await q('q-true', 'true');
    await q('q-t', 't');
    await q('q-yes', 'yes');
    await q('q-int-1', 1);
    await q('q-off', 'off');
    await q('q-F', 'F');
    await q('q-maybe', 'maybe');
    await q('q-range', 1, { duration_ms: 3_000_000_000n });

    await insertRow(c, 'documents', { id: 'd1', owner_id: 'u1', title: 'Plan', content: 'text' });
    await insertRow(c, 'documents', { id: 'd2', owner_id: 'u1', title: 'Broken', content: 'text', metadata: '{broken' });
    const dc = (id: string, documentId: string) => insertRow(c, 'document_collaborators', { id, document_id: documentId, user_id: `u-${id}`, role: 'editor', added_by: 'u1' });
    await dc('dc1', 'd1');
    await dc('dc-orphan', 'd-missing');
    await dc('dc-of-d2', 'd2');

    await insertRow(c, 'user_profiles', { id: 'p1', user_id: 'u1', username: 'ada', interests: '["chess"]', trait_openness: 0.75 });
    await insertRow(c, 'user_profiles', { id: 'p2', user_id: 'u2', opted_out: 'no', is_bot: 'yes', last_seen_at: 1_627_303_906_122n });
  } finally {
    c.close();
  }
  return file;
}

const PKG = fileURLToPath(new URL('..', import.meta.url));

/** Runs the built CLI (`node dist/cli/main.js …`) as a child process. Never rejects. */
export function runCli(args: string[], env: Record<string, string | undefined>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['dist/cli/main.js', ...args], { cwd: PKG, env: { PATH: process.env.PATH, ...env }, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Asserts that PostgreSQL holds each accepted trap with its deliberate conversion, and no rejected one. */
export async function expectTrapsLoaded(sql: postgres.Sql): Promise<void> {
  const one = async (table: TableName, id: string) => {
    const t = tableSql(pgDialect, table);
    const rows = await sql.unsafe(`SELECT ${t.selectList} FROM "${table}" m WHERE m.id = $1`, [id]);
    return rows[0] ? t.decodeRow(rows[0]) : null;
  };
  const m = TRAPS.messages;
  expect((await one('messages', m.nulText))?.content).toBe('beforeafter');
  expect((await one('messages', m.nulJson))?.metadata).toEqual({ note: 'ab', k: 1 });
  expect((await one('messages', m.surrogateText))?.content).toBe('a\uFFFDb');
  expect((await one('messages', m.surrogateJson))?.metadata).toEqual({ s: 'x\uFFFDy' });
  expect((await one('messages', m.timestampMs))?.timestamp).toBe(1_627_303_906);
  expect((await one('messages', m.timestampIso))?.timestamp).toBe(1_627_303_906);
  const big = await sql`SELECT id, external_id::text AS e FROM messages WHERE external_id IS NOT NULL ORDER BY id`;
  expect(big.map((r) => [r.id, r.e])).toEqual([
    [m.big53, '9007199254740993'],
    [m.big63, '9223372036854775807'],
  ]);
  // Integers inside JSON arrive digit for digit (jsonb keeps numbers as numeric), and read back exact.
  const [bj] = await sql`SELECT metadata->>'snowflake' AS s, metadata->'ids'->>0 AS a, metadata->'ids'->>1 AS b, jsonb_typeof(metadata->'snowflake') AS t, metadata->>'quoted' AS q
                         FROM messages WHERE id = ${m.bigJson}`;
  expect(bj).toEqual({ s: '9007199254740993', a: '18446744073709551615', b: '-123456789012345678901', t: 'number', q: '12345678901234567890' });
  const [bt] = await sql`SELECT metadata::text AS t FROM messages WHERE id = ${m.bigJson}`;
  expect(parseJsonExact(String(bt!.t))).toEqual({ snowflake: 9007199254740993n, ids: [18446744073709551615n, -123456789012345678901n], ok: 1.5, quoted: '12345678901234567890' });
  const [five] = await sql`SELECT length(content) AS n, md5(content) = md5(${FIVE_MB_TEXT}) AS same FROM messages WHERE id = ${m.fiveMb}`;
  expect(five).toEqual({ n: FIVE_MB_TEXT.length, same: true });
  for (const [id, b] of Object.entries(TRAPS.queries.bools)) expect((await one('queries', id))?.success, id).toBe(b);
  expect(await one('user_profiles', 'p2')).toMatchObject({ opted_out: false, is_bot: true, last_seen_at: 1_627_303_906 });
  expect(await one('document_collaborators', 'dc1')).toMatchObject({ document_id: 'd1' });
  const rejected = [...Object.keys(m.rejected), ...Object.keys(TRAPS.queries.rejected), ...Object.keys(TRAPS.documents.rejected), ...Object.keys(TRAPS.document_collaborators.rejected)];
  const present = await sql`SELECT id FROM messages WHERE id IN ${sql(rejected)} UNION ALL SELECT id FROM queries WHERE id IN ${sql(rejected)}
    UNION ALL SELECT id FROM documents WHERE id IN ${sql(rejected)} UNION ALL SELECT id FROM document_collaborators WHERE id IN ${sql(rejected)}`;
  expect(present).toEqual([]);
}
