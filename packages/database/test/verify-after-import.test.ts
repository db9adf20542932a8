// verify right after an import of the trap database (docs/design.md "Known traps"): LibSQL is compared
// in its import form, so every deliberate conversion (milliseconds → seconds, ISO text → seconds,
// text booleans, the text policy, 2^63−1) matches; rows import rejects are reported as rejected
// with their ids and reasons (not drift, not matches) and the counts add up. Then drift made with
// SQL in PostgreSQL is found exactly, and reconcile --from sqlite writes the converted values.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratePostgres } from '../src/migrations/migrate.js';
import { tableNames, type TableName } from '../src/schema/tables.js';
import { createTestPostgres, createTestSqlite } from '../src/testing/index.js';
import { migrateSqlite } from '../src/migrations/migrate.js';
import { openBackendPair, type BackendPair } from '../src/transfer/source/backend-pair.js';
import { copyDatabase, type CopySummary } from '../src/transfer/copy.js';
import { exportDatabase } from '../src/transfer/export.js';
import { importDirectory } from '../src/transfer/import.js';
import { reconcile } from '../src/transfer/reconcile.js';
import { verifyTables, type VerifyResult } from '../src/transfer/verify.js';
import { buildTrapDatabase, insertRow, raw, runCli, T0, TRAP_COUNTS, TRAPS } from './transfer-fixtures.js';

/** Every id import rejects, with a fragment of its reason. */
const REJECTED: Record<string, string> = {
  ...TRAPS.messages.rejected,
  ...TRAPS.queries.rejected,
  ...TRAPS.documents.rejected,
  ...TRAPS.document_collaborators.rejected,
};

let src: Awaited<ReturnType<typeof buildTrapDatabase>>;
let pg: Awaited<ReturnType<typeof createTestPostgres>>;
let pg2: Awaited<ReturnType<typeof createTestPostgres>>;
let sql: postgres.Sql;
let pair: BackendPair;
let work: string;
let copied: CopySummary;

const verify = (p = pair) => verifyTables({ pair: p, recheckDelayMs: 0 });
const byTable = (r: VerifyResult, t: TableName) => r.tables.find((x) => x.table === t)!;

/** verify is clean, reports exactly the rejected ids with import's reasons, and the counts add up. */
function expectCleanWithRejects(r: VerifyResult): void {
  expect(r.drift, JSON.stringify(r.sample)).toBe(0);
  expect(r.ok).toBe(true);
  expect(r.rejected).toBe(Object.keys(REJECTED).length);
  expect(r.rejectedSample.map((e) => e.id).sort()).toEqual(Object.keys(REJECTED).sort());
  for (const e of r.rejectedSample) {
    expect(e.reason, e.id).toContain(REJECTED[e.id]);
    expect(e.postgres.checksum, e.id).toBeNull(); // not in PostgreSQL
  }
  for (const t of tableNames) {
    const v = byTable(r, t);
    const want = TRAP_COUNTS[t];
    expect({ table: t, sqliteRows: v.sqliteRows, rejected: v.rejected }).toEqual({ table: t, sqliteRows: want.read, rejected: want.rejected });
    // source rows = imported + rejected; PostgreSQL holds exactly the imported ones
    expect(v.sqliteRows, t).toBe(v.matched + v.rejected);
    expect(v.postgresRows, t).toBe(v.matched);
    expect(v.ids.rejected.sort(), t).toEqual(Object.keys(REJECTED).filter((id) => (TRAPS as Record<string, { rejected?: Record<string, string> }>)[t]?.rejected?.[id]).sort());
  }
}

beforeAll(async () => {
  src = await buildTrapDatabase();
  [pg, pg2] = await Promise.all([createTestPostgres('vfy_import'), createTestPostgres('vfy_import2')]);
  await Promise.all([migratePostgres(pg.url), migratePostgres(pg2.url)]);
  sql = postgres(pg.url, { max: 2, onnotice: () => {} });
  work = mkdtempSync(join(tmpdir(), 'verify-import-'));
  copied = await copyDatabase({ libsqlUrl: src.url, databaseUrl: pg.url, rejectsDir: join(work, 'rejects') });
  pair = await openBackendPair({ libsqlUrl: src.url, databaseUrl: pg.url });
}, 120_000);

