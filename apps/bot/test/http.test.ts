import { DatabaseError, type Database } from '@repo/database';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentErrorReply } from '../src/commands/doc.js';
import type { HandledMessage } from '../src/handle-message.js';
import type { BotServer } from '../src/server.js';
import { memoryLogger, openApp, phaseEnv, testBackends } from './helpers.js';

// Phase 1 (LibSQL only), in-process with app.inject, against a real LibSQL file.
const MON_10H_MS = 1718013600_000; // Mon, 10 Jun 2024 10:00:00 UTC, unix ms
const SAT_23H_MS = 1718492400_000; // Sat, 15 Jun 2024 23:00:00 UTC, unix ms

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
/** JSON columns come back as JSON text. */
const json = (text: string | null | undefined): unknown => (text === null || text === undefined ? text : JSON.parse(text));
/** The metadata of the bot's reply to a handled message: `{ command, success, error, hits? }`. */
const replyMeta = async (r: HandledMessage) => json((await db.messageService.getMessageById(r.replyId))!.metadata) as Record<string, unknown>;

describe('POST /messages round trip', () => {
  it('gets or creates the profile, saves the human message, counts it, saves the ai reply, snapshots at the first message', async () => {
    const r = await post({
      userId: 'u-ada',
      username: 'ada',
      channelId: 'c-rt',
      channelName: 'round-trip',
      guildId: 'g-1',
      messageId: '1234567890123456789',
      sessionId: 's-1',
      content: 'Hello there, analytical engine!',
      timestamp: MON_10H_MS,
    });
    expect(r.reply).toBe('Noted, ada: 4 words ("Hello there, analytical engine!").');
    expect(r.command).toBeNull();
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
    expect(r).not.toHaveProperty('queryId'); // plain chat is no query
    expect(r).not.toHaveProperty('toolId');

    const human = (await db.messageService.getMessageById(r.messageId))!;
    expect(human).toMatchObject({
      sender_type: 'human',
      user_id: 'u-ada',
      username: 'ada',
      channel_id: 'c-rt',
      channel_name: 'round-trip',
      guild_id: 'g-1',
      session_id: 's-1',
      message_content: 'Hello there, analytical engine!',
      timestamp: MON_10H_MS,
      parent_message_id: null,
    });
    // The platform's id (a snowflake beyond 2^53) is kept exactly, as text, in the metadata.
    expect(json(human.metadata)).toEqual({ messageId: '1234567890123456789' });
    expect(json(human.response_decision)).toMatchObject({ shouldRespond: true, confidence: 1 });

    const ai = (await db.messageService.getMessageById(r.replyId))!;
    expect(ai).toMatchObject({ sender_type: 'ai', user_id: 'bot', username: 'bot', channel_id: 'c-rt', channel_name: 'round-trip', guild_id: 'g-1', session_id: 's-1', message_content: r.reply, parent_message_id: r.messageId });
    expect(json(ai.metadata)).toEqual({ command: null, success: true, error: null });
    expect(ai.timestamp).toBeGreaterThan(Date.now() - 60_000); // the reply is stored at the time it is made

    const p = (await db.userProfileService.getUserProfile('u-ada'))!;
    expect(p).toMatchObject({ user_id: 'u-ada', username: 'ada', message_count: 1 });
    expect(p.last_interaction_at).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) - 60); // unix s
    const history = await db.userProfileService.getAnalysisHistory('u-ada');
    expect(history).toHaveLength(1);
    expect(r.analysisId).toBe(history[0]!.id);
    expect(history[0]).toMatchObject({ user_id: 'u-ada', message_count_at_analysis: 1, changes_summary: 'message_count reached 1' });
    expect(json(history[0]!.feelings_snapshot)).toMatchObject({ affinity_score: null, trust_level: null });
    expect(json(history[0]!.personality_snapshot)).toMatchObject({ dominant_archetype: null });

    // Without channelName, messageId and guildId: the channel's id is its name, an id is generated, no guild.
    const r2 = await say('u-ada', 'c-rt2', 'Second one', SAT_23H_MS);
    const human2 = (await db.messageService.getMessageById(r2.messageId))!;
    expect(human2).toMatchObject({ channel_id: 'c-rt2', channel_name: 'c-rt2', guild_id: null, session_id: null, timestamp: SAT_23H_MS });
    expect((json(human2.metadata) as { messageId: string }).messageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(r2).not.toHaveProperty('analysisId'); // 2 is no milestone
    expect((await db.userProfileService.getUserProfile('u-ada'))!.message_count).toBe(2);
    expect(await db.userProfileService.getAnalysisHistory('u-ada')).toHaveLength(1);
    expect(await db.messageService.getMessageCount({ userId: 'u-ada' })).toBe(2);
    expect(await db.queryService.getQueryCount({ userId: 'u-ada' })).toBe(0);
    // One structured line per handled message at debug.
    expect(log.lines().filter((l) => l.event === 'message_handled' && l.messageId === r.messageId)).toHaveLength(1);
  });

  it('answers 400 with a clear message for a bad body and stores nothing', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ username: 'x', channelId: 'c-bad', content: 'hi' }, /userId/],
      [{ userId: 'u-x', username: 'x', channelId: 'c-bad', content: '' }, /content: must not be empty/],
      [{ userId: 'u-x', username: 'x', channelId: 'c-bad', content: 5 }, /content/],
      [{ userId: 'u-x', username: 'x', channelId: 'c-bad', content: 'hi', timestamp: 'yesterday' }, /timestamp/],
      [{ userId: 'u-x', username: 'x', channelId: 'c-bad', content: 'hi', timestamp: 1718013600 }, /timestamp: must be unix milliseconds/],
      [{ userId: 'u-x', username: 'x', channelId: 'c-bad', channelName: ' ', content: 'hi' }, /channelName: must not be empty/],
      [{ userId: 'u-x', username: 'x', channelId: 'c-bad', guildId: '', content: 'hi' }, /guildId/],
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
    expect(await db.messageService.queryMessages({ channelId: 'c-bad' })).toEqual([]);
    expect(await db.userProfileService.getUserProfile('u-x')).toBeNull();
    expect((await app.inject({ method: 'GET', url: '/nope' })).statusCode).toBe(404);
  });
});

