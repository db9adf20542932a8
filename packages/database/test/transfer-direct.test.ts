// The bulk path's two routes (pg-loader.ts): a plain COPY straight into the table when nothing can
// be overwritten or resurrected, else the version-guarded staging path. Each case checks both the
// route taken and the rows PostgreSQL holds afterwards, including a shadow write racing the COPY.
import postgres from 'postgres';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migratePostgres } from '../src/migrations/migrate.js';
import { tables, type TableName } from '../src/schema/tables.js';
import type { Row } from '../src/stores/store.js';
import { createTestPostgres } from '../src/testing/index.js';
import { PgBatch, PgLoader } from '../src/transfer/load/pg-loader.js';
import { openTarget, type Target } from '../src/transfer/load/pg-target.js';
import { T0, T0_MS } from './transfer-fixtures.js';

let pg: Awaited<ReturnType<typeof createTestPostgres>>;
let sql: postgres.Sql;
let target: Target;

beforeAll(async () => {
  pg = await createTestPostgres('xfer_direct');
  await migratePostgres(pg.url);
  sql = postgres(pg.url, { max: 3, onnotice: () => {} });
  target = await openTarget(pg.url, { max: 3, applicationName: 'direct-test' });
});
afterAll(async () => {
  await target?.close();
  await sql?.end();
  await pg?.drop();
});
beforeEach(async () => {
  await sql`TRUNCATE messages, document_collaborators, documents, row_tombstones`;
});

/** A message row in its logical form: every column of the spec, absent ones NULL. */
const message = (id: string, version = 1, content = `text of ${id}`): Row => ({
  ...Object.fromEntries(tables.messages.columns.map((c) => [c.name, null])),
  id,
  timestamp: T0_MS + 1,
  sender_type: 'human',
  user_id: 'u1',
  username: 'ada',
  channel_id: 'c1',
  channel_name: 'general',
  guild_id: '9223372036854775807',
  message_content: content,
  metadata: { k: 'tab\there', n: 1 },
  created_at: T0,
  updated_at: null,
  version,
});
const batchOf = (rows: Row[], table: TableName = 'messages') => {
  const b = new PgBatch(table);
  for (const r of rows) b.add(r);
  return b;
};
/** A row written as a shadow write would (through `c`, maybe inside an open transaction). */
const insertMessage = (c: postgres.Sql | postgres.ReservedSql, id: string, version: number, content: string) =>
  c`INSERT INTO messages (id, timestamp, sender_type, user_id, username, channel_id, message_content, metadata, created_at, updated_at, version)
    VALUES (${id}, ${T0_MS}, 'human', 'u1', 'ada', 'c1', ${content}, '{}', ${T0}, ${T0}, ${version})`;
