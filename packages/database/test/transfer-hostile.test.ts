// Hostile values through check, copy, export + import, verify and reconcile (issue 14, part 1):
// every value migrated exactly, rejected by id with its reason, or reported — never silently
// changed, never a crash. JSON nested 5,000 deep and beyond PostgreSQL's stack, numbers beyond a
// double, keys colliding under the text policy, unique keys that collide only in PostgreSQL
// (U+0000, two lone surrogates, a dropped SQLite unique index), an orphan whose reference holds a
// U+0000, and the unit rule of seconds columns ('9999-12-31T23:59:59Z' ≡ 253402300799).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from '@libsql/client';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratePostgres, migrateSqlite } from '../src/migrations/migrate.js';
import { createTestPostgres, createTestSqlite } from '../src/testing/index.js';
import { checkDatabase, type CheckReport } from '../src/transfer/check.js';
import { copyDatabase, type CopySummary } from '../src/transfer/copy.js';
import { exportDatabase } from '../src/transfer/export.js';
import { importDirectory } from '../src/transfer/import.js';
import { reconcile } from '../src/transfer/reconcile.js';
import { runGate } from '../src/transfer/gate.js';
import { verifyTables, type VerifyResult } from '../src/transfer/verify.js';
import { doc, dumpPostgres, insertRow, msg, raw, T0 } from './transfer-fixtures.js';

const DEEP_OK = 5_000;
const DEEP_BEYOND = 60_000; // beyond PostgreSQL's stack with any max_stack_depth an 8MB OS stack allows
const nested = (d: number) => `{"deep":${'['.repeat(d)}1e400${']'.repeat(d)}}`;
const NUMBERS = '{"x":1e400,"y":1e-400,"z":0.1000000000000000000001,"w":-0,"big":123456789012345678901234567890,"neg":-1.5e-30}';

/** Rows expected to be rejected by every tool, by table:id, with a piece of their reason. */
const EXPECTED_REJECTS: Record<string, string> = {
  'messages:m-deep-beyond': 'too deep: JSON nested',
  'messages:m-numeric-overflow': 'beyond PostgreSQL numeric',
  'messages:m-collide': 'JSON key collision',
  'document_collaborators:dc-nul-ref': 'orphan: document "d-ok\\u0000" missing',
  'document_collaborators:dc-2-nul': 'duplicate key: document_id "d-ok", user_id "v1"',
  'document_collaborators:dc-4-dup': 'duplicate key: document_id "d-ok", user_id "w1"',
  'user_profiles:p-2-nul': 'duplicate key: user_id "u1"',
  'user_profiles:p-4-surrogate': 'duplicate key: user_id "x\uFFFD"',
};

async function buildHostile(c: Client): Promise<void> {
  await c.execute('PRAGMA foreign_keys = OFF'); // the orphan is hostile data
  await insertRow(c, 'messages', msg('m-deep-ok', { metadata: nested(DEEP_OK) }));
  await insertRow(c, 'messages', msg('m-deep-beyond', { metadata: nested(DEEP_BEYOND) }));
  await insertRow(c, 'messages', msg('m-num', { metadata: NUMBERS, tool_args: '[1E+2, 2.50, 9007199254740993]' }));
  await insertRow(c, 'messages', msg('m-numeric-overflow', { metadata: '{"x":1e131072}' }));
  await insertRow(c, 'messages', msg('m-collide', { metadata: '{"k\\u0000":1,"k":2}' }));
  await insertRow(c, 'messages', msg('m-nul-ok', { metadata: '{"a\\u0000":1,"b":2}' }));
  await insertRow(c, 'documents', doc('d-ok'));
  await insertRow(c, 'documents', doc('d-iso', { created_at: '9999-12-31T23:59:59Z', updated_at: 253_402_300_799 }));
  await insertRow(c, 'documents', doc('d-ms', { created_at: 1_700_000_000_123, updated_at: '2023-11-14T22:13:20Z' }));
  await insertRow(c, 'documents', doc('d-amb', { created_at: 150_000_000_000 }));
  await insertRow(c, 'document_collaborators', { id: 'dc-nul-ref', document_id: raw(`'d-ok' || char(0)`), user_id: 'v0' });
  await insertRow(c, 'document_collaborators', { id: 'dc-1', document_id: 'd-ok', user_id: 'v1' });
  await insertRow(c, 'document_collaborators', { id: 'dc-2-nul', document_id: 'd-ok', user_id: raw(`'v1' || char(0)`) });
  // omega-bot's unique index dropped by hand: the same pair twice
  await c.execute('DROP INDEX idx_collaborators_unique');
  await insertRow(c, 'document_collaborators', { id: 'dc-3', document_id: 'd-ok', user_id: 'w1' });
  await insertRow(c, 'document_collaborators', { id: 'dc-4-dup', document_id: 'd-ok', user_id: 'w1' });
  await insertRow(c, 'user_profiles', { id: 'p-1', user_id: 'u1', username: 'ada' });
  await insertRow(c, 'user_profiles', { id: 'p-2-nul', user_id: raw(`'u1' || char(0)`), username: 'ada2' });
  // two different lone surrogates (WTF-8 bytes) that both become U+FFFD
  await insertRow(c, 'user_profiles', { id: 'p-3-surrogate', user_id: raw(`CAST(x'78eda080' AS TEXT)`), username: 'x1' });
  await insertRow(c, 'user_profiles', { id: 'p-4-surrogate', user_id: raw(`CAST(x'78eda081' AS TEXT)`), username: 'x2' });
  // history of the NUL profile's user_id: its key is held by p-1 in PostgreSQL, so it is no orphan
  await insertRow(c, 'user_analysis_history', { id: 'h-1', user_id: raw(`'u1' || char(0)`), analysis_timestamp: T0 });
}


