// `db migrate` and `db migrate status` (and migrationStatus()) on a fresh LibSQL file and a fresh
// PostgreSQL database: pending → applied, re-run is a no-op, a changed migration is flagged,
// usage errors exit 2 and an unreachable database exits 3.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPostgres, createTestSqlite } from '../src/testing/index.js';
import { journal, migrationStatus, type BackendMigrationStatus } from '../src/transfer/source/migration-status.js';
import { ensureFreshDist } from './helpers/fresh-dist.js';
import { runCli } from './transfer-fixtures.js';

let file: ReturnType<typeof createTestSqlite>;
let pg: Awaited<ReturnType<typeof createTestPostgres>>;
let env: Record<string, string>;

beforeAll(async () => {
  ensureFreshDist();
  file = createTestSqlite('migrate.db');
  pg = await createTestPostgres('xfer_migrate');
  env = { LIBSQL_URL: file.url, DATABASE_URL: pg.url };
});
afterAll(async () => {
  await pg?.drop();
  file?.remove();
});

const sqliteTags = () => journal('sqlite').map((e) => e.tag);
const pgTags = () => journal('pg').map((e) => e.tag);

describe('migrate', () => {
  it('status before: LibSQL file absent (not created), every PostgreSQL migration pending', async () => {
    const s = await migrationStatus({ libsqlUrl: file.url, databaseUrl: pg.url });
    expect(s.sqlite).toMatchObject({ reachable: false, error: expect.stringMatching(/does not exist/) });
    expect(s.postgres).toMatchObject({ reachable: true, applied: [], pending: pgTags(), current: null, latest: pgTags().at(-1) });
    const r = await runCli(['migrate', 'status'], env);
    expect(r.code).toBe(3); // the LibSQL file is missing
    expect(r.stdout).toMatch(/postgres: at \(nothing applied\).*pending/s);
  });

  it('applies pending migrations on both backends and says which', async () => {
    const r = await runCli(['migrate', '--target', 'both'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`sqlite: applied ${sqliteTags().join(', ')}`);
    expect(r.stdout).toContain(`postgres: applied ${pgTags().join(', ')}`);
    const s = await migrationStatus({ libsqlUrl: file.url, databaseUrl: pg.url });
    for (const b of [s.sqlite!, s.postgres!]) expect(b).toMatchObject({ reachable: true, pending: [], unknown: 0 });
    expect(s.sqlite!.applied.map((a) => a.tag)).toEqual(sqliteTags());
  });

  it('is a no-op the second time; status --json lists applied per backend', async () => {
    const r = await runCli(['migrate'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('sqlite: nothing to apply');
    expect(r.stdout).toContain('postgres: nothing to apply');
    const j = await runCli(['--json', 'migrate', 'status'], env);
    expect(j.code, j.stderr).toBe(0);
    const doc = JSON.parse(j.stdout) as Record<string, BackendMigrationStatus>;
    expect(doc.postgres!.applied.map((a) => a.tag)).toEqual(pgTags());
    expect(doc.sqlite!.current).toBe(sqliteTags().at(-1));
  });

  it('flags a migration whose file changed after it was applied', async () => {
    const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    try {
      await sql`UPDATE drizzle.__drizzle_migrations SET hash = 'not-the-file'`;
      const r = await runCli(['migrate', 'status', '--target', 'postgres'], env);
      expect(r.stdout).toMatch(/applied {2}0000_init {2}\(file changed since it was applied!\)/);
    } finally {
      await sql.end();
    }
  });

  it('usage errors exit 2; an unreachable PostgreSQL exits 3', async () => {
    expect((await runCli(['migrate', '--target', 'mysql'], env)).code).toBe(2);
    expect((await runCli(['migrate', '--target', 'postgres'], { LIBSQL_URL: file.url })).code).toBe(2);
    const down = await runCli(['migrate', '--target', 'postgres'], { LIBSQL_URL: file.url, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x' });
    expect(down.code).toBe(3);
    expect(down.stderr).not.toMatch(/postgres:\/\/postgres@/);
  });
});
