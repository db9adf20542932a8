/**
 * Phase 6 (PostgreSQL primary) with PostgreSQL silent, refusing, then back (issue 14 §4): every
 * request answers within its deadline (503 + Retry-After, never a hang nor a 500), the pool is
 * usable at once when PostgreSQL is back, and a graceful stop with PostgreSQL silent ends within
 * the shutdown deadline with every request in flight answered.
 */
import { TcpProxy } from '@repo/database/testing';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { loadBotConfig } from '../src/config.js';
import { startBot, type RunningBot } from '../src/lifecycle.js';
import { memoryLogger, testBackends } from './helpers.js';

const REQUEST_TIMEOUT_MS = 1_500;
const SHUTDOWN_TIMEOUT_MS = 4_000;
let backends: Awaited<ReturnType<typeof testBackends>>;
let proxy: TcpProxy;
let bot: RunningBot | null = null;
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  // The bot's own PostgreSQL pool reads these (pgTimeoutsFromEnv): short, for a quick test.
  for (const [k, v] of Object.entries({ PG_CONNECT_TIMEOUT_MS: '500', PG_STATEMENT_TIMEOUT_MS: '1000' })) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  backends = await testBackends(true);
  proxy = await new TcpProxy('127.0.0.1', Number(new URL(backends.pg!.url).port || 5432)).start();
});
afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await proxy?.stop();
  await backends?.cleanup();
});

beforeEach(async () => {
  proxy.heal();
  const env = { LIBSQL_URL: backends.sqlite.url, DATABASE_URL: proxy.urlFor(backends.pg!.url), USE_POSTGRES_PRIMARY: 'true' };
  bot = await startBot({ ...loadBotConfig(env), port: 0, host: '127.0.0.1' }, memoryLogger().logger, { requestTimeoutMs: REQUEST_TIMEOUT_MS, shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS });
  expect((await send('u-warm', 'warm')).status).toBe(200);
});
afterEach(async () => {
  proxy.heal();
  await bot?.stop();
  bot = null;
});

let n = 0;
/** Posts one message; gives up after 20 s (a request that hangs fails the test, not the run). */
async function send(userId: string, content: string): Promise<{ status: number; retryAfter: string | null; ms: number; body: Record<string, unknown> }> {
  const t0 = performance.now();
  const res = await fetch(`${bot!.url}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId, username: 'ada', channelId: 'c-deadline', content, messageId: `dl-${++n}-${Date.now()}` }),
    signal: AbortSignal.timeout(20_000),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), ms: performance.now() - t0, body: (await res.json()) as Record<string, unknown> };
}

it('PostgreSQL silent: requests answer 503 with Retry-After at the deadline; back at once after the heal', async () => {
  proxy.mode = 'stall';
  const answers = await Promise.all([1, 2, 3].map((i) => send(`u-${i}`, `hello ${i}`)));
  for (const a of answers) {
    expect(a.status).toBe(503);
    expect(a.retryAfter).not.toBeNull();
    expect(a.ms).toBeLessThan(REQUEST_TIMEOUT_MS + 1_500);
  }
  proxy.heal();
  const after = await send('u-after', 'back again');
  expect(after.status).toBe(200);
  expect(after.ms).toBeLessThan(2_000);
});

it('PostgreSQL refusing: 503 with Retry-After at once (no 500); after the heal the next request succeeds', async () => {
  proxy.mode = 'refuse';
  proxy.resetAll();
  for (let i = 0; i < 3; i++) {
    const a = await send(`u-r${i}`, 'refused');
    expect(a.status).toBe(503);
    expect(a.retryAfter).not.toBeNull();
    expect(a.ms).toBeLessThan(REQUEST_TIMEOUT_MS + 500);
  }
  proxy.heal();
  const after = await send('u-healed', 'healed');
  expect(after.body).not.toMatchObject({ code: 'CONNECTION_CLOSED' });
  expect(after.status, JSON.stringify(after.body)).toBe(200);
});

it('stop with PostgreSQL silent ends within the shutdown deadline; every request in flight is answered', async () => {
  proxy.mode = 'stall';
  const inFlight = [1, 2, 3, 4, 5].map((i) => send(`u-s${i}`, `stopping ${i}`).catch((e: unknown) => ({ status: -1, error: String(e) })));
  await new Promise((r) => setTimeout(r, 200));
  const t0 = performance.now();
  await bot!.stop();
  const took = performance.now() - t0;
  bot = null;
  expect(took).toBeLessThan(SHUTDOWN_TIMEOUT_MS + 1_000);
  const answers = await Promise.all(inFlight);
  expect(answers.map((a) => a.status), JSON.stringify(answers)).toEqual([503, 503, 503, 503, 503]);
});
