/**
 * verify's key-ordered pass compares pass rows built by each backend (pass-sql.ts) byte for byte
 * and json token by token: subtle differences must still be drift (a float's last bit, an integer
 * beyond 2^53 in JSON, a nested JSON value, an astral character, a boolean, a ms timestamp's last
 * millisecond), and what import would convert (milliseconds in seconds columns, text booleans,
 * JSON spelling) must not be.
 */
import Libsql from 'libsql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../src/schema/tables.js';
import { openBackendPair, type BackendPair } from '../src/transfer/source/backend-pair.js';
import { compareIds, PassComparer, sameJsonValue } from '../src/transfer/verify-pass/pass-compare.js';
import { openPgPassReader } from '../src/transfer/verify-pass/pass-reader-pg.js';
import { openSqlitePassReader } from '../src/transfer/verify-pass/pass-reader-sqlite.js';
import { hasTextAffinity, passLayout, sqliteChunkSql } from '../src/transfer/verify-pass/pass-sql.js';
import { sameJsonBytes } from '../src/transfer/verify-pass/pass-json-bytes.js';
import { pgNumber, realHex, sameRealHex } from '../src/transfer/verify-pass/pass-json.js';
import { reconcile } from '../src/transfer/reconcile.js';
import { verifyTables, type VerifyResult } from '../src/transfer/verify.js';
import { createBothDatabases, openRaw } from './helpers/backends.js';
import { generateMessages, seedPhase4, type Seeded } from './verify-fixtures.js';

const b = (s: string) => Buffer.from(s, 'utf8');
const sameJson = (lite: string, pg: string) => sameJsonBytes(b(lite), 0, b(lite).length, b(pg), 0, b(pg).length);

describe('json tokens (LibSQL text against PostgreSQL jsonb text)', () => {
  it('are equal in any key order and spacing, nested, non-ASCII keys in jsonb order', () => {
    expect(sameJson('{"topic":"chat","lang":"en"}', '{"lang": "en", "topic": "chat"}')).toBe(true);
    expect(sameJson('{ "b" : [1, 2,{"y":1,"x":"é"}] , "a":null}', '{"a": null, "b": [1, 2, {"x": "é", "y": 1}]}')).toBe(true);
    expect(sameJson('{"日":1,"ab":2}', '{"ab": 2, "日": 1}')).toBe(true); // 3 bytes after 2
    expect(sameJson('{"a":"x\\"y","b":[]}', '{"a": "x\\"y", "b": []}')).toBe(true);
  });

  it('differ on any value, key or element change, and cannot tell spellings apart (then the values are compared)', () => {
    expect(sameJson('{"a":1}', '{"a": 2}')).toBe(false);
    expect(sameJson('{"a":1,"b":2}', '{"a": 1}')).toBe(false);
    expect(sameJson('{"a":1}', '{"a": 1, "b": 2}')).toBe(false);
    expect(sameJson('[1,2]', '[1, 2, 3]')).toBe(false);
    expect(sameJson('1', '12')).toBe(false);
    expect(sameJson('{"ab":1,"b":2}', '{"ab": 1, "b": 2}')).toBe(false); // not jsonb's order: not PostgreSQL's text
    expect(sameJson('{"a":1,"a":2}', '{"a": 2}')).toBe(false); // duplicate keys: JSON.parse decides
    expect(sameJson('{"a":"\\u00e9"}', '{"a": "é"}')).toBe(false);
    expect(sameJson('{"a":1}x', '{"a": 1}')).toBe(false);
    expect(sameJsonValue(JSON.parse('{"a":"\\u00e9","n":1.50}'), JSON.parse('{"n": 1.5, "a": "é"}'))).toBe(true);
    expect(sameJsonValue(JSON.parse('{"a":[1,{"b":null}]}'), JSON.parse('{"a": [1, {"b": false}]}'))).toBe(false);
    expect(sameJsonValue(JSON.parse('{"a":1}'), JSON.parse('{"b": 1}'))).toBe(false);
    expect(sameJsonValue([1], { 0: 1 })).toBe(false);
  });

  it('write numbers as jsonb prints them, and reals as float8send bits', () => {
    expect([1e21, 1.5e-7, -1e-7, 0.1, -0, 12345678901234567000].map(pgNumber)).toEqual(['1000000000000000000000', '0.00000015', '-0.0000001', '0.1', '0', '12345678901234567000']);
    expect(realHex(0.1)).toBe('3fb999999999999a');
    expect(sameRealHex(b('3fb999999999999a'), 0, 0.1)).toBe(true);
    expect(sameRealHex(b('3fb999999999999b'), 0, 0.1)).toBe(false);
  });
});

