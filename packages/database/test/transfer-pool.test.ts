// Rows PostgreSQL itself refuses (after the conversion accepted them) are isolated by bisection
// and rejected with their SQLSTATE, the rest of their batch is loaded, and the pool is healthy
// afterwards: back to its size, no connection idle in an (aborted) transaction.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratePostgres, migrateSqlite } from '../src/migrations/migrate.js';
import { tables } from '../src/schema/tables.js';
import type { Row } from '../src/stores/store.js';
import { createTestPostgres, createTestSqlite } from '../src/testing/index.js';
import { copyDatabase, type CopySummary } from '../src/transfer/copy.js';
import { copyIn, CopyFailedError } from '../src/transfer/load/pg-copy.js';
import { PgBatch, PgLoader } from '../src/transfer/load/pg-loader.js';
import { openTarget } from '../src/transfer/load/pg-target.js';
import { insertRow, msg, T0 } from './transfer-fixtures.js';

/**
 * A channel id of 12 KB of random hex: its entry in the messages_channel_ts_idx btree exceeds
 * PostgreSQL's 2,704-byte maximum (SQLSTATE 54000), while LibSQL takes it.
 */
const UNINDEXABLE_CHANNEL = randomBytes(6_000).toString('hex');

let src: ReturnType<typeof createTestSqlite>;
let pg: Awaited<ReturnType<typeof createTestPostgres>>;
let sql: postgres.Sql;
let rejectsDir: string;
let copied: CopySummary;

beforeAll(async () => {
  src = createTestSqlite('pool.db');
  await migrateSqlite(src.url);
  const client = createClient({ url: src.url, intMode: 'bigint' });
  const c = await client.transaction('write');
  for (let i = 0; i < 1_000; i++) {
    const id = `m${String(i).padStart(4, '0')}`;
    await insertRow(c, 'messages', msg(id, { user_id: 'u', username: 'u', channel_id: id === 'm0500' ? UNINDEXABLE_CHANNEL : 'c', message_content: `hi ${i}` }));
  }
  for (let i = 0; i < 600; i++) await insertRow(c, 'user_profiles', { id: `p${String(i).padStart(4, '0')}`, user_id: `user-${i}`, username: `user ${i}`, message_count: i });
  await c.commit();
  client.close();

  pg = await createTestPostgres('xfer_pool');
  await migratePostgres(pg.url);
  sql = postgres(pg.url, { max: 4, onnotice: () => {} });
  // A profile for user-300 already exists in PostgreSQL under another id: p0300 violates user_profiles_user_id_key.
  await sql`INSERT INTO user_profiles (${sql(tables.user_profiles.columns.filter((col) => col.notNull).map((col) => col.name))})
            SELECT ${sql.unsafe(tables.user_profiles.columns.filter((col) => col.notNull).map((col) => (col.name === 'id' ? `'other-id'` : col.name === 'user_id' ? `'user-300'` : col.type === 'text' ? `'someone'` : col.type === 'bool' ? 'false' : col.name.endsWith('_at') ? String(T0) : col.name === 'version' ? '1' : '0')).join(', '))}`;
  rejectsDir = mkdtempSync(join(tmpdir(), 'pool-rejects-'));
  copied = await copyDatabase({ libsqlUrl: src.url, databaseUrl: pg.url, rejectsDir, batchRows: 200, concurrency: 3 });
});
afterAll(async () => {
  await sql?.end();
  await pg?.drop();
  src?.remove();
  if (rejectsDir) rmSync(rejectsDir, { recursive: true, force: true });
});

/** States of the sessions named `applicationName` that sit idle in an (aborted) transaction. */
const idleInTransaction = async (applicationName: string): Promise<string[]> =>
  (await sql`SELECT state FROM pg_stat_activity WHERE datname = current_database() AND application_name = ${applicationName}`)
    .map((s) => String(s.state))
    .filter((s) => s.startsWith('idle in transaction'));

const rejects = (table: string) =>
  readFileSync(join(rejectsDir, `${table}.ndjson`), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { id: string; reason: string; stage: string });

