import { TcpProxy } from '@repo/database/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBotConfig } from '../src/config.js';
import type { HandledMessage } from '../src/handle-message.js';
import { startBot, type RunningBot } from '../src/lifecycle.js';
import { waitForShadowSettled } from '../src/replay/client.js';
import { loadCorpus } from '../src/replay/corpus.js';
import { Random } from '../src/replay/random.js';
import { runReplay } from '../src/replay/run.js';
import type { BotStatus } from '../src/status.js';
import { memoryLogger, phaseEnv, postgresIds, testBackends } from './helpers.js';

// Phase 4 with PostgreSQL behind a loopback proxy that the test turns off halfway through a replay.
let backends: Awaited<ReturnType<typeof testBackends>>;
let proxy: TcpProxy;
let bot: RunningBot;
const log = memoryLogger();
const fortunes = new Random(11).shuffle([...loadCorpus().entries]).slice(0, 30);

beforeAll(async () => {
  backends = await testBackends(true);
  proxy = await new TcpProxy('127.0.0.1', Number(new URL(backends.pg!.url).port || 5432)).start();
  const env = phaseEnv(backends.sqlite.url, proxy.urlFor(backends.pg!.url), { SHADOW_TIMEOUT_MS: '2000', SHADOW_DRAIN_TIMEOUT_MS: '3000' });
  bot = await startBot({ ...loadBotConfig(env), port: 0, host: '127.0.0.1' }, log.logger);
  // Warm up: the shadow writer (a worker thread) has connected and landed a first message.
  await send('u-warm', 'c-warm', 'warming up');
  const { status } = await waitForShadowSettled(bot.url, 10_000);
  expect(status.stats.shadow).toMatchObject({ succeeded: 5, failed: 0 }); // new profile, message, message count, reply, the profile's first snapshot
});

async function send(userId: string, channelId: string, content: string): Promise<HandledMessage> {
  const res = await fetch(`${bot.url}/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId, username: userId.slice(2), channelId, content }) });
  expect(res.status).toBe(200);
  return (await res.json()) as HandledMessage;
}
afterAll(async () => {
  await bot?.stop();
  await proxy?.stop();
  await backends?.cleanup();
});

describe('PostgreSQL goes away mid-replay', () => {
  it('every HTTP request still succeeds; shadow failures are counted and logged', async () => {
    let cut = false;
    let landedBeforeCut = 0;
    const summary = await runReplay({
      url: bot.url,
      entries: fortunes,
      concurrency: 1, // so the pause at halfway holds every request back
      users: 10,
      channels: 3,
      searchEvery: 10,
      seed: 5,
      settleTimeoutMs: 30_000,
      // At 80 %: let what was sent so far land, then PostgreSQL goes away (refuses new
      // connections, open ones reset) and the second half is posted.
      onProgress: async (done, total) => {
        if (cut || done < total * 0.8) return;
        cut = true;
        const { settled, status } = await waitForShadowSettled(bot.url, 10_000);
        expect(settled).toBe(true);
        landedBeforeCut = status.stats.shadow!.succeeded;
        proxy.mode = 'refuse';
        proxy.resetAll();
      },
    });
    expect(cut).toBe(true);
    expect(summary.requests.failed, summary.errors.join('\n')).toBe(0);
    expect(summary.requests.ok).toBe(summary.requests.sent);
    expect(summary.shadow!.settled).toBe(true);
    expect(summary.shadow!.failed + summary.shadow!.dropped).toBeGreaterThan(0);
    expect(landedBeforeCut).toBeGreaterThan(4); // more than the warm-up: what came before the cut landed
    expect(summary.shadow!.succeeded + summary.shadow!.failed + summary.shadow!.dropped).toBe(summary.shadow!.enqueued);
        const failures = log.lines().filter((l) => l.event === 'shadow_write_failed');
    expect(failures.length).toBe(summary.shadow!.failed);
    expect(failures[0]).toMatchObject({ phase: '4', backend: 'postgres', code: expect.stringMatching(/^SHADOW_(WRITE_FAILED|TIMEOUT)$/), table: expect.any(String), id: expect.any(String), op: 'upsert' });
    const status = (await (await fetch(`${bot.url}/status`)).json()) as BotStatus;
    expect(status.backends.postgres!.ok).toBe(false);
    expect(status.stats.shadow!.failureRate).toBeGreaterThan(0);
  });

  it('after the proxy heals, new messages shadow-write successfully', async () => {
    proxy.heal();
    // Right after the outage a few writes may still fail: pooled connections waiting out
    // postgres.js's reconnect backoff pass the deadline, and the pool is recycled. So: rounds of
    // 5 messages (4 chats and a !search, from a user new in each round) until one round lands
    // completely with no new failure.
    const deadline = Date.now() + 20_000;
    let replies: HandledMessage[] = [];
    for (let clean = false, round = 0; !clean; round++) {
      expect(Date.now(), 'shadow writes did not recover within 20 s of the heal').toBeLessThan(deadline);
      const before = (await waitForShadowSettled(bot.url, 10_000)).status.stats.shadow!;
      replies = [];
      for (let i = 0; i < 5; i++) replies.push(await send(`u-back${round}`, 'c-heal', i < 4 ? `we are back, round ${round} message ${i}` : '!search back'));
      const { status, settled } = await waitForShadowSettled(bot.url, 10_000);
      const s = status.stats.shadow!;
      // new profile + 5 × (message, message count, reply) + the first message's snapshot + the search's tool row and query
      clean = settled && s.failed === before.failed && s.dropped === before.dropped && s.succeeded - before.succeeded === 1 + 5 * 3 + 1 + 2;
    }
    const pgMessages = await postgresIds(backends.pg!.url, 'messages');
    for (const r of replies) {
      expect(pgMessages.has(r.messageId)).toBe(true);
      expect(pgMessages.has(r.replyId)).toBe(true);
    }
    expect(replies[4]).toMatchObject({ command: 'search', hits: expect.any(Number) });
    expect(pgMessages.has(replies[4]!.toolId!)).toBe(true);
    expect((await postgresIds(backends.pg!.url, 'queries')).has(replies[4]!.queryId!)).toBe(true);
    expect((await postgresIds(backends.pg!.url, 'user_analysis_history')).has(replies[0]!.analysisId!)).toBe(true);
    expect((await postgresIds(backends.pg!.url, 'user_profiles')).size).toBeGreaterThan(0);
  });
});
