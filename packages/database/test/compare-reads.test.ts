/**
 * Compared reads (issue 13 §1) on a real LibSQL file and PostgreSQL database: every read compared
 * at rate 1 and matched on identical data; a difference planted on the candidate (PostgreSQL in
 * phase 4) is a `compare_read_mismatch` event with the ids and column names (never the content)
 * while the caller's answer is unchanged; a candidate that refuses or stalls never reaches the
 * caller and is counted as dropped, with at most COMPARE_READS_CONCURRENCY reads outstanding;
 * phase 5 racing its own shadow writes gives no false mismatch.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/database.js';
import { loadConfig } from '../src/config/env.js';
import { isDatabaseError } from '../src/errors.js';
import { migratePostgres, migrateSqlite } from '../src/migrations/migrate.js';
import { diffAnswers } from '../src/routing/compare-reads.js';
import type { ComparedReadsSnapshot } from '../src/routing/compare-stats.js';
import { TcpProxy } from '../src/testing/index.js';
import { createBothDatabases, openRaw } from './helpers/backends.js';
import { captureLogs } from './helpers/log-capture.js';
import { openPhase } from './helpers/phase-db.js';
import { waitFor } from './helpers/wait.js';

let urls: Awaited<ReturnType<typeof createBothDatabases>>;
let raw: ReturnType<typeof openRaw>;
let db: Database | null = null;

beforeAll(async () => {
  urls = await createBothDatabases('cmpreads');
  await Promise.all([migrateSqlite(urls.sqliteUrl), migratePostgres(urls.pgUrl)]);
  raw = openRaw(urls.sqliteUrl, urls.pgUrl);
});
afterAll(async () => {
  await raw?.close();
  await urls?.cleanup();
});
afterEach(async () => {
  await db?.close();
  db = null;
});

/** Every read sampled, and enough slots that back-to-back reads are never dropped for load. */
const EVERY = { COMPARE_READS_RATE: '1', COMPARE_READS_CONCURRENCY: '32' };

const settled = (d: Database) => () => {
  const s = d.shadowStats()!;
  return s.queued + s.inFlight + s.unacknowledged === 0;
};
const compared = (d: Database): ComparedReadsSnapshot => d.comparedReads()!;
/** Waits until no compared read is in flight and `n` samples have a verdict or were dropped. */
async function comparedAll(d: Database, n: number): Promise<ComparedReadsSnapshot> {
  await waitFor(`${n} compared reads done`, () => {
    const c = compared(d);
    return c.inFlight === 0 && c.total.compared + c.total.dropped >= n;
  });
  return compared(d);
}
/** Reads through the router since start (the read latency histogram counts every call). */
const routedReads = (d: Database) => Object.values(d.latencyHistograms().reads).reduce((n, b) => n + b.count, 0);

async function seed(d: Database, channelId: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    ids.push(
      await d.messageService.saveHumanMessage({ userId: `u${i % 3}`, username: 'ada', channelId, channelName: 'general', messageContent: `zebra number ${i} grazes`, messageId: `${channelId}-${i}`, metadata: { i } }),
    );
  }
  await waitFor('shadow writes landed', settled(d));
  return ids;
}

/** The reads the bot makes: by id, a channel's newest, a user's newest, counts, a search. */
async function readAll(d: Database, channelId: string, ids: readonly string[]) {
  const m = d.messageService;
  return {
    one: await m.getMessageById(ids[0]!),
    channel: await m.queryMessages({ channelId, limit: 50 }),
    user: await m.queryMessages({ userId: 'u1', channelId, limit: 5 }),
    count: await m.getMessageCount({ channelId }),
    search: await m.queryMessages({ channelId, searchText: 'zebra grazes', limit: 20 }),
  };
}

