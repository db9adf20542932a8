// copy: LibSQL → PostgreSQL with no files, on the trap database. Same conversion and rejects as
// export + import; counts add up; re-copy is a no-op; rows already newer in PostgreSQL (a live
// shadow write) and tombstoned ids are left alone by the version guard.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratePostgres } from '../src/migrations/migrate.js';
import { createTestPostgres } from '../src/testing/index.js';
import { copyDatabase, type CopySummary } from '../src/transfer/copy.js';
import { ensureFreshDist } from './helpers/fresh-dist.js';
import { buildTrapDatabase, expectTrapsLoaded, runCli, T0, T0_MS, TRAP_COUNTS, TRAP_REJECTED, TRAPS, TS_MS } from './transfer-fixtures.js';

let src: Awaited<ReturnType<typeof buildTrapDatabase>>;
let pg: Awaited<ReturnType<typeof createTestPostgres>>;
let sql: postgres.Sql;
let rejectsDir: string;
let copied: CopySummary;

beforeAll(async () => {
  ensureFreshDist();
  src = await buildTrapDatabase();
  pg = await createTestPostgres('xfer_copy');
  await migratePostgres(pg.url);
  sql = postgres(pg.url, { max: 2, onnotice: () => {} });
  rejectsDir = mkdtempSync(join(tmpdir(), 'rejects-'));
  // A shadow write already delivered a newer version of m-ok-1, and m-ok-2 was deleted (tombstone).
  await sql`INSERT INTO messages (id, timestamp, sender_type, user_id, username, channel_id, message_content, metadata, created_at, updated_at, version)
            VALUES ('m-ok-1', ${T0_MS}, 'human', 'u1', 'ada', 'c1', 'edited after the snapshot', '{}', ${T0}, ${T0 + 60}, 2)`;
  await sql`INSERT INTO row_tombstones (table_name, id, version, deleted_at) VALUES ('messages', 'm-ok-2', 2, ${T0 + 60})`;
  copied = await copyDatabase({ libsqlUrl: src.url, databaseUrl: pg.url, rejectsDir, batchRows: 4 });
});
afterAll(async () => {
  await sql?.end();
  await pg?.drop();
  src?.remove();
  if (rejectsDir) rmSync(rejectsDir, { recursive: true, force: true });
});

const rejectsOf = (table: string) =>
  readFileSync(join(rejectsDir, `${table}.ndjson`), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { id: string; reason: string; stage: string });

describe('copy', () => {
  it('counts add up per table: read = imported + rejected', () => {
    for (const s of copied.tables) {
      expect({ table: s.table, read: s.read, rejected: s.rejected }).toEqual({ table: s.table, ...TRAP_COUNTS[s.table] });
      expect(s.read, s.table).toBe(s.imported + s.rejected);
      expect(s.imported, s.table).toBe(s.written + s.unchanged);
    }
    expect(copied.tables.find((s) => s.table === 'messages')).toMatchObject({ unchanged: 2, sanitized: 4 });
  });

  it('loads every trap with its conversion', async () => {
    await expectTrapsLoaded(sql);
  });

  it('keeps ms timestamps exactly (never ÷1000) and divides only milliseconds found in seconds columns', async () => {
    const rows = await sql`SELECT id, "timestamp"::text AS ms, created_at::text AS s FROM messages WHERE id IN (${TRAPS.messages.timestampMs}, 'm-ok-3') ORDER BY id`;
    expect(rows).toEqual([
      { id: 'm-ok-3', ms: String(T0_MS), s: String(T0) },
      { id: TRAPS.messages.timestampMs, ms: String(TS_MS), s: '1627303906' },
    ]);
    expect(await sql`SELECT "timestamp"::text AS ms FROM queries WHERE id = 'q-ok'`).toEqual([{ ms: String(TS_MS) }]);
  });

  it('writes each reject with its id and reason', () => {
    const all = ['messages', 'queries', 'documents', 'document_collaborators', 'user_profiles', 'user_analysis_history'].flatMap(rejectsOf);
    expect(all.map((r) => r.id).sort()).toEqual(Object.keys(TRAP_REJECTED).sort());
    for (const r of all) {
      expect(r.reason).toContain(TRAP_REJECTED[r.id]);
      expect(r.stage).toBe('copy');
    }
  });

  it('leaves a newer row and a tombstoned id alone (version guard)', async () => {
    expect(await sql`SELECT message_content, version FROM messages WHERE id = 'm-ok-1'`).toEqual([{ message_content: 'edited after the snapshot', version: 2 }]);
    expect(await sql`SELECT id FROM messages WHERE id = 'm-ok-2'`).toEqual([]);
  });

  it('re-copy is a no-op: nothing written, no duplicates', async () => {
    const before = await sql`SELECT count(*)::int AS n FROM messages`;
    const again = await copyDatabase({ libsqlUrl: src.url, databaseUrl: pg.url, rejectsDir });
    expect(again.totals.written).toBe(0);
    expect(again.totals.rejected).toBe(copied.totals.rejected);
    expect(await sql`SELECT count(*)::int AS n FROM messages`).toEqual(before);
  });
});

describe('db copy (CLI)', () => {
  it('exits 5 with rejects, 0 with --allow-rejects; --json is one document', async () => {
    const env = { LIBSQL_URL: src.url, DATABASE_URL: pg.url, USE_POSTGRES_SHADOW: 'true' };
    const r = await runCli(['copy', '--rejects', rejectsDir], env);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stdout).toMatch(/^messages\s+15\s+12\s+0\s+12\s+3\s/m);
    expect(r.stderr).not.toMatch(/phase 1/);
    const j = await runCli(['copy', '--rejects', rejectsDir, '--allow-rejects', '--json'], env);
    expect(j.code, j.stderr).toBe(0);
    expect((JSON.parse(j.stdout) as CopySummary).totals).toMatchObject({ read: 37, rejected: 12, written: 0 });
  });

  it('warns about phase 1, and exits 3 when PostgreSQL is unreachable', async () => {
    const r = await runCli(['copy', '--rejects', rejectsDir], { LIBSQL_URL: src.url, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nothing' });
    expect(r.stderr).toMatch(/phase 1/);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/DATABASE_UNREACHABLE/);
  });

  it('refuses a PostgreSQL schema with pending migrations (exit 9 SCHEMA_MISSING)', async () => {
    const bare = await createTestPostgres('xfer_bare');
    try {
      const r = await runCli(['copy', '--rejects', rejectsDir], { LIBSQL_URL: src.url, DATABASE_URL: bare.url, USE_POSTGRES_SHADOW: 'true' });
      expect(r.code).toBe(9);
      expect(r.stderr).toMatch(/SCHEMA_MISSING: .*schema .* is behind .*db migrate --target postgres/);
    } finally {
      await bare.drop();
    }
  });
});
