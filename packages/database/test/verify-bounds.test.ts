/**
 * PostgreSQL's side of verify's pass with range bounds taken from the LibSQL file's id index
 * (pass-bounds-sqlite.ts): every PostgreSQL row must come exactly once and in order whatever the
 * two sides hold (rows only in PostgreSQL inside the ranges and past LibSQL's last id, rows only
 * in LibSQL, LibSQL empty), and ids PostgreSQL text cannot hold never become bounds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratePostgres, migrateSqlite } from '../src/migrations/migrate.js';
import { openBackendPair, type BackendPair } from '../src/transfer/source/backend-pair.js';
import { openSqliteBounds } from '../src/transfer/verify-pass/pass-bounds-sqlite.js';
import { pgId } from '../src/transfer/verify-pass/pass-compare.js';
import { openPgPassReader } from '../src/transfer/verify-pass/pass-reader-pg.js';
import { verifyTables } from '../src/transfer/verify.js';
import { createBothDatabases, openRaw } from './helpers/backends.js';
import { generatedId, generateMessages } from './verify-fixtures.js';

let urls: Awaited<ReturnType<typeof createBothDatabases>>;
let raw: ReturnType<typeof openRaw>;
let pair: BackendPair;

beforeAll(async () => {
  urls = await createBothDatabases('h3vbounds');
  await Promise.all([migrateSqlite(urls.sqliteUrl), migratePostgres(urls.pgUrl)]);
  await generateMessages({ sqliteUrl: urls.sqliteUrl, pgUrl: urls.pgUrl, count: 1_500 });
  raw = openRaw(urls.sqliteUrl, urls.pgUrl);
  pair = await openBackendPair({ libsqlUrl: urls.sqliteUrl, databaseUrl: urls.pgUrl });
}, 120_000);

afterAll(async () => {
  await pair?.close();
  await raw?.close();
  await urls?.cleanup();
});

/** Every id PostgreSQL's reader returns with LibSQL's bounds, in order, and how many bounds it asked LibSQL for. */
async function readAll(maxRows: number): Promise<{ ids: string[]; asked: number; chunks: number }> {
  const bounds = openSqliteBounds(urls.sqliteUrl, 'messages')!;
  let asked = 0;
  const r = await openPgPassReader(pair.postgres, 'messages', maxRows, async (after, per, count) => {
    const ids = await bounds.next(after, per, count);
    asked += ids.length;
    return ids;
  });
  const ids: string[] = [];
  let chunks = 0;
  try {
    for (let c = await r.next(); c; c = await r.next()) {
      chunks++;
      for (let j = 0; j < c.n; j++) ids.push(pgId(c, j));
    }
  } finally {
    await r.close();
    bounds.close();
  }
  return { ids, asked, chunks };
}

const pgIds = async () => (await raw.pg.unsafe(`SELECT id FROM messages ORDER BY id COLLATE "C"`)).map((r) => String(r.id));

const insertPg = (select: string) =>
  raw.pg.unsafe(`INSERT INTO messages (id, user_id, username, channel_id, sender_type, message_content, metadata, "timestamp", created_at, updated_at, version) ${select}`);

