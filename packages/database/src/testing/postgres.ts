import postgres from 'postgres';
import { redactUrl } from '../logger.js';

/** The server tests use, unless TEST_DATABASE_URL says otherwise. */
export const DEFAULT_TEST_SERVER = 'postgres://postgres@127.0.0.1:5432/postgres';

let embedded: Promise<string> | null = null;

async function answers(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`SELECT 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

/**
 * The admin URL of the PostgreSQL the tests use: TEST_DATABASE_URL, else the local server on
 * 127.0.0.1:5432; when neither answers, an embedded PGlite behind `@electric-sql/pglite-socket`
 * (its `maxConnections` defaults to 1, so it is raised above the pool size). Says which on stderr.
 */
export async function testServerUrl(): Promise<string> {
  const url = process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_SERVER;
  if (await answers(url)) {
    if (!process.env.__PG_ANNOUNCED) {
      process.env.__PG_ANNOUNCED = '1';
      process.stderr.write(`[tests] PostgreSQL: using the server at ${redactUrl(url)}\n`);
    }
    return url;
  }
  embedded ??= (async () => {
    const { PGlite } = await import('@electric-sql/pglite');
    const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
    const db = await PGlite.create();
    const port = 15432 + Math.floor(Math.random() * 1000);
    const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1', maxConnections: 64 } as any);
    await server.start();
    process.stderr.write(`[tests] PostgreSQL: no server answered at ${redactUrl(url)}; started an embedded PGlite on 127.0.0.1:${port}\n`);
    return `postgres://postgres@127.0.0.1:${port}/postgres`;
  })();
  return embedded;
}

/**
 * A fresh, empty database on the test server, dropped by `drop()`.
 * Each test file gets its own, so files can run in parallel.
 */
export async function createTestPostgres(prefix = 't'): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = await testServerUrl();
  const name = `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`.toLowerCase();
  const sql = postgres(admin, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await sql.end({ timeout: 1 });
  }
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const s = postgres(admin, { max: 1, onnotice: () => {} });
      try {
        await s.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await s.end({ timeout: 1 });
      }
    },
  };
}