describe('compared reads', () => {
  it('phase 4, rate 1: every read is compared, and identical data matches for every call', async () => {
    db = await openPhase('4', urls, EVERY);
    const ids = await seed(db, 'c-match', 12);
    const before = routedReads(db);
    const got = await readAll(db, 'c-match', ids);
    expect(got.channel).toHaveLength(12);
    expect(got.search).toHaveLength(12);
    const reads = routedReads(db) - before;
    expect(reads).toBe(5);
    const c = await comparedAll(db, reads);
    expect(c).toMatchObject({ rate: 1, served: 'sqlite', other: 'postgres', inFlight: 0 });
    expect(c.total).toMatchObject({ compared: reads, matched: reads, mismatched: 0, dropped: 0, consistency: 1 });
    expect(Object.keys(c.byCall).sort()).toEqual(['count.messages', 'find.messages', 'get.messages', 'searchMessages']);
    expect(c.byCall['find.messages']).toMatchObject({ compared: 2, matched: 2 });
    expect(c.window.total).toMatchObject({ compared: reads, matched: reads });
    // also reported where /status reads it
    expect(db.stats().comparedReads!.total.compared).toBe(reads);
  });

  it('phase 4: a row changed on PostgreSQL is a mismatch event (ids and column names, never the content); the caller gets LibSQL\'s answer', async () => {
    const logs = captureLogs('info');
    db = await openPhase('4', urls, EVERY, logs.logger);
    const ids = await seed(db, 'c-plant', 6);
    const [changed, gone] = [ids[2]!, ids[4]!];
    await raw.pg.unsafe(`UPDATE messages SET message_content = 'planted secret text', username = 'mallory' WHERE id = $1`, [changed]);
    await raw.pg.unsafe(`DELETE FROM messages WHERE id = $1`, [gone]);

    const one = await db.messageService.getMessageById(changed);
    expect(one).toMatchObject({ id: changed, message_content: 'zebra number 2 grazes', username: 'ada' });
    const list = await db.messageService.queryMessages({ channelId: 'c-plant', limit: 50 });
    expect(list.map((r) => r.id)).toEqual([...ids].reverse());
    expect(await db.messageService.getMessageCount({ channelId: 'c-plant' })).toBe(6);

    const c = await comparedAll(db, 3);
    expect(c.total).toMatchObject({ compared: 3, mismatched: 3, matched: 0 });
    const events = logs.events('compare_read_mismatch');
    expect(events).toHaveLength(3);
    const byCall = Object.fromEntries(events.map((e) => [e.call as string, e]));
    expect(byCall['get.messages']).toMatchObject({ level: 40, phase: '4', served: 'sqlite', other: 'postgres', missing: [], extra: [], different: [{ id: changed }] });
    expect([...(byCall['get.messages']!.different as Array<{ columns: string[] }>)[0]!.columns].sort()).toEqual(['message_content', 'username']);
    expect(byCall['find.messages']).toMatchObject({ missing: [gone], extra: [], different: [{ id: changed }] });
    expect(byCall['count.messages']).toMatchObject({ count: { served: 6, other: 5 } });
    // never the content, on either side
    for (const line of logs.raw.filter((l) => l.includes('compare_read_mismatch'))) {
      expect(line).not.toContain('planted secret');
      expect(line).not.toContain('mallory');
      expect(line).not.toContain('zebra');
    }
    expect(c.recentMismatches.map((m) => m.call).sort()).toEqual(['count.messages', 'find.messages', 'get.messages']);
  });

  it('phase 4, rate 1: a planted search difference (LibSQL\'s index lacks a row) is a searchMessages mismatch naming the extra id', async () => {
    const logs = captureLogs('info');
    db = await openPhase('4', urls, EVERY, logs.logger);
    const ids = await seed(db, 'c-fts', 4);
    await raw.lite.execute({
      sql: `INSERT INTO messages_fts(messages_fts, rowid, message_content, tool_name, username) SELECT 'delete', rowid, message_content, tool_name, username FROM messages WHERE id = ?`,
      args: [ids[1]!],
    });
    const hits = await db.messageService.queryMessages({ channelId: 'c-fts', searchText: 'zebra', limit: 20 });
    expect(hits.map((h) => h.id)).toEqual([ids[3], ids[2], ids[0]]);
    const c = await comparedAll(db, 1);
    expect(c.byCall.searchMessages).toMatchObject({ compared: 1, mismatched: 1 });
    expect(logs.events('compare_read_mismatch')[0]).toMatchObject({ call: 'searchMessages', missing: [], extra: [ids[1]], different: [], order: false });
  });

  it('COMPARE_READS_RATE=0 turns comparing off; phase 1 has nothing to compare with', async () => {
    db = await openPhase('4', urls, { COMPARE_READS_RATE: '0' });
    expect(db.comparedReads()).toBeNull();
    expect(db.stats().comparedReads).toBeNull();
    await db.close();
    db = await openPhase('1', urls, { COMPARE_READS_RATE: '1' });
    expect(db.comparedReads()).toBeNull();
  });

  it('a rate of 0.25 compares about a quarter of the reads', async () => {
    db = await openPhase('4', urls, { COMPARE_READS_RATE: '0.25', COMPARE_READS_CONCURRENCY: '64' });
    const ids = await seed(db, 'c-rate', 2);
    for (let i = 0; i < 400; i++) await db.messageService.getMessageById(ids[i % 2]!);
    await waitFor('idle', () => compared(db!).inFlight === 0);
    const c = compared(db);
    // sampled = compared + dropped (back-to-back LibSQL reads outrun PostgreSQL: some are dropped for load, never as errors)
    const sampled = c.total.compared + c.total.dropped;
    expect(c.total.dropped).toBe(c.total.droppedBy.load);
    // 400 Bernoulli(0.25) draws: mean 100, sd ≈ 8.7; ±5 sd
    expect(sampled).toBeGreaterThan(56);
    expect(sampled).toBeLessThan(144);
    expect(c.total.mismatched).toBe(0);
  });
});

