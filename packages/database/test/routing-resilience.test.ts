/**
 * The router when PostgreSQL goes away: in phase 5 reads fall back to the primary (LibSQL holds
 * every row) instead of failing, and the shadow queue's circuit opens (no attempts during the
 * cool-down, queued writes wait) and closes again once PostgreSQL answers, after which queued and
 * new writes land.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { migratePostgres, migrateSqlite } from '../src/migrations/migrate.js';
import { TcpProxy } from '../src/testing/index.js';
import { createBothDatabases } from './helpers/backends.js';
import { openBareStores } from './helpers/inspect.js';
import { captureLogs } from './helpers/log-capture.js';
import { openPhase } from './helpers/phase-db.js';
import { waitFor } from './helpers/wait.js';

let urls: Awaited<ReturnType<typeof createBothDatabases>>;
let proxy: TcpProxy;

beforeAll(async () => {
  urls = await createBothDatabases('resilience');
  await Promise.all([migrateSqlite(urls.sqliteUrl), migratePostgres(urls.pgUrl)]);
  const target = new URL(urls.pgUrl);
  proxy = await new TcpProxy(target.hostname, Number(target.port || 5432)).start();
});
afterAll(async () => {
  await proxy?.stop();
  await urls?.cleanup();
});

for (const mode of ['worker', 'inline'] as const) {
  it(`phase 5 (${mode}): PostgreSQL down → reads served by LibSQL, circuit opens, then heals and queued writes land`, async () => {
    proxy.heal();
    const logs = captureLogs('info');
    const db = await openPhase('5', { sqliteUrl: urls.sqliteUrl, pgUrl: proxy.urlFor(urls.pgUrl) }, {
      SHADOW_MODE: mode,
      SHADOW_TIMEOUT_MS: '300',
      SHADOW_CONCURRENCY: '2',
      SHADOW_DRAIN_TIMEOUT_MS: '5000',
    }, logs.logger);
    const channelId = `res-${mode}`;
    const save = (messageContent: string) =>
      db.messageService.saveHumanMessage({ userId: 'u', username: 'ada', channelId, channelName: 'general', messageContent, messageId: `m-${messageContent}` });
    try {
      const first = await save('before the outage');
      expect((await db.messageService.queryMessages({ channelId, limit: 10 })).map((m) => m.id)).toEqual([first]);

      proxy.mode = 'refuse';
      proxy.resetAll();
      const during: string[] = [];
      for (let i = 0; i < 20; i++) during.push(await save(`during ${i}`));
      // Reads still answer, from the primary, with every row (read-your-writes holds): lists,
      // counts, search and single rows.
      const read = await db.messageService.queryMessages({ channelId, limit: 50 });
      expect(read.map((m) => m.id).sort()).toEqual([first, ...during].sort());
      expect(await db.messageService.getMessageCount({ channelId })).toBe(21);
      expect((await db.messageService.queryMessages({ channelId, searchText: 'during', limit: 50 })).map((m) => m.id).sort()).toEqual([...during].sort());
      expect((await db.messageService.getMessageById(during[0]!))?.message_content).toBe('during 0');
      expect(db.stats().reads.fallbacks).toBeGreaterThan(0);
      expect(logs.events('read_fallback').length).toBeGreaterThan(0);
      // Shadow batches keep failing (3 in a row) → the circuit opens.
      await waitFor('circuit open', async () => {
        during.push(await save('still down'));
        await new Promise((r) => setTimeout(r, 40));
        return logs.events('shadow_circuit_open').length > 0;
      }, 15_000);

      proxy.heal();
      const after = await save('after the outage');
      await waitFor('circuit closed and the new write landed', async () => {
        const s = db.shadowStats()!;
        return s.circuit === 'closed' && s.queued + s.inFlight === 0 && logs.events('shadow_circuit_closed').length > 0;
      }, 20_000);
      const bare = await openBareStores(urls);
      try {
        expect(await bare.postgres.get('messages', after)).not.toBeNull();
      } finally {
        await bare.close();
      }
      const s = db.shadowStats()!;
      // Every row is accounted for: written, or failed/dropped with a log line (verify + reconcile repair those).
      expect(s.succeeded + s.failed + s.dropped).toBe(s.enqueued + s.dropped);
      expect(logs.events('shadow_write_failed').length + logs.events('shadow_write_dropped').length).toBe(s.failed + s.dropped);
    } finally {
      proxy.heal();
      await db.close();
    }
  });
}
