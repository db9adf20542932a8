/**
 * Several processes starting on one fresh LibSQL file at once (bot replicas on a Railway volume,
 * `pnpm db migrate` run twice): each one checks the layout, migrates, switches to WAL and opens
 * the store while the others hold write locks. None may fail with SQLITE_BUSY. Before every raw
 * client got a busy timeout (stores/sqlite/libsql-client.ts), 12 starts in 120 failed this way,
 * mostly in the layout check, whose client waited 0 ms.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createTestSqlite } from '../src/testing/index.js';
import { ensureFreshDist } from './helpers/fresh-dist.js';

const INDEX = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const PROCESSES = 4;
const ROUNDS = 6;

/** Starts `node args…` with `env`; resolves with its exit code and what it printed. */
function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/** One bot start: `createDatabase` in phase 1 (LibSQL only), one write, close. */
const START = `
import { createDatabase, loadConfig } from ${JSON.stringify(INDEX)};
const db = await createDatabase(loadConfig(), { logger: (await import('pino')).default({ level: 'silent' }) });
await db.messageService.saveHumanMessage({ userId: 'u' + process.pid, username: 'u', channelId: 'c', channelName: 'c', messageContent: 'hello', messageId: String(process.pid) });
await db.close();
`;

describe('processes starting on one fresh LibSQL file at once', () => {
  it(`${PROCESSES} bot starts at once, ${ROUNDS} rounds: all start, none meets SQLITE_BUSY, every row is there`, async () => {
    ensureFreshDist();
    for (let round = 0; round < ROUNDS; round++) {
      const file = createTestSqlite('race.db');
      try {
        const results = await Promise.all(
          Array.from({ length: PROCESSES }, () => run(['--input-type=module', '-e', START], { LIBSQL_URL: file.url })),
        );
        for (const r of results) expect(r, r.output).toMatchObject({ code: 0 });
        const check = await run(['--input-type=module', '-e', `
          import { createLibsqlClient } from ${JSON.stringify(fileURLToPath(new URL('../dist/stores/sqlite/libsql-client.js', import.meta.url)))};
          const c = createLibsqlClient({ url: ${JSON.stringify(file.url)} });
          console.log(String((await c.execute('SELECT count(*) FROM messages')).rows[0][0]));`], {});
        expect(check.output.trim()).toBe(String(PROCESSES));
      } finally {
        file.remove();
      }
    }
  }, 120_000);

  it(`${PROCESSES} \`pnpm db migrate\` at once on a fresh file: all exit 0`, async () => {
    ensureFreshDist();
    for (let round = 0; round < ROUNDS; round++) {
      const file = createTestSqlite('race-cli.db');
      try {
        const results = await Promise.all(Array.from({ length: PROCESSES }, () => run([CLI, 'migrate', '--target', 'sqlite'], { LIBSQL_URL: file.url })));
        for (const r of results) expect(r, r.output).toMatchObject({ code: 0 });
      } finally {
        file.remove();
      }
    }
  }, 120_000);
});
