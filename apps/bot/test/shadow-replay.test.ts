import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBotConfig } from '../src/config.js';
import { startBot, stopOnSignals, type RunningBot } from '../src/lifecycle.js';
import { loadCorpus } from '../src/replay/corpus.js';
import { Random } from '../src/replay/random.js';
import { runReplay } from '../src/replay/run.js';
import { memoryLogger, phaseEnv, postgresCounts, sqliteCounts, sqliteRows, testBackends, tombstones } from './helpers.js';

// Phase 4 (LibSQL primary, shadow writes to the real PostgreSQL), over a real HTTP port.
let backends: Awaited<ReturnType<typeof testBackends>>;
// 340 entries: enough for the plan's first !doc delete and !doc unshare (delete tombstones).
const fortunes = new Random(7).shuffle([...loadCorpus().entries]).slice(0, 340);

beforeAll(async () => {
  backends = await testBackends(true);
});
afterAll(async () => {
  await backends?.cleanup();
});

const start = (env: Record<string, string>, logger = memoryLogger().logger) => startBot({ ...loadBotConfig(env), port: 0, host: '127.0.0.1' }, logger);

describe('phase 4 replay', () => {
  it('lands every row on PostgreSQL too: equal counts per table and the same tombstones after the drain', async () => {
    const log = memoryLogger();
    const bot = await start(phaseEnv(backends.sqlite.url, backends.pg!.url), log.logger);
    let summary;
    try {
      summary = await runReplay({ url: bot.url, entries: fortunes, concurrency: 4, users: 20, channels: 5, searchEvery: 10, seed: 3 });
    } finally {
      expect(await bot.stop()).toEqual({ drained: true, remaining: 0 });
    }
    expect(summary.requests.failed, summary.errors.join('\n')).toBe(0);
    expect(summary.requests.ok).toBeGreaterThan(200);
    expect(summary.phase).toBe('4');
    expect(summary.searches.answered).toBeGreaterThanOrEqual(15);
    expect(summary.searches.withHits).toBeGreaterThan(0);
    expect(summary.documentsCreated).toBeGreaterThan(0);
    expect(summary.documentsDeleted).toBeGreaterThan(0);
    expect(summary.events['doc-unshare']).toBeGreaterThan(0);
    expect(summary.shadow).toMatchObject({ backend: 'postgres', failed: 0, dropped: 0, settled: true });
    expect(summary.shadow!.succeeded).toBe(summary.shadow!.enqueued);

    const lite = await sqliteCounts(backends.sqlite.url);
    const pg = await postgresCounts(backends.pg!.url);
    expect(lite.messages).toBe(summary.messagesStored);
    expect(summary.messagesStored).toBe(2 * summary.requests.ok + summary.searches.answered); // human + ai, and a tool row per search
    expect(lite.queries).toBe(summary.queriesStored);
    expect(lite.queries).toBe(summary.searches.answered);
    expect(lite.user_analysis_history).toBe(summary.analysesStored);
    expect(lite.user_analysis_history).toBeGreaterThanOrEqual(lite.user_profiles); // every profile's first message is a milestone
    expect(lite.documents).toBe(summary.documentsCreated - summary.documentsDeleted);
    expect(lite.user_profiles).toBeGreaterThan(10);
    expect(pg).toEqual(lite);
    // The new request body reached the rows: channel names, guilds (none in the direct-message channel), sessions.
    const [shape] = await sqliteRows(
      backends.sqlite.url,
      `SELECT count(DISTINCT session_id) AS sessions, count(DISTINCT guild_id) AS guilds, sum(guild_id IS NULL) AS dm, sum(channel_name = channel_id) AS unnamed,
              sum(json_extract(metadata, '$.messageId') IS NULL) AS without_platform_id
         FROM messages WHERE sender_type = 'human'`,
    );
    expect(shape).toMatchObject({ guilds: 2, without_platform_id: 0 });
    expect(Number(shape!.sessions)).toBeGreaterThan(5);
    expect(Number(shape!.dm)).toBeGreaterThan(0);
    expect(shape!.dm).toBe(shape!.unnamed);
    const [counted] = await sqliteRows(backends.sqlite.url, "SELECT sum(message_count) AS n FROM user_profiles");
    expect(Number(counted!.n)).toBe(summary.requests.ok); // incrementMessageCount once per message
    const dead = await tombstones(backends.sqlite.url, backends.pg!.url);
    expect(dead.sqlite.filter((t) => t.startsWith('documents/'))).toHaveLength(summary.documentsDeleted);
    expect(dead.postgres).toEqual(dead.sqlite);
    expect(log.lines().filter((l) => String(l.event).startsWith('shadow_'))).toEqual([]);
  });

  it('GET /status shows phase 4 and shadow counters, and no credentials', async () => {
    const secret = 'hunter2-do-not-print';
    const url = new URL(backends.pg!.url);
    url.password = secret; // trust auth ignores it; it must not show up anywhere
    const bot = await start(phaseEnv(backends.sqlite.url, url.toString()));
    try {
      const res = await fetch(`${bot.url}/status`);
      const text = await res.text();
      expect(res.status).toBe(200);
      expect(text).not.toContain(secret);
      expect(text).not.toContain('postgres://');
      const s = JSON.parse(text);
      expect(s).toMatchObject({
        phase: '4',
        flags: { usePostgresPrimary: false, usePostgresRead: false, usePostgresShadow: true },
        routing: { primary: 'sqlite', shadow: 'postgres', reads: 'sqlite' },
        backends: { sqlite: { ok: true }, postgres: { ok: true } },
      });
      for (const k of ['enqueued', 'succeeded', 'failed', 'dropped', 'inFlight', 'queued', 'latencyMs', 'failureRate']) expect(s.stats.shadow).toHaveProperty(k);
      expect(await (await fetch(`${bot.url}/healthz`)).json()).toEqual({ ok: true });
    } finally {
      await bot.stop();
    }
  });
});

describe('graceful stop', () => {
  it('on SIGTERM: finishes in-flight requests, refuses new ones, drains shadow writes, then exits 0', async () => {
    // One shadow writer, so shadow writes are still queued when the signal arrives.
    const bot: RunningBot = await start(phaseEnv(backends.sqlite.url, backends.pg!.url, { SHADOW_CONCURRENCY: '1', SHADOW_TIMEOUT_MS: '5000' }));
    const exits: number[] = [];
    const exited = new Promise<void>((resolve) => {
      const dispose = stopOnSignals(bot, memoryLogger().logger, (code) => {
        exits.push(code);
        dispose();
        resolve();
      });
    });
    const send = (i: number) =>
      fetch(`${bot.url}/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId: `u-${i % 5}`, username: `user${i % 5}`, channelId: 'c-stop', content: fortunes[i]! }) });
    const inFlight = Array.from({ length: 60 }, (_, i) => send(i));
    const responses = await Promise.all(inFlight);
    const pendingAtSignal = (() => {
      const s = bot.db.shadowStats()!;
      return s.queued + s.inFlight + s.unacknowledged;
    })();
    process.kill(process.pid, 'SIGTERM');
    await exited;
    expect(exits).toEqual([0]);
    expect(responses.map((r) => r.status)).toEqual(Array(60).fill(200));
    expect(pendingAtSignal).toBeGreaterThan(0);
    expect(bot.db.shadowStats()).toMatchObject({ queued: 0, inFlight: 0, unacknowledged: 0, failed: 0, dropped: 0 });
    await expect(send(61)).rejects.toThrow();
    expect(await postgresCounts(backends.pg!.url)).toEqual(await sqliteCounts(backends.sqlite.url));
  });
});
