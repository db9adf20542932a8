/**
 * `db status` (built CLI, child process): the phase as the app derives it, flag errors shown as
 * errors (not a crash), each backend's reachability, migrations and counts, and the last verify.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableNames } from '../src/schema/tables.js';
import { journal } from '../src/transfer/source/migration-status.js';
import { createBothDatabases, openRaw } from './helpers/backends.js';
import { ensureFreshDist } from './helpers/fresh-dist.js';
import { cli, seedPhase4 } from './verify-fixtures.js';

let urls: Awaited<ReturnType<typeof createBothDatabases>>;
let raw: ReturnType<typeof openRaw>;
let dataDir: string;
let env: Record<string, string>;

beforeAll(async () => {
  ensureFreshDist();
  urls = await createBothDatabases('statuscli');
  await seedPhase4(urls, 7);
  raw = openRaw(urls.sqliteUrl, urls.pgUrl);
  dataDir = mkdtempSync(join(tmpdir(), 'status-cli-'));
  env = { LIBSQL_URL: urls.sqliteUrl, DATABASE_URL: urls.pgUrl, USE_POSTGRES_SHADOW: 'true' };
});

afterAll(async () => {
  await raw?.close();
  await urls?.cleanup();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function counts(): Promise<{ sqlite: Record<string, number>; postgres: Record<string, number> }> {
  const out = { sqlite: {} as Record<string, number>, postgres: {} as Record<string, number> };
  for (const t of tableNames) {
    out.sqlite[t] = Number((await raw.lite.execute(`SELECT count(*) AS n FROM ${t}`)).rows[0]!.n);
    out.postgres[t] = Number((await raw.pg.unsafe(`SELECT count(*)::int AS n FROM ${t}`))[0]!.n);
  }
  return out;
}

describe('db status', () => {
  it('shows the phase, migrations and per-table counts of both sides; "never" before the first verify', async () => {
    const r = await cli(['--json', 'status', '--data-dir', dataDir], env);
    expect(r.code).toBe(0);
    const expected = await counts();
    expect(expected.sqlite.messages).toBe(9); // 7 human messages, an AI reply, a tool call
    expect(r.json.config).toMatchObject({ ok: true, phase: '4', primary: 'sqlite', shadow: 'postgres', reads: 'sqlite', flags: { USE_POSTGRES_SHADOW: 'true', USE_POSTGRES_READ: null } });
    // the deleted document and its two collaborators (owner and friend)
    expect(r.json.sqlite).toMatchObject({ reachable: true, counts: expected.sqlite, tombstones: 3 });
    expect(r.json.postgres).toMatchObject({ reachable: true, counts: expected.postgres, tombstones: 3 });
    expect(r.json.sqlite.migrations).toMatchObject({ pending: [], current: journal('sqlite').at(-1)!.tag });
    expect(r.json.postgres.migrations.pending).toEqual([]);
    expect(r.json.lastVerify).toBeNull();
    const text = await cli(['status', '--data-dir', dataDir], env);
    expect(text.stdout).toContain('phase 4: LibSQL primary, shadow writes to postgres');
    expect(text.stdout).toContain('rows: messages 9, queries 1');
    expect(text.stdout).toContain('last verify: never');
  });

  it('shows the last verify result', async () => {
    await raw.pg.unsafe(`UPDATE queries SET ai_summary = 'changed'`);
    const v = await cli(['verify', '--data-dir', dataDir, '--recheck-delay-ms', '0'], env);
    expect(v.code).toBe(4);
    const r = await cli(['--json', 'status', '--data-dir', dataDir], env);
    expect(r.json.lastVerify).toMatchObject({ ok: false, drift: 1 });
    expect(r.json.lastVerify.reportFile).toContain(join(dataDir, 'verify'));
    const text = await cli(['status', '--data-dir', dataDir], env);
    expect(text.stdout).toMatch(/last verify: \S+: DRIFT, 1 rows over 15 rows/);
  });

  it('shows a flag error as an error with everything else, and exits 2', async () => {
    const r = await cli(['--json', 'status', '--data-dir', dataDir], { ...env, USE_POSTGRES_SHADOW: 'maybe' });
    expect(r.code).toBe(2);
    expect(r.json.config).toMatchObject({ ok: false, phase: null, error: { code: 'INVALID_FLAG' } });
    expect(r.json.config.error.message).toContain('USE_POSTGRES_SHADOW is not a flag value');
    expect(r.stdout).not.toContain('maybe'); // a value is never echoed: it may be a secret in the wrong variable
    expect(r.json.sqlite.counts.messages).toBe(9);
    const unsafe = await cli(['status', '--data-dir', dataDir], { ...env, USE_POSTGRES_SHADOW: '', USE_POSTGRES_READ: 'true' });
    expect(unsafe.code).toBe(2);
    expect(unsafe.stdout).toMatch(/^CONFIG ERROR UNSAFE_PHASE: /);
    expect(unsafe.stdout).toContain('rows: messages 9');
  });

  it('shows an unreachable PostgreSQL (redacted) and exits 3', async () => {
    const r = await cli(['--json', 'status', '--data-dir', dataDir], { ...env, DATABASE_URL: 'postgres://admin:hunter2@127.0.0.1:1/db' });
    expect(r.code).toBe(3);
    expect(r.json.postgres).toMatchObject({ reachable: false, counts: null });
    expect(r.json.config.databaseUrl).toBe('postgres://***@127.0.0.1:1/db');
    expect(r.stdout).not.toContain('hunter2');
    expect(r.json.sqlite.reachable).toBe(true);
  });

  it('without DATABASE_URL (phase 1) shows LibSQL only', async () => {
    const r = await cli(['status', '--data-dir', dataDir], { LIBSQL_URL: urls.sqliteUrl });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('phase 1: LibSQL only');
    expect(r.stdout).toContain('PostgreSQL: DATABASE_URL not set');
  });
});
