// messageService on a phase-1 (LibSQL) and a phase-6 (PostgreSQL) database.
import { expect, it } from 'vitest';
import { isDatabaseError } from '../src/errors.js';
import { newId } from '../src/ids.js';
import { columnNames } from '../src/schema/tables.js';
import { describePhases } from './helpers/service-phases.js';

const uniq = (p: string) => `${p}-${newId()}`;

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return isDatabaseError(e) ? e.code : `not a DatabaseError: ${String(e)}`;
  }
}

const place = (over: Record<string, unknown> = {}) => ({ userId: 'u1', username: 'ada', channelId: 'c1', channelName: 'general', ...over });

describePhases('messageService', ['1', '6'], ({ db }) => {
  it('saveHumanMessage: a UUIDv7 id; the record has every column, snake_case, JSON as text, timestamp in ms', async () => {
    const svc = db().messageService;
    const channelId = uniq('c');
    const before = Date.now();
    const id = await svc.saveHumanMessage({
      ...place({ channelId, guildId: 'g1', sessionId: 's1' }),
      messageContent: 'hi',
      messageId: '1234567890123456789',
      responseDecision: { shouldRespond: true, confidence: 0.75, reason: 'greeting' },
      metadata: { topic: 'x', snowflake: 2n ** 63n - 1n },
    });
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
    const m = (await svc.getMessageById(id))!;
    expect(Object.keys(m).sort()).toEqual(columnNames('messages').sort());
    expect(m).toMatchObject({
      id,
      sender_type: 'human',
      user_id: 'u1',
      username: 'ada',
      channel_id: channelId,
      channel_name: 'general',
      guild_id: 'g1',
      session_id: 's1',
      message_content: 'hi',
      tool_name: null,
      tool_args: null,
      parent_message_id: null,
      version: 1,
    });
    // JSON columns come back as text, keys sorted, big integers exact; the platform id is in metadata.
    expect(m.metadata).toBe('{"messageId":"1234567890123456789","snowflake":9223372036854775807,"topic":"x"}');
    expect(JSON.parse(m.response_decision!)).toEqual({ shouldRespond: true, confidence: 0.75, reason: 'greeting' });
    expect(m.timestamp).toBeGreaterThanOrEqual(before);
    expect(m.timestamp).toBeLessThanOrEqual(Date.now());
    expect(m.created_at).toBe(Math.floor(m.timestamp / 1000));
    expect(await svc.getMessageById(newId())).toBeNull();
  });

  it('saveAIMessage and saveToolExecution: sender types ai and tool, parent id, tool args and result as JSON', async () => {
    const svc = db().messageService;
    const channelId = uniq('c');
    const human = await svc.saveHumanMessage({ ...place({ channelId }), messageContent: 'weather?', messageId: '1', timestamp: 1_000 });
    const ai = await svc.saveAIMessage({ ...place({ channelId, username: 'omega' }), messageContent: 'sunny', parentMessageId: human, metadata: { model: 'm' } });
    const tool = await svc.saveToolExecution({ ...place({ channelId, username: 'omega' }), toolName: 'weather', toolArgs: { city: 'Oslo' }, toolResult: [1, 'x', null], parentMessageId: human });
    const bare = await svc.saveAIMessage({ ...place({ channelId }), messageContent: 'no metadata' });
    expect(await svc.getMessageById(ai)).toMatchObject({ sender_type: 'ai', message_content: 'sunny', parent_message_id: human, metadata: '{"model":"m"}', response_decision: null });
    expect(await svc.getMessageById(tool)).toMatchObject({
      sender_type: 'tool',
      message_content: 'Tool: weather',
      tool_name: 'weather',
      tool_args: '{"city":"Oslo"}',
      tool_result: '[1,"x",null]',
      parent_message_id: human,
    });
    expect((await svc.getMessageById(bare))?.metadata).toBeNull();
  });

  it('rejects bad input with INVALID_INPUT and writes nothing', async () => {
    const svc = db().messageService;
    const channelId = uniq('bad');
    const ok = { ...place({ channelId }), messageContent: 'x', messageId: '1' };
    for (const bad of [
      { ...ok, userId: '' },
      { ...ok, messageId: undefined },
      { ...ok, channelName: undefined },
      { ...ok, timestamp: -1 },
      { ...ok, timestamp: 1.5 },
      { ...ok, metadata: [1] },
      { ...ok, responseDecision: { shouldRespond: 'yes', confidence: 1, reason: 'r' } },
      { ...ok, messageContent: 'x'.repeat(1_000_001) },
    ]) {
      expect(await codeOf(svc.saveHumanMessage(bad as never)), JSON.stringify(bad).slice(0, 200)).toBe('INVALID_INPUT');
    }
    expect(await codeOf(svc.saveToolExecution({ ...place({ channelId }), toolName: '', toolArgs: {}, toolResult: null }))).toBe('INVALID_INPUT');
    expect(await codeOf(svc.saveToolExecution({ ...place({ channelId }), toolName: 't', toolArgs: 'x' as never, toolResult: null }))).toBe('INVALID_INPUT');
    expect(await codeOf(svc.queryMessages({ limit: 0 }))).toBe('INVALID_INPUT');
    expect(await codeOf(svc.queryMessages({ limit: 1001 }))).toBe('INVALID_INPUT');
    expect(await codeOf(svc.queryMessages({ offset: -1 }))).toBe('INVALID_INPUT');
    expect(await codeOf(svc.queryMessages({ senderType: 'bot' as never }))).toBe('INVALID_INPUT');
    expect(await codeOf(svc.getMessageById(''))).toBe('INVALID_INPUT');
    expect(await svc.getMessageCount({ channelId })).toBe(0);
  });

  it('queryMessages: newest first, ties by id, limit and offset, every filter', async () => {
    const svc = db().messageService;
    const [channelId, other] = [uniq('c'), uniq('c')];
    const [alice, bob] = [uniq('alice'), uniq('bob')];
    const saved: string[] = [];
    for (const [i, ts] of [100, 300, 200, 300, 50].entries()) {
      saved.push(await svc.saveHumanMessage({ ...place({ userId: i % 2 ? bob : alice, channelId }), messageContent: `m${i}`, messageId: String(i), timestamp: ts }));
    }
    const aiId = await svc.saveAIMessage({ ...place({ userId: alice, channelId }), messageContent: 'reply' });
    await svc.saveHumanMessage({ ...place({ userId: alice, channelId: other }), messageContent: 'elsewhere', messageId: '9', timestamp: 999 });
    const ids = async (p: Parameters<typeof svc.queryMessages>[0]) => (await svc.queryMessages(p)).map((m) => m.id);
    const tie = [saved[1]!, saved[3]!].sort().reverse();
    expect(await ids({ channelId, senderType: 'human' })).toEqual([...tie, saved[2], saved[0], saved[4]]);
    expect(await ids({ channelId })).toEqual([aiId, ...tie, saved[2], saved[0], saved[4]]);
    expect(await ids({ channelId, senderType: 'human', limit: 2 })).toEqual(tie);
    expect(await ids({ channelId, senderType: 'human', limit: 2, offset: 2 })).toEqual([saved[2], saved[0]]);
    expect(await ids({ channelId, senderType: 'ai' })).toEqual([aiId]);
    expect((await svc.queryMessages({ channelId, userId: bob })).map((m) => m.message_content).sort()).toEqual(['m1', 'm3']);
    expect((await svc.queryMessages({ userId: alice, senderType: 'human' })).map((m) => m.message_content)).toEqual(['elsewhere', 'm2', 'm0', 'm4']);
    // startTime / endTime: inclusive, in ms.
    expect(await ids({ channelId, startTime: 100, endTime: 300, senderType: 'human' })).toEqual([...tie, saved[2], saved[0]]);
    expect(await ids({ channelId, endTime: 100 })).toEqual([saved[0], saved[4]]);
    expect(await ids({ channelId, startTime: 301, endTime: 10_000 })).toEqual([]);
    expect((await svc.queryMessages()).length).toBeGreaterThanOrEqual(7);
  });

  it('getMessageCount: all, by user, channel and sender type', async () => {
    const svc = db().messageService;
    const channelId = uniq('count');
    const [alice, bob] = [uniq('alice'), uniq('bob')];
    await svc.saveHumanMessage({ ...place({ userId: alice, channelId }), messageContent: 'a', messageId: '1' });
    await svc.saveHumanMessage({ ...place({ userId: bob, channelId }), messageContent: 'b', messageId: '2' });
    await svc.saveAIMessage({ ...place({ userId: alice, channelId }), messageContent: 'c' });
    await svc.saveToolExecution({ ...place({ userId: alice, channelId }), toolName: 't', toolArgs: {}, toolResult: 'ok' });
    expect(await svc.getMessageCount({ channelId })).toBe(4);
    expect(await svc.getMessageCount({ channelId, userId: alice })).toBe(3);
    expect(await svc.getMessageCount({ channelId, senderType: 'human' })).toBe(2);
    expect(await svc.getMessageCount({ userId: bob })).toBe(1);
    expect(await svc.getMessageCount()).toBeGreaterThanOrEqual(4);
  });

  it('searchText finds every-word matches over content, tool name and username, newest first, with every filter applied', async () => {
    const svc = db().messageService;
    const [channelId, other] = [uniq('s'), uniq('s')];
    const [alice, bob] = [uniq('alice'), uniq('bob')];
    const word = `kumquat${Date.now().toString(36)}`;
    const a1 = await svc.saveHumanMessage({ ...place({ userId: alice, channelId }), messageContent: `I like ${word} jam`, messageId: '1', timestamp: 10 });
    const b1 = await svc.saveHumanMessage({ ...place({ userId: bob, channelId }), messageContent: `${word} JAM is great`, messageId: '2', timestamp: 20 });
    const a2 = await svc.saveHumanMessage({ ...place({ userId: alice, channelId: other }), messageContent: `more ${word}`, messageId: '3', timestamp: 30 });
    await svc.saveHumanMessage({ ...place({ userId: alice, channelId }), messageContent: 'unrelated', messageId: '4', timestamp: 40 });
    const ai = await svc.saveAIMessage({ ...place({ userId: alice, channelId }), messageContent: `${word} for you` });
    const tool = await svc.saveToolExecution({ ...place({ userId: alice, channelId }), toolName: `${word}_lookup`, toolArgs: {}, toolResult: null });
    const byName = await svc.saveHumanMessage({ ...place({ userId: alice, channelId, username: `${word}fan` }), messageContent: 'plain', messageId: '5', timestamp: 5 });
    const ids = async (p: Parameters<typeof svc.queryMessages>[0]) => (await svc.queryMessages(p)).map((m) => m.id);
    expect(await ids({ searchText: word, channelId, senderType: 'human' })).toEqual([b1, a1]);
    expect(await ids({ searchText: `${word} jam`, channelId })).toEqual([b1, a1]);
    expect(await ids({ searchText: word, userId: alice, senderType: 'human' })).toEqual([a2, a1]);
    expect(await ids({ searchText: word, userId: bob })).toEqual([b1]);
    expect(await ids({ searchText: word, userId: alice, channelId: other })).toEqual([a2]);
    expect(await ids({ searchText: word, channelId, senderType: 'ai' })).toEqual([ai]);
    expect(await ids({ searchText: `${word} lookup`, channelId })).toEqual([tool]); // tool_name is searched
    expect(await ids({ searchText: `${word}fan`, channelId })).toEqual([byName]); // username is searched
    expect(await ids({ searchText: word, channelId, startTime: 15, endTime: 25 })).toEqual([b1]);
    expect(await ids({ searchText: word, userId: uniq('carol') })).toEqual([]);
    expect(await ids({ searchText: word, channelId, senderType: 'human', limit: 1 })).toEqual([b1]);
    expect(await ids({ searchText: word, channelId, senderType: 'human', limit: 1, offset: 1 })).toEqual([a1]);
    expect(await ids({ searchText: '', channelId })).toEqual([]);
    expect(await ids({ searchText: '"-*()', channelId })).toEqual([]);
    const [first] = await svc.queryMessages({ searchText: word, userId: bob });
    expect(first).toEqual(await svc.getMessageById(b1));
  });
});