const messages = async () => (await sql`SELECT id, version, message_content AS content FROM messages ORDER BY id`).map((r) => ({ ...r }));
const stuck = async () =>
  (await sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`)[0]!.n as number;

describe('PgLoader routes', () => {
  it('loads a batch into an empty id range by plain COPY, values exact', async () => {
    const r = await new PgLoader(target, 'messages', 'copy').load(batchOf([message('a1'), message('a2')]));
    expect(r).toEqual({ written: 2, unchanged: 0, rejected: [], direct: true });
    const rows = await sql`SELECT id, guild_id AS g, "timestamp"::text AS ms, updated_at, metadata, search_vector::text AS sv FROM messages ORDER BY id`;
    const ms = String(T0_MS + 1); // unix ms, exact
    expect(rows.map((x) => ({ ...x }))).toEqual([
      { id: 'a1', g: '9223372036854775807', ms, updated_at: null, metadata: { k: 'tab\there', n: 1 }, sv: "'a1':3 'ada':4 'of':2 'text':1" },
      { id: 'a2', g: '9223372036854775807', ms, updated_at: null, metadata: { k: 'tab\there', n: 1 }, sv: "'a2':3 'ada':4 'of':2 'text':1" },
    ]);
  });

  it('takes the guarded path when the table has a row in the batch id range (newer version kept)', async () => {
    await insertMessage(sql, 'b2', 3, 'newer');
    const r = await new PgLoader(target, 'messages', 'copy').load(batchOf([message('b1'), message('b2'), message('b3')]));
    expect(r).toMatchObject({ written: 2, unchanged: 1, direct: false });
    expect(await messages()).toEqual([
      { id: 'b1', version: 1, content: 'text of b1' },
      { id: 'b2', version: 3, content: 'newer' },
      { id: 'b3', version: 1, content: 'text of b3' },
    ]);
  });

  it('rolls the COPY back when a tombstone matches a row of the batch (no resurrection)', async () => {
    await sql`INSERT INTO row_tombstones (table_name, id, version, deleted_at) VALUES ('messages', 'c2', 2, ${T0})`;
    const r = await new PgLoader(target, 'messages', 'copy').load(batchOf([message('c1'), message('c2'), message('c3')]));
    expect(r).toMatchObject({ written: 2, unchanged: 1, direct: false });
    expect((await messages()).map((m) => m.id)).toEqual(['c1', 'c3']);
  });

  it('stays on plain COPY when the table has tombstones, none of them for this batch', async () => {
    await sql`INSERT INTO row_tombstones (table_name, id, version, deleted_at) VALUES ('messages', 'zz', 2, ${T0}), ('queries', 'd1', 9, ${T0})`;
    const r = await new PgLoader(target, 'messages', 'copy').load(batchOf([message('d1'), message('d2')]));
    expect(r).toMatchObject({ written: 2, direct: true });
  });

  it('falls back on a unique violation outside the id range, and rejects only the conflicting row', async () => {
    await sql`INSERT INTO documents (id, title, content, created_by, created_at, updated_at, is_public, version) VALUES ('doc', 't', '', 'u', ${T0}, ${T0}, true, 1)`;
    await sql`INSERT INTO document_collaborators (id, document_id, user_id, username, role, joined_at, version) VALUES ('a-old', 'doc', 'u2', 'bob', 'viewer', ${T0}, 1)`;
    const dc = (id: string, userId: string): Row => ({ id, document_id: 'doc', user_id: userId, username: null, role: 'editor', joined_at: T0, updated_at: null, version: 1 });
    const r = await new PgLoader(target, 'document_collaborators', 'import').load(batchOf([dc('e1', 'u1'), dc('e2', 'u2'), dc('e3', 'u3')], 'document_collaborators'));
    expect(r.direct).toBe(false);
    expect(r.written).toBe(2);
    expect(r.rejected.map((x) => [x.reject.id, x.reject.reason.slice(0, 14), x.row.user_id])).toEqual([['e2', 'postgres 23505', 'u2']]);
    expect(await stuck()).toBe(0);
  });

  it('a shadow write committed while the COPY waits on it wins by version; the rest of the batch loads', async () => {
    const shadow = await sql.reserve();
    try {
      await shadow`BEGIN`;
      await insertMessage(shadow, 'f2', 5, 'from the bot');
      const load = new PgLoader(target, 'messages', 'copy').load(batchOf([message('f1'), message('f2'), message('f3')]));
      // The COPY blocks on the uncommitted f2 (unique check); commit the shadow write then.
      let waited = false;
      for (let i = 0; i < 100 && !waited; i++) {
        const waiting = await sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'direct-test' AND wait_event_type = 'Lock'`;
        waited = waiting[0]!.n > 0;
        if (!waited) await new Promise((r) => setTimeout(r, 50));
      }
      await shadow`COMMIT`;
      expect(waited).toBe(true);
      const r = await load;
      expect(r).toMatchObject({ written: 2, unchanged: 1, direct: false });
    } finally {
      shadow.release();
    }
    expect(await messages()).toEqual([
      { id: 'f1', version: 1, content: 'text of f1' },
      { id: 'f2', version: 5, content: 'from the bot' },
      { id: 'f3', version: 1, content: 'text of f3' },
    ]);
    expect(await stuck()).toBe(0);
  });

  it('always guarded with direct: false', async () => {
    const r = await new PgLoader(target, 'messages', 'copy', { direct: false }).load(batchOf([message('g1')]));
    expect(r).toMatchObject({ written: 1, direct: false });
  });
});

describe('PgBatch', () => {
  it('decodes every row back exactly (escapes, non-ASCII, long rows across chunks)', () => {
    const rows: Row[] = [message('h0', 1, 'tab\tnew\nline\rcr\\back \\N')];
    for (let i = 1; i < 3_000; i++) rows.push(message(`h${String(i).padStart(4, '0')}`, i, i % 500 === 0 ? 'é😀'.repeat(100_000) : `row ${i} ${'ü'.repeat(i % 40)}`));
    const b = batchOf(rows);
    expect(b.payload().length).toBeGreaterThan(1);
    expect(b.bytes).toBe(b.payload().reduce((n, c) => n + c.length, 0));
    for (const i of [0, 1, 499, 500, 501, 1_500, 2_999]) expect(b.row(i)).toEqual(rows[i]);
    expect(Buffer.concat(b.payload()).toString('utf8').split('\n').length - 1).toBe(rows.length);
    expect([b.minId, b.maxId]).toEqual(['h0', 'h2999']);
  });

  it('NULLs, booleans and reals of a wide table round-trip', () => {
    const row: Row = {};
    for (const c of tables.user_profiles.columns) row[c.name] = c.type === 'real' ? 0.1 + 0.2 : c.type === 'bool' ? true : c.type === 'int' || c.type === 'timestamp' || c.type === 'millis' ? 7 : c.type === 'json' ? ['x'] : null;
    row.id = 'p1';
    row.user_id = 'u1';
    expect(batchOf([row], 'user_profiles').row(0)).toEqual(row);
  });

  it('cannot be used after release', () => {
    const b = batchOf([message('i1')]);
    b.release();
    expect(() => b.payload()).toThrow(/after release/);
    expect(() => b.add(message('i2'))).toThrow(/after release/);
  });
});