afterAll(async () => {
  await pair?.close();
  await sql?.end();
  await Promise.all([pg?.drop(), pg2?.drop()]);
  src?.remove();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('verify after copy of the trap database', () => {
  it('is clean: every conversion matches, rejected rows are reported with ids and reasons, counts add up', async () => {
    for (const s of copied.tables) expect(s.read, s.table).toBe(s.imported + s.rejected);
    const r = await verify();
    expectCleanWithRejects(r);
    // verify's rejected rows are exactly copy's
    const copyRejected = copied.tables.reduce((n, s) => n + s.rejected, 0);
    expect(r.rejected).toBe(copyRejected);
    // the converted rows are matches, not drift resolved on re-check
    const m = byTable(r, 'messages');
    expect(m).toMatchObject({ matched: 13, different: 0, missingInPostgres: 0, resolvedOnRecheck: 0 });
    expect(byTable(r, 'queries')).toMatchObject({ matched: 6, rejected: 2 });
    expect(byTable(r, 'user_profiles')).toMatchObject({ matched: 2, rejected: 0 });
  });

  it('reports the rejected rows in the report file with kind "rejected", and the CLI exits 5 (no drift, rows rejected)', async () => {
    const dataDir = join(work, 'data');
    const r = await verifyTables({ pair, recheckDelayMs: 0, dataDir });
    const lines = readFileSync(r.reportFile!, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; kind: string; reason: string });
    expect(lines.every((l) => l.kind === 'rejected')).toBe(true);
    expect(lines.map((l) => l.id).sort()).toEqual(Object.keys(REJECTED).sort());

    const cli = await runCli(['--json', 'verify', '--data-dir', dataDir, '--recheck-delay-ms', '0'], { LIBSQL_URL: src.url, DATABASE_URL: pg.url });
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(5);
    const json = JSON.parse(cli.stdout) as { ok: boolean; drift: number; rejected: number };
    expect(json).toMatchObject({ ok: true, drift: 0, rejected: Object.keys(REJECTED).length });
  });

  it('finds exactly one changed row, and reconcile --from sqlite writes the converted value back', async () => {
    // milliseconds written into PostgreSQL by hand: the LibSQL row (1627303906122 ms) imports as 1627303906 s
    await sql`UPDATE messages SET "timestamp" = 1627303906122 WHERE id = ${TRAPS.messages.timestampMs}`;
    const r = await verify();
    expect(r.drift).toBe(1);
    expect(r.sample).toHaveLength(1);
    expect(r.sample[0]).toMatchObject({ table: 'messages', id: TRAPS.messages.timestampMs, kind: 'different', columns: ['timestamp'] });
    expect(r.rejected).toBe(Object.keys(REJECTED).length);

    const fixed = await reconcile({ pair, from: 'sqlite', recheckDelayMs: 0 });
    expect(fixed).toMatchObject({ ok: true, applied: 1, remaining: 0, failed: [], rejected: [] });
    expect(fixed.planned).toMatchObject({ upsert: 1, delete: 0 });
    expect(await sql`SELECT "timestamp"::text AS ts FROM messages WHERE id = ${TRAPS.messages.timestampMs}`).toEqual([{ ts: '1627303906' }]);
    expectCleanWithRejects(await verify());
  });

  it('an integer beyond 2^53 inside JSON one unit off is drift (not equal once parsed as doubles), and reconcile restores the digits', async () => {
    const id = TRAPS.messages.bigJson;
    await sql`UPDATE messages SET metadata = jsonb_set(metadata, '{snowflake}', '9007199254740992') WHERE id = ${id}`;
    const r = await verify();
    expect(r.drift).toBe(1);
    expect(r.sample[0]).toMatchObject({ table: 'messages', id, kind: 'different', columns: ['metadata'] });
    const fixed = await reconcile({ pair, from: 'sqlite', recheckDelayMs: 0 });
    expect(fixed).toMatchObject({ ok: true, applied: 1, remaining: 0 });
    expect(await sql`SELECT metadata->>'snowflake' AS s FROM messages WHERE id = ${id}`).toEqual([{ s: '9007199254740993' }]);
    expectCleanWithRejects(await verify());
  });

  it('reconcile --from sqlite never writes raw LibSQL values (milliseconds, text booleans, ISO text, U+0000)', async () => {
    const ids = { profile: 'p2', query: 'q-yes', iso: TRAPS.messages.timestampIso, nul: TRAPS.messages.nulText, nulJson: TRAPS.messages.nulJson };
    await sql`DELETE FROM user_profiles WHERE id = ${ids.profile}`;
    await sql`DELETE FROM queries WHERE id = ${ids.query}`;
    await sql`DELETE FROM messages WHERE id IN ${sql([ids.iso, ids.nul, ids.nulJson])}`;
    const r = await verify();
    expect(r.drift).toBe(5);
    expect(r.tables.flatMap((t) => t.ids.missingInPostgres).sort()).toEqual(Object.values(ids).sort());

    const fixed = await reconcile({ pair, from: 'sqlite', recheckDelayMs: 0 });
    expect(fixed).toMatchObject({ ok: true, applied: 5, remaining: 0, failed: [] });
    expect(await sql`SELECT opted_out, is_bot, last_seen_at::text AS seen FROM user_profiles WHERE id = 'p2'`).toEqual([{ opted_out: false, is_bot: true, seen: '1627303906' }]);
    expect(await sql`SELECT success FROM queries WHERE id = 'q-yes'`).toEqual([{ success: true }]);
    expect(await sql`SELECT "timestamp"::text AS ts FROM messages WHERE id = ${ids.iso}`).toEqual([{ ts: '1627303906' }]);
    expect(await sql`SELECT content FROM messages WHERE id = ${ids.nul}`).toEqual([{ content: 'beforeafter' }]);
    expectCleanWithRejects(await verify());
  });

  it('a rejected row PostgreSQL holds an older state of is reported as rejected (with that state), not as drift reconcile would copy', async () => {
    // d1 was imported; its LibSQL row then gets metadata that is not JSON (a hand edit).
    const lite = createClient({ url: src.url });
    try {
      await lite.execute(`UPDATE documents SET metadata = '{oops' WHERE id = 'd1'`);
      const r = await verify();
      expect(r.drift).toBe(0);
      const d1 = r.rejectedSample.find((e) => e.id === 'd1');
      expect(d1).toMatchObject({ table: 'documents', kind: 'rejected', column: 'metadata', postgres: { version: 1 } });
      expect(d1!.reason).toContain('invalid JSON');
      const fixed = await reconcile({ pair, from: 'sqlite', recheckDelayMs: 0 });
      expect(fixed.applied).toBe(0);
      expect(await sql`SELECT metadata FROM documents WHERE id = 'd1'`).toHaveLength(1); // neither deleted nor overwritten
    } finally {
      await lite.execute(`UPDATE documents SET metadata = '{}' WHERE id = 'd1'`);
      lite.close();
    }
    expectCleanWithRejects(await verify());
  });
});

describe('verify after export + import of the trap database', () => {
  it('is clean, with the same rejected rows', async () => {
    const dir = join(work, 'export');
    await exportDatabase({ libsqlUrl: src.url, outDir: dir });
    await importDirectory({ dir, databaseUrl: pg2.url });
    const p = await openBackendPair({ libsqlUrl: src.url, databaseUrl: pg2.url });
    try {
      expectCleanWithRejects(await verify(p));
    } finally {
      await p.close();
    }
  });
});

describe('verify after copy of odd storage classes: rejects exactly what copy rejects, for the same reasons', () => {
  it('blobs, ids that are not exact text, reals and text in integer columns, integers beyond 2^53', async () => {
    const file = createTestSqlite('odd.db');
    const db = await createTestPostgres('vfy_odd');
    try {
      await Promise.all([migrateSqlite(file.url), migratePostgres(db.url)]);
      const c = createClient({ url: file.url, intMode: 'bigint' });
      try {
        const m = (id: string | { sql: string }, extra: Record<string, unknown> = {}) =>
          insertRow(c, 'messages', { id: id as string, user_id: 'u1', username: 'ada', channel_id: 'c1', role: 'user', content: 'x', metadata: '{}', timestamp: T0, ...(extra as Record<string, string>) });
        await m('o-ok');
        await m('o-blob-text', { content: raw(`x'6869'`) }); // rejected: blob in a text column
        await m('o-blob-json', { metadata: raw(`x'7b7d'`) }); // rejected: blob in a json column
        await m('o-real-ts', { timestamp: raw('1700000000.75') }); // REAL in an INTEGER column: floored
        await m('o-iso-day', { timestamp: '2021-07-26' }); // ISO date: midnight UTC
        await m('o-micro-ts', { timestamp: raw('1627303906122000') }); // rejected: microseconds?
        await m('o-huge-ts', { timestamp: raw('1152921504606846976') }); // 2^60, read without bigint mode in the pass: rejected after the exact read
        await m('o-text-bigint', { external_id: 'abc' }); // rejected: not an integer
        await m('o-big-json', { metadata: '{"n": 9007199254740993, "é": "ü"}' }); // JSON numbers as JSON.parse reads them
        await m(raw(`'o-nul' || char(0) || 'id'`)); // rejected: unusable id (U+0000)
        await m(raw(`CAST(X'6F2D73EDA080' AS TEXT)`)); // rejected: unusable id (lone surrogate)
        await m(raw(`CAST(X'6F2DFF' AS TEXT)`)); // rejected: unusable id (not UTF-8)
        await m(raw(`x'6F2D626C6F62'`)); // rejected: a blob id
        await m('o-émoji-🦊'); // a non-ASCII id is fine
        await insertRow(c, 'queries', { id: 'o-q-real', user_id: 'u', channel_id: 'c', query: 'q', duration_ms: raw('12.5'), success: 1 }); // rejected: not an integer
        await insertRow(c, 'queries', { id: 'o-q-on', user_id: 'u', channel_id: 'c', query: 'q', duration_ms: 3, success: ' ON ' }); // true
        await insertRow(c, 'user_profiles', { id: 'o-p-real', user_id: 'u9', trait_openness: 'high' }); // rejected: not a number
        await insertRow(c, 'user_profiles', { id: 'o-p-numtext', user_id: 'u8', trait_openness: ' 0.5e0x' }); // rejected: not a number
      } finally {
        c.close();
      }
      const rejectsDir = join(work, 'odd-rejects');
      const copy = await copyDatabase({ libsqlUrl: file.url, databaseUrl: db.url, rejectsDir });
      const p = await openBackendPair({ libsqlUrl: file.url, databaseUrl: db.url });
      try {
        const r = await verifyTables({ pair: p, recheckDelayMs: 0, sampleSize: 100 });
        expect(r.drift, JSON.stringify(r.sample)).toBe(0);
        for (const s of copy.tables) {
          const v = byTable(r, s.table);
          expect({ table: s.table, rejected: v.rejected, matched: v.matched, sqliteRows: v.sqliteRows }).toEqual({ table: s.table, rejected: s.rejected, matched: s.imported, sqliteRows: s.read });
          const path = join(rejectsDir, `${s.table}.ndjson`);
          const copyReasons = existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { reason: string }).reason) : [];
          const verifyReasons = r.rejectedSample.filter((e) => e.table === s.table).map((e) => e.reason);
          expect(verifyReasons.sort(), s.table).toEqual(copyReasons.sort());
        }
        // messages: 2 blobs, microseconds, 2^60, 'abc' bigint, 4 unusable ids; queries: 12.5; profiles: 2 non-numbers
        expect(Object.fromEntries(r.tables.filter((t) => t.rejected).map((t) => [t.table, t.rejected]))).toEqual({ messages: 9, queries: 1, user_profiles: 2 });
      } finally {
        await p.close();
      }
    } finally {
      await db.drop();
      file.remove();
    }
  });
});
