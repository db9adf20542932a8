/**
 * No message is half-handled (issue 14 §3): a retry of the same platform message (`channelId`,
 * `messageId`) is recognised and nothing is stored twice. Same request twice → one human message,
 * one reply, one tool execution, one query record, one document, counted once, the same ids
 * answered. The same request 2 and 5 times AT ONCE (copies in flight together, as when a client
 * retries after the bot's deadline answered 503 while the first still runs) → the same: every row
 * has an id derived from the platform message and its role, so a second copy collides on the
 * primary key. A request that fails midway (PostgreSQL, the phase-6 primary, dies between two
 * writes: connections reset through a TCP proxy) and is retried once it is back → still one of each.
 */
import type { Database, TableName } from '@repo/database';
import { TcpProxy } from '@repo/database/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HandledMessage } from '../src/handle-message.js';
import type { BotServer } from '../src/server.js';
import { memoryLogger, openApp, phaseEnv, postgresCounts, sqliteCounts, testBackends } from './helpers.js';

type Counts = Record<TableName, number>;
const diff = (a: Counts, b: Counts) => Object.fromEntries(Object.keys(b).filter((k) => b[k as TableName] !== a[k as TableName]).map((k) => [k, b[k as TableName] - a[k as TableName]]));

/** What one message of a new user stores: rows per table (the count reaching 1 is a milestone). */
const ROWS = {
  chat: { messages: 2, user_profiles: 1, user_analysis_history: 1 },
  '!search': { messages: 3, queries: 1, user_profiles: 1, user_analysis_history: 1 },
  '!doc new': { messages: 2, documents: 1, document_collaborators: 1, user_profiles: 1, user_analysis_history: 1 },
} as const;
const CASES = [
  ['chat', 'hello there'],
  ['!search', '!search hello'],
  ['!doc new', '!doc new Plans | the plan'],
] as const;

for (const phase of ['1', '4', '6'] as const) {
  describe(`phase ${phase}: the same request twice, and several copies at once`, () => {
    let backends: Awaited<ReturnType<typeof testBackends>>;
    let db: Database;
    let app: BotServer;
    beforeAll(async () => {
      backends = await testBackends(phase !== '1');
      const env =
        phase === '1' ? { LIBSQL_URL: backends.sqlite.url }
        : phase === '4' ? phaseEnv(backends.sqlite.url, backends.pg!.url)
        : { LIBSQL_URL: backends.sqlite.url, DATABASE_URL: backends.pg!.url, USE_POSTGRES_PRIMARY: 'true' };
      ({ db, app } = await openApp(env, memoryLogger().logger));
    });
    afterAll(async () => {
      await app?.close();
      await db?.close();
      await backends?.cleanup();
    });
    const counts = () => (phase === '6' ? postgresCounts(backends.pg!.url) : sqliteCounts(backends.sqlite.url));
    const post = async (body: Record<string, unknown>) => {
      const res = await app.inject({ method: 'POST', url: '/messages', payload: body });
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as HandledMessage;
    };

    it.each([
      ['chat', 'hello there', { messages: 2, user_profiles: 1, user_analysis_history: 1 }],
      ['!search', '!search hello', { messages: 3, queries: 1 }],
      ['!doc new', '!doc new Plans | the plan', { messages: 2, documents: 1, document_collaborators: 1 }],
    ])('%s: one of each row, counted once, the same answer and ids', async (name, content, want) => {
      const body = { userId: `u-${name}`, username: 'ada', channelId: 'c-retry', messageId: `p-${name}`, content };
      const before = await counts();
      const first = await post(body);
      const after = await counts();
      const second = await post(body);
      const third = await post(body);
      expect(await counts()).toEqual(after);
      expect(diff(before, after)).toMatchObject(want);
      expect(second).toMatchObject({ reply: first.reply, messageId: first.messageId, replyId: first.replyId, command: first.command, replayed: true });
      expect(second.toolId).toBe(first.toolId);
      expect(second.queryId).toBe(first.queryId);
      expect(second.hits).toBe(first.hits);
      expect(third).toEqual({ ...second, durationMs: third.durationMs });
      expect((await db.userProfileService.getUserProfile(body.userId))?.message_count).toBe(name === 'chat' ? 1 : 1);
    });

    /**
     * Runs `fire` with every `saveAIMessage` held until `copies` calls wait in it (at most 3 s): every
     * copy has then passed its checks and run its command before any reply is stored, the race of
     * copies in flight at once made certain (unheld, LibSQL's serialised writes often let the first
     * copy finish before the others look).
     */
    async function withRepliesHeld<T>(copies: number, fire: () => Promise<T>): Promise<T> {
      const svc = db.messageService as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
      const original = svc.saveAIMessage!;
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      const timer = setTimeout(release, 3000);
      let waiting = 0;
      svc.saveAIMessage = async function (this: unknown, ...args: unknown[]) {
        if (++waiting >= copies) release();
        await released;
        return original.apply(this, args);
      };
      try {
        return await fire();
      } finally {
        clearTimeout(timer);
        svc.saveAIMessage = original;
      }
    }

    it.each(CASES.flatMap(([name, content]) => [2, 5].flatMap((copies) => (['free', 'held'] as const).map((mode) => [name, copies, mode, content] as const))))(
      '%s, %i copies at once (%s): exactly one of each row, counted once, every answer with the same reply and ids',
      async (name, copies, mode, content) => {
        const body = { userId: `u-at-once-${name}-${copies}-${mode}`, username: 'ada', channelId: 'c-at-once', messageId: `p-at-once-${name}-${copies}-${mode}`, content };
        const before = await counts();
        const fire = () => Promise.all(Array.from({ length: copies }, () => post(body)));
        const answers = mode === 'held' ? await withRepliesHeld(copies, fire) : await fire();
        expect(diff(before, await counts())).toEqual(ROWS[name]);
        const [first] = answers;
        for (const a of answers) {
          expect(a).toMatchObject({ reply: first!.reply, messageId: first!.messageId, replyId: first!.replyId, command: first!.command });
          expect(a.toolId).toBe(first!.toolId);
          expect(a.queryId).toBe(first!.queryId);
          expect(a.hits).toBe(first!.hits);
        }
        if (name === '!search') expect(first!.toolId && first!.queryId).toBeTruthy();
        expect(answers.filter((a) => a.analysisId !== undefined)).toHaveLength(1); // by the copy that counted the message
        expect((await db.userProfileService.getUserProfile(body.userId))?.message_count).toBe(1);
        // and a retry afterwards replays the same
        expect(await post(body)).toMatchObject({ replayed: true, messageId: first!.messageId, replyId: first!.replyId, ...(first!.queryId ? { queryId: first!.queryId } : {}) });
      },
    );

    it('a retry replays its own query record, not a newer one of the same words by the same user', async () => {
      const body = { userId: 'u-same-words', username: 'ada', channelId: 'c-same-words', content: '!search hello' };
      const first = await post({ ...body, messageId: 'p-first' });
      const second = await post({ ...body, messageId: 'p-second' });
      expect(second.queryId).not.toBe(first.queryId);
      const retry = await post({ ...body, messageId: 'p-first' });
      expect(retry).toMatchObject({ replayed: true, messageId: first.messageId, toolId: first.toolId, queryId: first.queryId });
    });

    it('the same platform id in another channel is another message', async () => {
      const a = await post({ userId: 'u-x', username: 'x', channelId: 'c-a', messageId: 'same', content: 'one' });
      const b = await post({ userId: 'u-x', username: 'x', channelId: 'c-b', messageId: 'same', content: 'one' });
      expect(b.messageId).not.toBe(a.messageId);
      expect(b.replayed).toBeUndefined();
    });
  });
}

