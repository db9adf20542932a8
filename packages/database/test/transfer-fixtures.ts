// A LibSQL database holding every trap of docs/design.md "Known traps", built with the real
// migrations and then raw SQL (as a hand-made or old database would hold them), plus helpers
// shared by the transfer-*.test.ts files.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createClient, type Client, type InValue } from '@libsql/client';
import postgres from 'postgres';
import { expect } from 'vitest';
import { parseJsonExact } from '../src/json-exact.js';
import { migrateSqlite } from '../src/migrations/migrate.js';
import { tableNames, tables, type TableName } from '../src/schema/tables.js';
import { pgDialect } from '../src/stores/pg/pg-dialect.js';
import { tableSql } from '../src/stores/table-sql.js';
import { createTestSqlite } from '../src/testing/index.js';
import { openSource, type SourceOptions, type SourceRow } from '../src/transfer/source/source.js';
import { rawForJson } from '../src/transfer/source/sqlite-value.js';

/** Unix seconds of the fixtures' rows (every time column but the two `millis` ones). */
export const T0 = 1_700_000_000;
/** Unix milliseconds of the fixtures' messages and queries (`timestamp`, logical type `millis`). */
export const T0_MS = 1_700_000_000_123;

/** A value spliced into the INSERT as SQL (for bytes no parameter can carry). */
export const raw = (sql: string) => ({ sql });
type Value = InValue | { sql: string };

/**
 * Inserts one row with plain SQL. Columns not given: `created_at`, `updated_at`, `joined_at` and
 * NOT NULL unix-second columns (`first_seen_at`, `analysis_timestamp`…) get {@link T0}, NOT NULL
 * `millis` columns {@link T0_MS}, others their spec default (or NULL).
 */
