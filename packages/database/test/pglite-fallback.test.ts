/**
 * With no PostgreSQL answering (TEST_DATABASE_URL at a closed port), `testServerUrl()` starts an
 * embedded PGlite behind pglite-socket and says so on stderr; the migrations and the services
 * run on it with a pool of 4, several client connections at once, and each test database is a
 * separate, empty instance. Runs in a child process (against dist/), so this file's module state
 * and the other test files are untouched.
 */
import { execFile } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { warnIfDistStale } from './helpers/fresh-dist.js';

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

it('falls back to an embedded PGlite that runs the migrations and the services', async () => {
  warnIfDistStale();
  const port = await closedPort();
  const env: NodeJS.ProcessEnv = { ...process.env, TEST_DATABASE_URL: `postgres://postgres:pw@127.0.0.1:${port}/postgres`, LOG_LEVEL: 'silent' };
  delete env.__PG_ANNOUNCED;
  const child = fileURLToPath(new URL('./helpers/pglite-child.mjs', import.meta.url));
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [child], { env, timeout: 90_000 }, (err, out, errOut) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: String(out), stderr: String(errOut) }),
    );
  });
  expect(code, `child failed:\n${stderr}\n${stdout}`).toBe(0);
  expect(stderr).toContain(`no server answered at postgres://***@127.0.0.1:${port}/postgres`);
  expect(stderr).toMatch(/using embedded PGlite .*up to 64 connections/);
  expect(stderr).not.toContain(':pw@');
  const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
  expect(result).toMatchObject({
    phase: '6',
    fresh: true,
    recent: 12,
    search: 12,
    metadata: true,
    guildId: '9223372036854775807',
    docVersion: 2,
    messageCount: 6,
    queryCount: 1,
    otherTables: 0,
    simultaneous: 8,
  });
  expect(String(result.admin)).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
});
