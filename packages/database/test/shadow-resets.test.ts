/**
 * PostgreSQL connections reset every few milliseconds while transactions run (what a shadow
 * write sees on a flaky network). postgres.js 3.4.9 then crashed the process two ways, both
 * fixed by `patches/postgres@3.4.9.patch`: an unhandled rejection from its array-type fetch on a
 * new connection, and an uncaught TypeError from a deferred write to a closed socket
 * (porsager/postgres#1154, #1208). Here every call must settle (with a deadline, as the shadow
 * queue gives it), nothing may escape as an unhandled error, and the store works afterwards.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { newId } from '../src/ids.js';
import { PgConnection } from '../src/stores/pg/pg-connection.js';
import { pgDialect } from '../src/stores/pg/pg-dialect.js';
import { SqlStore } from '../src/stores/sql-store.js';
import type { RowChange } from '../src/stores/store.js';
import { TcpProxy } from '../src/testing/index.js';
import { openPostgresBackend, type TestBackend } from './helpers/backends.js';
import { messageRow } from './helpers/rows.js';

let pg: TestBackend;
let proxy: TcpProxy;
beforeAll(async () => {
  pg = await openPostgresBackend();
  const u = new URL(pg.url);
  proxy = await new TcpProxy(u.hostname, Number(u.port || 5432)).start();
});
afterAll(async () => {
  await proxy?.stop();
  await pg?.cleanup();
});

it('the installed postgres.js carries the repository patch', () => {
  const require = createRequire(import.meta.url);
  const root = join(dirname(require.resolve('postgres')), '../..'); // cjs/src/index.js → package root
  for (const build of ['src', 'cjs/src']) expect(readFileSync(join(root, build, 'connection.js'), 'utf8')).toContain('[repo patch]');
});

it('transactions under constant connection resets all settle, nothing escapes unhandled, and the store recovers', async () => {
  const escaped: unknown[] = [];
  const onEscape = (e: unknown) => escaped.push(e);
  process.on('unhandledRejection', onEscape);
  process.on('uncaughtException', onEscape);
  const conn = new PgConnection({ url: proxy.urlFor(pg.url), max: 4 });
  const store = new SqlStore(conn, pgDialect);
  const resets = setInterval(() => proxy.resetAll(), 3);
  const succeeded: string[] = [];
  let failed = 0;
  try {
    const work: Promise<void>[] = [];
    for (let i = 0; i < 1500; i++) {
      const rows = [messageRow({ channel_id: 'resets' }), messageRow({ channel_id: 'resets' })];
      const changes: RowChange[] = rows.map((row) => ({ table: 'messages', op: 'upsert', row }));
      work.push(
        store.applyChanges(changes, { signal: AbortSignal.timeout(2_000) }).then(
          () => void succeeded.push(...rows.map((r) => String(r.id))),
          () => void failed++,
        ),
      );
      if (i % 4 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    clearInterval(resets);
    await Promise.all(work);
    expect(succeeded.length / 2 + failed).toBe(1500);

    const after = messageRow({ channel_id: 'resets', message_content: `after ${newId()}` });
    await store.applyChanges([{ table: 'messages', op: 'upsert', row: after }], { signal: AbortSignal.timeout(5_000) });
    expect(await pg.store.get('messages', String(after.id))).toEqual(after);
    // Every write reported as committed is there (a failed one may be too: the answer was lost).
    const stored = new Set((await pg.store.find('messages', { channel_id: 'resets' }, { orderBy: [], limit: 10_000, columns: ['id'] })).map((r) => String(r.id)));
    expect(succeeded.filter((id) => !stored.has(id))).toEqual([]);
  } finally {
    clearInterval(resets);
    await new Promise((r) => setTimeout(r, 50));
    process.off('unhandledRejection', onEscape);
    process.off('uncaughtException', onEscape);
    await conn.close({ timeoutS: 0 });
  }
  expect(escaped.map(String)).toEqual([]);
});