describe('rows PostgreSQL refuses', () => {
  it('are isolated by bisection and rejected with their SQLSTATE; the rest of the batch is loaded', async () => {
    const m = copied.tables.find((t) => t.table === 'messages')!;
    const p = copied.tables.find((t) => t.table === 'user_profiles')!;
    expect(m).toMatchObject({ read: 1_000, imported: 999, rejected: 1 });
    expect(p).toMatchObject({ read: 600, imported: 599, rejected: 1 });
    expect(rejects('messages')).toEqual([expect.objectContaining({ id: 'm0500', stage: 'copy', reason: expect.stringMatching(/^postgres 54000: index row (size \d+ exceeds btree version 4 maximum 2704|requires \d+ bytes, maximum size is 8191)/) })]);
    expect(rejects('user_profiles')).toEqual([expect.objectContaining({ id: 'p0300', reason: expect.stringMatching(/^postgres 23505: .*user_profiles_user_id_key.*Key \(user_id\)=\(user-300\)/) })]);
    expect(await sql`SELECT count(*)::int AS n FROM messages`).toEqual([{ n: 999 }]);
    expect(await sql`SELECT count(*)::int AS n FROM user_profiles`).toEqual([{ n: 600 }]); // 599 + the pre-existing one
  });

  it('leave no connection idle in an (aborted) transaction', async () => {
    expect(await sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`).toEqual([{ n: 0 }]);
  });

  it('leave the loader pool at its full size and usable', async () => {
    const target = await openTarget(pg.url, { max: 3, applicationName: 'pool-test' });
    try {
      const profile = (id: string, userId: string): Row => {
        const row: Row = {};
        for (const col of tables.user_profiles.columns) row[col.name] = col.default ?? null;
        return { ...row, id, user_id: userId, username: userId, first_seen_at: T0, last_interaction_at: T0, created_at: T0, updated_at: null, version: 1 };
      };
      const batch = new PgBatch('user_profiles');
      batch.add(profile('q1', 'new-1'));
      batch.add(profile('q2', 'user-300')); // conflicts
      batch.add(profile('q3', 'new-3'));
      const r = await new PgLoader(target, 'user_profiles', 'import').load(batch);
      expect(r.written).toBe(2);
      expect(r.rejected.map((x) => x.reject.id)).toEqual(['q2']);
      const pids = await Promise.all([1, 2, 3].map(() => target.sql`SELECT pg_backend_pid() AS pid, pg_sleep(0.2)`.then((x) => x[0]!.pid as number)));
      expect(new Set(pids).size).toBe(3);
      expect(await idleInTransaction('pool-test')).toEqual([]);
    } finally {
      await target.close();
    }
  });

  it('a batch of thousands of refused rows: each rejected alone, the rest written, within the lock table', async () => {
    // Every attempt of the bisection nested in the previous one (postgres.js releases no savepoint): a
    // batch this size ended in "out of shared memory" (53200, max_locks_per_transaction) and rolled back.
    await sql`INSERT INTO documents (id, title, content, created_by, created_at, version) VALUES ('doc-1', 't', '', 'u', ${T0}, 1)`;
    const collaborator = (id: string, documentId: string): Row => ({ id, document_id: documentId, user_id: id, username: null, role: 'editor', joined_at: T0, updated_at: null, version: 1 });
    const target = await openTarget(pg.url, { max: 2, applicationName: 'bisect-test' });
    try {
      const mixed = new PgBatch('document_collaborators');
      for (let i = 0; i < 5_000; i++) mixed.add(collaborator(`dc${i}`, i % 2 === 0 ? 'doc-1' : `no-such-doc-${i}`));
      const none = new PgBatch('document_collaborators');
      for (let i = 0; i < 5_000; i++) none.add(collaborator(`dx${i}`, `no-such-doc-${i}`));
      const loader = new PgLoader(target, 'document_collaborators', 'import');
      const [a, b] = await Promise.all([loader.load(mixed), loader.load(none)]);
      expect({ written: a.written, rejected: a.rejected.length }).toEqual({ written: 2_500, rejected: 2_500 });
      expect({ written: b.written, rejected: b.rejected.length }).toEqual({ written: 0, rejected: 5_000 });
      expect(a.rejected.map((r) => r.reject.id)).toEqual(Array.from({ length: 2_500 }, (_, k) => `dc${2 * k + 1}`));
      expect(new Set([...a.rejected, ...b.rejected].map((r) => r.reject.reason.slice(0, 14)))).toEqual(new Set(['postgres 23503']));
      expect(a.rejected[0]!.reject.reason).toMatch(/document_collaborators_document_id_fk.*Key \(document_id\)=\(no-such-doc-1\)/);
      expect(await sql`SELECT count(*)::int AS n FROM document_collaborators WHERE id LIKE 'dc%'`).toEqual([{ n: 2_500 }]);
      expect(await sql`SELECT count(*)::int AS n FROM document_collaborators WHERE id LIKE 'dx%'`).toEqual([{ n: 0 }]);
      expect(await idleInTransaction('bisect-test')).toEqual([]);
    } finally {
      await target.close();
    }
  }, 120_000);

  it('a COPY PostgreSQL fails after its last byte is detected (postgres.js says nothing), rolled back, pool clean', async () => {
    const target = await openTarget(pg.url, { max: 2, applicationName: 'copy-fail-test' });
    try {
      const started = Date.now();
      const attempt = target.sql.begin(async (tx) => {
        const [{ pid }] = (await tx`SELECT pg_backend_pid() AS pid`) as unknown as [{ pid: number }];
        await tx.unsafe('CREATE TEMP TABLE copy_fail (a integer) ON COMMIT DROP');
        await copyIn(tx, 'COPY copy_fail (a) FROM STDIN', '1\nnot a number\n3\n', { pid, monitor: target.monitor });
      });
      await expect(attempt).rejects.toBeInstanceOf(CopyFailedError);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(await idleInTransaction('copy-fail-test')).toEqual([]);
      const pids = await Promise.all([1, 2].map(() => target.sql`SELECT pg_backend_pid() AS pid, pg_sleep(0.2)`.then((x) => x[0]!.pid as number)));
      expect(new Set(pids).size).toBe(2);
    } finally {
      await target.close();
    }
  });
});
