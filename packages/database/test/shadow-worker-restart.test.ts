/**
 * The shadow worker thread dying (an uncaught error in it; here: terminated from outside) must not
 * end shadow writing until the next deploy: the rows it held are counted as failed and logged
 * (`shadow_worker_failed` with `rows`), a new worker starts, and later writes land again.
 */
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/database.js';
import type { WorkerShadow } from '../src/routing/worker-shadow.js';
import { createBothDatabases } from './helpers/backends.js';
import { captureLogs } from './helpers/log-capture.js';
import { openPhase } from './helpers/phase-db.js';
import { waitFor } from './helpers/wait.js';

const save = (db: Database, i: number) =>
  db.messageService.saveHumanMessage({ userId: 'u1', username: 'ada', channelId: 'c1', channelName: 'general', messageContent: `message ${i}`, messageId: `m-${i}` });

describe('shadow worker restart', () => {
  let urls: Awaited<ReturnType<typeof createBothDatabases>>;
  beforeAll(async () => {
    urls = await createBothDatabases('shadow_restart');
  });
  afterAll(async () => {
    await urls?.cleanup();
  });

  it('counts the rows a dead worker held as failed, restarts it, and later writes land', async () => {
    const logs = captureLogs();
    // A long linger keeps rows queued inside the worker, so the kill loses a known number.
    const db = await openPhase('4', urls, { SHADOW_BATCH_LINGER_MS: '3000' }, logs.logger);
    const pg = postgres(urls.pgUrl, { max: 1 });
    try {
      const sink = db.backends.shadow as WorkerShadow;
      for (let i = 0; i < 30; i++) await save(db, i);
      await waitFor('30 rows queued in the worker', () => db.shadowStats()!.queued === 30 && db.shadowStats()!.unacknowledged === 0);
      await sink.workerThread!.terminate();
      await waitFor('the failure log', () => logs.events('shadow_worker_failed').length === 1);
      expect(logs.events('shadow_worker_failed')[0]).toMatchObject({ rows: 30, code: 'SHADOW_WRITE_FAILED' });
      expect(db.shadowStats()).toMatchObject({ enqueued: 30, failed: 30, succeeded: 0 });

      // Written while the worker restarts: buffered, then delivered by the new worker.
      const ids: string[] = [];
      for (let i = 30; i < 40; i++) ids.push(await save(db, i));
      await waitFor('the restart', () => sink.restarts === 1, 5_000);
      await waitFor('the 10 new rows', () => db.shadowStats()!.succeeded === 10, 10_000);
      expect(await pg`SELECT count(*)::int AS n FROM messages WHERE id = ANY(${ids})`).toEqual([{ n: 10 }]);
      expect(db.shadowStats()).toMatchObject({ enqueued: 40, failed: 30, succeeded: 10, dropped: 0 });
    } finally {
      await pg.end();
      const closed = await db.close();
      expect(closed.drained).toBe(true);
    }
  });

  it('after close, nothing restarts and late writes are dropped and logged', async () => {
    const logs = captureLogs();
    const db = await openPhase('4', urls, {}, logs.logger);
    const sink = db.backends.shadow as WorkerShadow;
    await save(db, 1);
    await db.close();
    sink.enqueue('messages:x', [{ table: 'messages', op: 'delete', id: 'x', version: 2 }]);
    expect(sink.stats().dropped).toBe(1);
    expect(logs.events('shadow_write_dropped')).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 400));
    expect(sink.restarts).toBe(0);
    expect(sink.workerThread).toBeNull();
  });
});