let urls: Awaited<ReturnType<typeof createBothDatabases>>;
let raw: ReturnType<typeof openRaw>;
let pair: BackendPair;
let seeded: Seeded;

const verify = () => verifyTables({ pair, recheckDelayMs: 0, sampleSize: 100 });
const different = (r: VerifyResult) =>
  Object.fromEntries(r.tables.filter((t) => t.different + t.missingInPostgres + t.missingInSqlite > 0).map((t) => [t.table, [...t.ids.different].sort()]));
const columnsOf = (r: VerifyResult, id: string) => r.sample.find((e) => e.id === id)?.columns;

beforeAll(async () => {
  urls = await createBothDatabases('vpass');
  seeded = await seedPhase4(urls);
  raw = openRaw(urls.sqliteUrl, urls.pgUrl);
  pair = await openBackendPair({ libsqlUrl: urls.sqliteUrl, databaseUrl: urls.pgUrl });
}, 120_000);

afterAll(async () => {
  await pair?.close();
  await raw?.close();
  await urls?.cleanup();
});

describe('verify pass on real rows', () => {
  it('finds each subtle difference, with its column, and nothing else', async () => {
    const [m0, , m2, m3, m4, m5] = seeded.messages as [string, string, string, string, string, string];
    const [doc, query] = [seeded.documents[0]!, seeded.queries[0]!];
    const profile = String((await raw.pg.unsafe('SELECT id FROM user_profiles WHERE user_id = $1', [seeded.userId]))[0]!.id);
    await raw.pg.unsafe(`UPDATE user_profiles SET archetype_confidence = $2::float8 WHERE id = $1`, [profile, '0.5000000000000001']); // last bit of 0.5
    // 2^53+1 against 2^53 inside JSON
    await raw.pg.unsafe(`UPDATE messages SET metadata = jsonb_set(metadata, '{nested,z}', '9007199254740993') WHERE id = $1`, [m0]);
    await raw.lite.execute({ sql: `UPDATE messages SET metadata = json_set(metadata, '$.nested.z', 9007199254740992) WHERE id = ?`, args: [m0] });
    await raw.pg.unsafe(`UPDATE messages SET metadata = jsonb_set(metadata, '{nested,a,2}', '"y"') WHERE id = $1`, [m2]);
    await raw.lite.execute({ sql: `UPDATE messages SET metadata = json_set(metadata, '$.extra', 1) WHERE id = ?`, args: [m3] });
    await raw.lite.execute({ sql: `UPDATE messages SET "timestamp" = "timestamp" + 1 WHERE id = ?`, args: [m4] }); // 1 ms
    await raw.lite.execute({ sql: `UPDATE messages SET message_content = 'fox 🦊' WHERE id = ?`, args: [m5] });
    await raw.pg.unsafe(`UPDATE messages SET message_content = 'fox 🦁' WHERE id = $1`, [m5]);
    await raw.pg.unsafe(`UPDATE queries SET "timestamp" = "timestamp" - 1 WHERE id = $1`, [query]); // 1 ms
    await raw.pg.unsafe(`UPDATE documents SET is_public = false WHERE id = $1`, [doc]);

    const r = await verify();
    expect(different(r)).toEqual({
      messages: [m0, m2, m3, m4, m5].sort(),
      queries: [query],
      documents: [doc],
      user_profiles: [profile],
    });
    expect(columnsOf(r, profile)).toEqual(['archetype_confidence']);
    expect(columnsOf(r, m0)).toEqual(['metadata']);
    expect(columnsOf(r, m2)).toEqual(['metadata']);
    expect(columnsOf(r, m3)).toEqual(['metadata']);
    expect(columnsOf(r, m4)).toEqual(['timestamp']);
    expect(columnsOf(r, m5)).toEqual(['message_content']);
    expect(columnsOf(r, query)).toEqual(['timestamp']);
    expect(columnsOf(r, doc)).toEqual(['is_public']);
    // 12 human messages, the AI reply and the tool call.
    expect(r.tables.find((t) => t.table === 'messages')).toMatchObject({ sqliteRows: 14, postgresRows: 14, matched: 9 });

    const fixed = await reconcile({ pair, from: 'sqlite', recheckDelayMs: 0 });
    expect(fixed.ok).toBe(true);
    expect((await verify()).ok).toBe(true);
  });

  it('does not count what import converts as drift: milliseconds in seconds columns, text booleans, JSON spelled otherwise, integral reals', async () => {
    const [, m1, , , , , m6] = seeded.messages as [string, string, string, string, string, string, string];
    await raw.lite.execute({ sql: `UPDATE messages SET created_at = created_at * 1000, updated_at = CAST(updated_at AS REAL) WHERE id = ?`, args: [m1] });
    await raw.lite.execute({ sql: `UPDATE messages SET metadata = ? WHERE id = ?`, args: ['{ "nested" : {"z": 1.0, "a": [true,null,"x"]}, "topic":"billing", "messageId": "1200000000000000001" }', m1] });
    await raw.lite.execute({ sql: `UPDATE messages SET metadata = ? WHERE id = ?`, args: ['{"topic":"caf\\u00e9","nested":{"z":6,"a":[true,null,"x"]},"messageId":"1200000000000000006"}', m6] }); // an escape PostgreSQL spells out
    await raw.pg.unsafe(`UPDATE messages SET metadata = jsonb_set(metadata, '{topic}', '"café"') WHERE id = $1`, [m6]);
    await raw.lite.execute({ sql: `UPDATE documents SET is_public = ' True ' WHERE id = ?`, args: [seeded.documents[0]!] });
    await raw.lite.execute({ sql: `UPDATE user_profiles SET last_interaction_at = last_interaction_at * 1000 WHERE user_id = ?`, args: [seeded.userId] });
    const r = await verify();
    expect(different(r)).toEqual({});
    expect(r.ok).toBe(true);
    expect(r.tables.find((t) => t.table === 'messages')).toMatchObject({ matched: 14 });
  });

  it('reads wide chunks bounded by bytes: many profiles with every column set compare clean, then one changed bit is found', async () => {
    const cols = (await raw.pg.unsafe(`SELECT * FROM user_profiles LIMIT 1`)).columns.map((c) => `"${c.name}"`);
    const copied = cols.map((c) => (c === '"id"' ? `'p-' || lpad(g::text, 3, '0')` : c === '"user_id"' ? `'u-' || g` : `p.${c}`));
    await raw.pg.unsafe(`INSERT INTO user_profiles (${cols.join(', ')}) SELECT ${copied.join(', ')} FROM user_profiles p, generate_series(0, 299) g WHERE p.user_id = $1`, [seeded.userId]);
    const fixed = await reconcile({ pair, from: 'postgres', recheckDelayMs: 0 });
    expect(fixed.ok).toBe(true);
    const clean = await verify();
    expect(clean.tables.find((t) => t.table === 'user_profiles')).toMatchObject({ sqliteRows: 301, postgresRows: 301, matched: 301 });
    // every LibSQL row with milliseconds in a seconds column (import converts them): each chunk then ends on a row converted in JS
    await raw.lite.execute(`UPDATE user_profiles SET first_seen_at = first_seen_at * 1000 WHERE first_seen_at < 100000000000`);
    expect((await verify()).tables.find((t) => t.table === 'user_profiles')).toMatchObject({ sqliteRows: 301, matched: 301, different: 0 });
    await raw.pg.unsafe(`UPDATE user_profiles SET archetype_confidence = archetype_confidence * (1 + 2.220446049250313e-16) WHERE id = 'p-250'`);
    const r = await verify();
    expect(different(r)).toEqual({ user_profiles: ['p-250'] });
  });

  it('matches rows converted in JS in the pass itself, thousands to a chunk (milliseconds)', async () => {
    await generateMessages({ sqliteUrl: urls.sqliteUrl, pgUrl: urls.pgUrl, count: 3_000, start: 1_000 });
    await raw.lite.execute(`UPDATE messages SET created_at = created_at * 1000 WHERE rowid % 2 = 0 AND created_at < 100000000000`);
    const a = openSqlitePassReader(pair.sqlite, 'messages', 20_000);
    const b = await openPgPassReader(pair.postgres, 'messages', 20_000);
    const cmp = new PassComparer(passLayout('messages'));
    const seen = { same: 0, converted: 0, other: 0 };
    try {
      let ca = await a.next();
      let cb = await b.next();
      let [i, j] = [0, 0];
      while (ca && cb) {
        if (i === ca.n) [ca, i] = [await a.next(), 0];
        else if (j === cb.n) [cb, j] = [await b.next(), 0];
        else if (compareIds(ca, i, cb, j) !== 0 || !cmp.same(ca, i, cb, j)) [seen.other, i, j] = [seen.other + 1, i + 1, j + 1];
        else [seen.same, seen.converted, i, j] = [seen.same + 1, seen.converted + (ca.kind[i] === 1 ? 1 : 0), i + 1, j + 1];
      }
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
    expect(seen.other).toBe(0);
    expect(seen.same).toBe(3_014);
    expect(seen.converted).toBeGreaterThan(1_400);
    expect((await verify()).tables.find((t) => t.table === 'messages')).toMatchObject({ matched: 3_014, different: 0, missingInPostgres: 0, missingInSqlite: 0, rejected: 0 });
  });
  it('never takes a LibSQL value that only looks like PostgreSQL\'s for equal: blobs with the same bytes in text, json and integer columns are rejected', async () => {
    const [m0, m1, m2] = seeded.messages as [string, string, string];
    // Rendered by concat(), each blob has exactly PostgreSQL's bytes; import rejects a blob in these columns.
    await raw.lite.execute({ sql: `UPDATE messages SET message_content = CAST(message_content AS BLOB) WHERE id = ?`, args: [m0] });
    await raw.lite.execute({ sql: `UPDATE messages SET metadata = CAST(metadata AS BLOB) WHERE id = ?`, args: [m1] });
    await raw.lite.execute({ sql: `UPDATE messages SET version = CAST(CAST(version AS TEXT) AS BLOB) WHERE id = ?`, args: [m2] });
    try {
      const r = await verify();
      const t = r.tables.find((x) => x.table === 'messages')!;
      expect([...t.ids.rejected].sort()).toEqual([m0, m1, m2].sort());
      expect(t).toMatchObject({ different: 0, missingInPostgres: 0, missingInSqlite: 0, rejected: 3, matched: t.sqliteRows - 3 });
    } finally {
      await raw.lite.execute({ sql: `UPDATE messages SET message_content = CAST(message_content AS TEXT), metadata = CAST(metadata AS TEXT), version = CAST(version AS INTEGER) WHERE id IN (?, ?, ?)`, args: [m0, m1, m2] });
    }
    expect((await verify()).tables.find((x) => x.table === 'messages')).toMatchObject({ different: 0, missingInPostgres: 0, missingInSqlite: 0, rejected: 0 });
  });
});

describe('LibSQL canonical-storage test of the pass (pass-sql.ts)', () => {
  it('takes the short text test only for columns of TEXT affinity', () => {
    expect(['text', 'TEXT', 'varchar(20)', 'CLOB', 'character'].map(hasTextAffinity)).toEqual([true, true, true, true, true]);
    expect(['integer', 'BLOB', '', 'real', 'POINT', 'CHARINT'].map(hasTextAffinity)).toEqual([false, false, false, false, false, false]);
    const layout = passLayout('messages');
    expect(sqliteChunkSql(layout, 'first')).toContain(`m."message_content" >= '' AND m."message_content" < x''`);
    expect(sqliteChunkSql(layout, 'first', new Set(['message_content']))).not.toContain(`m."message_content" >= ''`);
  });

  it('sends a row whole as X<rowid>; when a value is not stored as import writes it, also without TEXT affinity', () => {
    const db = new Libsql(':memory:');
    try {
      // No declared types: no affinity, so numbers stay numbers in the text columns.
      const names = tables.messages.columns.map((c) => `"${c.name}"`);
      db.exec(`CREATE TABLE messages (${names.join(', ')})`);
      const ins = db.prepare(`INSERT INTO messages (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`);
      // bigint: bound as integers
      const row = (id: string, over: Record<string, unknown>) => {
        const r: Record<string, unknown> = { id, timestamp: 1_700_000_000_123n, sender_type: 'human', user_id: 'u', message_content: 'text', metadata: '{}', created_at: 1n, version: 1n, ...over };
        ins.run(...tables.messages.columns.map((c) => r[c.name] ?? null));
      };
      row('a', {}); // clean: a ms timestamp is stored as import writes it
      row('b', { message_content: 5n }); // an integer in a text column
      row('c', { message_content: Buffer.from('x') }); // a blob
      row('d', { created_at: '9' }); // text in an integer column
      row('e', { created_at: 1_700_000_000_000n }); // milliseconds in a seconds column
      row('f', { metadata: 7n }); // a number in the json column
      const out = db.prepare(sqliteChunkSql(passLayout('messages'), 'first')).raw(true).all(100) as unknown as Array<[Uint8Array, number]>;
      const text = Buffer.from(out[0]![0]).toString('utf8');
      // id, the ms timestamp (exact), sender, user, NULL texts (`:`), content, …, created_at, NULL updated_at (`;`), version, then the json columns.
      const clean = '1:a1700000000123;5:human1:u::::4:text::::::::1;;1;::2:{}::';
      expect(text.startsWith(clean), text).toBe(true);
      expect(text.slice(clean.length)).toBe('X2;X3;X4;X5;X6;');
    } finally {
      db.close();
    }
  });
});
