import type { Database } from '@repo/database';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentErrorReply } from '../src/commands/doc.js';
import type { HandledMessage } from '../src/handle-message.js';
import type { BotServer } from '../src/server.js';
import { memoryLogger, openApp, phaseEnv, testBackends } from './helpers.js';

// Phase 1 (LibSQL only), in-process with app.inject, against a real LibSQL file.
const MON_10H = 1718013600; // Mon, 10 Jun 2024 10:00:00 UTC
const SAT_23H = 1718492400; // Sat, 15 Jun 2024 23:00:00 UTC

let backends: Awaited<ReturnType<typeof testBackends>>;
let db: Database;
let app: BotServer;
const log = memoryLogger('debug');

beforeAll(async () => {
  backends = await testBackends(false);
  ({ db, app } = await openApp(phaseEnv(backends.sqlite.url), log.logger));
});
afterAll(async () => {
  await app?.close();
  await db?.close();
  await backends?.cleanup();
});

async function post(body: Record<string, unknown>): Promise<HandledMessage> {
  const res = await app.inject({ method: 'POST', url: '/messages', payload: body });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as HandledMessage;
}
const say = (userId: string, channelId: string, content: string, timestamp?: number) => post({ userId, username: userId.replace(/^u-/, ''), channelId, content, ...(timestamp ? { timestamp } : {}) });

describe('POST /messages round trip', () => {
  it('saves the message, the reply, the query record and the profile aggregates', async () => {
    const r = await post({ userId: 'u-ada', username: 'ada', channelId: 'c-rt', content: 'Hello there, analytical engine!', timestamp: MON_10H, externalId: '1234567890123456789' });
    expect(r.reply).toBe('Noted, ada: 4 words ("Hello there, analytical engine!").');
    expect(r.command).toBeNull();
    expect(r.durationMs).toBeGreaterThanOrEqual(0);

    const msgs = await db.messageService.getRecentMessages({ channelId: 'c-rt', limit: 10 });
    const human = msgs.find((m) => m.id === r.messageId)!;
    const bot = msgs.find((m) => m.id === r.replyId)!;
    expect(human).toMatchObject({ role: 'human', userId: 'u-ada', username: 'ada', content: 'Hello there, analytical engine!', timestamp: MON_10H, externalId: '1234567890123456789' });
    expect(bot).toMatchObject({ role: 'bot', userId: 'bot', content: r.reply, metadata: { replyTo: r.messageId, command: null } });

    const [q] = await db.queryService.getRecentQueries({ userId: 'u-ada' });
    expect(q).toMatchObject({ id: r.queryId, channelId: 'c-rt', query: 'Hello there, analytical engine!', response: r.reply, durationMs: r.durationMs, success: true, error: null });
    expect(q!.metadata).toMatchObject({ command: null, messageId: r.messageId, replyId: r.replyId });

    const p = (await db.userProfileService.getUserProfile('u-ada'))!;
    expect(p).toMatchObject({
      username: 'ada',
      messageCount: 1,
      commandCount: 0,
      searchCount: 0,
      documentCount: 0,
      wordCount: 4,
      characterCount: 31,
      avgMessageLength: 31,
      firstSeenAt: MON_10H,
      lastSeenAt: MON_10H,
      lastMessageAt: MON_10H,
      channelsActive: ['c-rt'],
      activityHour10: 1,
      activityMon: 1,
      activitySat: 0,
    });

    await say('u-ada', 'c-rt2', 'Second one', SAT_23H);
    const p2 = (await db.userProfileService.getUserProfile('u-ada'))!;
    expect(p2).toMatchObject({ messageCount: 2, wordCount: 6, characterCount: 41, avgMessageLength: 20.5, firstSeenAt: MON_10H, lastSeenAt: SAT_23H, channelsActive: ['c-rt', 'c-rt2'], activityHour10: 1, activityHour23: 1, activityMon: 1, activitySat: 1 });
    // Activity counters go to the analysis history only when they matter: the new profile (its
    // first message), not the second message (same peaks, no milestone).
    const history = await db.userProfileService.getAnalysisHistory('u-ada');
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ userId: 'u-ada', profileVersion: 1, source: 'activity', changes: { messageCount: { from: null, to: 1 }, peakHour: { from: null, to: 10 } } });
    // One structured line per handled message at debug.
    expect(log.lines().filter((l) => l.event === 'message_handled' && l.messageId === r.messageId)).toHaveLength(1);
  });

  it('answers 400 with a clear message for a bad body and stores nothing', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ username: 'x', channelId: 'c-bad', content: 'hi' }, /userId/],
      [{ userId: 'u-x', username: 'x', channelId: 'c-bad', content: '' }, /content: must not be empty/],
      [{ userId: 'u-x', username: 'x', channelId: 'c-bad', content: 5 }, /content/],
      [{ userId: 'u-x', username: 'x', channelId: 'c-bad', content: 'hi', timestamp: 'yesterday' }, /timestamp/],
      [[1, 2], /body/],
    ];
    for (const [payload, message] of cases) {
      const res = await app.inject({ method: 'POST', url: '/messages', payload: payload as object });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json()).toMatchObject({ error: 'BAD_REQUEST', message: expect.stringMatching(message) });
    }
    const bad = await app.inject({ method: 'POST', url: '/messages', headers: { 'content-type': 'application/json' }, payload: '{"userId": ' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/JSON/i);
    expect(await db.messageService.getRecentMessages({ channelId: 'c-bad' })).toEqual([]);
    expect((await app.inject({ method: 'GET', url: '/nope' })).statusCode).toBe(404);
  });
});

