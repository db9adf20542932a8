/**
 * The exit codes of the built CLI on real databases, as the one table (exit-codes.ts) states them:
 * an unmigrated backend is 9 SCHEMA_MISSING for every command that needs it (import and verify
 * used to disagree: 2 and 1), a failed migration is 1 as `migrate --help` says, `status` is not 0
 * while the phase's backends lack their tables (9) or are omega-bot's file not adopted (8); the
 * dry runs of migrate, import and copy write nothing; `import --rejects <dir>` puts the rejects there.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../src/cli/exit-codes.js';
import { tableNames } from '../src/schema/tables.js';
import { buildOmegaDatabase, createTestPostgres, createTestSqlite } from '../src/testing/index.js';
import { createBothDatabases } from './helpers/backends.js';
import { ensureFreshDist } from './helpers/fresh-dist.js';
import { cli, seedPhase4 } from './verify-fixtures.js';

let urls: Awaited<ReturnType<typeof createBothDatabases>>;
let bare: Awaited<ReturnType<typeof createTestPostgres>>;
let bareSql: postgres.Sql;
let migratedSql: postgres.Sql;
let emptyLite: ReturnType<typeof createTestSqlite>;
let work: string;
let exportDir: string;

/** PostgreSQL tables of the product that exist (none on a bare database). */
const pgTables = async (sql: postgres.Sql) =>
  (await sql`SELECT table_name FROM information_schema.tables WHERE table_schema IN ('public', 'drizzle') ORDER BY 1`).map((r) => String(r.table_name));
const pgCount = async (sql: postgres.Sql) => {
  let n = 0;
  for (const t of tableNames) n += Number((await sql.unsafe(`SELECT count(*)::int AS n FROM "${t}"`))[0]!.n);
  return n;
};

