// verify right after an import of the trap database (docs/design.md "Known traps"): LibSQL is compared
// in its import form, so every deliberate conversion (milliseconds in seconds columns → seconds, ISO
// text → seconds or ms, text booleans, the text policy, snowflakes beyond 2^53) matches, and the ms
// `timestamp` columns are compared exactly (1 ms is drift); rows import rejects are reported as rejected
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
import { buildTrapDatabase, doc, insertRow, msg, query, raw, runCli, T0_MS, TRAP_COUNTS, TRAP_REJECTED, TRAPS, TS_MS } from './transfer-fixtures.js';

/** Every id import rejects, with a fragment of its reason. */
const REJECTED = TRAP_REJECTED;

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
    expect(m).toMatchObject({ matched: 12, different: 0, missingInPostgres: 0, resolvedOnRecheck: 0 });
    expect(byTable(r, 'queries')).toMatchObject({ matched: 2, rejected: 2 });
    expect(byTable(r, 'documents')).toMatchObject({ matched: 7, rejected: 2 });
    expect(byTable(r, 'user_profiles')).toMatchObject({ matched: 2, rejected: 1 });
    expect(byTable(r, 'user_analysis_history')).toMatchObject({ matched: 1, rejected: 2 });
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

  it('finds exactly the changed rows (1 ms off in a ms column is drift), and reconcile --from sqlite writes the converted values back', async () => {
    // milliseconds written into PostgreSQL's created_at by hand: the LibSQL row (1627303906122 ms) imports as 1627303906 s
    await sql`UPDATE messages SET created_at = 1627303906122 WHERE id = ${TRAPS.messages.timestampMs}`;
    // one millisecond off in the ms `timestamp`: compared exactly, never in seconds
    await sql`UPDATE messages SET "timestamp" = "timestamp" + 1 WHERE id = ${TRAPS.messages.tool}`;
    const r = await verify();
    expect(r.drift).toBe(2);
    expect(r.sample).toHaveLength(2);
    const byId = Object.fromEntries(r.sample.map((e) => [e.id, e]));
    expect(byId[TRAPS.messages.timestampMs]).toMatchObject({ table: 'messages', kind: 'different', columns: ['created_at'] });
    expect(byId[TRAPS.messages.tool]).toMatchObject({ table: 'messages', kind: 'different', columns: ['timestamp'] });
    expect(r.rejected).toBe(Object.keys(REJECTED).length);

    const fixed = await reconcile({ pair, from: 'sqlite', recheckDelayMs: 0 });
    expect(fixed).toMatchObject({ ok: true, applied: 2, remaining: 0, failed: [], rejected: [] });
    expect(fixed.planned).toMatchObject({ upsert: 2, delete: 0 });
    expect(await sql`SELECT id, "timestamp"::text AS ms, created_at::text AS s FROM messages WHERE id IN (${TRAPS.messages.timestampMs}, ${TRAPS.messages.tool}) ORDER BY id`).toEqual([
      { id: TRAPS.messages.tool, ms: String(T0_MS), s: '1700000000' },
      { id: TRAPS.messages.timestampMs, ms: String(TS_MS), s: '1627303906' },
    ]);
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

  it('reconcile --from sqlite never writes raw LibSQL values (milliseconds in seconds columns, text booleans, ISO text, U+0000)', async () => {
    const ids = { profile: 'p2', doc: 'd-yes', history: 'h1', iso: TRAPS.messages.timestampIso, nul: TRAPS.messages.nulText, nulJson: TRAPS.messages.nulJson };
    await sql`DELETE FROM user_analysis_history WHERE id = ${ids.history}`;
    await sql`DELETE FROM user_profiles WHERE id = ${ids.profile}`;
    await sql`DELETE FROM documents WHERE id = ${ids.doc}`;
    await sql`DELETE FROM messages WHERE id IN ${sql([ids.iso, ids.nul, ids.nulJson])}`;
    const r = await verify();
    expect(r.drift).toBe(6);
    expect(r.tables.flatMap((t) => t.ids.missingInPostgres).sort()).toEqual(Object.values(ids).sort());

    const fixed = await reconcile({ pair, from: 'sqlite', recheckDelayMs: 0 });
    expect(fixed).toMatchObject({ ok: true, applied: 6, remaining: 0, failed: [] });
    expect(await sql`SELECT first_seen_at::text AS first, last_interaction_at::text AS last FROM user_profiles WHERE id = 'p2'`).toEqual([{ first: '1627303906', last: '1627303906' }]);
    expect(await sql`SELECT is_public FROM documents WHERE id = 'd-yes'`).toEqual([{ is_public: true }]);
    expect(await sql`SELECT analysis_timestamp::text AS at FROM user_analysis_history WHERE id = 'h1'`).toEqual([{ at: '1627303906' }]);
    expect(await sql`SELECT "timestamp"::text AS ms, created_at::text AS s FROM messages WHERE id = ${ids.iso}`).toEqual([{ ms: String(TS_MS), s: '1627303906' }]);
    expect(await sql`SELECT message_content FROM messages WHERE id = ${ids.nul}`).toEqual([{ message_content: 'beforeafter' }]);
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
      await lite.execute(`UPDATE documents SET metadata = NULL WHERE id = 'd1'`); // as the trap database has it
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
  it('blobs, ids that are not exact text, reals and text in integer columns, ms beyond a date, integers beyond 2^53 in JSON', async () => {
    const file = createTestSqlite('odd.db');
    const db = await createTestPostgres('vfy_odd');
    try {
      await Promise.all([migrateSqlite(file.url), migratePostgres(db.url)]);
      const c = createClient({ url: file.url, intMode: 'bigint' });
      try {
        const m = (id: string | { sql: string }, extra: Record<string, unknown> = {}) => insertRow(c, 'messages', msg(id as string, extra as Record<string, string>));
        await m('o-ok');
        await m('o-blob-text', { message_content: raw(`x'6869'`) }); // rejected: blob in a text column
        await m('o-blob-json', { metadata: raw(`x'7b7d'`) }); // rejected: blob in a json column
        await m('o-real-ts', { created_at: raw('1700000000.75') }); // REAL in a seconds column: floored
        await m('o-real-ms', { timestamp: raw('1700000000123.5') }); // rejected: a fraction of a millisecond
        await m('o-iso-day', { created_at: '2021-07-26', timestamp: '2021-07-26' }); // ISO date: midnight UTC, in s and in ms
        await m('o-micro-ts', { created_at: raw('1627303906122000') }); // rejected: microseconds?
        await m('o-huge-ts', { timestamp: raw('1152921504606846976') }); // 2^60 ms, read without bigint mode in the pass: rejected (beyond a date) after the exact read
        await m('o-text-int', { created_at: 'abc' }); // rejected: not a timestamp
        await m('o-big-json', { metadata: '{"n": 9007199254740993, "é": "ü"}' }); // JSON numbers as JSON.parse reads them
        await m(raw(`'o-nul' || char(0) || 'id'`)); // rejected: unusable id (U+0000)
        await m(raw(`CAST(X'6F2D73EDA080' AS TEXT)`)); // rejected: unusable id (lone surrogate)
        await m(raw(`CAST(X'6F2DFF' AS TEXT)`)); // rejected: unusable id (not UTF-8)
        await m(raw(`x'6F2D626C6F62'`)); // rejected: a blob id
        await m('o-émoji-🦊'); // a non-ASCII id is fine
        await insertRow(c, 'queries', query('o-q-real', { execution_time_ms: raw('12.5') })); // rejected: not an integer
        await insertRow(c, 'queries', query('o-q-ok', { result_count: 3 }));
        await insertRow(c, 'documents', doc('o-d-on', { is_public: ' ON ' })); // true
        await insertRow(c, 'user_profiles', { id: 'o-p-real', user_id: 'u9', username: 'x', archetype_confidence: 'high' }); // rejected: not a number
        await insertRow(c, 'user_profiles', { id: 'o-p-numtext', user_id: 'u8', username: 'y', archetype_confidence: ' 0.5e0x' }); // rejected: not a number
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
        // messages: 2 blobs, a fraction of a ms, microseconds, 2^60 ms, 'abc' timestamp, 4 unusable ids; queries: 12.5; profiles: 2 non-numbers
        expect(Object.fromEntries(r.tables.filter((t) => t.rejected).map((t) => [t.table, t.rejected]))).toEqual({ messages: 10, queries: 1, user_profiles: 2 });
        expect(r.tables.find((t) => t.table === 'documents')).toMatchObject({ matched: 1, rejected: 0 });
      } finally {
        await p.close();
      }
    } finally {
      await db.drop();
      file.remove();
    }
  });
});
