// A hand-made source table without a primary key (and without NOT NULL, with an extra column and
// one column missing): duplicate ids (the first by rowid is kept, later ones rejected, also
// across read chunks), NULL / integer / blob ids, missing NOT NULL values, non-integers.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratePostgres, migrateSqlite } from '../src/migrations/migrate.js';
import { createTestPostgres, createTestSqlite } from '../src/testing/index.js';
import { checkDatabase, type CheckReport } from '../src/transfer/check.js';
import { copyDatabase, type CopySummary } from '../src/transfer/copy.js';
import { insertRow, T0 } from './transfer-fixtures.js';

let src: ReturnType<typeof createTestSqlite>;
let pg: Awaited<ReturnType<typeof createTestPostgres>>;
let rejectsDir: string;
let report: CheckReport;
let copied: CopySummary;

beforeAll(async () => {
  src = createTestSqlite('handmade.db');
  await migrateSqlite(src.url);
  const c = createClient({ url: src.url, intMode: 'bigint' });
  await c.execute('DROP TABLE user_analysis_history');
  // No primary key, no NOT NULL, no foreign key, `id` without a type (so no affinity), `changes_summary` missing, an extra column.
  await c.execute(
    'CREATE TABLE user_analysis_history (id, user_id TEXT, analysis_timestamp INTEGER, feelings_snapshot TEXT, personality_snapshot TEXT, message_count_at_analysis INTEGER, created_at INTEGER, updated_at INTEGER, version INTEGER, legacy_flag INTEGER)',
  );
  // The profile the rows belong to (analysis history references user_profiles.user_id).
  await insertRow(c, 'user_profiles', { id: 'p-u', user_id: 'u', username: 'ada' });
  const rows: [unknown, string | null, unknown, string, bigint | null][] = [
    ['h3', 'u', 1n, '{"v":1}', BigInt(T0)],
    ['h1', 'u', 1n, '{}', BigInt(T0)],
    ['h2', 'u', 1n, '{"first":true}', BigInt(T0)],
    ['h2', 'u', 2n, '{"second":true}', BigInt(T0)],
    ['h3', 'u', 2n, '{"v":2}', BigInt(T0)],
    ['h3', 'u', 3n, '{"v":3}', BigInt(T0)],
    [null, 'u', 1n, '{}', BigInt(T0)],
    [42n, 'u', 1n, '{}', BigInt(T0)],
    [new Uint8Array([0, 1]).buffer, 'u', 1n, '{}', BigInt(T0)],
    ['h-no-timestamp', 'u', 1n, '{}', null],
    ['h-no-user', null, 1n, '{}', BigInt(T0)],
    ['h-fraction', 'u', 1.5, '{}', BigInt(T0)],
  ];
  for (const [id, user, count, feelings, at] of rows) {
    await c.execute({ sql: 'INSERT INTO user_analysis_history VALUES (?, ?, ?, ?, NULL, ?, ?, NULL, 1, 0)', args: [id as never, user, at, feelings, count as never, T0] });
  }
  c.close();
  report = await checkDatabase({ libsqlUrl: src.url, chunkRows: 2 });
  pg = await createTestPostgres('xfer_dup');
  await migratePostgres(pg.url);
  rejectsDir = mkdtempSync(join(tmpdir(), 'dup-rejects-'));
  copied = await copyDatabase({ libsqlUrl: src.url, databaseUrl: pg.url, rejectsDir, chunkRows: 2, batchRows: 2 });
});
afterAll(async () => {
  await pg?.drop();
  src?.remove();
  if (rejectsDir) rmSync(rejectsDir, { recursive: true, force: true });
});

const expectedRejects = [
  { rowid: '4', id: 'h2', reason: expect.stringMatching(/^duplicate id/) },
  { rowid: '5', id: 'h3', reason: expect.stringMatching(/^duplicate id/) },
  { rowid: '6', id: 'h3', reason: expect.stringMatching(/^duplicate id/) },
  { rowid: '7', id: null, reason: 'missing: id is NOT NULL' },
  { rowid: '8', id: null, reason: 'unusable id: integer, not text' },
  { rowid: '9', id: null, reason: 'unusable id: blob, not text' },
  { rowid: '10', id: 'h-no-timestamp', reason: 'missing: analysis_timestamp is NOT NULL' },
  { rowid: '11', id: 'h-no-user', reason: 'missing: user_id is NOT NULL' },
  { rowid: '12', id: 'h-fraction', reason: 'not an integer' },
];
const byRowid = (a: { rowid?: string | undefined }, b: { rowid?: string | undefined }) => Number(a.rowid) - Number(b.rowid);

describe('a source table without a primary key', () => {
  it('check reports the table shape and every reject (read in chunks of 2, across duplicates)', () => {
    const t = report.tables.find((x) => x.table === 'user_analysis_history')!;
    expect(t).toMatchObject({ rows: 12, accepted: 3, rejected: 9, missingColumns: ['changes_summary'], extraColumns: ['legacy_flag'] });
    expect([...report.rejects].sort(byRowid)).toEqual(expectedRejects.map((r) => expect.objectContaining(r)));
  });

  it('copy keeps the first row of each id (by rowid) and rejects the rest, counts adding up', async () => {
    const s = copied.tables.find((x) => x.table === 'user_analysis_history')!;
    expect(s).toMatchObject({ read: 12, imported: 3, rejected: 9 });
    const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    try {
      expect(await sql`SELECT id, feelings_snapshot, message_count_at_analysis AS n, changes_summary, updated_at FROM user_analysis_history ORDER BY id`).toEqual([
        { id: 'h1', feelings_snapshot: {}, n: 1, changes_summary: null, updated_at: null },
        { id: 'h2', feelings_snapshot: { first: true }, n: 1, changes_summary: null, updated_at: null },
        { id: 'h3', feelings_snapshot: { v: 1 }, n: 1, changes_summary: null, updated_at: null },
      ]);
    } finally {
      await sql.end();
    }
    const file = readFileSync(join(rejectsDir, 'user_analysis_history.ndjson'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { rowid: string });
    expect(file.sort(byRowid)).toEqual(expectedRejects.map((r) => expect.objectContaining(r)));
  });
});