describe('compared reads against a failing candidate (PostgreSQL behind a proxy, phase 4)', () => {
  let proxy: TcpProxy;
  const saved = { ...process.env };
  beforeAll(async () => {
    const target = new URL(urls.pgUrl);
    proxy = await new TcpProxy(target.hostname, Number(target.port || 5432)).start();
    // The client-side bound of a PostgreSQL call: connect + statement timeout + 1 s.
    process.env.PG_STATEMENT_TIMEOUT_MS = '500';
    process.env.PG_CONNECT_TIMEOUT_MS = '500';
  });
  afterAll(async () => {
    process.env.PG_STATEMENT_TIMEOUT_MS = saved.PG_STATEMENT_TIMEOUT_MS;
    process.env.PG_CONNECT_TIMEOUT_MS = saved.PG_CONNECT_TIMEOUT_MS;
    if (saved.PG_STATEMENT_TIMEOUT_MS === undefined) delete process.env.PG_STATEMENT_TIMEOUT_MS;
    if (saved.PG_CONNECT_TIMEOUT_MS === undefined) delete process.env.PG_CONNECT_TIMEOUT_MS;
    await proxy?.stop();
  });
  afterEach(() => proxy.heal());

  it('stalled: the caller gets its answers at LibSQL speed; 2 samples time out, the rest are dropped for load; at most 2 reads outstanding; freed once the calls fail', async () => {
    const logs = captureLogs('info');
    db = await openPhase('4', { sqliteUrl: urls.sqliteUrl, pgUrl: proxy.urlFor(urls.pgUrl) }, { COMPARE_READS_RATE: '1', COMPARE_READS_CONCURRENCY: '2', COMPARE_READS_TIMEOUT_MS: '300' }, logs.logger);
    const ids = await seed(db, 'c-stall', 3);
    proxy.mode = 'stall';
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      const m = await db.messageService.getMessageById(ids[i % 3]!);
      times.push(performance.now() - t0);
      expect(m!.id).toBe(ids[i % 3]);
      await new Promise((r) => setImmediate(r));
    }
    // LibSQL answers in well under the 300 ms compare deadline, whatever PostgreSQL does
    expect(Math.max(...times)).toBeLessThan(250);
    await waitFor('the two stalled samples timed out', () => compared(db!).total.droppedBy.timeout === 2, 3_000);
    let c = compared(db);
    expect(c.total).toMatchObject({ compared: 0, dropped: 20, droppedBy: { load: 18, timeout: 2, error: 0, unsettled: 0 } });
    // the stalled queries still hold their slots: bounded, no pile-up on the candidate
    expect(c.inFlight).toBe(2);
    expect(logs.events('compare_read_dropped').filter((e) => e.reason === 'timeout')).toHaveLength(1); // rate-limited warning
    proxy.heal();
    await waitFor('slots freed after the client-side deadline', () => compared(db!).inFlight === 0, 10_000);
    await waitFor('shadow pool healthy again', async () => (await db!.health()).postgres!.ok, 10_000);
    await db.messageService.getMessageById(ids[0]!);
    await waitFor('compared again', () => compared(db!).total.compared === 1, 10_000);
    c = compared(db);
    expect(c.total.matched).toBe(1);
  }, 30_000);

  it('refusing: samples are dropped as errors, the caller never sees them', async () => {
    db = await openPhase('4', { sqliteUrl: urls.sqliteUrl, pgUrl: proxy.urlFor(urls.pgUrl) }, { COMPARE_READS_RATE: '1', COMPARE_READS_CONCURRENCY: '4', COMPARE_READS_TIMEOUT_MS: '2000' });
    const ids = await seed(db, 'c-refuse', 2);
    proxy.mode = 'refuse';
    proxy.resetAll();
    for (let i = 0; i < 4; i++) {
      expect((await db.messageService.getMessageById(ids[0]!))!.id).toBe(ids[0]);
      await waitFor('sample done', () => compared(db!).inFlight === 0, 5_000);
    }
    const c = compared(db);
    expect(c.total.compared).toBe(0);
    expect(c.total.droppedBy.error + c.total.droppedBy.timeout).toBe(4);
    expect(c.total.droppedBy.error).toBeGreaterThan(0);
  }, 30_000);
});

