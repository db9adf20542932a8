// Load modes of copy/import (load/deferred-indexes.ts): an empty target table loads in bulk (its
// secondary indexes dropped, recorded, built again after the load, one pass each), a table with
// rows loads online; the indexes after a bulk load are exactly a freshly migrated database's; a
// kill -9 after the drop leaves them recorded: status shows them, gate refuses, migrate (or the
// next copy) builds them; shadow writes landing during a bulk load are neither lost nor doubled.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@libsql/client';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratePostgres, migrateSqlite } from '../src/migrations/migrate.js';
import { openStore } from '../src/stores/open-store.js';
import { createTestPostgres, createTestSqlite } from '../src/testing/index.js';
import { copyDatabase } from '../src/transfer/copy.js';
import { exportDatabase } from '../src/transfer/export.js';
import { importDirectory } from '../src/transfer/import.js';
import { DEFERRED_INDEXES_TABLE, listDeferredIndexes, rebuildDeferredIndexes } from '../src/transfer/load/deferred-indexes.js';
import { waitWarning } from '../src/transfer/load/load-mode.js';
import { describeHolders, type LockHolder } from '../src/transfer/load/lock-wait.js';
import { ensureFreshDist } from './helpers/fresh-dist.js';
import { doc, insertRow, runCli, T0, T0_MS } from './transfer-fixtures.js';

const MESSAGES = 4_000;
const DOCUMENTS = 100;
let src: ReturnType<typeof createTestSqlite>;
let exportDir: string;
let reference: Map<string, string>;
let tmp: string;

