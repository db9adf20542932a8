// A killed import or copy resumes by running again: nothing missing, no duplicates. Two ways:
// aborting the core function after a few batches, and SIGKILL of the CLI child process mid-run.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@libsql/client';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratePostgres, migrateSqlite } from '../src/migrations/migrate.js';
import { tableNames, type TableName } from '../src/schema/tables.js';
import { pgDialect } from '../src/stores/pg/pg-dialect.js';
import { q, tableSql } from '../src/stores/table-sql.js';
import { createTestPostgres, createTestSqlite } from '../src/testing/index.js';
import { copyDatabase } from '../src/transfer/copy.js';
import { exportDatabase } from '../src/transfer/export.js';
import { importDirectory } from '../src/transfer/import.js';
import { canonicalJson } from '../src/transfer/convert/normalize-row.js';
import { ensureFreshDist } from './helpers/fresh-dist.js';
import { doc, insertRow, runCli, T0, T0_MS } from './transfer-fixtures.js';

const MESSAGES = 20_000;
const DOCUMENTS = 300;
let src: ReturnType<typeof createTestSqlite>;
let dir: string;

/** A clean LibSQL database: 20,000 messages, 300 documents with one collaborator each. */
async function buildSource() {
  src = createTestSqlite('resume.db');
  await migrateSqlite(src.url);
  const client = createClient({ url: src.url, intMode: 'bigint' });
  const c = await client.transaction('write');
  try {
    for (let i = 0; i < MESSAGES; i++) {
      const id = `m${String(i).padStart(6, '0')}`;
      await c.execute({
        sql: `INSERT INTO messages (id, timestamp, sender_type, user_id, username, channel_id, guild_id, message_content, metadata, created_at, updated_at, version) VALUES (?, ?, 'human', ?, 'u', 'c', ?, ?, '{"n":1}', ?, NULL, 1)`,
        args: [id, T0_MS + i, `u${i % 50}`, String(BigInt(i) + 2n ** 60n), `message ${i}`, T0],
      });
    }
    for (let i = 0; i < DOCUMENTS; i++) {
      await insertRow(c, 'documents', doc(`d${i}`, { content: 'x' }));
      await insertRow(c, 'document_collaborators', { id: `dc${i}`, document_id: `d${i}`, user_id: 'u2', username: 'bob', role: 'viewer' });
    }
    await c.commit();
  } finally {
    c.close();
    client.close();
  }
}

beforeAll(async () => {
  ensureFreshDist();
  await buildSource();
  dir = mkdtempSync(join(tmpdir(), 'resume-'));
  await exportDatabase({ libsqlUrl: src.url, outDir: dir });
});
afterAll(() => {
  src?.remove();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function freshTarget() {
  const db = await createTestPostgres('xfer_resume');
  await migratePostgres(db.url);
  const sql = postgres(db.url, { max: 2, onnotice: () => {} });
  return {
    url: db.url,
    sql,
    count: async (t: TableName = 'messages') => Number((await sql.unsafe(`SELECT count(*) AS n FROM ${q(t)}`))[0]!.n),
    close: async () => {
      await sql.end();
      await db.drop();
    },
  };
}

/** Every table in PostgreSQL equals the export file, line for line (nothing missing, nothing twice). */
async function expectComplete(sql: postgres.Sql) {
  for (const t of tableNames) {
    const s = tableSql(pgDialect, t);
    const rows = await sql.unsafe(`SELECT ${s.selectList} FROM ${q(t)} m ORDER BY m.id COLLATE "C"`);
    const file = readFileSync(join(dir, `${t}.ndjson`), 'utf8').split('\n').filter(Boolean);
    expect(rows.length, t).toBe(file.length);
    expect(rows.map((r) => canonicalJson(t, s.decodeRow(r))), t).toEqual(file);
  }
}

const stuckTransactions = (sql: postgres.Sql) =>
  sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`;

describe('resume after an interrupted run', () => {
  it('import aborted after 3 batches, then run again: complete, no duplicates', async () => {
    const t = await freshTarget();
    try {
      const ac = new AbortController();
      let batches = 0;
      const first = importDirectory({
        dir,
        databaseUrl: t.url,
        batchRows: 500,
        signal: ac.signal,
        onProgress: (p) => {
          if (p.stage === 'load' && p.done > 0 && ++batches === 3) ac.abort(new Error('simulated kill'));
        },
      });
      await expect(first).rejects.toThrow('simulated kill');
      const partial = await t.count();
      expect(partial).toBeGreaterThan(0);
      expect(partial).toBeLessThan(MESSAGES);
      const second = await importDirectory({ dir, databaseUrl: t.url });
      expect(second.totals.unchanged).toBeGreaterThanOrEqual(partial);
      expect(second.totals.written + second.totals.unchanged).toBe(MESSAGES + 2 * DOCUMENTS);
      await expectComplete(t.sql);
      expect(await stuckTransactions(t.sql)).toEqual([{ n: 0 }]);
    } finally {
      await t.close();
    }
  });

  it('copy aborted mid-table, then run again: complete, no duplicates', async () => {
    const t = await freshTarget();
    const rejectsDir = join(dir, 'copy-rejects');
    try {
      const ac = new AbortController();
      const first = copyDatabase({
        libsqlUrl: src.url,
        databaseUrl: t.url,
        rejectsDir,
        batchRows: 500,
        signal: ac.signal,
        onProgress: (p) => {
          if (p.table === 'messages' && p.done >= 2_000) ac.abort(new Error('simulated kill'));
        },
      });
      await expect(first).rejects.toThrow('simulated kill');
      expect(await t.count()).toBeLessThan(MESSAGES);
      const second = await copyDatabase({ libsqlUrl: src.url, databaseUrl: t.url, rejectsDir });
      expect(second.totals).toMatchObject({ read: MESSAGES + 2 * DOCUMENTS, rejected: 0 });
      await expectComplete(t.sql);
    } finally {
      await t.close();
    }
  });

  it('CLI import killed with SIGKILL mid-run, then run again: complete, no duplicates, no stuck connection', async () => {
    const t = await freshTarget();
    try {
      const pkg = fileURLToPath(new URL('..', import.meta.url));
      const child = spawn(process.execPath, ['dist/cli/main.js', 'import', '--from', dir, '--batch-rows', '100', '--concurrency', '1'], {
        cwd: pkg,
        env: { PATH: process.env.PATH, DATABASE_URL: t.url, USE_POSTGRES_SHADOW: 'true' },
        stdio: 'ignore',
      });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
      const deadline = Date.now() + 60_000;
      while ((await t.count()) < 1_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      const partial = await t.count();
      expect(partial).toBeGreaterThan(0);
      expect(partial).toBeLessThan(MESSAGES);
      const again = await runCli(['import', '--from', dir], { DATABASE_URL: t.url, USE_POSTGRES_SHADOW: 'true' });
      expect(again.code, again.stderr).toBe(0);
      await expectComplete(t.sql);
      expect(await stuckTransactions(t.sql)).toEqual([{ n: 0 }]);
    } finally {
      await t.close();
    }
  });
});