export async function insertRow(c: Pick<Client, 'execute'>, table: TableName, values: Record<string, Value>): Promise<void> {
  const row: Record<string, Value> = {};
  for (const col of tables[table].columns) {
    if (col.name in values) row[col.name] = values[col.name]!;
    else if (col.name === 'created_at' || col.name === 'updated_at' || col.name === 'joined_at' || (col.notNull && col.type === 'timestamp')) row[col.name] = T0;
    else if (col.notNull && col.type === 'millis') row[col.name] = T0_MS;
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

/** A human message of omega-bot's shape (sender 'human', channel, guild, ms timestamp). */
export const msg = (id: string, extra: Record<string, Value> = {}): Record<string, Value> => ({
  id,
  timestamp: T0_MS,
  sender_type: 'human',
  user_id: 'u1',
  username: 'ada',
  channel_id: 'c1',
  channel_name: 'general',
  guild_id: 'g1',
  message_content: `hello from ${id}`,
  metadata: '{"topic":"general"}',
  ...extra,
});

/** A query of omega-bot's shape (ms timestamp). */
export const query = (id: string, extra: Record<string, Value> = {}): Record<string, Value> => ({
  id,
  timestamp: T0_MS,
  user_id: 'u1',
  username: 'ada',
  query_text: 'who wrote the most?',
  translated_sql: 'SELECT user_id FROM messages',
  execution_time_ms: 12,
  ...extra,
});

/** A document of omega-bot's shape. */
export const doc = (id: string, extra: Record<string, Value> = {}): Record<string, Value> => ({ id, title: `doc ${id}`, content: 'text', created_by: 'u1', created_by_username: 'ada', ...extra });

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

/** A message timestamp in ms (2021-07-26T12:51:46.122Z) whose seconds are 1_627_303_906. */
export const TS_MS = 1_627_303_906_122;

/** What the trap database holds, and what import/copy must do with it. */
export const TRAPS = {
  messages: {
    ok: ['m-ok-1', 'm-ok-2', 'm-ok-3'],
    /** m-ok-3: a tool call in a direct message (sender 'tool', tool_name, tool_args/tool_result JSON, parent_message_id, no guild). */
    tool: 'm-ok-3',
    nulText: 'm-nul-text',
    nulJson: 'm-nul-json',
    surrogateText: 'm-surrogate-text',
    surrogateJson: 'm-surrogate-json',
    /** Milliseconds in a seconds column (created_at = TS_MS) → ÷1000; its ms `timestamp` (TS_MS) kept exactly. */
    timestampMs: 'm-ts-ms',
    /** ISO-8601 text in created_at (→ unix s) and in the ms `timestamp` (→ unix ms, fraction kept). */
    timestampIso: 'm-ts-iso',
    /** A snowflake 2^53+1 written as an integer into guild_id (TEXT affinity): arrives digit for digit. */
    big53: 'm-big-2p53',
    /** 2^63−1 in the ms `timestamp`: read exactly, rejected (beyond any date), never rounded. */
    big63: 'm-big-2p63',
    /** Integers beyond 2^53 inside JSON (a snowflake, 2^64−1, a 30-digit negative): kept exact. */
    bigJson: 'm-big-json',
    fiveMb: 'm-5mb',
    rejected: { 'm-invalid-json': 'invalid JSON', 'm-invalid-utf8': 'invalid UTF-8', 'm-big-2p63': 'out of range' } as Record<string, string>,
  },
  queries: {
    ok: ['q-ok', 'q-ts-seconds'],
    /** A ms timestamp that looks like seconds (below 10^11): kept as it is, with a note. */
    timestampSeconds: 'q-ts-seconds',
    rejected: { 'q-range': 'out of range', 'q-frac': 'not an integer' } as Record<string, string>,
  },
  documents: {
    ok: ['d1'],
    /** Text booleans in is_public (and one integer). */
    bools: { 'd-true': true, 'd-t': true, 'd-yes': true, 'd-int-0': false, 'd-off': false, 'd-F': false } as Record<string, boolean>,
    rejected: { d2: 'invalid JSON', 'd-maybe': 'not a boolean' } as Record<string, string>,
  },
  document_collaborators: { ok: ['dc1'], rejected: { 'dc-orphan': 'orphan: document d-missing missing', 'dc-of-d2': 'orphan: document d2 was rejected' } as Record<string, string> },
  user_profiles: { ok: ['p1', 'p2'], rejected: { 'p-bad': 'not a number' } as Record<string, string> },
  user_analysis_history: {
    ok: ['h1'],
    rejected: {
      'h-orphan': 'orphan: user_profile with user_id u-missing missing',
      'h-of-bad': 'orphan: user_profile with user_id u3 was rejected',
    } as Record<string, string>,
  },
} as const;

/** Every rejected trap row of every table: id → the reason it is rejected with (a part of it). */
export const TRAP_REJECTED: Readonly<Record<string, string>> = Object.assign({}, ...Object.values(TRAPS).map((t) => t.rejected));

/** Rows read per table from the trap database. */
export const TRAP_COUNTS: Record<TableName, { read: number; rejected: number }> = {
  messages: { read: 15, rejected: 3 },
  queries: { read: 4, rejected: 2 },
  documents: { read: 9, rejected: 2 },
  document_collaborators: { read: 3, rejected: 2 },
  user_profiles: { read: 3, rejected: 1 },
  user_analysis_history: { read: 3, rejected: 2 },
};

/** Builds the trap database in a temp file. `remove()` deletes it. */
export async function buildTrapDatabase(): Promise<{ url: string; path: string; remove: () => void }> {
  const file = createTestSqlite('traps.db');
  await migrateSqlite(file.url);
  const c = createClient({ url: file.url, intMode: 'bigint' });
  try {
    await c.execute('PRAGMA foreign_keys = OFF'); // as a source database may have been written
    const m = TRAPS.messages;
    await insertRow(c, 'messages', msg('m-ok-1', { session_id: 's1', response_decision: '{"shouldRespond":true,"confidence":0.9,"reason":"asked"}' }));
    await insertRow(c, 'messages', msg('m-ok-2', { sender_type: 'ai', user_id: 'bot', username: 'Omega', parent_message_id: 'm-ok-1' }));
    await insertRow(c, 'messages', msg(m.tool, { sender_type: 'tool', message_content: 'Tool: searchWeb', tool_name: 'searchWeb', tool_args: '{"query":"weather"}', tool_result: '{"success":true,"results":[]}', parent_message_id: 'm-ok-1', guild_id: null }));
    await insertRow(c, 'messages', msg(m.nulText, { message_content: raw(`'before' || char(0) || 'after'`) }));
    await insertRow(c, 'messages', msg(m.nulJson, { metadata: '{"note":"a\\u0000b","k\\u0000":1}' }));
    await insertRow(c, 'messages', msg(m.surrogateText, { message_content: raw(`CAST(X'61EDA08062' AS TEXT)`) })); // a, lone U+D800 (WTF-8), b
    await insertRow(c, 'messages', msg(m.surrogateJson, { metadata: '{"s":"x\\ud800y"}' }));
    await insertRow(c, 'messages', msg(m.timestampMs, { timestamp: BigInt(TS_MS), created_at: BigInt(TS_MS) }));
    await insertRow(c, 'messages', msg(m.timestampIso, { timestamp: '2021-07-26T12:51:46.122Z', created_at: '2021-07-26T12:51:46Z' }));
    await insertRow(c, 'messages', msg(m.big53, { guild_id: 2n ** 53n + 1n }));
    await insertRow(c, 'messages', msg(m.big63, { timestamp: 2n ** 63n - 1n }));
    await insertRow(c, 'messages', msg(m.bigJson, { metadata: BIG_JSON }));
    await insertRow(c, 'messages', msg(m.fiveMb, { message_content: FIVE_MB_TEXT }));
    await insertRow(c, 'messages', msg('m-invalid-json', { metadata: '{"unterminated": ' }));
    await insertRow(c, 'messages', msg('m-invalid-utf8', { message_content: raw(`CAST(X'61FF62' AS TEXT)`) }));

    await insertRow(c, 'queries', query('q-ok', { timestamp: BigInt(TS_MS), query_result: '{"rows":[{"n":9007199254740993}]}', result_count: 1 }));
    await insertRow(c, 'queries', query('q-ts-seconds', { timestamp: 1_627_303_906 }));
    await insertRow(c, 'queries', query('q-range', { execution_time_ms: 3_000_000_000n }));
    await insertRow(c, 'queries', query('q-frac', { result_count: raw('12.5') }));

    await insertRow(c, 'documents', doc('d1', { title: 'Plan' }));
    for (const [id, v] of [['d-true', 'true'], ['d-t', 't'], ['d-yes', 'yes'], ['d-int-0', 0], ['d-off', 'off'], ['d-F', 'F'], ['d-maybe', 'maybe']] as const) {
      await insertRow(c, 'documents', doc(id, { is_public: v }));
    }
    await insertRow(c, 'documents', doc('d2', { title: 'Broken', metadata: '{broken' }));
    const dc = (id: string, documentId: string) => insertRow(c, 'document_collaborators', { id, document_id: documentId, user_id: `u-${id}`, username: id, role: 'editor', joined_at: BigInt(TS_MS) });
    await dc('dc1', 'd1');
    await dc('dc-orphan', 'd-missing');
    await dc('dc-of-d2', 'd2');

    await insertRow(c, 'user_profiles', { id: 'p1', user_id: 'u1', username: 'ada', primary_interests: '["chess"]', archetype_confidence: 0.75, openness_score: 80 });
    await insertRow(c, 'user_profiles', { id: 'p2', user_id: 'u2', username: 'bob', first_seen_at: '2021-07-26T12:51:46Z', last_interaction_at: BigInt(TS_MS) });
    await insertRow(c, 'user_profiles', { id: 'p-bad', user_id: 'u3', username: 'eve', archetype_confidence: 'high' });

    const h = (id: string, userId: string, extra: Record<string, Value> = {}) =>
      insertRow(c, 'user_analysis_history', { id, user_id: userId, feelings_snapshot: '{"affinity":70}', personality_snapshot: '{"archetype":"Sage"}', message_count_at_analysis: 12, ...extra });
    await h('h1', 'u1', { analysis_timestamp: BigInt(TS_MS), feelings_snapshot: BIG_JSON });
    await h('h-orphan', 'u-missing');
    await h('h-of-bad', 'u3');
  } finally {
    c.close();
  }
  return file;
}

const PKG = fileURLToPath(new URL('..', import.meta.url));

/** Every table of a PostgreSQL database as text (`to_jsonb` of each row), rows in id order (bytewise), to compare two loads whole. */
export async function dumpPostgres(url: string): Promise<Record<string, string[]>> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const out: Record<string, string[]> = {};
    for (const t of tableNames) out[t] = (await sql.unsafe(`SELECT to_jsonb(t)::text AS r FROM "${t}" t ORDER BY id COLLATE "C"`)).map((r) => String(r.r));
    return out;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

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
  expect((await one('messages', m.nulText))?.message_content).toBe('beforeafter');
  expect((await one('messages', m.nulJson))?.metadata).toEqual({ note: 'ab', k: 1 });
  expect((await one('messages', m.surrogateText))?.message_content).toBe('a\uFFFDb');
  expect((await one('messages', m.surrogateJson))?.metadata).toEqual({ s: 'x\uFFFDy' });
  // Milliseconds in a seconds column → ÷1000; the ms `timestamp` beside it kept exactly (never ÷1000).
  expect(await one('messages', m.timestampMs)).toMatchObject({ created_at: 1_627_303_906, timestamp: TS_MS });
  expect(await one('messages', m.timestampIso)).toMatchObject({ created_at: 1_627_303_906, timestamp: TS_MS });
  const [ts] = await sql`SELECT "timestamp"::text AS ms FROM messages WHERE id = ${m.timestampMs}`;
  expect(ts).toEqual({ ms: String(TS_MS) });
  expect(await one('messages', m.tool)).toMatchObject({ sender_type: 'tool', tool_name: 'searchWeb', tool_args: { query: 'weather' }, tool_result: { success: true, results: [] }, parent_message_id: 'm-ok-1' });
  expect((await one('messages', m.tool))?.guild_id).toBeNull(); // a direct message
  expect((await one('messages', m.big53))?.guild_id).toBe('9007199254740993');
  // Integers inside JSON arrive digit for digit (jsonb keeps numbers as numeric), and read back exact.
  const [bj] = await sql`SELECT metadata->>'snowflake' AS s, metadata->'ids'->>0 AS a, metadata->'ids'->>1 AS b, jsonb_typeof(metadata->'snowflake') AS t, metadata->>'quoted' AS q
                         FROM messages WHERE id = ${m.bigJson}`;
  expect(bj).toEqual({ s: '9007199254740993', a: '18446744073709551615', b: '-123456789012345678901', t: 'number', q: '12345678901234567890' });
  const [bt] = await sql`SELECT metadata::text AS t FROM messages WHERE id = ${m.bigJson}`;
  expect(parseJsonExact(String(bt!.t))).toEqual({ snowflake: 9007199254740993n, ids: [18446744073709551615n, -123456789012345678901n], ok: 1.5, quoted: '12345678901234567890' });
  const [hj] = await sql`SELECT feelings_snapshot->>'snowflake' AS s FROM user_analysis_history WHERE id = 'h1'`;
  expect(hj).toEqual({ s: '9007199254740993' });
  const [five] = await sql`SELECT length(message_content) AS n, md5(message_content) = md5(${FIVE_MB_TEXT}) AS same FROM messages WHERE id = ${m.fiveMb}`;
  expect(five).toEqual({ n: FIVE_MB_TEXT.length, same: true });
  expect(await one('queries', 'q-ok')).toMatchObject({ timestamp: TS_MS, result_count: 1 });
  const [qr] = await sql`SELECT query_result->'rows'->0->>'n' AS n FROM queries WHERE id = 'q-ok'`;
  expect(qr).toEqual({ n: '9007199254740993' });
  expect((await one('queries', TRAPS.queries.timestampSeconds))?.timestamp).toBe(1_627_303_906); // kept: a ms column is never scaled
  for (const [id, b] of Object.entries(TRAPS.documents.bools)) expect((await one('documents', id))?.is_public, id).toBe(b);
  expect((await one('documents', 'd1'))?.is_public).toBe(true);
  expect(await one('user_profiles', 'p1')).toMatchObject({ primary_interests: ['chess'], archetype_confidence: 0.75, openness_score: 80 });
  expect(await one('user_profiles', 'p2')).toMatchObject({ first_seen_at: 1_627_303_906, last_interaction_at: 1_627_303_906 });
  expect(await one('user_analysis_history', 'h1')).toMatchObject({ user_id: 'u1', analysis_timestamp: 1_627_303_906 });
  expect(await one('document_collaborators', 'dc1')).toMatchObject({ document_id: 'd1', joined_at: 1_627_303_906, role: 'editor' });
  const rejected = Object.keys(TRAP_REJECTED);
  const present = await sql`SELECT id FROM messages WHERE id IN ${sql(rejected)} UNION ALL SELECT id FROM queries WHERE id IN ${sql(rejected)}
    UNION ALL SELECT id FROM documents WHERE id IN ${sql(rejected)} UNION ALL SELECT id FROM document_collaborators WHERE id IN ${sql(rejected)}
    UNION ALL SELECT id FROM user_profiles WHERE id IN ${sql(rejected)} UNION ALL SELECT id FROM user_analysis_history WHERE id IN ${sql(rejected)}`;
  expect(present).toEqual([]);
}

/** Every table of a LibSQL source read in one snapshot, in chunks of at most `chunkRows` rows. */
export async function readSourceTables(opts: SourceOptions, chunkRows: number): Promise<Record<string, SourceRow[]>> {
  const source = await openSource(opts);
  try {
    return await source.snapshot(async (snap) => {
      const out: Record<string, SourceRow[]> = {};
      for (const t of tableNames) {
        out[t] = [];
        for await (const chunk of snap.rows(t, chunkRows)) out[t].push(...chunk);
      }
      return out;
    });
  } finally {
    source.close();
  }
}

/** Source rows as comparable JSON (rowid as digits, values through `raw`: the module's own `rawForJson` for rows of another build). */
export const sourceRowsJson = (rows: readonly SourceRow[], raw: (v: unknown) => unknown = rawForJson): string =>
  JSON.stringify(rows.map((r) => ({ ...r, rowid: String(r.rowid), values: Object.fromEntries(Object.entries(r.values).map(([k, v]) => [k, raw(v)])) })));
