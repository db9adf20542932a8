/**
 * Phase 4 with PostgreSQL behind a TcpProxy that refuses, resets or stalls connections
 * (docs/design.md invariants 1, 4 and 5). For each failure: the caller's results are what LibSQL holds,
 * callers are not slowed (relative to a no-shadow baseline measured in the same test), every
 * failure is logged with its row and counted, memory stays bounded, and once the proxy heals new
 * shadow writes land. Runs with the shadow on its worker thread (default) and inline.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/database.js';
import { newId } from '../src/ids.js';
import { toRecord } from '../src/services/record.js';
import { TcpProxy } from '../src/testing/index.js';
import { warnIfDistStale } from './helpers/fresh-dist.js';
import { openProxiedBackends } from './helpers/inspect.js';
import { captureLogs, type LogLine } from './helpers/log-capture.js';
import { openPhase } from './helpers/phase-db.js';
import { silentLogger } from './helpers/silent-logger.js';
import { percentile, waitFor } from './helpers/wait.js';

const LIMITS = { SHADOW_TIMEOUT_MS: '300', SHADOW_QUEUE_LIMIT: '50', SHADOW_CONCURRENCY: '2', SHADOW_DRAIN_TIMEOUT_MS: '3000' };
const QUEUE_LIMIT = 50;

let backends: Awaited<ReturnType<typeof openProxiedBackends>>;
let urls: typeof backends.urls;
let proxy: typeof backends.proxy;
let bare: typeof backends.bare;

beforeAll(async () => {
  warnIfDistStale();
  backends = await openProxiedBackends('shadowfail');
  ({ urls, proxy, bare } = backends);
});
afterAll(async () => {
  await backends?.close();
});

/** Saves `n` messages one after another; returns their ids with each call's latency (ms). */
async function saveMany(db: Database, n: number, channelId: string, onEach?: (i: number) => void) {
  const saved: string[] = [];
  const latencies: number[] = [];
  for (let i = 0; i < n; i++) {
    onEach?.(i);
    const t0 = performance.now();
    saved.push(
      await db.messageService.saveHumanMessage({ userId: 'u', username: 'ada', channelId, channelName: 'general', messageContent: `message ${i}`, messageId: `m-${i}`, metadata: { i } }),
    );
    latencies.push(performance.now() - t0);
  }
  return { saved, latencies };
}

/**
 * Saves `n` messages until `n` of them have landed on PostgreSQL through the shadow (a loaded
 * machine can make the first batch, with its new connection, miss the short test deadline).
 * Returns how many messages it saved in all.
 */
async function warmUp(db: Database, n: number): Promise<number> {
  let total = 0;
  for (let round = 0; round < 10; round++) {
    await saveMany(db, n, `warm-${newId()}`);
    total += n;
    await waitFor('warm-up shadow writes settled', () => {
      const s = db.shadowStats()!;
      return s.succeeded + s.failed + s.dropped >= total && s.queued + s.inFlight + s.unacknowledged === 0;
    }, 15_000);
    if (db.shadowStats()!.succeeded >= n) return total;
    await new Promise((r) => setTimeout(r, 2_100)); // past the circuit's longest cool-down
  }
  throw new Error('warm-up: shadow writes never succeeded');
}

/** p50 of a phase-1 (no shadow) save on the same LibSQL file, measured now. */
async function baselineP50(n = 150): Promise<number> {
  const db = await openPhase('1', urls, {}, silentLogger);
  try {
    await saveMany(db, 20, `warmup-${newId()}`);
    return percentile((await saveMany(db, n, `baseline-${newId()}`)).latencies, 0.5);
  } finally {
    await db.close();
  }
}

/** Every saved id is on LibSQL (the primary), and the caller's read of it is LibSQL's row. */
async function expectResultsFromPrimary(db: Database, saved: readonly string[]) {
  for (const id of saved) {
    const row = await bare.sqlite.get('messages', id);
    expect(row, `message ${id} on LibSQL`).not.toBeNull();
    expect(await db.messageService.getMessageById(id)).toEqual(toRecord('messages', row!));
  }
}