async function buildSource() {
  src = createTestSqlite('bulk-modes.db');
  await migrateSqlite(src.url);
  const client = createClient({ url: src.url, intMode: 'bigint' });
  const c = await client.transaction('write');
  try {
    for (let i = 0; i < MESSAGES; i++) {
      await c.execute({
        sql: `INSERT INTO messages (id, timestamp, sender_type, user_id, username, channel_id, message_content, metadata, created_at, updated_at, version) VALUES (?, ?, 'human', ?, 'u', ?, ?, ?, ?, NULL, 1)`,
        args: [`m${String(i).padStart(6, '0')}`, T0_MS + i, `u${i % 50}`, `c${i % 7}`, `message number ${i} about topic${i % 13}`, `{"n":${i}}`, T0],
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

/** `indexname → indexdef` of the public schema. */
async function indexDefs(sql: postgres.Sql): Promise<Map<string, string>> {
  const rows = await sql<{ indexname: string; indexdef: string }[]>`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> ${DEFERRED_INDEXES_TABLE}`;
  return new Map(rows.map((r) => [r.indexname, r.indexdef]));
}

async function freshTarget() {
  const db = await createTestPostgres('h1_bulk');
  await migratePostgres(db.url);
  const sql = postgres(db.url, { max: 3, onnotice: () => {} });
  return {
    url: db.url,
    sql,
    count: async (t = 'messages') => Number((await sql.unsafe(`SELECT count(*) AS n FROM "${t}"`))[0]!.n),
    close: async () => {
      await sql.end();
      await db.drop();
    },
  };
}

/** A copy of messages alone in bulk mode, stopped after 1,000 rows: its indexes stay deferred, as after kill -9. */
async function killedBulkLoad(url: string, rejects: string): Promise<void> {
  const ac = new AbortController();
  const first = copyDatabase({
    libsqlUrl: src.url,
    databaseUrl: url,
    rejectsDir: join(tmp, rejects),
    batchRows: 100,
    concurrency: 1,
    tables: ['messages'],
    signal: ac.signal,
    onProgress: (p) => {
      if (p.stage === 'load' && p.done >= 1_000) ac.abort(new Error('simulated kill'));
    },
  });
  await expect(first).rejects.toThrow('simulated kill');
}

/**
 * A session named `app` holding messages_search_idx's deferred-index record (`FOR UPDATE`) in an
 * open transaction, as the backend of a run killed during that build does, until `release`:
 * 'rollback' (what PostgreSQL does to that build) or 'commit'. `ended` gives the outcome.
 */
async function holdSearchIndexRecord(url: string, app: string) {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connection: { application_name: app } });
  const pid = (await sql<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`)[0]!.pid;
  let release!: (outcome: 'commit' | 'rollback') => void;
  const released = new Promise<'commit' | 'rollback'>((r) => (release = r));
  let holding!: () => void;
  const held = new Promise<void>((r) => (holding = r));
  const ended = sql
    .begin(async (tx) => {
      await tx.unsafe(`SELECT 1 FROM "${DEFERRED_INDEXES_TABLE}" WHERE index_name = 'messages_search_idx' FOR UPDATE`);
      holding();
      if ((await released) === 'rollback') throw new Error('rolled back');
      return 'committed';
    })
    .catch((e: Error) => e.message);
  const failed = await Promise.race([held.then(() => null), ended]);
  if (failed !== null) throw new Error(`could not hold the record: ${failed}`);
  return {
    pid,
    release,
    ended,
    /** Rolls back if still open, and closes the session. */
    close: async () => {
      release('rollback');
      await ended;
      await sql.end();
    },
  };
}

const env = (url: string) => ({ LIBSQL_URL: src.url, DATABASE_URL: url, USE_POSTGRES_SHADOW: 'true' });

beforeAll(async () => {
  ensureFreshDist();
  await buildSource();
  tmp = mkdtempSync(join(tmpdir(), 'bulk-modes-'));
  exportDir = join(tmp, 'export');
  await exportDatabase({ libsqlUrl: src.url, outDir: exportDir });
  const t = await freshTarget();
  try {
    reference = await indexDefs(t.sql);
  } finally {
    await t.close();
  }
  expect(reference.get('messages_search_idx')).toContain('USING gin');
}, 300_000);
afterAll(() => {
  src?.remove();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('load modes', () => {
  it('empty target: every table bulk, indexes afterwards exactly those of a fresh migration, verify finds no drift', { timeout: 120_000 }, async () => {
    const t = await freshTarget();
    try {
      const s = await copyDatabase({ libsqlUrl: src.url, databaseUrl: t.url, rejectsDir: join(tmp, 'r1'), batchRows: 500 });
      expect(s.loadModes.map((m) => [m.table, m.mode])).toEqual(s.tables.map((x) => [x.table, 'bulk']));
      const messages = s.loadModes.find((m) => m.table === 'messages')!;
      // 7 btrees + 2 GIN; never the primary key
      expect([...messages.deferred].sort()).toEqual([...reference.keys()].filter((n) => n.startsWith('idx_messages_') || /^messages_.*_idx$/.test(n)).sort());
      expect(messages.deferred).not.toContain('messages_pkey');
      expect(s.loadModes.find((m) => m.table === 'user_profiles')!.deferred).not.toContain('user_profiles_user_id_key');
      expect(await indexDefs(t.sql)).toEqual(reference);
      expect(await listDeferredIndexes(t.sql)).toEqual([]);
      expect(await t.count()).toBe(MESSAGES);
      const v = await runCli(['verify', '--data-dir', join(tmp, 'v1')], env(t.url));
      expect(v.code, v.stdout + v.stderr).toBe(0);
    } finally {
      await t.close();
    }
  });

  it('target with rows: auto loads that table online (indexes untouched), the empty ones bulk; import too', async () => {
    const t = await freshTarget();
    try {
      await t.sql`INSERT INTO messages (id, timestamp, sender_type, user_id, username, channel_id, message_content, metadata, created_at, updated_at, version)
                  VALUES ('m000001', ${T0_MS}, 'human', 'u1', 'u', 'c1', 'a newer shadow write', '{}', ${T0}, ${T0 + 60}, 2)`;
      const s = await importDirectory({ dir: exportDir, databaseUrl: t.url, rejectsDir: join(tmp, 'r2'), batchRows: 500 });
      const modes = Object.fromEntries(s.loadModes.map((m) => [m.table, m]));
      expect(modes.messages).toMatchObject({ mode: 'online', deferred: [], reason: 'target table has rows' });
      expect(modes.documents).toMatchObject({ mode: 'bulk' });
      expect(await indexDefs(t.sql)).toEqual(reference);
      expect(await t.sql`SELECT message_content, version FROM messages WHERE id = 'm000001'`).toEqual([{ message_content: 'a newer shadow write', version: 2 }]);
      expect(await t.count()).toBe(MESSAGES);
      // --load-mode online never defers, even into empty tables
      const again = await freshTarget();
      try {
        const o = await copyDatabase({ libsqlUrl: src.url, databaseUrl: again.url, rejectsDir: join(tmp, 'r3'), loadMode: 'online', tables: ['documents'] });
        expect(o.loadModes).toMatchObject([{ table: 'documents', mode: 'online', deferred: [] }]);
      } finally {
        await again.close();
      }
    } finally {
      await t.close();
    }
  });

  it('shadow writes during a bulk load: none lost, none doubled', { timeout: 120_000 }, async () => {
    const t = await freshTarget();
    const { store } = await openStore({ backend: 'postgres', url: t.url, poolSize: 2 });
    try {
      let stop = false;
      const written: string[] = [];
      let started!: () => void;
      const modeChosen = new Promise<void>((r) => (started = r));
      const writer = (async () => {
        await modeChosen; // the first write lands after the drop (one before it would make auto choose online)
        // Upserts as the shadow writer applies them: newer versions of ids the copy also loads, and new ids.
        for (let i = 0; !stop && i < 400; i++) {
          const id = i % 2 === 0 ? `m${String(i * 13).padStart(6, '0')}` : `shadow-${i}`;
          const row = { id, timestamp: T0_MS + i, sender_type: 'human', user_id: 'u1', username: 'u', channel_id: 'c1', guild_id: null, message_content: `shadow ${i}`, metadata: '{"s":1}', created_at: T0, updated_at: T0 + 60, version: 5 };
          await store.applyChanges([{ table: 'messages', op: 'upsert', row }]);
          written.push(id);
          await new Promise((r) => setTimeout(r, 2));
        }
      })();
      const s = await copyDatabase({ libsqlUrl: src.url, databaseUrl: t.url, rejectsDir: join(tmp, 'r4'), batchRows: 200, concurrency: 2, tables: ['messages'], onLoadMode: () => started() });
      stop = true;
      await writer;
      expect(written.length).toBeGreaterThan(0);
      expect(s.loadModes[0]!.mode).toBe('bulk');
      const rows = await t.sql.unsafe(`SELECT id, message_content, version FROM messages WHERE id = ANY($1::text[])`, [written]);
      expect(rows.length).toBe(new Set(written).size);
      for (const r of rows) expect({ id: r.id, version: r.version }).toEqual({ id: r.id, version: 5 });
      const shadowOnly = new Set(written.filter((id) => id.startsWith('shadow-'))).size;
      expect(await t.count()).toBe(MESSAGES + shadowOnly);
      expect(Number((await t.sql`SELECT count(DISTINCT id) AS n FROM messages`)[0]!.n)).toBe(MESSAGES + shadowOnly);
      expect(await indexDefs(t.sql)).toEqual(reference);
    } finally {
      await store.close();
      await t.close();
    }
  });

  it('kill -9 after the drop: status shows the deferred indexes, gate refuses, migrate builds them, a re-run converges', { timeout: 240_000 }, async () => {
    const t = await freshTarget();
    try {
      const pkg = fileURLToPath(new URL('..', import.meta.url));
      const child = spawn(process.execPath, ['dist/cli/main.js', 'copy', '--batch-rows', '50', '--concurrency', '1', '--rejects', join(tmp, 'r5')], {
        cwd: pkg,
        env: { PATH: process.env.PATH, ...env(t.url) },
        stdio: 'ignore',
      });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
      const deadline = Date.now() + 60_000;
      while ((await t.count()) < 500 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      expect(await t.count()).toBeLessThan(MESSAGES);
      const deferred = await listDeferredIndexes(t.sql, 'messages');
      expect(deferred.map((d) => d.indexName)).toContain('messages_search_idx');
      const now = await indexDefs(t.sql);
      for (const d of deferred) {
        expect(now.has(d.indexName), d.indexName).toBe(false);
        expect(d.definition).toBe(reference.get(d.indexName));
      }

      const st = await runCli(['status'], env(t.url));
      expect(st.stdout).toMatch(/deferred indexes: \d+ not built yet \(.*messages\.messages_search_idx/);
      const g = await runCli(['--json', 'gate', '--skip-shadow', '--data-dir', join(tmp, 'g')], env(t.url));
      expect(g.code).not.toBe(0);
      const gj = JSON.parse(g.stdout) as { failed: string[]; criteria: Array<{ key: string; value: string }> };
      expect(gj.failed).toContain('indexes');
      expect(gj.criteria.find((c) => c.key === 'indexes')!.value).toContain('messages.messages_search_idx');

      const m = await runCli(['migrate', '--target', 'postgres'], env(t.url));
      expect(m.code, m.stderr).toBe(0);
      expect(await listDeferredIndexes(t.sql)).toEqual([]);
      expect(await indexDefs(t.sql)).toEqual(reference);

      // messages has rows now: the re-run loads it online and converges.
      const again = await runCli(['copy', '--rejects', join(tmp, 'r6')], env(t.url));
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/messages: online \(target table has rows\)/);
      expect(await t.count()).toBe(MESSAGES);
      const v = await runCli(['verify', '--data-dir', join(tmp, 'v5')], env(t.url));
      expect(v.code, v.stdout + v.stderr).toBe(0);
      const st2 = await runCli(['status'], env(t.url));
      expect(st2.stdout).not.toContain('deferred indexes');
    } finally {
      await t.close();
    }
  });

  it('a killed bulk load is recovered by the next copy itself (indexes built before it loads)', async () => {
    const t = await freshTarget();
    try {
      await killedBulkLoad(t.url, 'r7');
      expect((await listDeferredIndexes(t.sql)).length).toBe(8); // messages' secondary indexes on PostgreSQL (6 btrees, 2 GIN)
      const s = await copyDatabase({ libsqlUrl: src.url, databaseUrl: t.url, rejectsDir: join(tmp, 'r8') });
      expect([...s.recoveredIndexes].sort()).toEqual([...(await indexDefs(t.sql)).keys()].filter((n) => n.startsWith('idx_messages_') || /^messages_.*_idx$/.test(n)).sort());
      expect(s.loadModes.find((m) => m.table === 'messages')!.mode).toBe('online');
      expect(await indexDefs(t.sql)).toEqual(reference);
      expect(await t.count()).toBe(MESSAGES);
    } finally {
      await t.close();
    }
  });

  it.each(['copy', 'import'] as const)("%s: an index record a killed run's backend still holds is waited for after the load and built, never left missing", async (tool) => {
    const t = await freshTarget();
    let orphan: Awaited<ReturnType<typeof holdSearchIndexRecord>> | undefined;
    try {
      await killedBulkLoad(t.url, `r9-${tool}`);
      const deferred = (await listDeferredIndexes(t.sql)).map((d) => d.indexName).sort();
      expect(deferred).toContain('messages_search_idx');
      // Stands for the backend of a run killed during its build of messages_search_idx: it holds the
      // record until the build ends, then PostgreSQL rolls it back (the client is gone).
      orphan = await holdSearchIndexRecord(t.url, 'orphan-build');
      const orphanPid = orphan.pid;

      const warnings: string[] = [];
      let settled = false;
      const onWarning = (w: string) => warnings.push(w);
      const rejectsDir = join(tmp, `r10-${tool}`);
      const run = (
        tool === 'copy' ? copyDatabase({ libsqlUrl: src.url, databaseUrl: t.url, rejectsDir, onWarning }) : importDirectory({ dir: exportDir, databaseUrl: t.url, rejectsDir, onWarning })
      ).finally(() => (settled = true));
      run.catch(() => {});
      const deadline = Date.now() + 60_000;
      while (!settled && !warnings.some((w) => w.includes('messages_search_idx')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(settled, 'copy must not end while the index is held elsewhere').toBe(false);
      const warning = warnings.find((w) => w.startsWith('waiting for index messages_search_idx on messages'));
      // The operator is told who holds it and how to end the wait.
      expect(warning).toContain(`pid ${orphanPid} (application "orphan-build", idle in transaction, transaction open `);
      expect(warning).toContain(`SELECT pg_terminate_backend(${orphanPid})`);
      expect((await indexDefs(t.sql)).has('messages_search_idx')).toBe(false); // the start skipped it, the load went on
      orphan.release('rollback');
      expect(await orphan.ended).toBe('rolled back');
      const s = await run;
      expect([...s.recoveredIndexes].sort()).toEqual(deferred);
      expect(await listDeferredIndexes(t.sql)).toEqual([]);
      expect(await indexDefs(t.sql)).toEqual(reference);
      expect(await t.count()).toBe(MESSAGES);
    } finally {
      await orphan?.close();
      await t.close();
    }
  });

  it('a record held by a session left idle in its transaction: the wait is reported every interval, and ends on the signal with the index still recorded', async () => {
    const t = await freshTarget();
    let holder: Awaited<ReturnType<typeof holdSearchIndexRecord>> | undefined;
    try {
      await killedBulkLoad(t.url, 'r11');
      holder = await holdSearchIndexRecord(t.url, 'left-open');
      const pid = holder.pid;

      const reports: { holders: readonly LockHolder[]; ms: number }[] = [];
      const ac = new AbortController();
      const waited = rebuildDeferredIndexes(t.sql, {
        table: 'messages',
        wait: true,
        waitReportMs: 150,
        signal: ac.signal,
        onWait: (index, table, holders, ms) => {
          expect([index, table]).toEqual(['messages_search_idx', 'messages']);
          reports.push({ holders, ms });
          if (reports.length === 3) ac.abort(new Error('operator pressed Ctrl-C'));
        },
      });
      await expect(waited).rejects.toThrow('operator pressed Ctrl-C');
      expect(reports.length).toBe(3);
      for (const r of reports) expect(r.holders).toEqual([expect.objectContaining({ pid, applicationName: 'left-open', state: 'idle in transaction' })]);
      expect(reports[2]!.ms).toBeGreaterThan(reports[0]!.ms);
      // The wait ended and nothing else: the index is still recorded and missing, the other session untouched.
      expect((await listDeferredIndexes(t.sql, 'messages')).map((d) => d.indexName)).toContain('messages_search_idx');
      expect((await indexDefs(t.sql)).has('messages_search_idx')).toBe(false);
      expect(await t.sql`SELECT 1 FROM pg_stat_activity WHERE pid = ${pid} AND state = 'idle in transaction'`).toHaveLength(1);
      expect(waitWarning('messages_search_idx', 'messages', reports[0]!.holders, 61_000)).toMatch(
        new RegExp(`^still waiting for index messages_search_idx on messages after 61 s: another session holds it, pid ${pid} \\(application "left-open", idle in transaction, transaction open \\d+ s\\)`),
      );
      // Ctrl-C at the very first report (read before the wait starts): the wait never begins.
      const ac0 = new AbortController();
      const w0 = rebuildDeferredIndexes(t.sql, { table: 'messages', wait: true, signal: ac0.signal, onWait: () => ac0.abort(new Error('at once')) });
      await expect(Promise.race([w0, new Promise((r) => setTimeout(() => r('still waiting after 10 s'), 10_000))])).rejects.toThrow('at once');

      // A pool of one connection (copy --concurrency 1): the holder is still named, read in the waiting transaction itself.
      const one = postgres(t.url, { max: 1, onnotice: () => {} });
      try {
        const ac1 = new AbortController();
        const seen: (readonly LockHolder[])[] = [];
        const w1 = rebuildDeferredIndexes(one, { table: 'messages', wait: true, waitReportMs: 100, signal: ac1.signal, onWait: (_i, _t, holders) => seen.push(holders) });
        const until = Date.now() + 10_000;
        while (seen.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
        ac1.abort(new Error('stop'));
        await expect(w1).rejects.toThrow('stop');
        expect(seen[0]).toEqual([expect.objectContaining({ pid, applicationName: 'left-open' })]);
      } finally {
        await one.end();
      }
      expect(describeHolders([{ pid: 7, applicationName: 'x\u001b[2Jy', state: 'active', transactionSeconds: 3 }])).toBe('pid 7 (application "x\\u001b[2Jy", active, transaction open 3 s)');

      holder.release('commit');
      expect(await holder.ended).toBe('committed');
    } finally {
      await holder?.close();
      await t.close();
    }
  });

  it('CLI: Ctrl-C while copy waits for a held index ends the wait (exit 130); the next copy builds the index', { timeout: 120_000 }, async () => {
    const t = await freshTarget();
    let holder: Awaited<ReturnType<typeof holdSearchIndexRecord>> | undefined;
    try {
      await killedBulkLoad(t.url, 'r12');
      holder = await holdSearchIndexRecord(t.url, 'left-open');

      const pkg = fileURLToPath(new URL('..', import.meta.url));
      const child = spawn(process.execPath, ['dist/cli/main.js', 'copy', '--rejects', join(tmp, 'r13')], { cwd: pkg, env: { PATH: process.env.PATH, ...env(t.url) }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stdout.resume();
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const deadline = Date.now() + 60_000;
      while (!stderr.includes('waiting for index messages_search_idx') && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(stderr).toContain('application "left-open", idle in transaction');
      child.kill('SIGINT');
      const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still running 30 s after Ctrl-C'), 30_000))]);
      if (code !== 130) child.kill('SIGKILL');
      expect(code, stderr).toBe(130);
      expect(stderr).toContain('error INTERRUPTED');
      expect((await listDeferredIndexes(t.sql)).map((d) => d.indexName)).toEqual(['messages_search_idx']);
      expect(await t.count()).toBe(MESSAGES); // the load itself had finished

      holder.release('rollback');
      expect(await holder.ended).toBe('rolled back');
      const again = await runCli(['copy', '--rejects', join(tmp, 'r14')], env(t.url));
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toContain('messages_search_idx');
      expect(await listDeferredIndexes(t.sql)).toEqual([]);
      expect(await indexDefs(t.sql)).toEqual(reference);
    } finally {
      await holder?.close();
      await t.close();
    }
  });

  it('--load-mode: a bad value is a usage error (exit 2); --dry-run says which mode each table would get', async () => {
    const t = await freshTarget();
    try {
      const bad = await runCli(['copy', '--load-mode', 'fast'], env(t.url));
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('must be one of auto, bulk, online');
      const badImport = await runCli(['import', '--from', exportDir, '--load-mode', 'BULK'], env(t.url));
      expect(badImport.code).toBe(2);
      await t.sql`INSERT INTO documents (id, title, content, created_by, created_by_username, created_at, updated_at, version) VALUES ('dx', 't', 'c', 'u', 'u', ${T0}, ${T0}, 1)`;
      const dry = await runCli(['copy', '--dry-run'], env(t.url));
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toContain('load modes (--load-mode auto): messages bulk, queries bulk, documents online,');
      const dryOnline = await runCli(['import', '--from', exportDir, '--dry-run', '--load-mode', 'online'], env(t.url));
      expect(dryOnline.code, dryOnline.stderr).toBe(0);
      expect(dryOnline.stdout).toContain('load modes (--load-mode online): messages online, queries online, documents online');
      expect(await listDeferredIndexes(t.sql)).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
