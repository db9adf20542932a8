/**
 * The gate's compared-reads criterion against a real phase-4 database serving `GET /status` as
 * the bot does (`stats: db.stats()`): passes when the compared reads agree over enough reads,
 * fails with too few, and refuses phase 5 when a search differs between the backends (LibSQL's
 * full-text index planted to lack a row: no drift for verify, only the answers differ).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/database.js';
import { migratePostgres, migrateSqlite } from '../src/migrations/migrate.js';
import { runGate, type GateCriterion } from '../src/transfer/gate.js';
import { createBothDatabases, openRaw } from './helpers/backends.js';
import { openPhase } from './helpers/phase-db.js';
import { waitFor } from './helpers/wait.js';

let urls: Awaited<ReturnType<typeof createBothDatabases>>;
let raw: ReturnType<typeof openRaw>;
let db: Database;
let bot: Server;
let botUrl: string;
const ids: string[] = [];

beforeAll(async () => {
  urls = await createBothDatabases('cmpgate');
  await Promise.all([migrateSqlite(urls.sqliteUrl), migratePostgres(urls.pgUrl)]);
  raw = openRaw(urls.sqliteUrl, urls.pgUrl);
  db = await openPhase('4', urls, { COMPARE_READS_RATE: '1', COMPARE_READS_CONCURRENCY: '32' });
  for (let i = 0; i < 10; i++) {
    ids.push(await db.messageService.saveHumanMessage({ userId: 'u1', username: 'ada', channelId: 'c1', channelName: 'general', messageContent: `okapi sighting ${i}`, messageId: `m-${i}` }));
  }
  await waitFor('shadow writes landed', () => {
    const s = db.shadowStats()!;
    return s.queued + s.inFlight + s.unacknowledged === 0;
  });
  // the bot's /status, from the real database
  bot = createServer((req, res) => {
    if (req.url !== '/status') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ phase: db.routing.phase, routing: db.routing, stats: db.stats() }));
  });
  await new Promise<void>((r) => bot.listen(0, '127.0.0.1', r));
  botUrl = `http://127.0.0.1:${(bot.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => bot?.close(r));
  await db?.close();
  await raw?.close();
  await urls?.cleanup();
});

const gate = (extra: { minComparedReads?: number; minConsistency?: number } = {}) =>
  runGate({ libsqlUrl: urls.sqliteUrl, databaseUrl: urls.pgUrl, botUrl, shellPhase: '4', latencySamples: 20, recheckDelayMs: 0, dataDir: null, minComparedReads: 30, ...extra });
const criterion = (r: Awaited<ReturnType<typeof gate>>): GateCriterion => r.criteria.find((c) => c.key === 'compared_reads')!;
const idle = () => waitFor('compared reads done', () => db.comparedReads()!.inFlight === 0);

async function traffic(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await db.messageService.getMessageById(ids[i % ids.length]!);
    await db.messageService.queryMessages({ channelId: 'c1', searchText: 'okapi', limit: 20 });
  }
  await idle();
}

describe('gate: compared reads before phase 5', () => {
  it('fails with fewer compared reads than the minimum, passes once enough agree', async () => {
    await traffic(5);
    const few = await gate();
    expect(criterion(few)).toMatchObject({ pass: false, threshold: '≥ 99.90% overall and per call, ≥ 30 compared' });
    expect(criterion(few).value).toBe('100.00% (10 of 10 matched, 0 mismatched, 0 dropped); fewer than 30 compared reads: let traffic run or raise COMPARE_READS_RATE (now 1)');
    expect(few.failed).toEqual(['compared_reads']);
    await traffic(15);
    const enough = await gate();
    expect(criterion(enough)).toMatchObject({ pass: true, value: '100.00% (40 of 40 matched, 0 mismatched, 0 dropped)' });
    expect(enough.ok).toBe(true);
  });

  it('refuses when a search differs between the backends (verify still clean), naming the call', async () => {
    await raw.lite.execute({
      sql: `INSERT INTO messages_fts(messages_fts, rowid, message_content, tool_name, username) SELECT 'delete', rowid, message_content, tool_name, username FROM messages WHERE id = ?`,
      args: [ids[3]!],
    });
    await traffic(5); // 5 searches now differ: 40 + 5 of 50 matched overall = 90%
    const r = await gate();
    expect(r.ok).toBe(false);
    expect(r.failed).toEqual(['compared_reads']);
    expect(criterion(r).value).toBe('90.00% (45 of 50 matched, 5 mismatched, 0 dropped); below the bar: searchMessages 80.00% (5 of 25 mismatched)');
    expect(r.criteria.find((c) => c.key === 'verify')!.pass).toBe(true);
    // a lower bar on the whole still fails on the call
    expect(criterion(await gate({ minConsistency: 0.85 })).pass).toBe(false);
    expect(criterion(await gate({ minConsistency: 0.8 })).pass).toBe(true);
  });

  it('not measured without a bot (fails unless --skip-shadow); a bot without compared reads fails', async () => {
    const none = await runGate({ libsqlUrl: urls.sqliteUrl, databaseUrl: urls.pgUrl, latencySamples: 20, recheckDelayMs: 0, dataDir: null });
    expect(none.criteria.find((c) => c.key === 'compared_reads')).toMatchObject({ pass: false, value: 'not measured: pass --bot-url (or --skip-shadow)' });
    const skipped = await runGate({ libsqlUrl: urls.sqliteUrl, databaseUrl: urls.pgUrl, skipShadow: true, latencySamples: 20, recheckDelayMs: 0, dataDir: null });
    expect(skipped.criteria.find((c) => c.key === 'compared_reads')).toMatchObject({ pass: true, value: 'not measured (--skip-shadow)' });
    const off = await runGate({
      libsqlUrl: urls.sqliteUrl,
      databaseUrl: urls.pgUrl,
      botUrl,
      latencySamples: 20,
      recheckDelayMs: 0,
      dataDir: null,
      fetch: async () => new Response(JSON.stringify({ phase: '4', stats: { shadow: null, comparedReads: null } })),
    });
    expect(off.criteria.find((c) => c.key === 'compared_reads')).toMatchObject({ pass: false, value: 'the bot does not compare reads (phase 1 or 6, or COMPARE_READS_RATE=0)' });
  });
});