const rejectKeys = (list: ReadonlyArray<{ table: string; id: string | null }>) => list.map((r) => `${r.table}:${r.id}`).sort();

let src: ReturnType<typeof createTestSqlite>;
let pgCopy: Awaited<ReturnType<typeof createTestPostgres>>;
let pgImport: Awaited<ReturnType<typeof createTestPostgres>>;
let dir: string;
let report: CheckReport;
let copied: CopySummary;

beforeAll(async () => {
  src = createTestSqlite('hostile.db');
  await migrateSqlite(src.url);
  const c = createClient({ url: src.url, intMode: 'bigint' });
  await buildHostile(c);
  c.close();
  [pgCopy, pgImport] = await Promise.all([createTestPostgres('xfer_hostile_c'), createTestPostgres('xfer_hostile_i')]);
  await Promise.all([migratePostgres(pgCopy.url), migratePostgres(pgImport.url)]);
  dir = mkdtempSync(join(tmpdir(), 'hostile-'));
  report = await checkDatabase({ libsqlUrl: src.url });
  copied = await copyDatabase({ libsqlUrl: src.url, databaseUrl: pgCopy.url, rejectsDir: join(dir, 'copy-rejects'), batchRows: 3 });
}, 180_000);

afterAll(async () => {
  await Promise.all([pgCopy?.drop(), pgImport?.drop()]);
  src?.remove();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('check predicts every reject copy makes, with the exact reason', () => {
  it('lists exactly the expected rejects, each with its reason', () => {
    expect(rejectKeys(report.rejects)).toEqual(Object.keys(EXPECTED_REJECTS).sort());
    for (const r of report.rejects) expect(r.reason, `${r.table}:${r.id}`).toContain(EXPECTED_REJECTS[`${r.table}:${r.id}`]);
    const orphan = report.rejects.find((r) => r.id === 'dc-nul-ref')!;
    expect(orphan.reason).not.toMatch(/document d-ok missing/);
  });

  it('lists the ambiguous seconds values by id (10^11…253402300799: seconds, or milliseconds of 1973–1978?), and not the clear ones', () => {
    expect(report.ambiguous.map((a) => `${a.table}:${a.id}:${a.column}`)).toEqual(['documents:d-amb:created_at', 'documents:d-iso:updated_at']);
  });

  it('copy rejects the same rows (none by PostgreSQL itself) and loads all the others', () => {
    expect(copied.totals.rejected).toBe(Object.keys(EXPECTED_REJECTS).length);
    expect(copied.totals.read - copied.totals.rejected).toBe(copied.totals.imported + copied.totals.unchanged);
  });
});

describe('values reach PostgreSQL exactly', () => {
  let sql: postgres.Sql;
  beforeAll(() => {
    sql = postgres(pgCopy.url, { max: 1, onnotice: () => {} });
  });
  afterAll(() => sql.end({ timeout: 1 }));

  it('numbers beyond a double are kept (jsonb numeric), not null or rounded', async () => {
    const [r] = await sql`SELECT metadata->>'x' AS x, metadata->>'y' AS y, metadata->>'z' AS z, metadata->>'w' AS w, metadata->>'big' AS big, metadata->>'neg' AS neg, tool_args::text AS a FROM messages WHERE id = 'm-num'`;
    expect(r).toEqual({
      x: `1${'0'.repeat(400)}`,
      y: `0.${'0'.repeat(399)}1`,
      z: '0.1000000000000000000001',
      w: '0',
      big: '123456789012345678901234567890',
      neg: `-0.${'0'.repeat(29)}15`,
      a: '[100, 2.5, 9007199254740993]',
    });
  });

  it('JSON nested 5,000 deep migrates whole', async () => {
    const [r] = await sql`SELECT jsonb_typeof(metadata) AS t, length(metadata::text) AS n FROM messages WHERE id = 'm-deep-ok'`;
    expect(r).toEqual({ t: 'object', n: `{"deep": ${'['.repeat(DEEP_OK)}1${'0'.repeat(400)}${']'.repeat(DEEP_OK)}}`.length });
  });

  it("seconds columns: '9999-12-31T23:59:59Z' and 253402300799 are the same second; milliseconds ÷ 1000", async () => {
    const rows = await sql`SELECT id, created_at::text AS c, updated_at::text AS u FROM documents ORDER BY id`;
    expect(Object.fromEntries(rows.map((r) => [r.id, [r.c, r.u]]))).toMatchObject({
      'd-iso': ['253402300799', '253402300799'],
      'd-ms': ['1700000000', '1700000000'],
      'd-amb': ['150000000000', String(T0)],
    });
  });

  it('a NUL-only JSON key change without collision is kept (stripped, noted)', async () => {
    const [r] = await sql`SELECT metadata::text AS m FROM messages WHERE id = 'm-nul-ok'`;
    expect(r!.m).toBe('{"a": 1, "b": 2}');
  });
});

describe('export + import gives PostgreSQL what copy gives', () => {
  it('same rows, same rejects', async () => {
    const out = join(dir, 'export');
    const exported = await exportDatabase({ libsqlUrl: src.url, outDir: out });
    const imported = await importDirectory({ dir: out, databaseUrl: pgImport.url });
    expect(exported.totals.rejected + imported.totals.rejected).toBe(copied.totals.rejected);
    expect(await dumpPostgres(pgImport.url)).toEqual(await dumpPostgres(pgCopy.url));
  }, 120_000);
});

describe('verify, reconcile and the gate treat these rows as the rejects they are', () => {
  let v: VerifyResult;
  beforeAll(async () => {
    v = await verifyTables({ libsqlUrl: src.url, databaseUrl: pgCopy.url, recheckDelayMs: 0, threads: false });
  }, 120_000);

  it('verify: no drift (exit 5, not 4): every reject listed by id with the reason copy gave', () => {
    expect(v.sample).toEqual([]);
    expect(v.drift).toBe(0);
    expect(rejectKeys(v.rejectedSample)).toEqual(Object.keys(EXPECTED_REJECTS).sort());
    for (const r of v.rejectedSample) expect(r.reason, `${r.table}:${r.id}`).toContain(EXPECTED_REJECTS[`${r.table}:${r.id}`]);
  });

  it('reconcile does not refuse: nothing to do, nothing failed', async () => {
    const r = await reconcile({ libsqlUrl: src.url, databaseUrl: pgCopy.url, from: 'sqlite', recheckDelayMs: 0, threads: false });
    expect(r.failed).toEqual([]);
    expect(r.applied).toBe(0);
    expect(r.remaining ?? 0).toBe(0);
  }, 120_000);

  it('the gate does not fail on them: the verify criterion passes, naming the rejected rows', async () => {
    const g = await runGate({ libsqlUrl: src.url, databaseUrl: pgCopy.url, skipShadow: true, recheckDelayMs: 0, threads: false, maxP95Ms: 60_000 });
    const verify = g.criteria.find((c) => c.key === 'verify')!;
    expect(verify.pass, verify.value).toBe(true);
    expect(verify.value).toContain(`${Object.keys(EXPECTED_REJECTS).length} LibSQL rows rejected`);
    expect(g.criteria.find((c) => c.key === 'foreign_keys')!.pass).toBe(true);
  }, 120_000);

  it('verify compares numbers beyond a double exactly: 1e400 against 1e401 is drift', async () => {
    const sql = postgres(pgCopy.url, { max: 1, onnotice: () => {} });
    try {
      await sql`UPDATE messages SET metadata = jsonb_set(metadata, '{x}', '1e401'::jsonb) WHERE id = 'm-num'`;
      const again = await verifyTables({ libsqlUrl: src.url, databaseUrl: pgCopy.url, recheckDelayMs: 0, threads: false, tables: ['messages'] });
      expect(again.sample.map((d) => [d.id, d.kind, d.columns])).toEqual([['m-num', 'different', ['metadata']]]);
    } finally {
      await sql`UPDATE messages SET metadata = ${NUMBERS}::jsonb WHERE id = 'm-num'`;
      await sql.end({ timeout: 1 });
    }
  }, 120_000);
});
