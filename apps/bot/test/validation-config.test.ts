/**
 * The bot's start-up refuses configuration that would write to the wrong place, in one line and
 * quickly, and never prints a secret (issue 14 §5, §6), through `serveCommand` as `bot serve` runs it.
 */
import { createTestPostgres, createTestSqlite } from '@repo/database/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../src/cli/io.js';
import { serveCommand } from '../src/cli/serve.js';
import type { RunningBot } from '../src/lifecycle.js';

function captureIo(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => void stdout.push(l), err: (l) => void stderr.push(l), interactive: false };
}

async function serve(env: Record<string, string>): Promise<{ code: number; io: ReturnType<typeof captureIo>; ms: number }> {
  const io = captureIo();
  const t0 = performance.now();
  const r = await serveCommand({ HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', ...env }, io);
  const ms = performance.now() - t0;
  if (typeof r !== 'number') {
    await (r as RunningBot).stop();
    return { code: 0, io, ms };
  }
  return { code: r, io, ms };
}

let sqlite: ReturnType<typeof createTestSqlite>;
let pg: Awaited<ReturnType<typeof createTestPostgres>>;
beforeAll(async () => {
  sqlite = createTestSqlite('startup.db');
  pg = await createTestPostgres('startup');
});
afterAll(async () => {
  await pg?.drop();
  sqlite?.remove();
});

describe('configuration that would write to the wrong place is refused (exit 2, one line)', () => {
  it.each([
    ['DATABASE_URL=postgres://', { DATABASE_URL: 'postgres://', USE_POSTGRES_SHADOW: 'true' }, /^error INVALID_CONFIG: DATABASE_URL names no host/],
    ['DATABASE_URL without database', { DATABASE_URL: 'postgres://127.0.0.1:5432', USE_POSTGRES_PRIMARY: 'true' }, /^error INVALID_CONFIG: DATABASE_URL names no database/],
    ['LIBSQL_URL in /proc', { LIBSQL_URL: 'file:/proc/x/bot.db' }, /^error INVALID_CONFIG: LIBSQL_URL /],
    ['LIBSQL_URL without scheme', { LIBSQL_URL: '/tmp/bot-w14.db' }, /^error INVALID_CONFIG: LIBSQL_URL must be a file: URL/],
  ])('%s', async (_name, env, line) => {
    const r = await serve(env);
    expect(r.code).toBe(2);
    expect(r.io.stderr).toHaveLength(1);
    expect(r.io.stderr[0]).toMatch(line);
    expect(r.ms).toBeLessThan(10_000);
  });

  it('a folder that cannot be created fails at once (no spin), naming LIBSQL_URL', async () => {
    const { ensureFolder } = await import('../src/lifecycle.js');
    const t0 = performance.now();
    expect(() => ensureFolder('file:/proc/x/y/bot.db')).toThrow(/LIBSQL_URL: the folder of the LibSQL file cannot be created/);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('DB_AUTO_MIGRATE=false on unmigrated backends: SCHEMA_MISSING (phase 1 LibSQL, phase 6 PostgreSQL, phase 4 both)', async () => {
    for (const flags of [{}, { USE_POSTGRES_PRIMARY: 'true' }, { USE_POSTGRES_SHADOW: 'true' }] as Array<Record<string, string>>) {
      const r = await serve({ LIBSQL_URL: sqlite.url, DATABASE_URL: pg.url, DB_AUTO_MIGRATE: 'false', ...flags });
      expect(r.code, JSON.stringify(flags)).not.toBe(0);
      expect(r.io.stderr).toEqual([expect.stringMatching(/^error SCHEMA_MISSING: (LibSQL|PostgreSQL) lacks the schema .*pnpm db migrate/)]);
    }
  });
});

describe('secrets are never printed at start-up', () => {
  const SECRET = 'Qx7-Hunter2-s3cret';
  const cases: Array<[string, Record<string, string>, number]> = [
    ['password with /', { DATABASE_URL: `postgres://bot:a/${SECRET}@127.0.0.1:1/app`, USE_POSTGRES_SHADOW: 'true' }, 2],
    ['password with " and a space (the URL parser encodes them), unreachable', { DATABASE_URL: `postgres://bot:"${SECRET} x"@127.0.0.1:1/app`, USE_POSTGRES_SHADOW: 'true' }, 3],
    ['encoded password, unreachable', { DATABASE_URL: `postgres://bot:${encodeURIComponent(`a/"${SECRET} x`)}@127.0.0.1:1/app`, USE_POSTGRES_SHADOW: 'true' }, 3],
    ['keyword/value DATABASE_URL', { DATABASE_URL: `host=127.0.0.1 dbname=app password=${SECRET}`, USE_POSTGRES_SHADOW: 'true' }, 2],
    ['secret in a flag', { USE_POSTGRES_SHADOW: SECRET }, 2],
    ['secret in PORT', { PORT: SECRET }, 2],
    ['secret in PG_POOL_SIZE', { PG_POOL_SIZE: SECRET }, 2],
    ['secret in LIBSQL_URL', { LIBSQL_URL: SECRET }, 2],
    ['LIBSQL_URL authToken, host unreachable', { LIBSQL_URL: `libsql://127.0.0.1:1?authToken=${SECRET}` }, 3],
    ['LIBSQL_AUTH_TOKEN, host unreachable', { LIBSQL_URL: 'libsql://127.0.0.1:1', LIBSQL_AUTH_TOKEN: SECRET }, 3],
  ];
  it.each(cases)('%s', async (_name, env, code) => {
    const r = await serve({ LIBSQL_URL: sqlite.url, ...env });
    expect(r.code, r.io.stderr.join('\n')).toBe(code);
    expect(r.io.stderr).toHaveLength(1);
    for (const form of [SECRET, encodeURIComponent(SECRET)]) expect(r.io.stderr[0]).not.toContain(form);
  });

  it('an unreachable libsql:// host: one line with the DNS cause, exit 3', async () => {
    const r = await serve({ LIBSQL_URL: 'libsql://no-such-db-w14.invalid', LIBSQL_AUTH_TOKEN: SECRET });
    expect(r.code).toBe(3);
    expect(r.io.stderr).toHaveLength(1);
    expect(r.io.stderr[0]).toMatch(/^error DATABASE_UNREACHABLE: LibSQL at libsql:\/\/no-such-db-w14\.invalid is unreachable.*ENOTFOUND/);
    expect(r.io.stderr[0]).not.toMatch(/\n|SELECT|CREATE/);
  });
});