describe('compared reads racing shadow writes (phase 5)', () => {
  it('a row written again right after it was read is re-checked once the shadow write landed: no false mismatch', async () => {
    const logs = captureLogs('info');
    db = await openPhase('5', urls, { COMPARE_READS_RATE: '1', COMPARE_READS_CONCURRENCY: '8', SHADOW_BATCH_LINGER_MS: '50' }, logs.logger);
    const docs = db.documentService;
    const doc = await docs.createDocument({ title: 'race', content: 'v0', createdBy: 'u-race', createdByUsername: 'ada' });
    for (let i = 1; i <= 25; i++) {
      const read = await docs.getDocument(doc.id); // PostgreSQL, after this process's shadow writes
      expect(read!.content).toBe(`v${i - 1}`);
      // written again at once: the compared read of LibSQL (the control) sees the newer row
      await docs.updateDocumentContent(doc.id, `v${i}`);
    }
    await waitFor('idle', () => compared(db!).inFlight === 0);
    const c = compared(db);
    expect(c).toMatchObject({ served: 'postgres', other: 'sqlite' });
    expect(c.total.mismatched).toBe(0);
    expect(logs.events('compare_read_mismatch')).toEqual([]);
    // the race did happen, and was settled by the re-check
    expect(c.byCall['get.documents']!.rechecked).toBeGreaterThan(0);
    expect(c.byCall['get.documents']!.compared + c.byCall['get.documents']!.dropped).toBe(25);
  }, 30_000);

  it('phase 6+ compares PostgreSQL (primary) with LibSQL kept warm', async () => {
    db = await openPhase('6+', urls, EVERY);
    const ids = await seed(db, 'c-6plus', 3);
    await db.messageService.queryMessages({ channelId: 'c-6plus', limit: 10 });
    await db.messageService.getMessageById(ids[1]!);
    const c = await comparedAll(db, 2);
    expect(c).toMatchObject({ served: 'postgres', other: 'sqlite' });
    expect(c.total).toMatchObject({ compared: 2, matched: 2 });
  });
});

describe('COMPARE_READS_* settings and the comparison itself', () => {
  it('defaults to 1 % of reads, 2 at once, 2,000 ms; refuses a rate outside 0..1 naming the variable, not the value', () => {
    expect(loadConfig({}).compareReads).toEqual({ rate: 0.01, concurrency: 2, timeoutMs: 2_000 });
    expect(loadConfig({ COMPARE_READS_RATE: '0', COMPARE_READS_CONCURRENCY: '8', COMPARE_READS_TIMEOUT_MS: '500' }).compareReads).toEqual({ rate: 0, concurrency: 8, timeoutMs: 500 });
    for (const [variable, bad] of [['COMPARE_READS_RATE', '1.5'], ['COMPARE_READS_RATE', 'often'], ['COMPARE_READS_CONCURRENCY', '0'], ['COMPARE_READS_TIMEOUT_MS', '5']] as const) {
      let err: unknown;
      try {
        loadConfig({ [variable]: bad });
      } catch (e) {
        err = e;
      }
      expect(isDatabaseError(err) && err.code).toBe('INVALID_CONFIG');
      expect((err as Error).message).toContain(variable);
      expect((err as Error).message).not.toContain(bad);
    }
  });

  it('compares canonical values (a bigint as a string, JSON keys in any order), sets for unordered calls, order for ordered ones', () => {
    const spec = { call: 'find.messages', table: 'messages', shape: 'list', ordered: true } as const;
    const a = { id: 'a', timestamp: 1_700_000_000_000, metadata: { x: 1, y: [1, 2] } };
    const b = { id: 'b', timestamp: 1_700_000_000_001, metadata: null };
    // PostgreSQL's jsonb reorders keys; the timestamp may come as a bigint: the same canonical row
    expect(diffAnswers(spec, [a, b], [{ ...a, timestamp: 1_700_000_000_000n, metadata: { y: [1, 2], x: 1 } }, b])).toBeNull();
    expect(diffAnswers(spec, [a, b], [b, a])).toEqual({ missing: [], extra: [], different: [], order: true });
    expect(diffAnswers({ ...spec, ordered: false }, [a, b], [b, a])).toBeNull();
    expect(diffAnswers(spec, [a, b], [{ ...a, metadata: { x: 2, y: [1, 2] } }])).toEqual({ missing: ['b'], extra: [], different: [{ id: 'a', columns: ['metadata'] }], order: false });
    expect(diffAnswers({ call: 'get.messages', table: 'messages', shape: 'one', ordered: true }, null, b)).toEqual({ missing: [], extra: ['b'], different: [], order: false });
    expect(diffAnswers({ call: 'count.messages', table: 'messages', shape: 'count', ordered: false }, 3, 3)).toBeNull();
  });
});
