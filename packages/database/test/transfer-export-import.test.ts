// export → import through files, on the trap database and a real PostgreSQL: counts add up
// (read = imported + rejected), every trap is imported exactly or rejected with a reason, the
// files match metadata.json, re-import is a no-op, and tampered files are refused (exit 6)
// before anything is written.
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratePostgres } from '../src/migrations/migrate.js';
import { tableNames, type TableName } from '../src/schema/tables.js';
import { pgDialect } from '../src/stores/pg/pg-dialect.js';
import { q, tableSql } from '../src/stores/table-sql.js';
import { createTestPostgres } from '../src/testing/index.js';
import { exportDatabase, type ExportSummary } from '../src/transfer/export.js';
import { importDirectory, type ImportSummary } from '../src/transfer/import.js';
import type { ExportMetadata } from '../src/transfer/files/metadata.js';
import { journal } from '../src/transfer/source/migration-status.js';
import { canonicalJson, rowChecksum } from '../src/transfer/convert/normalize-row.js';
import { parseJsonExact } from '../src/json-exact.js';
import { PG_EXACT_JSON_TYPES } from '../src/stores/pg/pg-connection.js';
import { ensureFreshDist } from './helpers/fresh-dist.js';
import { buildTrapDatabase, expectTrapsLoaded, runCli, TRAP_COUNTS, TRAP_REJECTED, TRAPS, TS_MS } from './transfer-fixtures.js';

let src: Awaited<ReturnType<typeof buildTrapDatabase>>;
let pg: Awaited<ReturnType<typeof createTestPostgres>>;
let sql: postgres.Sql;
let dir: string;
let exported: ExportSummary;
let imported: ImportSummary;

