/**
 * Connect deadline (issue 14 §4): a PostgreSQL host that accepts nothing, accepts and stays silent,
 * or accepts and closes at once must fail a call within the connect timeout (PG_CONNECT_TIMEOUT_MS),
 * with one error (`CONNECT_TIMEOUT`), never keep it waiting while postgres.js reconnects; and the
 * pool works at once when the network heals. Silent connections that were open are bounded by the
 * client-side deadline (statement + connect timeout), which recycles the pool.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeError, isConnectionError } from '../src/errors.js';
import { PgConnection, pgTimeoutsFromEnv } from '../src/stores/pg/pg-connection.js';
import { migrateSqlite } from '../src/migrations/migrate.js';
import { createTestSqlite, TcpProxy } from '../src/testing/index.js';
import { openPostgresBackend, type TestBackend } from './helpers/backends.js';
import { ensureFreshDist } from './helpers/fresh-dist.js';
import { cli } from './verify-fixtures.js';

let pg: TestBackend;
let proxy: TcpProxy;
beforeAll(async () => {
  pg = await openPostgresBackend(1);
  const u = new URL(pg.url);
  proxy = await new TcpProxy(u.hostname, Number(u.port || 5432)).start();
});
afterAll(async () => {
  await proxy?.stop();
  await pg?.cleanup();
});

/** Runs `SELECT 1` on a fresh pool and returns how it ended, with the time taken (ms). */
async function timedSelect(conn: PgConnection): Promise<{ ms: number; code: string }> {
  const t0 = performance.now();
  try {
    await conn.query('SELECT 1 AS one', []);
    return { ms: performance.now() - t0, code: 'OK' };
  } catch (e) {
    return { ms: performance.now() - t0, code: describeError(e).code };
  }
}

for (const mode of ['stall', 'close', 'refuse'] as const) {
  it(`a host that ${mode === 'stall' ? 'accepts and never answers' : mode === 'close' ? 'accepts and closes at once' : 'refuses'} fails within the connect timeout, then recovers`, async () => {
    proxy.mode = mode;
    const conn = new PgConnection({ url: proxy.urlFor(pg.url), max: 2, connectTimeoutMs: 700 });
    try {
      const r = await timedSelect(conn);
      expect(r.code).not.toBe('OK');
      expect(isConnectionError({ code: r.code })).toBe(true);
      expect(r.ms).toBeLessThan(700 + 1_500);
      if (mode !== 'refuse') expect(r.code).toBe('CONNECT_TIMEOUT');
      // The pool's slots are not left stuck: the same pool answers once the network heals.
      proxy.heal();
      const again = await timedSelect(conn);
      expect(again.code).toBe('OK');
    } finally {
      proxy.heal();
      await conn.close({ timeoutS: 0 });
    }
  });
}

for (const mode of ['refuse', 'close'] as const) {
  it(`calls that failed against a host that ${mode === 'close' ? 'accepts and closes' : 'refuses'} for longer than the connect timeout do not fail the first call after the heal`, async () => {
    proxy.mode = mode;
    const conn = new PgConnection({ url: proxy.urlFor(pg.url), max: 2, connectTimeoutMs: 400 });
    try {
      const t0 = Date.now();
      const failed: string[] = [];
      while (Date.now() - t0 < 1_000) failed.push((await timedSelect(conn)).code);
      expect(failed.length).toBeGreaterThan(1);
      expect(failed).not.toContain('OK');
      proxy.heal();
      const again = await timedSelect(conn);
      expect(again.code, `after ${failed.join(', ')}`).toBe('OK');
    } finally {
      proxy.heal();
      await conn.close({ timeoutS: 0 });
    }
  });
}

it('an unroutable address (10.255.255.1) fails within the connect timeout', async () => {
  const conn = new PgConnection({ url: 'postgres://postgres@10.255.255.1:5432/none', max: 1, connectTimeoutMs: 800 });
  try {
    const r = await timedSelect(conn);
    expect(isConnectionError({ code: r.code })).toBe(true);
    expect(r.ms).toBeLessThan(800 + 1_500);
  } finally {
    await conn.close({ timeoutS: 0 });
  }
});