function expectFailureLines(lines: LogLine[], ids: ReadonlySet<string>) {
  for (const l of lines) {
    expect(l).toMatchObject({ table: 'messages', op: 'upsert', phase: '4' });
    expect(['SHADOW_WRITE_FAILED', 'SHADOW_TIMEOUT', 'SHADOW_QUEUE_FULL']).toContain(l.code);
    expect(ids.has(String(l.id)), `logged id ${String(l.id)} is one of this test's rows`).toBe(true);
  }
}

async function pgCount(channelId: string): Promise<number> {
  return (await bare.postgres.find('messages', { channel_id: channelId }, { orderBy: [], limit: 100_000, columns: ['id'] })).length;
}

describe.each([['worker'], ['inline']] as const)('shadow failures (SHADOW_MODE=%s)', (mode) => {
  let db: Database | null = null;
  afterEach(async () => {
    proxy.heal();
    await db?.close();
    db = null;
  });

  async function open(extra: Record<string, string> = {}) {
    proxy.heal();
    const logs = captureLogs('info');
    db = await openPhase('4', { sqliteUrl: urls.sqliteUrl, pgUrl: proxy.urlFor(urls.pgUrl) }, { ...LIMITS, SHADOW_MODE: mode, ...extra }, logs.logger);
    return { db, logs };
  }

  /** Every one of the `writes` shadow rows so far was accepted or dropped, and nothing is pending. */
  const settled = (d: Database, writes: number) => () => {
    const s = d.shadowStats()!;
    return s.enqueued + s.dropped >= writes && s.queued + s.inFlight === 0 && s.succeeded + s.failed === s.enqueued;
  };

  it('PostgreSQL refusing connections: callers unaffected, every failure logged and counted, heals', async () => {
    const base = await baselineP50();
    const { db, logs } = await open();
    const warm = await warmUp(db, 5);

    proxy.mode = 'refuse';
    proxy.resetAll();
    const channel = `refuse-${newId()}`;
    const { saved, latencies } = await saveMany(db, 200, channel);
    expect(percentile(latencies, 0.5)).toBeLessThan(base * 5 + 5);
    await expectResultsFromPrimary(db, saved);
    await waitFor('shadow writes settled', settled(db, 200 + warm));

    const s = db.shadowStats()!;
    const ids = new Set(saved);
    const failures = [...logs.events('shadow_write_failed'), ...logs.events('shadow_write_dropped')].filter((l) => ids.has(String(l.id)));
    expect(s.failed + s.dropped).toBeGreaterThanOrEqual(200);
    expect(failures).toHaveLength(200);
    expectFailureLines(failures, ids);
    expect(s.lastError).not.toBeNull();
    expect(await pgCount(channel)).toBe(0);

    proxy.heal();
    const before = db.shadowStats()!.succeeded;
    const healed = `healed-${newId()}`;
    await saveMany(db, 10, healed);
    await waitFor('shadow writes after healing', () => db.shadowStats()!.succeeded >= before + 10, 15_000);
    expect(await pgCount(healed)).toBe(10);
  });

  it('connections reset mid-write: callers unaffected, PostgreSQL holds only correct rows, heals', async () => {
    const base = await baselineP50();
    const { db, logs } = await open();
    const channel = `reset-${newId()}`;
    const { saved, latencies } = await saveMany(db, 300, channel, (i) => {
      if (i % 25 === 10) proxy.resetAll();
    });
    expect(percentile(latencies, 0.5)).toBeLessThan(base * 5 + 5);
    await expectResultsFromPrimary(db, saved);
    await waitFor('shadow writes settled', settled(db, 300));

    const s = db.shadowStats()!;
    const ids = new Set(saved);
    const failures = [...logs.events('shadow_write_failed'), ...logs.events('shadow_write_dropped')].filter((l) => ids.has(String(l.id)));
    expectFailureLines(failures, ids);
    expect(failures.length).toBe(s.failed + s.dropped);
    // A write can commit and then lose its answer to the reset: PostgreSQL may hold a "failed" row, never a wrong one.
    const inPg = await bare.postgres.find('messages', { channel_id: channel }, { orderBy: [], limit: 1000 });
    expect(inPg.length).toBeGreaterThanOrEqual(s.succeeded);
    expect(inPg.length).toBeLessThanOrEqual(300);
    for (const row of inPg) expect(row).toEqual(await bare.sqlite.get('messages', String(row.id)));

    const before = s.succeeded;
    const healed = `healed-${newId()}`;
    await saveMany(db, 10, healed);
    await waitFor('shadow writes after resets', () => db.shadowStats()!.succeeded >= before + 10, 15_000);
    expect(await pgCount(healed)).toBe(10);
  });

  it('PostgreSQL stalling: bounded queue (drops counted and logged), deadlines, callers not slowed, heals', async () => {
    const base = await baselineP50();
    const { db, logs } = await open();
    const warm = await warmUp(db, 3);

    proxy.mode = 'stall';
    const channel = `stall-${newId()}`;
    let maxQueued = 0;
    const sampler = setInterval(() => (maxQueued = Math.max(maxQueued, db.shadowStats()!.queued)), 5);
    let result: Awaited<ReturnType<typeof saveMany>>;
    try {
      result = await saveMany(db, 2000, channel, (i) => {
        if (i % 50 === 0) maxQueued = Math.max(maxQueued, db.shadowStats()!.queued);
      });
    } finally {
      clearInterval(sampler);
    }
    const { saved, latencies } = result;
    expect(percentile(latencies, 0.5)).toBeLessThan(base * 5 + 5);
    expect(maxQueued).toBeLessThanOrEqual(QUEUE_LIMIT);
    await expectResultsFromPrimary(db, saved.slice(0, 100));
    await waitFor('stalled shadow writes settled', settled(db, 2000 + warm), 20_000);

    const s = db.shadowStats()!;
    expect(s.dropped).toBeGreaterThan(1000);
    expect(s.timedOut).toBeGreaterThan(0);
    expect(s.enqueued + s.dropped).toBeGreaterThanOrEqual(2000);
    const ids = new Set(saved);
    const dropped = logs.events('shadow_write_dropped').filter((l) => ids.has(String(l.id)));
    const timedOut = logs.events('shadow_write_failed').filter((l) => ids.has(String(l.id)) && l.code === 'SHADOW_TIMEOUT');
    expect(dropped.length).toBe(s.dropped);
    expect(timedOut.length).toBe(s.timedOut);
    expectFailureLines([...dropped, ...timedOut], ids);

    proxy.heal();
    const before = s.succeeded;
    const healed = `healed-${newId()}`;
    await saveMany(db, 10, healed);
    await waitFor('shadow writes after the stall', () => db.shadowStats()!.succeeded >= before + 10, 15_000);
    expect(await pgCount(healed)).toBe(10);
  });

  it('close() with a stalled PostgreSQL returns within the drain deadline and reports what remains', async () => {
    const { db: d, logs } = await open({ SHADOW_TIMEOUT_MS: '10000', SHADOW_DRAIN_TIMEOUT_MS: '500' });
    await warmUp(d, 3);
    proxy.mode = 'stall';
    await saveMany(d, 20, `closing-${newId()}`);
    await waitFor('shadow writes reach the stalled backend', () => d.shadowStats()!.inFlight > 0);
    const t0 = performance.now();
    const closed = await d.close();
    const elapsed = performance.now() - t0;
    db = null;
    expect(closed.drained).toBe(false);
    expect(closed.remaining).toBeGreaterThan(0);
    expect(elapsed).toBeLessThan(500 + 1_500);
    expect(logs.events('shadow_drain_incomplete')).toHaveLength(1);
    expect(logs.events('shadow_drain_incomplete')[0]).toMatchObject({ remaining: closed.remaining });
  });
});
