/**
 * The shadow queue's batches (routing/shadow-queue.ts): ready jobs are applied together in one
 * transaction; when that fails because of one bad row, each job is retried alone so the others
 * land; when it fails because the connection is gone, they all fail at once (retrying each job
 * would only multiply failed attempts during an outage).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ShadowQueue } from '../src/routing/shadow-queue.js';
import { PgConnection } from '../src/stores/pg/pg-connection.js';
import { pgDialect } from '../src/stores/pg/pg-dialect.js';
import { SqlStore } from '../src/stores/sql-store.js';
import type { RowChange, Store } from '../src/stores/store.js';
import { TcpProxy } from '../src/testing/index.js';
import { openPostgresBackend, type TestBackend } from './helpers/backends.js';
import { captureLogs } from './helpers/log-capture.js';
import { messageRow } from './helpers/rows.js';

const LIMITS = { concurrency: 1, queueLimit: 1000, timeoutMs: 2_000, drainTimeoutMs: 5_000, mode: 'inline' as const };

/** A real store that counts its applyChanges calls (how many transactions the queue tried). */
function counting(store: Store): { store: Store; calls: () => number } {
  let n = 0;
  const wrapped: Pick<Store, 'kind' | 'applyChanges'> = {
    kind: store.kind,
    applyChanges: (changes, opts) => {
      n++;
      return store.applyChanges(changes, opts);
    },
  };
  // The queue only calls applyChanges and reads kind.
  return { store: wrapped as Store, calls: () => n };
}

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

const upsert = (row: Record<string, unknown>): RowChange[] => [{ table: 'messages', op: 'upsert', row }];

it('one bad row fails alone; the other jobs of its batch land', async () => {
  const logs = captureLogs();
  const target = counting(pg.store);
  const q = new ShadowQueue(target.store, LIMITS, logs.logger, '4');
  const good = Array.from({ length: 9 }, () => messageRow({ channel_id: 'batch' }));
  const bad = messageRow({ channel_id: 'batch', message_content: null }); // NOT NULL on PostgreSQL
  for (const r of [...good.slice(0, 4), bad, ...good.slice(4)]) q.enqueue(`messages:${String(r.id)}`, upsert(r));
  expect(await q.drain(5_000)).toEqual({ drained: true, remaining: 0 });
  expect(q.stats()).toMatchObject({ enqueued: 10, succeeded: 9, failed: 1 });
  for (const r of good) expect(await pg.store.get('messages', String(r.id))).toEqual(r);
  const [line] = logs.events('shadow_write_failed');
  expect(line).toMatchObject({ id: bad.id, table: 'messages', op: 'upsert', code: 'SHADOW_WRITE_FAILED', cause: '23502' });
  expect(target.calls()).toBe(1 + 10); // the batch, then each job alone
});

it('a lost connection fails the whole batch (retried whole on a fresh connection within its deadline), without one retry per job', async () => {
  const logs = captureLogs();
  const conn = new PgConnection({ url: proxy.urlFor(pg.url), max: 1 });
  const store = new SqlStore(conn, pgDialect);
  const target = counting(store);
  const q = new ShadowQueue(target.store, LIMITS, logs.logger, '4');
  await store.ping();
  proxy.mode = 'refuse';
  proxy.resetAll();
  try {
    for (let i = 0; i < 20; i++) q.enqueue(`messages:${i}`, upsert(messageRow()));
    expect(await q.drain(5_000)).toEqual({ drained: true, remaining: 0 });
    expect(q.stats()).toMatchObject({ enqueued: 20, succeeded: 0, failed: 20 });
    // Whole-batch attempts only (at most 4, see ShadowQueue), never one per job.
    expect(target.calls()).toBeGreaterThanOrEqual(1);
    expect(target.calls()).toBeLessThanOrEqual(4);
    expect(q.stats().retried).toBe(target.calls() - 1);
    expect(logs.events('shadow_write_failed')).toHaveLength(20);
  } finally {
    proxy.heal();
    await conn.close({ timeoutS: 0 });
  }
});
