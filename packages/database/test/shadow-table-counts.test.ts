/**
 * Shadow writes counted per table (`ShadowStats.byTable`), inline (routing/shadow-queue.ts) and on
 * the worker thread (routing/worker-shadow.ts): enqueued, succeeded, failed and dropped per table
 * add up to the totals. And the pool usage a PgConnection counts itself (`poolStats()`), since
 * postgres.js does not expose its connections.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ShadowLimits } from '../src/config/env.js';
import { ShadowQueue, type ShadowStats } from '../src/routing/shadow-queue.js';
import type { ShadowSink } from '../src/routing/shadow-sink.js';
import { WorkerShadow } from '../src/routing/worker-shadow.js';
import { PgConnection } from '../src/stores/pg/pg-connection.js';
import type { RowChange } from '../src/stores/store.js';
import { openPostgresBackend, type TestBackend } from './helpers/backends.js';
import { captureLogs } from './helpers/log-capture.js';
import { documentRow, messageRow, queryRow } from './helpers/rows.js';
import { waitFor } from './helpers/wait.js';

let pg: TestBackend;
beforeAll(async () => {
  pg = await openPostgresBackend();
});
afterAll(async () => {
  await pg?.cleanup();
});

const LIMITS = { concurrency: 2, queueLimit: 20, timeoutMs: 5_000, drainTimeoutMs: 5_000, batchLingerMs: 0 };

/** The totals of `s` recomputed from its per-table counters. */
function sums(s: ShadowStats): Record<'enqueued' | 'succeeded' | 'failed' | 'dropped' | 'abandoned', number> {
  const out = { enqueued: 0, succeeded: 0, failed: 0, dropped: 0, abandoned: 0 };
  for (const c of Object.values(s.byTable ?? {})) for (const k of Object.keys(out) as Array<keyof typeof out>) out[k] += c[k];
  return out;
}

const modes: Array<{ mode: ShadowLimits['mode']; open: (limits: ShadowLimits) => Promise<ShadowSink> }> = [
  { mode: 'inline', open: async (limits) => new ShadowQueue(pg.store, limits, captureLogs().logger, '4') },
  {
    mode: 'worker',
    // The worker runs dist/ (rebuilt by the global setup).
    open: (limits) => WorkerShadow.start({ backend: 'postgres', url: pg.url, poolSize: 3 }, limits, captureLogs().logger, '4'),
  },
];

describe.each(modes)('per-table shadow counters, SHADOW_MODE=$mode', ({ mode, open }) => {
  it('counts enqueued, succeeded, failed and dropped row changes per table; they add up to the totals', async () => {
    const sink = await open({ ...LIMITS, mode });
    // One job beyond the queue limit (20 rows): its 21 documents are dropped, never attempted.
    sink.enqueue('documents:big', Array.from({ length: 21 }, (): RowChange => ({ table: 'documents', op: 'upsert', row: documentRow() })));
    for (let i = 0; i < 7; i++) sink.enqueue(`messages:${i}`, [{ table: 'messages', op: 'upsert', row: messageRow({ channel_id: `counts-${mode}` }) }]);
    sink.enqueue('messages:bad', [{ table: 'messages', op: 'upsert', row: messageRow({ message_content: null }) }]); // NOT NULL on PostgreSQL
    // One job of two tables: each row counted under its own table.
    sink.enqueue('queries:1', [
      { table: 'queries', op: 'upsert', row: queryRow() },
      { table: 'queries', op: 'upsert', row: queryRow() },
      { table: 'messages', op: 'upsert', row: messageRow() },
    ]);
    sink.enqueue('queries:2', [{ table: 'queries', op: 'upsert', row: queryRow() }]);
    expect(await sink.drain(5_000)).toEqual({ drained: true, remaining: 0 });
    await waitFor('the last counters', () => sink.stats().unacknowledged === 0);
    const s = sink.stats();
    expect(s.byTable).toEqual({
      documents: { enqueued: 0, succeeded: 0, failed: 0, dropped: 21, abandoned: 0 },
      messages: { enqueued: 9, succeeded: 8, failed: 1, dropped: 0, abandoned: 0 },
      queries: { enqueued: 3, succeeded: 3, failed: 0, dropped: 0, abandoned: 0 },
    });
    expect(sums(s)).toEqual({ enqueued: s.enqueued, succeeded: s.succeeded, failed: s.failed, dropped: s.dropped, abandoned: s.abandoned });
    expect(s).toMatchObject({ enqueued: 12, succeeded: 11, failed: 1, dropped: 21 });
    // Shutdown: what arrives after the drain is counted under its table too.
    sink.enqueue('late', [{ table: 'user_profiles', op: 'delete', id: 'u-late', version: 2 }]);
    await waitFor('the late drop counted', () => (sink.stats().byTable?.user_profiles?.dropped ?? 0) === 1);
    expect(sums(sink.stats()).dropped).toBe(sink.stats().dropped);
  });

  it.runIf(mode === 'worker')("reports the worker's own PostgreSQL pool (size, nothing in use once settled)", async () => {
    const sink = await open({ ...LIMITS, mode });
    try {
      await waitFor('the first stats push', () => sink.stats().pool !== undefined);
      expect(sink.stats().pool).toEqual({ size: 3, inUse: 0, waiting: 0 });
      sink.enqueue('m', [{ table: 'messages', op: 'upsert', row: messageRow() }]);
      await waitFor('the write', () => sink.stats().succeeded === 1);
      expect(sink.stats().pool).toEqual({ size: 3, inUse: 0, waiting: 0 });
    } finally {
      await sink.drain(5_000);
    }
  });
});

describe('PgConnection.poolStats', () => {
  it('counts queries and transactions in flight as connections in use, those beyond the size as waiting, and returns to 0', async () => {
    const conn = new PgConnection({ url: pg.url, max: 2 });
    try {
      expect(conn.poolStats()).toEqual({ size: 2, inUse: 0, waiting: 0 });
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const tx = conn.transaction(async (c) => {
        await c.query('SELECT 1', []);
        await held; // the transaction keeps its connection between statements
        return c.query('SELECT 2 AS n', []);
      });
      const q1 = conn.query('SELECT pg_sleep(0.3)', []);
      const q2 = conn.query('SELECT pg_sleep(0.3)', []);
      expect(conn.poolStats()).toEqual({ size: 2, inUse: 2, waiting: 1 });
      await Promise.all([q1, q2]);
      expect(conn.poolStats()).toEqual({ size: 2, inUse: 1, waiting: 0 });
      release();
      expect(await tx).toEqual([{ n: 2 }]);
      expect(conn.poolStats()).toEqual({ size: 2, inUse: 0, waiting: 0 });
      // A failed query gives its connection back too.
      await expect(conn.query('SELECT * FROM no_such_table', [])).rejects.toThrow();
      expect(conn.poolStats().inUse).toBe(0);
    } finally {
      await conn.close({ timeoutS: 0 });
    }
  });
});