describe('range bounds from the LibSQL file', () => {
  it('are every per-th id in byte order, and none for a database that is not a local file', async () => {
    const b = openSqliteBounds(urls.sqliteUrl, 'messages')!;
    try {
      expect(await b.next(null, 100, 3)).toEqual([generatedId(100), generatedId(200), generatedId(300)]);
      expect(await b.next(generatedId(300), 100, 2)).toEqual([generatedId(400), generatedId(500)]);
      expect(await b.next(generatedId(1_400), 50, 5)).toEqual([generatedId(1_450), generatedId(1_500)]); // runs out
      expect(await b.next(generatedId(1_500), 1, 5)).toEqual([]);
    } finally {
      b.close();
    }
    expect(openSqliteBounds('libsql://example.turso.io', 'messages')).toBeNull();
    expect(openSqliteBounds('file::memory:', 'messages')).toBeNull();
  });

  it('skip ids that PostgreSQL text cannot hold (not UTF-8, U+0000) and ids that are not text, without losing count', async () => {
    const file = await createBothDatabases('h3vbounds2');
    const lite = openRaw(file.sqliteUrl, file.pgUrl);
    try {
      await migrateSqlite(file.sqliteUrl);
      await lite.lite.execute(`CREATE TABLE t_ids (id)`);
      // Byte order: 'a1' < 'a2' < 'a3' < 'a4\0x' (U+0000) < 'a5' < x'61ff' (not UTF-8); the integer sorts first and is no text.
      await lite.lite.execute(`INSERT INTO t_ids (id) VALUES (7), ('a1'), ('a2'), (CAST(x'61ff' AS TEXT)), ('a3'), (CAST(x'61340078' AS TEXT)), ('a5')`);
      // The table name goes through q(): any table of the file works the same way.
      const b = openSqliteBounds(file.sqliteUrl, 't_ids' as never)!;
      try {
        expect(await b.next(null, 1, 10)).toEqual(['a1', 'a2', 'a3', 'a5']);
        expect(await b.next(null, 2, 10)).toEqual(['a2']); // every 2nd text id: a2, then 'a4\0x' and x'61ff', both left out
        expect(await b.next('a2', 1, 2)).toEqual(['a3', 'a5']); // two asked, two given: skipped ids do not end the source early
      } finally {
        b.close();
      }
    } finally {
      await lite.close();
      await file.cleanup();
    }
  });

  it('cut PostgreSQL into ranges that return every row once, in order, as PostgreSQL\'s own bounds do', async () => {
    const { ids, asked, chunks } = await readAll(37);
    expect(asked).toBeGreaterThan(30);
    expect(chunks).toBeGreaterThan(30);
    expect(ids).toEqual(await pgIds());
  });

  it('still return every PostgreSQL row when PostgreSQL holds rows LibSQL lacks (inside ranges, past the last id) and lacks rows LibSQL holds', async () => {
    // 80 rows after each of rows 100, 110 … 300 (more than a range's limit of twice the rows per chunk), 300 after the last LibSQL id.
    await insertPg(`SELECT '${generatedId(0).slice(0, -12)}' || lpad(to_hex(k), 12, '0') || '-' || lpad(g::text, 3, '0'), 'u', 'n', 'c', 'human', 'pg only', '{}', 1700000000123, 1, NULL, 1 FROM generate_series(100, 300, 10) k, generate_series(1, 80) g`);
    await insertPg(`SELECT 'ffff-' || lpad(g::text, 4, '0'), 'u', 'n', 'c', 'human', 'late', '{}', 1700000000123, 1, NULL, 1 FROM generate_series(1, 300) g`);
    await raw.pg.unsafe(`DELETE FROM messages WHERE id > $1 AND id <= $2`, [generatedId(600), generatedId(900)]);
    const { ids } = await readAll(37);
    const now = await pgIds();
    expect(now).toHaveLength(1_500 + 21 * 80 + 300 - 300);
    expect(ids).toEqual(now);
  });

  it('leave verify exact: it finds exactly the rows only PostgreSQL holds and the rows only LibSQL holds', async () => {
    const r = await verifyTables({ pair, tables: ['messages'], recheckDelayMs: 0 });
    const t = r.tables[0]!;
    expect(t.missingInSqlite).toBe(21 * 80 + 300);
    expect(t.missingInPostgres).toBe(300);
    expect(t.ids.missingInPostgres).toEqual(Array.from({ length: 300 }, (_, k) => generatedId(601 + k)));
    expect(t.different).toBe(0);
    expect(t.matched).toBe(1_200);
  });

  it('with LibSQL empty, PostgreSQL is read whole as a keyset pass', async () => {
    await raw.lite.execute('DELETE FROM messages');
    const { ids, asked } = await readAll(37);
    expect(asked).toBe(0);
    expect(ids).toEqual(await pgIds());
    const r = await verifyTables({ pair, tables: ['messages'], recheckDelayMs: 0 });
    expect(r.tables[0]!.missingInSqlite).toBe((await pgIds()).length);
    expect(r.tables[0]!.matched).toBe(0);
  });
});
