/**
 * `kill -9` of `pnpm db copy` (pnpm dies at once, its node child is re-parented) must not leave the
 * copy running: the CLI sees its parent gone (parent-watch.ts), stops as on SIGTERM after the
 * batches in flight, and exits within about 2 s. What it leaves is what a kill leaves: whole
 * batches, no open transaction; the same command run again completes the copy.
 */
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@libsql/client';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratePostgres, migrateSqlite } from '../src/migrations/migrate.js';
import { createTestPostgres, createTestSqlite } from '../src/testing/index.js';
import { ensureFreshDist } from './helpers/fresh-dist.js';
import { runCli, T0, T0_MS } from './transfer-fixtures.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MESSAGES = 30_000;

let src: ReturnType<typeof createTestSqlite>;
let pg: Awaited<ReturnType<typeof createTestPostgres>>;
let sql: postgres.Sql;
let rejects: string;

beforeAll(async () => {
  ensureFreshDist();
  src = createTestSqlite('orphan.db');
  await migrateSqlite(src.url);
  const client = createClient({ url: src.url });
  const c = await client.transaction('write');
  try {
    for (let i = 0; i < MESSAGES; i++) {
      await c.execute({
        sql: `INSERT INTO messages (id, timestamp, sender_type, user_id, username, channel_id, guild_id, message_content, metadata, created_at, updated_at, version) VALUES (?, ?, 'human', ?, 'u', 'c', 'g', ?, '{"n":1}', ?, NULL, 1)`,
        args: [`m${String(i).padStart(6, '0')}`, T0_MS + i, `u${i % 50}`, `message number ${i} of the orphan test`, T0],
      });
    }
    await c.commit();
  } finally {
    c.close();
    client.close();
  }
  pg = await createTestPostgres('orphan');
  await migratePostgres(pg.url);
  sql = postgres(pg.url, { max: 1, onnotice: () => {} });
  rejects = mkdtempSync(join(tmpdir(), 'orphan-rejects-'));
}, 120_000);

afterAll(async () => {
  await sql?.end({ timeout: 1 });
  await pg?.drop();
  src?.remove();
  if (rejects) rmSync(rejects, { recursive: true, force: true });
});

const count = async () => Number((await sql`SELECT count(*)::int AS n FROM messages`)[0]!.n);
/** Gone, or a zombie nobody reaps (a container's pid 1 may not): either way it runs no more. */
const running = (pid: number) => {
  try {
    return existsSync(`/proc/${pid}`) && !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('kill -9 of `pnpm db copy`', () => {
  it('the node process stops within 2 s, leaves whole batches, and a re-run completes the copy', async () => {
    const env = { PATH: process.env.PATH, LIBSQL_URL: src.url, DATABASE_URL: pg.url, USE_POSTGRES_SHADOW: 'true' };
    const pnpm = spawn('pnpm', ['db', 'copy', '--batch-rows', '50', '--concurrency', '1', '--rejects', rejects], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let node: number | null = null;
    pnpm.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      // The copy is under way: some rows landed, far from all.
      const deadline = Date.now() + 60_000;
      while ((await count()) < 500 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pnpm.pid)]).toString().trim().split(/\s+/).map(Number);
      expect(children, 'pnpm runs node directly (exec node)').toHaveLength(1);
      node = children[0]!;
      expect(readFileSync(`/proc/${node}/cmdline`, 'utf8')).toContain('cli/main.js');
      const before = await count();
      expect(before, stderr).toBeLessThan(MESSAGES);

      const killedAt = performance.now();
      process.kill(pnpm.pid!, 'SIGKILL');
      while (running(node!) && performance.now() - killedAt < 10_000) await new Promise((r) => setTimeout(r, 20));
      const stoppedMs = performance.now() - killedAt;
      expect(running(node), 'the orphaned copy is still running').toBe(false);
      expect(stoppedMs).toBeLessThan(2_000);
      expect(stderr).toMatch(/package manager that started this command \(pid \d+\) is gone/);
      expect(stderr).toMatch(/error INTERRUPTED: interrupted by SIGTERM/);

      // What a kill leaves: whole batches, nothing left open on the server.
      const partial = await count();
      expect(partial).toBeLessThan(MESSAGES);
      const open = await sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'`;
      expect(open[0]!.n).toBe(0);
    } finally {
      pnpm.kill('SIGKILL');
      // When the test fails, the orphan must not outlive it.
      if (node !== null && running(node)) process.kill(node, 'SIGKILL');
    }

    const again = await runCli(['copy', '--rejects', rejects], { LIBSQL_URL: src.url, DATABASE_URL: pg.url, USE_POSTGRES_SHADOW: 'true' });
    expect(again.code, again.stderr).toBe(0);
    expect(await count()).toBe(MESSAGES);
  }, 120_000);
});