beforeAll(async () => {
  ensureFreshDist();
  urls = await createBothDatabases('exitcodes');
  await seedPhase4(urls, 5);
  migratedSql = postgres(urls.pgUrl, { max: 1, onnotice: () => {} });
  // PostgreSQL as it is before `db migrate --target postgres`: no table at all.
  bare = await createTestPostgres('exitcodes_bare');
  bareSql = postgres(bare.url, { max: 1, onnotice: () => {} });
  // A LibSQL file that exists but was never migrated.
  emptyLite = createTestSqlite('empty.db');
  const c = createClient({ url: emptyLite.url });
  await c.execute('CREATE TABLE scratch (x)');
  await c.execute('DROP TABLE scratch');
  c.close();
  work = mkdtempSync(join(tmpdir(), 'cli-exit-codes-'));
  exportDir = join(work, 'export');
  const e = await cli(['export', '--out', exportDir], { LIBSQL_URL: urls.sqliteUrl });
  expect(e.code, e.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await bareSql?.end({ timeout: 1 });
  await migratedSql?.end({ timeout: 1 });
  await bare?.drop();
  await urls?.cleanup();
  emptyLite?.remove();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('PostgreSQL not migrated: every command exits 9 SCHEMA_MISSING', () => {
  const env = () => ({ LIBSQL_URL: urls.sqliteUrl, DATABASE_URL: bare.url, USE_POSTGRES_SHADOW: 'true' });
  const cases: Array<[string, string[]]> = [
    ['import', ['import', '--from', 'EXPORT']],
    ['import --dry-run', ['import', '--from', 'EXPORT', '--dry-run']],
    ['copy', ['copy', '--rejects', 'REJECTS']],
    ['copy --dry-run', ['copy', '--dry-run', '--rejects', 'REJECTS']],
    ['verify', ['verify', '--data-dir', 'DATA', '--recheck-delay-ms', '0']],
    ['reconcile', ['reconcile', '--from', 'sqlite', '--data-dir', 'DATA', '--recheck-delay-ms', '0']],
    ['gate', ['gate', '--skip-shadow', '--data-dir', 'DATA', '--recheck-delay-ms', '0']],
    ['status', ['status', '--data-dir', 'DATA']],
  ];
  for (const [name, args] of cases) {
    it(name, async () => {
      const a = args.map((x) => (x === 'EXPORT' ? exportDir : x === 'REJECTS' ? join(work, 'rejects-bare') : x === 'DATA' ? join(work, 'data-bare') : x));
      const r = await cli(a, env());
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(ExitCode.SCHEMA_MISSING);
      if (name === 'status') expect(r.stdout).toMatch(/^NOT READY: postgres \(shadow of phase 4\): no table messages.*pnpm db migrate --target postgres/m);
      else if (name !== 'gate') expect(r.stderr).toMatch(/^error SCHEMA_MISSING: .*db migrate --target postgres/m);
      expect(await pgTables(bareSql), 'nothing was created').toEqual([]);
    });
  }

  it('--database-url on the command line counts like DATABASE_URL (status --json names the problem)', async () => {
    const r = await cli(['--json', 'status', '--data-dir', join(work, 'data-bare'), '--database-url', bare.url], { LIBSQL_URL: urls.sqliteUrl, USE_POSTGRES_SHADOW: 'true' });
    expect(r.code).toBe(ExitCode.SCHEMA_MISSING);
    expect((r.json as { readiness: { code: number; problems: string[] } }).readiness).toMatchObject({ code: 9, problems: [expect.stringContaining('postgres (shadow of phase 4)')] });
  });

  it('status in phase 1 does not count a PostgreSQL the phase does not use', async () => {
    const r = await cli(['status', '--data-dir', join(work, 'data-bare')], { LIBSQL_URL: urls.sqliteUrl, DATABASE_URL: bare.url });
    expect(r.code, r.stdout).toBe(ExitCode.OK);
    expect(r.stdout).toContain('MISSING tables: messages');
    expect(r.stdout).not.toContain('NOT READY');
  });
});

describe('LibSQL not migrated: 9 SCHEMA_MISSING too', () => {
  for (const args of [['check'], ['export', '--out', 'OUT'], ['copy', '--rejects', 'REJECTS'], ['verify', '--data-dir', 'DATA'], ['status', '--data-dir', 'DATA']]) {
    it(args[0]!, async () => {
      const a = args.map((x) => (x === 'OUT' ? join(work, 'out-empty') : x === 'REJECTS' ? join(work, 'rejects-empty') : x === 'DATA' ? join(work, 'data-empty') : x));
      const r = await cli(a, { LIBSQL_URL: emptyLite.url, DATABASE_URL: urls.pgUrl });
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(ExitCode.SCHEMA_MISSING);
      expect(existsSync(join(work, 'out-empty'))).toBe(false);
    });
  }
});

describe('other exit codes of the table', () => {
  it("status on omega-bot's file, not adopted: 8 LEGACY_SCHEMA", async () => {
    const path = join(work, 'omega.db');
    buildOmegaDatabase(path, { layout: 'omega-v3', size: 5 });
    const r = await cli(['status', '--data-dir', join(work, 'data-omega')], { LIBSQL_URL: `file:${path}` });
    expect(r.code, r.stdout).toBe(ExitCode.LEGACY_SCHEMA);
    expect(r.stdout).toMatch(/^NOT READY: sqlite \(primary, reads of phase 1\) is omega-bot's file, not adopted: run `pnpm db adopt`/m);
  });

  it('a migration that fails exits 1 (MIGRATION_FAILED), as `migrate --help` says', async () => {
    const role = `weak_${process.pid}`;
    await bareSql.unsafe(`DROP ROLE IF EXISTS ${role}`);
    await bareSql.unsafe(`CREATE ROLE ${role} LOGIN`);
    try {
      const weak = new URL(bare.url);
      weak.username = role;
      const r = await cli(['migrate', '--target', 'postgres', '--database-url', weak.toString()], { LIBSQL_URL: urls.sqliteUrl });
      expect(r.code, r.stderr).toBe(ExitCode.FAILURE);
      expect(r.stderr).toMatch(/^error MIGRATION_FAILED: migrating postgres .* failed: permission denied .*\(42501\)/m);
      const help = await cli(['migrate', '--help'], {});
      expect(help.stdout).toMatch(/^ +1 {2}FAILURE +a migration failed/m);
    } finally {
      await bareSql.unsafe(`DROP OWNED BY ${role}`).catch(() => {});
      await bareSql.unsafe(`DROP ROLE IF EXISTS ${role}`);
    }
  });
});

describe('dry runs write nothing', () => {
  it('migrate --dry-run lists what is pending on both backends and applies nothing', async () => {
    const r = await cli(['--json', 'migrate', '--dry-run', '--target', 'both', '--libsql-url', emptyLite.url, '--database-url', bare.url], {});
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ dryRun: true, sqlite: { appliedNow: [], wouldApply: ['0000_omega_schema'] }, postgres: { appliedNow: [], wouldApply: ['0000_init', '0001_search_vector_regexp', '0002_leaner_indexes', '0003_search_by_channel'] } });
    expect(await pgTables(bareSql)).toEqual([]);
    const lite = createClient({ url: emptyLite.url });
    try {
      expect((await lite.execute(`SELECT name FROM sqlite_master WHERE type = 'table'`)).rows).toEqual([]);
    } finally {
      lite.close();
    }
    const text = await cli(['migrate', '--dry-run', '--target', 'postgres'], { DATABASE_URL: bare.url, LIBSQL_URL: urls.sqliteUrl });
    expect(text.stdout).toContain('postgres: would apply 0000_init, 0001_search_vector_regexp, 0002_leaner_indexes, 0003_search_by_channel; at (nothing applied) (dry run: nothing written)');
    // A LibSQL file that does not exist is not created, by a dry run or otherwise: 3.
    const missing = join(work, 'not-there.db');
    expect((await cli(['migrate', '--dry-run', '--target', 'sqlite', '--libsql-url', `file:${missing}`], {})).code).toBe(ExitCode.UNREACHABLE);
    expect(existsSync(missing)).toBe(false);
  });

  it('import --dry-run checks the files and PostgreSQL, prints the plan, writes nothing', async () => {
    const target = await createTestPostgres('exitcodes_dry');
    const sql = postgres(target.url, { max: 1, onnotice: () => {} });
    try {
      expect((await cli(['migrate', '--target', 'postgres'], { DATABASE_URL: target.url, LIBSQL_URL: urls.sqliteUrl })).code).toBe(0);
      const rejects = join(work, 'rejects-dry-import');
      const r = await cli(['--json', 'import', '--from', exportDir, '--dry-run', '--rejects', rejects], { DATABASE_URL: target.url });
      expect(r.code, r.stderr).toBe(0);
      const meta = JSON.parse(readFileSync(join(exportDir, 'metadata.json'), 'utf8')) as { tables: Record<string, { rows: number }> };
      const plan = r.json as { dryRun: boolean; tables: Array<{ table: string; wouldLoad: number; postgresRows: number }> };
      expect(plan.dryRun).toBe(true);
      expect(plan.tables.map((t) => [t.table, t.wouldLoad, t.postgresRows])).toEqual(tableNames.map((t) => [t, meta.tables[t]!.rows, 0]));
      expect(meta.tables.messages!.rows).toBeGreaterThan(0);
      expect(await pgCount(sql)).toBe(0);
      expect(existsSync(rejects)).toBe(false);
      // The same dry run on a folder whose file does not match metadata.json: 6, as the real import.
      const bad = join(work, 'export-bad');
      rmSync(bad, { recursive: true, force: true });
      (await import('node:fs')).cpSync(exportDir, bad, { recursive: true });
      writeFileSync(join(bad, 'messages.ndjson'), readFileSync(join(bad, 'messages.ndjson'), 'utf8').replace('"human"', '"ai"'));
      expect((await cli(['import', '--from', bad, '--dry-run'], { DATABASE_URL: target.url })).code).toBe(ExitCode.INVALID_DATA);
    } finally {
      await sql.end({ timeout: 1 });
      await target.drop();
    }
  });

  it('copy --dry-run reads LibSQL through the conversion, prints the plan, writes nothing', async () => {
    const target = await createTestPostgres('exitcodes_drycopy');
    const sql = postgres(target.url, { max: 1, onnotice: () => {} });
    try {
      expect((await cli(['migrate', '--target', 'postgres'], { DATABASE_URL: target.url, LIBSQL_URL: urls.sqliteUrl })).code).toBe(0);
      const rejects = join(work, 'rejects-dry-copy');
      const r = await cli(['copy', '--dry-run', '--rejects', rejects], { LIBSQL_URL: urls.sqliteUrl, DATABASE_URL: target.url, USE_POSTGRES_SHADOW: 'true' });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^ {2}messages +would load [1-9]\d* rows; PostgreSQL holds 0 now$/m);
      expect(r.stdout).toContain('dry run: nothing written');
      expect(await pgCount(sql)).toBe(0);
      expect(existsSync(rejects)).toBe(false);
    } finally {
      await sql.end({ timeout: 1 });
      await target.drop();
    }
  });
});

describe('import --rejects <dir>', () => {
  it('writes the rows the load rejects to that folder (not <from>/rejects)', async () => {
    // An export whose one message has a fractional millisecond timestamp: checksums made to match,
    // so import takes the file and its conversion rejects the row.
    const dir = join(work, 'export-reject');
    (await import('node:fs')).cpSync(exportDir, dir, { recursive: true });
    const file = join(dir, 'messages.ndjson');
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    lines[0] = lines[0]!.replace(`"timestamp":${String(first.timestamp)}`, `"timestamp":${String(first.timestamp)}.5`);
    expect(lines[0]).toContain('.5');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const table = createHash('sha256');
    for (const l of lines) table.update(createHash('sha256').update(l).digest('hex')).update('\n');
    const meta = JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8')) as { tables: Record<string, { checksum: string; bytes: number }> };
    meta.tables.messages!.checksum = table.digest('hex');
    meta.tables.messages!.bytes = Buffer.byteLength(`${lines.join('\n')}\n`);
    writeFileSync(join(dir, 'metadata.json'), JSON.stringify(meta, null, 2));

    const target = await createTestPostgres('exitcodes_rejects');
    try {
      expect((await cli(['migrate', '--target', 'postgres'], { DATABASE_URL: target.url, LIBSQL_URL: urls.sqliteUrl })).code).toBe(0);
      const rejects = join(work, 'my-rejects');
      const r = await cli(['import', '--from', dir, '--rejects', rejects], { DATABASE_URL: target.url });
      expect(r.code, r.stderr).toBe(ExitCode.REJECTED_ROWS);
      expect(r.stderr).toContain(`see ${rejects}/<table>.ndjson`);
      const rejected = readFileSync(join(rejects, 'messages.ndjson'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string });
      expect(rejected.map((x) => x.id)).toEqual([first.id]);
      expect(existsSync(join(dir, 'rejects')) ? readdirSync(join(dir, 'rejects')).filter((f) => f !== 'export') : []).toEqual([]);
    } finally {
      await target.drop();
    }
  });
});
