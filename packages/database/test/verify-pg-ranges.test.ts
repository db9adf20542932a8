/**
 * PostgreSQL's side of verify's pass reads chunks as id ranges whose bounds it reads ahead
 * (pass-reader-pg.ts): every row must come exactly once and in order, also when rows are added
 * behind the last bound or a whole range is deleted while the pass runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratePostgres, migrateSqlite } from '../src/migrations/migrate.js';
import { openBackendPair, type BackendPair } from '../src/transfer/source/backend-pair.js';
import { bytesBefore } from '../src/transfer/verify-pass/pass-chunk.js';
import { pgId } from '../src/transfer/verify-pass/pass-compare.js';
import { openPgPassReader } from '../src/transfer/verify-pass/pass-reader-pg.js';
import { createBothDatabases, openRaw } from './helpers/backends.js';
import { generatedId, generateMessages } from './verify-fixtures.js';

let urls: Awaited<ReturnType<typeof createBothDatabases>>;
let raw: ReturnType<typeof openRaw>;
let pair: BackendPair;

beforeAll(async () => {
  urls = await createBothDatabases('vpgranges');
  await Promise.all([migrateSqlite(urls.sqliteUrl), migratePostgres(urls.pgUrl)]);
  await generateMessages({ sqliteUrl: urls.sqliteUrl, pgUrl: urls.pgUrl, count: 2_000 });
  raw = openRaw(urls.sqliteUrl, urls.pgUrl);
  pair = await openBackendPair({ libsqlUrl: urls.sqliteUrl, databaseUrl: urls.pgUrl });
}, 120_000);

afterAll(async () => {
  await pair?.close();
  await raw?.close();
  await urls?.cleanup();
});

/** Every id the reader returns, in order, calling `during` after chunk `at`. */
async function readAll(maxRows: number, during: () => Promise<void> = async () => {}, at = 0): Promise<{ ids: string[]; chunks: number }> {
  const r = await openPgPassReader(pair.postgres, 'messages', maxRows);
  const ids: string[] = [];
  let chunks = 0;
  try {
    for (let c = await r.next(); c; c = await r.next()) {
      if (chunks++ === at) await during();
      for (let j = 0; j < c.n; j++) ids.push(pgId(c, j));
    }
  } finally {
    await r.close();
  }
  return { ids, chunks };
}

/** Inserts the messages `select` yields (id, user_id, username, channel_id, sender_type, message_content, metadata, timestamp (ms), created_at, updated_at, version). */
const insertMessages = async (select: string) => {
  await raw.pg.unsafe(`INSERT INTO messages (id, user_id, username, channel_id, sender_type, message_content, metadata, "timestamp", created_at, updated_at, version) ${select}`);
};

const pgIds = async () => (await raw.pg.unsafe(`SELECT id FROM messages ORDER BY id COLLATE "C"`)).map((r) => String(r.id));

describe('PostgreSQL pass reader, chunks as id ranges', () => {
  it('returns every row once, in order, over many chunks and bounds batches', async () => {
    const { ids, chunks } = await readAll(37);
    expect(chunks).toBeGreaterThan(50);
    expect(ids).toEqual(await pgIds());
  });

  it('skips a range whose rows were deleted after its bounds were read', async () => {
    const { ids } = await readAll(37, () => raw.pg.unsafe(`DELETE FROM messages WHERE id > $1 AND id <= $2`, [generatedId(500), generatedId(700)]).then(() => {}));
    expect(ids).toEqual(await pgIds());
    expect(ids).toHaveLength(1_800);
  });

  it('reads on after the last range when rows are added behind the last bound while the pass runs', async () => {
    // 1,800 rows in chunks of 37: the last bounds are read by chunk 40; rows added at chunk 45 lie beyond them.
    const { ids } = await readAll(37, () => insertMessages(`SELECT 'ffff-' || lpad(g::text, 4, '0'), 'u', 'n', 'c', 'human', 'late', '{}', 1700000000123, 1, NULL, 1 FROM generate_series(1, 200) g`), 45);
    const now = await pgIds();
    expect(now.filter((id) => id.startsWith('ffff-'))).toHaveLength(200);
    expect(ids).toEqual(now);
  });
  it('reads a range on when rows were added inside it after its bounds were read', async () => {
    // At chunk 2, chunks 3 and 4 are in flight (rows added there may be missed, as by any
    // read-ahead: verify's re-check by id sees them) and the ranges of chunks 5 to 7 or 15 have
    // bounds but are not asked for yet: 60 rows land after each of rows 240, 250 … 480 (chunks
    // 6 to 13), more than a range's limit of twice the rows per chunk.
    const { ids } = await readAll(37, () => insertMessages(`SELECT '${generatedId(0).slice(0, -12)}' || lpad(to_hex(k), 12, '0') || '-' || lpad(g::text, 3, '0'), 'u', 'n', 'c', 'human', 'inside', '{}', 1700000000123, 1, NULL, 1 FROM generate_series(240, 480, 10) k, generate_series(1, 60) g`), 2);
    const now = await pgIds();
    expect(now.filter((id) => id.includes('-0')).length).toBeGreaterThan(0);
    expect(now.length).toBe(2_000 + 25 * 60);
    expect(ids).toEqual(now);
  });
});

describe('byte order of ids in a chunk (bytesBefore)', () => {
  it('is strict byte order, for short ids (JS loop) and long ones (native compare)', () => {
    const check = (x: string, y: string) => {
      const b = Buffer.concat([Buffer.from(x), Buffer.from(y)]);
      const n = Buffer.byteLength(x);
      return bytesBefore(b, 0, n, n, b.length);
    };
    expect([check('a', 'b'), check('a', 'ab'), check('ab', 'a'), check('a', 'a'), check('', 'a'), check('é', 'z')]).toEqual([true, true, false, false, true, false]);
    const long = 'x'.repeat(80);
    expect([check(`${long}a`, `${long}b`), check(`${long}b`, `${long}a`), check(long, long), check(long, `${long}a`)]).toEqual([true, false, false, true]);
  });
});