describe('phase 6: PostgreSQL dies between two writes of a message; the retry stores nothing twice', () => {
  let backends: Awaited<ReturnType<typeof testBackends>>;
  let proxy: TcpProxy;
  let db: Database;
  let app: BotServer;
  beforeAll(async () => {
    backends = await testBackends(true);
    const u = new URL(backends.pg!.url);
    proxy = await new TcpProxy(u.hostname, Number(u.port || 5432)).start();
    ({ db, app } = await openApp({ LIBSQL_URL: backends.sqlite.url, DATABASE_URL: proxy.urlFor(backends.pg!.url), USE_POSTGRES_PRIMARY: 'true', PG_POOL_SIZE: '2' }, memoryLogger('fatal').logger));
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
    await proxy?.stop?.();
    await backends?.cleanup();
  });

  // Where the primary dies: just before this service call of the pipeline.
  const points = [
    ['incrementMessageCount', () => db.userProfileService],
    ['saveToolExecution', () => db.messageService],
    ['saveQuery', () => db.queryService],
    ['saveAIMessage', () => db.messageService],
  ] as const;

  it.each(points.map(([m]) => m))('dies before %s: 5xx, then the retry answers once PostgreSQL is back, one of each row', async (method) => {
    const svc = points.find(([m]) => m === method)![1]() as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    const original = svc[method]!;
    svc[method] = async function (this: unknown, ...args: unknown[]) {
      proxy.mode = 'refuse';
      proxy.resetAll();
      return original.apply(this, args);
    };
    const body = { userId: `u-${method}`, username: 'ada', channelId: 'c-die', messageId: `p-${method}`, content: '!search hello' };
    const before = await postgresCounts(backends.pg!.url);
    try {
      const failed = await app.inject({ method: 'POST', url: '/messages', payload: body });
      expect(failed.statusCode, failed.body).toBeGreaterThanOrEqual(500);
    } finally {
      svc[method] = original;
      proxy.mode = 'pass';
    }
    let res = await app.inject({ method: 'POST', url: '/messages', payload: body });
    for (let i = 0; i < 20 && res.statusCode >= 500; i++) {
      await new Promise((r) => setTimeout(r, 250)); // the pool reconnects
      res = await app.inject({ method: 'POST', url: '/messages', payload: body });
    }
    expect(res.statusCode, res.body).toBe(200);
    const again = await app.inject({ method: 'POST', url: '/messages', payload: body });
    expect(again.json()).toMatchObject({ replayed: true, messageId: res.json().messageId, replyId: res.json().replyId });
    const d = diff(before, await postgresCounts(backends.pg!.url));
    expect(d.messages).toBe(3); // human, tool, reply: once each
    expect(d.queries).toBe(1);
    expect(d.user_profiles).toBe(1);
    const count = (await db.userProfileService.getUserProfile(body.userId))?.message_count;
    expect(count).toBeLessThanOrEqual(1); // never counted twice
  });
});
