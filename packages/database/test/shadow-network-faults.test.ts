/**
 * Shadow writes across network faults that leave broken connections behind (issue 14 §4): a
 * silent stall of ~0.5 s while traffic flows, idle connections a NAT forgot silently (idle
 * connections a proxy closed with a FIN: fault-connect.test.ts). Shadow upserts are version-guarded, so a batch that fails on the
 * connection or gets no answer is retried on a fresh connection within its deadline: every row
 * written after the network is back lands, and what did not land is counted, logged by id and in
 * the failure journal (table, id, version) of the primary.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/database.js';
import { newId } from '../src/ids.js';
import { journalSqlOf, readJournal } from '../src/routing/failure-journal.js';
import { openSqlite } from '../src/stores/sqlite/sqlite-connection.js';
import { warnIfDistStale } from './helpers/fresh-dist.js';
import { openProxiedBackends } from './helpers/inspect.js';
import { captureLogs } from './helpers/log-capture.js';
import { openPhase } from './helpers/phase-db.js';
import { waitFor } from './helpers/wait.js';

// The deadline of the run (5 s default); four shadow writers, batches of up to 500 rows.
const LIMITS = { SHADOW_TIMEOUT_MS: '5000', SHADOW_CONCURRENCY: '4', SHADOW_DRAIN_TIMEOUT_MS: '10000' };

let backends: Awaited<ReturnType<typeof openProxiedBackends>>;
let urls: typeof backends.urls;
let proxy: typeof backends.proxy;
let bare: typeof backends.bare;

beforeAll(async () => {
  warnIfDistStale();
  backends = await openProxiedBackends('shadownet');
  ({ urls, proxy, bare } = backends);
});
afterAll(async () => {
  await backends?.close();
});

async function save(db: Database, channelId: string, i: number): Promise<string> {
  return db.messageService.saveHumanMessage({ userId: 'u', username: 'ada', channelId, channelName: 'general', messageContent: `message ${i}`, messageId: `m-${i}` });
}

async function saveMany(db: Database, n: number, channelId: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(await save(db, channelId, i));
  return ids;
}

async function pgIds(channelId: string): Promise<Set<string>> {
  return new Set((await bare.postgres.find('messages', { channel_id: channelId }, { orderBy: [], limit: 100_000, columns: ['id'] })).map((r) => String(r.id)));
}

const settled = (db: Database) => () => {
  const s = db.shadowStats()!;
  return s.queued + s.inFlight + s.unacknowledged === 0;
};

/** The failure journal in the primary (LibSQL in phase 4). */
async function journalIds(): Promise<Set<string>> {
  const conn = await openSqlite({ url: urls.sqliteUrl });
  try {
    return new Set((await readJournal(journalSqlOf('sqlite', conn))).map((e) => `${e.table}:${e.id}`));
  } finally {
    await conn.close();
  }
}

describe.each([['worker'], ['inline']] as const)('shadow writes after network faults (SHADOW_MODE=%s)', (mode) => {
  let db: Database | null = null;
  afterEach(async () => {
    proxy.heal();
    await db?.close();
    db = null;
  });

  async function open() {
    proxy.heal();
    const logs = captureLogs('info');
    db = await openPhase('4', { sqliteUrl: urls.sqliteUrl, pgUrl: proxy.urlFor(urls.pgUrl) }, { ...LIMITS, SHADOW_MODE: mode }, logs.logger);
    // Warm up: the shadow's connections are open (and idle) before the fault.
    const warm = `warm-${newId()}`;
    await saveMany(db, 40, warm);
    await waitFor('warm-up settled', settled(db), 20_000);
    expect((await pgIds(warm)).size).toBe(40);
    return { db, logs };
  }

  it('idle connections a NAT forgot silently: the 2,000 rows written next all land', async () => {
    const { db, logs } = await open();
    proxy.breakAll();
    const channel = `after-nat-${newId()}`;
    const ids = await saveMany(db, 2_000, channel);
    await waitFor('shadow writes settled', settled(db), 30_000);
    const inPg = await pgIds(channel);
    expect(ids.filter((id) => !inPg.has(id))).toEqual([]);
    expect(logs.events('shadow_write_failed').filter((l) => ids.includes(String(l.id)))).toEqual([]);
    expect(db.shadowStats()!.retried).toBeGreaterThan(0);
  });

  it('a silent stall of 0.5 s during traffic: every row written after the heal lands; the others are journaled', async () => {
    const { db, logs } = await open();
    const during = `during-${newId()}`;
    const duringIds: string[] = [];
    let stop = false;
    const traffic = (async () => {
      for (let i = 0; !stop; i++) {
        duringIds.push(await save(db, during, i));
        if (i % 20 === 0) await new Promise((r) => setTimeout(r, 1));
      }
    })();
    await new Promise((r) => setTimeout(r, 150));
    proxy.mode = 'stall';
    await new Promise((r) => setTimeout(r, 500));
    proxy.heal();
    stop = true;
    await traffic;

    const after = `after-stall-${newId()}`;
    const afterIds = await saveMany(db, 2_000, after);
    await waitFor('shadow writes settled', settled(db), 40_000);

    const inPg = await pgIds(after);
    expect(afterIds.filter((id) => !inPg.has(id))).toEqual([]);
    // Rows written during the stall: each one landed, or was logged by id and journaled.
    const duringInPg = await pgIds(during);
    const failedLogged = new Set(
      [...logs.events('shadow_write_failed'), ...logs.events('shadow_write_dropped')].filter((l) => l.table === 'messages').map((l) => String(l.id)),
    );
    const journal = await journalIds();
    for (const id of duringIds) {
      if (duringInPg.has(id)) continue;
      expect(failedLogged.has(id), `row ${id} neither landed nor was logged`).toBe(true);
      expect(journal.has(`messages:${id}`), `row ${id} neither landed nor is in the journal`).toBe(true);
    }
    const s = db.shadowStats()!;
    expect(s.succeeded + s.failed + s.dropped).toBe(s.enqueued + s.dropped);
  });
});