describe('commands', () => {
  it('!search finds earlier messages of this channel only, never itself or commands, lists at most 5', async () => {
    for (let i = 0; i < 7; i++) await say('u-grace', 'c-s1', `the penguin number ${i} waddles`);
    await say('u-grace', 'c-s2', 'a penguin in another channel');
    await say('u-grace', 'c-s1', 'nothing to see');
    const r = await say('u-linus', 'c-s1', '!search Penguin');
    expect(r.command).toBe('search');
    expect(r.hits).toBe(7);
    const lines = r.reply.split('\n');
    expect(lines[0]).toBe('Found 7 messages matching "Penguin" (showing 5):');
    expect(lines).toHaveLength(6);
    expect(lines.slice(1).every((l) => /grace, .* UTC: "the penguin number \d waddles"$/.test(l))).toBe(true);
    expect(r.reply).not.toContain('another channel');

    const again = await say('u-linus', 'c-s1', '!search penguin waddles');
    expect(again.hits).toBe(7); // the earlier !search and its reply are not hits
    const none = await say('u-linus', 'c-s1', '!search "walrus" -NOT col:x');
    expect(none).toMatchObject({ hits: 0, reply: expect.stringMatching(/^No messages in this channel match/) });
    const usage = await say('u-linus', 'c-s1', '!search');
    expect(usage.reply).toMatch(/^Usage: !search/);
    const [q] = await db.queryService.getRecentQueries({ userId: 'u-linus', limit: 1 });
    expect(q).toMatchObject({ success: false, error: expect.stringMatching(/^USAGE: /) });
    const p = (await db.userProfileService.getUserProfile('u-linus'))!;
    expect(p).toMatchObject({ messageCount: 4, commandCount: 4, searchCount: 4 });
  });

  it('!doc new/list/edit/share, with document errors as friendly replies', async () => {
    const created = await say('u-owner', 'c-d', '!doc new Shopping list | eggs, milk');
    const id = /^Created document ([0-9a-f-]{36}) "Shopping list" \(v1, 10 characters\)\.$/.exec(created.reply)?.[1];
    expect(id, created.reply).toBeDefined();
    const doc = await db.documentService.getDocument({ documentId: id!, userId: 'u-owner' });
    expect(doc).toMatchObject({ title: 'Shopping list', content: 'eggs, milk', version: 1, ownerId: 'u-owner' });
    expect((await db.userProfileService.getUserProfile('u-owner'))!.documentCount).toBe(1);

    expect((await say('u-owner', 'c-d', '!doc list')).reply).toContain(`${id} "Shopping list" v1`);
    expect((await say('u-owner', 'c-d', `!doc edit ${id} eggs, milk, bread`)).reply).toBe(`Updated document ${id} "Shopping list" to v2.`);
    expect((await db.documentService.getDocument({ documentId: id!, userId: 'u-owner' }))!.content).toBe('eggs, milk, bread');

    // Not shared yet: not found, recorded as a failed query.
    const hidden = await say('u-friend', 'c-d', `!doc edit ${id} hacked`);
    expect(hidden.reply).toMatch(/can't find document/);
    expect((await db.queryService.getRecentQueries({ userId: 'u-friend', limit: 1 }))[0]).toMatchObject({ success: false, error: expect.stringMatching(/^NOT_FOUND: /) });
    // Viewer: may not edit.
    expect((await say('u-owner', 'c-d', `!doc share ${id} u-friend`)).reply).toBe(`Shared document ${id} with u-friend as viewer.`);
    expect((await say('u-friend', 'c-d', `!doc edit ${id} hacked`)).reply).toMatch(/^You can't do that to document/);
    // Only the owner shares.
    expect((await say('u-friend', 'c-d', `!doc share ${id} u-third editor`)).reply).toMatch(/only its owner can share/);
    // Editor: may edit.
    expect((await say('u-owner', 'c-d', `!doc share ${id} u-friend editor`)).reply).toBe(`Shared document ${id} with u-friend as editor.`);
    expect((await say('u-friend', 'c-d', `!doc edit ${id} eggs only`)).reply).toBe(`Updated document ${id} "Shopping list" to v3.`);
    expect((await say('u-friend', 'c-d', '!doc list')).reply).toContain('(shared by u-owner)');
    // Sharing with yourself, bad role, unknown subcommand, unknown id.
    expect((await say('u-owner', 'c-d', `!doc share ${id} u-owner`)).reply).toMatch(/^That didn't work/);
    expect((await say('u-owner', 'c-d', `!doc share ${id} u-friend admin`)).reply).toMatch(/viewer or editor/);
    expect((await say('u-owner', 'c-d', '!doc frobnicate')).reply).toMatch(/^Usage:/);
    expect((await say('u-owner', 'c-d', '!doc edit 0190aaaa-0000-7000-8000-000000000000 text')).reply).toMatch(/can't find document/);
    expect((await say('u-owner', 'c-d', '!doc new')).reply).toMatch(/needs a title/);
  });

  it('!doc unshare and !doc delete: owner only, collaborators go with the document', async () => {
    const id = /^Created document ([0-9a-f-]{36})/.exec((await say('u-o2', 'c-d', '!doc new Plans | secret plans')).reply)![1]!;
    await say('u-o2', 'c-d', `!doc share ${id} u-f2 editor`);
    await say('u-o2', 'c-d', `!doc share ${id} u-f3`);
    // A collaborator can't take someone else off, nor delete; they can leave.
    expect((await say('u-f2', 'c-d', `!doc unshare ${id} u-f3`)).reply).toMatch(/only its owner can share, unshare or delete it/);
    expect((await say('u-f2', 'c-d', `!doc delete ${id}`)).reply).toMatch(/only its owner/);
    expect((await say('u-f3', 'c-d', `!doc unshare ${id} u-f3`)).reply).toBe(`Document ${id} is no longer shared with u-f3.`);
    expect((await say('u-f3', 'c-d', '!doc list')).reply).not.toContain(id);
    expect((await say('u-o2', 'c-d', `!doc unshare ${id} u-f3`)).reply).toBe(`Document ${id} was not shared with u-f3.`);
    expect((await say('u-o2', 'c-d', `!doc unshare ${id}`)).reply).toMatch(/^Tell me the document and the user/);
    expect((await say('u-o2', 'c-d', `!doc delete`)).reply).toMatch(/^Tell me which document/);
    // A stranger can't even see it.
    expect((await say('u-x', 'c-d', `!doc delete ${id}`)).reply).toMatch(/can't find document/);

    const r = await say('u-o2', 'c-d', `!doc delete ${id}`);
    expect(r.reply).toBe(`Deleted document ${id}.`);
    expect(await db.documentService.getDocument({ documentId: id, userId: 'u-o2' })).toBeNull();
    expect(await db.documentService.listDocumentsForUser('u-f2')).toEqual([]);
    expect((await say('u-o2', 'c-d', `!doc edit ${id} again`)).reply).toMatch(/can't find document/);
    const q = (await db.queryService.getRecentQueries({ userId: 'u-o2', limit: 5 })).find((x) => x.id === r.queryId);
    expect(q).toMatchObject({ success: true, error: null, metadata: { command: 'doc' } });
  });

  it('turns a real VERSION_CONFLICT into a friendly reply', async () => {
    const doc = await db.documentService.createDocument({ ownerId: 'u-vc', title: 'race', content: 'a' });
    await db.documentService.updateDocument({ documentId: doc.id, userId: 'u-vc', expectedVersion: 1, content: 'b' });
    const err = await db.documentService.updateDocument({ documentId: doc.id, userId: 'u-vc', expectedVersion: 1, content: 'c' }).catch((e: unknown) => e);
    const r = documentErrorReply(err, doc.id);
    expect(r).toMatchObject({ success: false, error: expect.stringMatching(/^VERSION_CONFLICT: /) });
    expect(r.reply).toMatch(/changed by someone else just now \(it is at v2\)/);
    expect(() => documentErrorReply(new Error('disk full'), doc.id)).toThrow('disk full');
  });

  it('!profile, !help and unknown commands', async () => {
    expect((await say('u-new', 'c-p', '!profile')).reply).toMatch(/don't have a profile for you yet/);
    await say('u-new', 'c-p', 'one two three', MON_10H);
    const p = await say('u-new', 'c-p', '!profile');
    expect(p.reply).toContain('Profile of new:');
    expect(p.reply).toContain('messages 2, commands 1, searches 0, documents 0');
    expect(p.reply).toContain('channels 1 (c-p)');
    expect((await say('u-new', 'c-p', '!help')).reply).toMatch(/!search <words>[\s\S]*!doc new[\s\S]*!profile/);
    const unknown = await say('u-new', 'c-p', '!dance now');
    expect(unknown).toMatchObject({ command: 'unknown', reply: "I don't know !dance. Try !help." });
    expect((await db.queryService.getRecentQueries({ userId: 'u-new', limit: 1 }))[0]).toMatchObject({ success: false, error: 'UNKNOWN_COMMAND: unknown command !dance' });
    expect((await db.userProfileService.getUserProfile('u-new'))!.commandCount).toBe(4);
  });
});

describe('GET /healthz and /status', () => {
  it('reports phase 1 with no shadow', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ ok: true });
    const s = (await app.inject({ method: 'GET', url: '/status' })).json();
    expect(s).toMatchObject({
      phase: '1',
      flags: { usePostgresPrimary: false, usePostgresRead: false, usePostgresShadow: false },
      routing: { phase: '1', primary: 'sqlite', shadow: null, reads: 'sqlite' },
      backends: { sqlite: { ok: true, error: null }, postgres: null },
      stats: { phase: '1', shadow: null, primary: { backend: 'sqlite' } },
    });
    expect(s.stats.primary.writeLatencyMs.count).toBeGreaterThan(0);
  });
});

describe('backend failure', () => {
  it('answers 5xx (not a crash) when the database is gone, and logs it at error', async () => {
    await db.close();
    const res = await app.inject({ method: 'POST', url: '/messages', payload: { userId: 'u-x', username: 'x', channelId: 'c-x', content: 'hello?' } });
    expect(res.statusCode).toBeGreaterThanOrEqual(500);
    expect(res.json()).toMatchObject({ error: expect.stringMatching(/^(INTERNAL|UNAVAILABLE)$/) });
    expect(log.lines().some((l) => l.event === 'request_failed' && l.level === 50)).toBe(true);
  });
});
