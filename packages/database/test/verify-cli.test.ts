/**
 * `db verify` as an operator runs it: the built CLI in a child process, real LibSQL file and
 * PostgreSQL with phase-4 data; exit codes, --json, the screen report and the report files.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPostgres } from '../src/testing/index.js';
import { createBothDatabases, openRaw } from './helpers/backends.js';
import { ensureFreshDist } from './helpers/fresh-dist.js';
import { cli, seedPhase4, type Seeded } from './verify-fixtures.js';

let urls: Awaited<ReturnType<typeof createBothDatabases>>;
let raw: ReturnType<typeof openRaw>;
let seeded: Seeded;
let dataDir: string;
let env: Record<string, string>;

beforeAll(async () => {
  ensureFreshDist();
  urls = await createBothDatabases('verifycli');
  seeded = await seedPhase4(urls);
  raw = openRaw(urls.sqliteUrl, urls.pgUrl);
  dataDir = mkdtempSync(join(tmpdir(), 'verify-cli-'));
  env = { LIBSQL_URL: urls.sqliteUrl, DATABASE_URL: urls.pgUrl };
});

afterAll(async () => {
  await raw?.close();
  await urls?.cleanup();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('db verify', () => {
  it('exits 0 with no drift, prints the per-table counts and writes last-verify.json', async () => {
    const r = await cli(['verify', '--data-dir', dataDir], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^messages\s+14\s+14\s+14\s+0\s+0\s+0\s+0$/m); // 12 human messages, an AI reply, a tool call
    expect(r.stdout).toContain('OK: no drift.');
    expect(JSON.parse(readFileSync(join(dataDir, 'last-verify.json'), 'utf8'))).toMatchObject({ ok: true, drift: 0 });
  });

  it('--json prints one JSON document', async () => {
    const r = await cli(['--json', 'verify', '--data-dir', dataDir, '--table', 'messages,queries'], env);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ ok: true, drift: 0, rows: 15 });
    expect(r.json.tables.map((t: { table: string }) => t.table)).toEqual(['messages', 'queries']);
    expect(r.json.tables[0].ids).toBeUndefined();
  });

  it('exits 4 on drift and names exactly the drifted ids, on screen and in the report file', async () => {
    const [gone, changed] = [seeded.messages[1]!, seeded.messages[2]!];
    await raw.pg.unsafe('DELETE FROM messages WHERE id = $1', [gone]);
    await raw.lite.execute({ sql: `UPDATE messages SET message_content = 'edited on LibSQL only', version = 2 WHERE id = ?`, args: [changed] });

    const r = await cli(['--json', 'verify', '--data-dir', dataDir, '--recheck-delay-ms', '0'], env);
    expect(r.code).toBe(4);
    expect(r.json).toMatchObject({ ok: false, drift: 2 });
    expect(r.json.sample.map((e: { id: string; kind: string }) => [e.id, e.kind]).sort()).toEqual(
      [
        [gone, 'missing_in_postgres'],
        [changed, 'different'],
      ].sort(),
    );
    const lines = readFileSync(r.json.reportFile, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);

    // Phase 4 in the shell (as the runbook has it): the repair is a reconcile from the primary.
    const text = await cli(['verify', '--data-dir', dataDir, '--recheck-delay-ms', '0', '--show', '1'], { ...env, USE_POSTGRES_SHADOW: 'true' });
    expect(text.code).toBe(4);
    expect(text.stdout).toContain('DRIFT: 2 rows differ (first 1 below)');
    expect(text.stdout).toMatch(/messages \S+ {2}(missing_in_postgres|different)/);
    expect(text.stdout).toContain('Repair with `pnpm db reconcile --from sqlite` (the primary of phase 4)');
    expect(existsSync(join(dataDir, 'verify'))).toBe(true);
    // Phase 1 in the shell: PostgreSQL gets no writes, so the advice is shadow writes first.
    const p1 = await cli(['verify', '--data-dir', dataDir, '--recheck-delay-ms', '0', '--show', '0'], env);
    expect(p1.code).toBe(4);
    expect(p1.stdout).toContain('Phase 1 (USE_POSTGRES_* in this shell): PostgreSQL receives no writes');
    expect(p1.stdout).not.toContain('Repair with');
  });

  it('exits 2 on bad usage: unknown table, missing DATABASE_URL, bad number', async () => {
    const t = await cli(['verify', '--table', 'nope', '--data-dir', dataDir], env);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/^error INVALID_INPUT: unknown table "nope"; tables: messages, /);
    const u = await cli(['verify', '--data-dir', dataDir], { LIBSQL_URL: urls.sqliteUrl });
    expect(u.code).toBe(2);
    expect(u.stderr).toContain('DATABASE_URL_MISSING');
    const n = await cli(['verify', '--chunk-size', '0'], env);
    expect(n.code).toBe(2);
  });

  it('exits 3 with one redacted line when PostgreSQL is unreachable, and when the LibSQL file does not exist', async () => {
    const r = await cli(['verify', '--data-dir', dataDir], { LIBSQL_URL: urls.sqliteUrl, DATABASE_URL: 'postgres://admin:hunter2@127.0.0.1:1/db' });
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('DATABASE_UNREACHABLE');
    expect(r.stderr).not.toContain('hunter2');
    const f = await cli(['verify', '--data-dir', dataDir], { LIBSQL_URL: 'file:/nonexistent/bot.db', DATABASE_URL: urls.pgUrl });
    expect(f.code).toBe(3);
    expect(f.stderr).toContain('does not exist');
    expect(existsSync('/nonexistent/bot.db')).toBe(false);
  });

  it('exits 9 (SCHEMA_MISSING) when PostgreSQL has no tables yet, with the migrate command to run', async () => {
    const empty = await createTestPostgres('verifyempty');
    try {
      const r = await cli(['verify', '--data-dir', dataDir], { LIBSQL_URL: urls.sqliteUrl, DATABASE_URL: empty.url });
      expect(r.stderr).toContain('SCHEMA_MISSING');
      expect(r.stderr).toContain('pnpm db migrate --target postgres');
      expect(r.code).toBe(9);
    } finally {
      await empty.drop();
    }
  });
});