it('a connection that goes silent mid-call fails at the client-side deadline and the pool recovers at once', async () => {
  const conn = new PgConnection({ url: proxy.urlFor(pg.url), max: 1, connectTimeoutMs: 500, statementTimeoutMs: 300 });
  try {
    expect((await timedSelect(conn)).code).toBe('OK');
    proxy.mode = 'stall';
    const r = await timedSelect(conn);
    expect(r.code).toBe('DATABASE_TIMEOUT');
    expect(r.ms).toBeLessThan(300 + 500 + 1_000 + 1_500);
    proxy.heal();
    const again = await timedSelect(conn);
    expect(again.code).toBe('OK');
    expect(again.ms).toBeLessThan(1_000);
  } finally {
    proxy.heal();
    await conn.close({ timeoutS: 0 });
  }
});

it('idle connections a proxy closed (FIN) do not fail the next call', async () => {
  const conn = new PgConnection({ url: proxy.urlFor(pg.url), max: 4 });
  try {
    await Promise.all([1, 2, 3, 4].map(() => conn.query('SELECT pg_sleep(0.05)', [])));
    for (let round = 0; round < 5; round++) {
      proxy.closeAll();
      const results = await Promise.allSettled([1, 2, 3, 4].map(() => conn.query('SELECT 1 AS one', [])));
      expect(results.map((r) => (r.status === 'fulfilled' ? 'OK' : describeError(r.reason).code))).toEqual(['OK', 'OK', 'OK', 'OK']);
      const tx = await conn.transaction(async (c) => c.query('SELECT 2 AS two', []));
      expect(tx).toEqual([{ two: 2 }]);
    }
  } finally {
    await conn.close({ timeoutS: 0 });
  }
});

it('PG_CONNECT_TIMEOUT_MS and PG_STATEMENT_TIMEOUT_MS are validated without echoing the value', () => {
  expect(pgTimeoutsFromEnv({})).toEqual({ connectTimeoutMs: 5_000, statementTimeoutMs: 30_000 });
  expect(pgTimeoutsFromEnv({ PG_CONNECT_TIMEOUT_MS: '1500', PG_STATEMENT_TIMEOUT_MS: '0' })).toEqual({ connectTimeoutMs: 1_500, statementTimeoutMs: 0 });
  expect(() => pgTimeoutsFromEnv({ PG_CONNECT_TIMEOUT_MS: 'hunter2' })).toThrow(/PG_CONNECT_TIMEOUT_MS must be an integer/);
  try {
    pgTimeoutsFromEnv({ PG_STATEMENT_TIMEOUT_MS: 'secret-value' });
  } catch (e) {
    expect(String((e as Error).message)).not.toContain('secret-value');
    expect((e as { code: string }).code).toBe('INVALID_CONFIG');
  }
});

describe('commands against a host that accepts nothing', () => {
  let sqliteFile: { url: string; remove(): void };
  beforeAll(async () => {
    ensureFreshDist();
    sqliteFile = createTestSqlite();
    await migrateSqlite(sqliteFile.url);
  });
  afterAll(() => sqliteFile?.remove());

  const UNROUTABLE = 'postgres://postgres@10.255.255.1:5432/none';
  for (const args of [['status'], ['verify'], ['migrate', '--target', 'postgres']]) {
    it(`\`db ${args.join(' ')}\` ends within the connect timeout`, async () => {
      const t0 = performance.now();
      const r = await cli([...args], { LIBSQL_URL: sqliteFile.url, DATABASE_URL: UNROUTABLE, PG_CONNECT_TIMEOUT_MS: '1000' });
      const ms = performance.now() - t0;
      expect(ms).toBeLessThan(1_000 * 3 + 4_000); // a few connections in sequence at most, plus node's start-up
      if (args[0] !== 'status') {
        expect(r.code).toBe(3);
        expect(r.stderr).toContain('PG_CONNECT_TIMEOUT_MS');
      } else expect(r.stdout + r.stderr).toMatch(/unreachable|CONNECT_TIMEOUT|PG_CONNECT_TIMEOUT_MS/i);
    });
  }
});