describe('commands', () => {
  it('!search finds earlier messages of this channel only, never itself, commands or tool rows; records a tool execution and a query', async () => {
    for (let i = 0; i < 7; i++) await say('u-grace', 'c-s1', `the penguin number ${i} waddles`);
    await say('u-grace', 'c-s2', 'a penguin in another channel');
    await say('u-grace', 'c-s1', 'nothing to see');
    const before = Date.now();
    const r = await say('u-linus', 'c-s1', '!search Penguin');
    expect(r.command).toBe('search');
    expect(r.hits).toBe(7);
    const lines = r.reply.split('\n');
    expect(lines[0]).toBe('Found 7 messages matching "Penguin" (showing 5):');
    expect(lines).toHaveLength(6);
    expect(lines.slice(1).every((l) => /grace, .* UTC: "the penguin number \d waddles"$/.test(l))).toBe(true);
    expect(r.reply).not.toContain('another channel');

    // The people's messages with "penguin", newest first, without the asking !search itself.
    const hitIds = (await db.messageService.queryMessages({ channelId: 'c-s1', senderType: 'human', searchText: 'penguin' })).map((m) => m.id).filter((x) => x !== r.messageId);
    expect(hitIds).toHaveLength(7);
    const tool = (await db.messageService.getMessageById(r.toolId!))!;
    expect(tool).toMatchObject({ sender_type: 'tool', tool_name: 'search', message_content: 'Tool: search', user_id: 'u-linus', channel_id: 'c-s1', parent_message_id: r.messageId });
    expect(json(tool.tool_args)).toEqual({ query: 'Penguin' });
    expect(json(tool.tool_result)).toEqual({ ids: hitIds, count: 7 });
    const q = (await db.queryService.getQueryById(r.queryId!))!;
    expect(q).toMatchObject({ user_id: 'u-linus', username: 'linus', query_text: 'Penguin', translated_sql: null, result_count: 7, error: null });
    expect(json(q.query_result)).toEqual({ channelId: 'c-s1', ids: hitIds, count: 7 });
    expect(q.execution_time_ms).toBeGreaterThanOrEqual(0);
    expect(q.timestamp).toBeGreaterThanOrEqual(before); // unix ms
    expect(await replyMeta(r)).toEqual({ command: 'search', success: true, error: null, hits: 7 });

    const again = await say('u-linus', 'c-s1', '!search penguin waddles');
    expect(again.hits).toBe(7); // the earlier !search, its reply and its tool row are not hits
    // "search" is in every tool row (tool_name, "Tool: search") and every !search: none is a hit.
    expect(await say('u-linus', 'c-s1', '!search search')).toMatchObject({ hits: 0, reply: expect.stringMatching(/^No messages in this channel match "search"/) });
    const none = await say('u-linus', 'c-s1', '!search "walrus" -NOT col:x');
    expect(none).toMatchObject({ hits: 0, reply: expect.stringMatching(/^No messages in this channel match/) });
    expect((await db.queryService.getQueryById(none.queryId!))!).toMatchObject({ result_count: 0, query_text: '"walrus" -NOT col:x' });

    const usage = await say('u-linus', 'c-s1', '!search');
    expect(usage.reply).toMatch(/^Usage: !search/);
    expect(usage).not.toHaveProperty('queryId');
    expect(usage).not.toHaveProperty('toolId');
    expect(await replyMeta(usage)).toMatchObject({ command: 'search', success: false, error: expect.stringMatching(/^USAGE: /) });
    expect(await db.queryService.getQueryCount({ userId: 'u-linus' })).toBe(4);
    expect(await db.messageService.getMessageCount({ channelId: 'c-s1', senderType: 'tool' })).toBe(4);
    expect((await db.userProfileService.getUserProfile('u-linus'))!.message_count).toBe(5);
  });

  it('!doc new/show/list/edit/title/share, with access checks and document errors as friendly replies', async () => {
    const created = await say('u-owner', 'c-d', '!doc new --private Shopping list | eggs, milk');
    const id = /^Created document ([0-9a-f-]{36}) "Shopping list" \(v1, 10 characters, private\)\.$/.exec(created.reply)?.[1];
    expect(id, created.reply).toBeDefined();
    const doc = (await db.documentService.getDocument(id!))!;
    expect(doc).toMatchObject({ title: 'Shopping list', content: 'eggs, milk', version: 1, created_by: 'u-owner', created_by_username: 'owner', is_public: 0 });
    expect(json(doc.metadata)).toEqual({ channelId: 'c-d', createdFrom: created.messageId });
    expect(await db.documentService.getDocumentCollaborators(id!)).toEqual([expect.objectContaining({ user_id: 'u-owner', role: 'owner' })]);

    expect((await say('u-owner', 'c-d', '!doc list')).reply).toContain(`${id} "Shopping list" v1 (private)`);
    expect((await say('u-owner', 'c-d', `!doc edit ${id} eggs, milk, bread`)).reply).toBe(`Updated document ${id} "Shopping list" to v2.`);
    expect((await db.documentService.getDocument(id!))!.content).toBe('eggs, milk, bread');

    // Private and not shared: not found (its existence is not revealed), recorded on the reply.
    const hidden = await say('u-friend', 'c-d', `!doc edit ${id} hacked`);
    expect(hidden.reply).toMatch(/can't find document/);
    expect(await replyMeta(hidden)).toMatchObject({ command: 'doc', success: false, error: expect.stringMatching(/^NOT_FOUND: /) });
    expect((await say('u-friend', 'c-d', `!doc show ${id}`)).reply).toMatch(/can't find document/);
    // Viewer: may read, not edit; the collaborator row takes the username from the profile.
    expect((await say('u-owner', 'c-d', `!doc share ${id} u-friend`)).reply).toBe(`Shared document ${id} with u-friend as viewer.`);
    expect((await db.documentService.getDocumentCollaborators(id!)).find((c) => c.user_id === 'u-friend')).toMatchObject({ role: 'viewer', username: 'friend' });
    expect((await say('u-friend', 'c-d', `!doc show ${id}`)).reply).toBe(`Document ${id} "Shopping list" v2, private, by owner, shared with u-friend (viewer)\neggs, milk, bread`);
    const viewerEdit = await say('u-friend', 'c-d', `!doc edit ${id} hacked`);
    expect(viewerEdit.reply).toMatch(/^You can't edit document/);
    expect(await replyMeta(viewerEdit)).toMatchObject({ success: false, error: expect.stringMatching(/^FORBIDDEN: /) });
    // Only the creator shares.
    expect((await say('u-friend', 'c-d', `!doc share ${id} u-third editor`)).reply).toMatch(/only its creator can share/);
    // Editor: may edit and rename (an upsert of the same collaborator row).
    expect((await say('u-owner', 'c-d', `!doc share ${id} u-friend editor`)).reply).toBe(`Shared document ${id} with u-friend as editor.`);
    expect(await db.documentService.getDocumentCollaborators(id!)).toHaveLength(2);
    expect((await say('u-friend', 'c-d', `!doc edit ${id} eggs only`)).reply).toBe(`Updated document ${id} "Shopping list" to v3.`);
    expect((await say('u-friend', 'c-d', `!doc title ${id} Groceries`)).reply).toBe(`Renamed document ${id} to "Groceries" (v4).`);
    expect((await say('u-friend', 'c-d', '!doc list')).reply).toMatch(/^You have no documents yet/); // list = documents you created
    // Sharing with the creator, bad role, unknown subcommand, unknown or invalid id, no title.
    expect((await say('u-owner', 'c-d', `!doc share ${id} u-owner`)).reply).toBe(`u-owner created document ${id}: they have it already.`);
    expect((await db.documentService.getDocumentCollaborators(id!)).find((c) => c.user_id === 'u-owner')!.role).toBe('owner');
    expect((await say('u-owner', 'c-d', `!doc share ${id} u-friend admin`)).reply).toMatch(/viewer or editor/);
    expect((await say('u-owner', 'c-d', '!doc frobnicate')).reply).toMatch(/^Usage:/);
    expect((await say('u-owner', 'c-d', '!doc edit 0190aaaa-0000-7000-8000-000000000000 text')).reply).toMatch(/can't find document/);
    const invalid = await say('u-owner', 'c-d', `!doc show ${'x'.repeat(300)}`);
    expect(invalid.reply).toMatch(/^That didn't work: hasDocumentAccess: /);
    expect(await replyMeta(invalid)).toMatchObject({ success: false, error: expect.stringMatching(/^INVALID_INPUT: /) });
    expect((await say('u-owner', 'c-d', '!doc new')).reply).toMatch(/needs a title/);
    expect((await say('u-owner', 'c-d', '!doc new --private')).reply).toMatch(/needs a title/);
  });

  it('a public document (the default) is readable by anyone, changeable only by its creator and editors', async () => {
    const created = await say('u-pub', 'c-d', '!doc new Notes | open to all');
    const id = /^Created document ([0-9a-f-]{36}) "Notes" \(v1, 11 characters, public\)\.$/.exec(created.reply)![1]!;
    expect((await db.documentService.getDocument(id))!.is_public).toBe(1);
    expect(await db.documentService.hasDocumentAccess(id, 'u-anyone')).toBe(true);
    expect((await say('u-anyone', 'c-d', `!doc show ${id}`)).reply).toBe(`Document ${id} "Notes" v1, public, by pub\nopen to all`);
    expect((await say('u-anyone', 'c-d', `!doc edit ${id} mine now`)).reply).toMatch(/^You can't edit document/);
    expect((await say('u-anyone', 'c-d', `!doc title ${id} Mine`)).reply).toMatch(/^You can't rename document/);
    expect((await say('u-anyone', 'c-d', `!doc delete ${id}`)).reply).toMatch(/^You can't delete document/);
    expect((await db.documentService.getDocument(id))!).toMatchObject({ title: 'Notes', content: 'open to all', version: 1 });
  });

  it('!doc unshare and !doc delete: creator only, collaborators go with the document', async () => {
    const id = /^Created document ([0-9a-f-]{36})/.exec((await say('u-o2', 'c-d', '!doc new --private Plans | secret plans')).reply)![1]!;
    await say('u-o2', 'c-d', `!doc share ${id} u-f2 editor`);
    await say('u-o2', 'c-d', `!doc share ${id} u-f3`);
    // A collaborator can't take someone else off, nor delete; they can leave.
    expect((await say('u-f2', 'c-d', `!doc unshare ${id} u-f3`)).reply).toMatch(/only its creator can share, unshare or delete it/);
    expect((await say('u-f2', 'c-d', `!doc delete ${id}`)).reply).toMatch(/only its creator/);
    expect((await say('u-f3', 'c-d', `!doc unshare ${id} u-f3`)).reply).toBe(`Document ${id} is no longer shared with u-f3.`);
    expect((await say('u-f3', 'c-d', `!doc show ${id}`)).reply).toMatch(/can't find document/);
    expect((await say('u-o2', 'c-d', `!doc unshare ${id} u-f3`)).reply).toBe(`Document ${id} was not shared with u-f3.`);
    expect((await say('u-o2', 'c-d', `!doc unshare ${id} u-o2`)).reply).toMatch(/can't be taken off it/);
    expect((await say('u-o2', 'c-d', `!doc unshare ${id}`)).reply).toMatch(/^Tell me the document and the user/);
    expect((await say('u-o2', 'c-d', `!doc delete`)).reply).toMatch(/^Tell me which document/);
    // A stranger can't even see it.
    expect((await say('u-x', 'c-d', `!doc delete ${id}`)).reply).toMatch(/can't find document/);

    const r = await say('u-o2', 'c-d', `!doc delete ${id}`);
    expect(r.reply).toBe(`Deleted document ${id}.`);
    expect(await db.documentService.getDocument(id)).toBeNull();
    expect(await db.documentService.getDocumentCollaborators(id)).toEqual([]);
    expect(await db.documentService.hasDocumentAccess(id, 'u-f2')).toBe(false);
    expect((await say('u-o2', 'c-d', `!doc edit ${id} again`)).reply).toMatch(/can't find document/);
    expect(await replyMeta(r)).toEqual({ command: 'doc', success: true, error: null });
  });

  it('turns the service\'s NOT_FOUND and INVALID_INPUT into replies, and rethrows anything else', async () => {
    const err = await db.documentService.addCollaborator({ documentId: '0190aaaa-0000-7000-8000-00000000beef', userId: 'u-z' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseError);
    expect(documentErrorReply(err, 'beef')).toMatchObject({ success: false, error: expect.stringMatching(/^NOT_FOUND: /), reply: expect.stringMatching(/can't find document beef/) });
    const invalid = await db.documentService.createDocument({ title: '', createdBy: 'u-z' }).catch((e: unknown) => e);
    expect(documentErrorReply(invalid)).toMatchObject({ success: false, error: expect.stringMatching(/^INVALID_INPUT: createDocument: /) });
    expect(() => documentErrorReply(new Error('disk full'), 'beef')).toThrow('disk full');
    expect(() => documentErrorReply(new DatabaseError('CLOSED', 'database closed'), 'beef')).toThrow('database closed');
  });

  it('!profile, !help, unknown commands, and analysis snapshots at message-count milestones', async () => {
    const first = await say('u-new', 'c-p', '!profile');
    expect(first.reply).toMatch(/^Profile of new:\nmessages 1, first seen \d{4}-\d\d-\d\d \d\d:\d\d UTC, last interaction .* UTC\nlast analysed never\nsnapshots: none yet$/); // the snapshot of message 1 is taken after the reply
    expect(first.analysisId).toBeDefined();
    const analysed: string[] = [];
    for (let i = 2; i <= 10; i++) {
      const r = await say('u-new', 'c-p', i === 3 ? '!help' : i === 4 ? '!dance now' : `message ${i}`);
      if (r.analysisId) analysed.push(`${i}`);
      if (i === 3) expect(r.reply).toMatch(/!search <words>[\s\S]*!doc new[\s\S]*!doc show[\s\S]*!profile/);
      if (i === 4) {
        expect(r).toMatchObject({ command: 'unknown', reply: "I don't know !dance. Try !help." });
        expect(await replyMeta(r)).toEqual({ command: 'unknown', success: false, error: 'UNKNOWN_COMMAND: unknown command !dance' });
      }
    }
    expect(analysed).toEqual(['10']);
    const history = await db.userProfileService.getAnalysisHistory('u-new');
    expect(history.map((h) => h.message_count_at_analysis)).toEqual([10, 1]);
    const p = await say('u-new', 'c-p', '!profile');
    expect(p.reply).toContain('messages 11,');
    expect(p.reply).toMatch(/snapshots \(newest first\): .* at 10 messages; .* at 1 messages$/);
    expect((await db.userProfileService.getUserProfile('u-new'))!.message_count).toBe(11);
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