beforeAll(async () => {
  ensureFreshDist();
  src = await buildTrapDatabase();
  pg = await createTestPostgres('xfer_ei');
  await migratePostgres(pg.url);
  sql = postgres(pg.url, { max: 2, onnotice: () => {}, types: PG_EXACT_JSON_TYPES }) as unknown as postgres.Sql;
  dir = mkdtempSync(join(tmpdir(), 'export-'));
  exported = await exportDatabase({ libsqlUrl: src.url, outDir: dir });
  imported = await importDirectory({ dir, databaseUrl: pg.url });
});
afterAll(async () => {
  await sql?.end();
  await pg?.drop();
  src?.remove();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const lines = (table: TableName) => readFileSync(join(dir, `${table}.ndjson`), 'utf8').split('\n').filter(Boolean);
const pgRows = async (table: TableName) => {
  const t = tableSql(pgDialect, table);
  const rows = await sql.unsafe(`SELECT ${t.selectList} FROM ${q(table)} m ORDER BY m.id COLLATE "C"`);
  return rows.map((r) => t.decodeRow(r));
};

describe('export', () => {
  it('writes one canonical line per accepted row, in id order, and the rejected rows apart', () => {
    for (const t of tableNames) {
      const ls = lines(t);
      expect(ls.length, t).toBe(TRAP_COUNTS[t].read - TRAP_COUNTS[t].rejected);
      const ids = ls.map((l) => (JSON.parse(l) as { id: string }).id);
      expect(ids).toEqual([...ids].sort());
      for (const l of ls) expect(canonicalJson(t, parseJsonExact(l) as Record<string, unknown>)).toBe(l);
    }
    const rejectsOf = (t: TableName) =>
      readFileSync(join(dir, 'rejects', 'export', `${t}.ndjson`), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);
    const rejected = rejectsOf('messages');
    expect(rejected.map((r) => r.id).sort()).toEqual(['m-big-2p63', 'm-invalid-json', 'm-invalid-utf8']);
    expect(rejected.find((r) => r.id === 'm-invalid-utf8')!.row.message_content).toEqual({ $invalidUtf8: '61ff62' });
    // Orphans through user_profiles.user_id: a missing profile, and one export rejected itself.
    expect(rejectsOf('user_analysis_history').map((r) => [r.id, r.reason])).toEqual([
      ['h-of-bad', TRAP_REJECTED['h-of-bad']],
      ['h-orphan', TRAP_REJECTED['h-orphan']],
    ]);
    for (const t of tableNames) expect(rejectsOf(t).length, t).toBe(TRAP_COUNTS[t].rejected);
  });

  it('keeps big integers and ms timestamps exact in the file', () => {
    const m = lines('messages').join('\n');
    expect(m).toContain('"guild_id":"9007199254740993"');
    expect(m).toContain('"snowflake":9007199254740993');
    const tsMs = lines('messages').find((l) => l.includes(`"id":"${TRAPS.messages.timestampMs}"`))!;
    expect(tsMs).toContain(`"timestamp":${TS_MS}`); // never ÷1000
    expect(tsMs).toContain('"created_at":1627303906'); // milliseconds in a seconds column: ÷1000
    expect(lines('queries').join('\n')).toContain(`"timestamp":${TS_MS}`);
  });

  it('records counts and checksums in metadata.json that match the files', () => {
    const meta = JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8')) as ExportMetadata;
    expect(meta.schemaVersion).toEqual({ sqlite: journal('sqlite').at(-1)!.tag, postgres: expect.any(String) });
    for (const t of tableNames) {
      const ls = lines(t);
      expect(meta.tables[t]).toMatchObject({ rows: ls.length, rejected: TRAP_COUNTS[t].rejected });
      const h = createHash('sha256');
      for (const l of ls) h.update(`${rowChecksum(t, parseJsonExact(l) as Record<string, unknown>)}\n`);
      expect(meta.tables[t].checksum, t).toBe(h.digest('hex'));
    }
    expect(exported.totals.rejected).toBe(12);
  });
});

describe('import', () => {
  it('counts add up per table: read = imported + rejected; the export rejects are reported too', () => {
    for (const s of imported.tables) {
      expect(s.read, s.table).toBe(s.imported + s.rejected);
      expect(s.read, s.table).toBe(TRAP_COUNTS[s.table].read - TRAP_COUNTS[s.table].rejected);
      expect(s.rejectedAtExport, s.table).toBe(TRAP_COUNTS[s.table].rejected);
      expect(s.written, s.table).toBe(s.imported);
    }
  });

  it('PostgreSQL holds exactly the exported rows (canonical form equal)', async () => {
    for (const t of tableNames) {
      const rows = await pgRows(t);
      expect(rows.map((r) => canonicalJson(t, r)), t).toEqual(lines(t));
    }
  });

  it('imports each trap with its deliberate conversion', async () => {
    await expectTrapsLoaded(sql);
  });

  it('re-import is a no-op: nothing written, no duplicates', async () => {
    const before = await sql`SELECT count(*)::int AS n FROM messages`;
    const again = await importDirectory({ dir, databaseUrl: pg.url });
    expect(again.totals.written).toBe(0);
    expect(again.totals.unchanged).toBe(imported.totals.imported);
    expect(await sql`SELECT count(*)::int AS n FROM messages`).toEqual(before);
  });
});

describe('db export / db import (CLI)', () => {
  let cliDir: string;
  let target: Awaited<ReturnType<typeof createTestPostgres>>;
  beforeAll(async () => {
    cliDir = mkdtempSync(join(tmpdir(), 'export-cli-'));
    target = await createTestPostgres('xfer_cli');
    await migratePostgres(target.url);
  });
  afterAll(async () => {
    await target?.drop();
    rmSync(cliDir, { recursive: true, force: true });
  });
  const count = async (url: string) => {
    const s = postgres(url, { max: 1, onnotice: () => {} });
    try {
      return (await s`SELECT (SELECT count(*) FROM messages) + (SELECT count(*) FROM queries) AS n`)[0]!.n as string;
    } finally {
      await s.end();
    }
  };

  it('export warns in phase 1, exits 5 with rejects (0 with --allow-rejects), writes metadata.json', async () => {
    const r = await runCli(['export', '--out', cliDir], { LIBSQL_URL: src.url });
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toMatch(/phase 1.*will NOT reach PostgreSQL.*USE_POSTGRES_SHADOW=true/s);
    expect(existsSync(join(cliDir, 'metadata.json'))).toBe(true);
    const ok = await runCli(['export', '--out', cliDir, '--allow-rejects'], { LIBSQL_URL: src.url, USE_POSTGRES_SHADOW: 'true', DATABASE_URL: target.url });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).not.toMatch(/phase 1/);
  });

  it('import refuses a tampered file with exit 6 and writes nothing', async () => {
    const file = join(cliDir, 'queries.ndjson');
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, original.replace('"who wrote the most?"', '"who wrote the most!"'));
    try {
      const r = await runCli(['import', '--from', cliDir], { DATABASE_URL: target.url });
      expect(r.code, r.stderr).toBe(6);
      expect(r.stderr).toMatch(/EXPORT_INVALID.*queries: checksum/);
      expect(await count(target.url)).toBe('0');
    } finally {
      writeFileSync(file, original);
    }
  });

  it('import refuses a file with an extra line, and a folder without metadata.json (exit 6)', async () => {
    const file = join(cliDir, 'documents.ndjson');
    const original = readFileSync(file, 'utf8');
    appendFileSync(file, original.split('\n')[0]!.replace('"d1"', '"d9"') + '\n');
    try {
      const r = await runCli(['import', '--from', cliDir], { DATABASE_URL: target.url });
      expect(r.code).toBe(6);
      expect(r.stderr).toMatch(/documents: 8 rows in documents.ndjson, metadata.json says 7/);
    } finally {
      writeFileSync(file, original);
    }
    const empty = mkdtempSync(join(tmpdir(), 'no-export-'));
    const r = await runCli(['import', '--from', empty], { DATABASE_URL: target.url });
    expect(r.code).toBe(6);
    rmSync(empty, { recursive: true });
    expect(await count(target.url)).toBe('0');
  });

  it('import exits 5 while the export had rejects, 0 with --allow-rejects; prints the summary; --json parses', async () => {
    const r = await runCli(['import', '--from', cliDir], { DATABASE_URL: target.url });
    expect(r.code, r.stderr).toBe(5);
    expect(r.stdout).toMatch(/table\s+read\s+imported\s+written\s+unchanged\s+rejected\s+seconds/);
    expect(r.stderr).toMatch(/12 rows were already rejected by export/);
    const j = await runCli(['import', '--from', cliDir, '--allow-rejects', '--json'], { DATABASE_URL: target.url });
    expect(j.code, j.stderr).toBe(0);
    const doc = JSON.parse(j.stdout) as ImportSummary;
    expect(doc.totals).toMatchObject({ written: 0, rejected: 0, rejectedAtExport: 12 });
  });

  it('import without DATABASE_URL exits 2', async () => {
    const r = await runCli(['import', '--from', cliDir], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/DATABASE_URL/);
  });
});
