// MessageService on a phase-1 (LibSQL) and a phase-6 (PostgreSQL) database.
import { expect, it } from 'vitest';
import { isDatabaseError } from '../src/errors.js';
import { newId } from '../src/ids.js';
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

describePhases('MessageService', ['1', '6'], ({ db }) => {
  it('saves human and bot messages with application ids, exact external ids and a default timestamp', async () => {
    const svc = db().messageService;
    const before = Math.floor(Date.now() / 1000);
    const human = await svc.saveHumanMessage({ userId: 'u1', username: 'ada', channelId: 'c1', content: 'hi', externalId: 2n ** 63n - 1n, metadata: { topic: 'x' } });
    const bot = await svc.saveBotMessage({ userId: 'u1', username: 'bot', channelId: 'c1', content: 'hello', externalId: '1234567890123456789' });
    expect(human).toMatchObject({ userId: 'u1', username: 'ada', channelId: 'c1', role: 'human', content: 'hi', externalId: '9223372036854775807', metadata: { topic: 'x' }, version: 1 });
    expect(bot).toMatchObject({ role: 'bot', externalId: '1234567890123456789', metadata: {} });
    expect(human.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
    expect(human.timestamp).toBeGreaterThanOrEqual(before);
    expect(human.timestamp).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    expect(human.createdAt).toBe(human.timestamp);
  });

  it('rejects bad input with INVALID_INPUT and writes nothing', async () => {
    const svc = db().messageService;
    const channelId = uniq('bad');
    expect(await codeOf(svc.saveHumanMessage({ userId: '', username: 'a', channelId, content: 'x' }))).toBe('INVALID_INPUT');
    expect(await codeOf(svc.saveHumanMessage({ userId: 'u', username: 'a', channelId, content: 'x', externalId: '12a' }))).toBe('INVALID_INPUT');
    expect(await codeOf(svc.saveHumanMessage({ userId: 'u', username: 'a', channelId, content: 'x', timestamp: -1 }))).toBe('INVALID_INPUT');
    expect(await codeOf(svc.saveHumanMessage({ userId: 'u', username: 'a', channelId, content: 'x', metadata: [1] as never }))).toBe('INVALID_INPUT');
    expect(await svc.getRecentMessages({ channelId })).toEqual([]);
  });

  it('getRecentMessages: newest first, ties by id, limited, scoped by channel and user', async () => {
    const svc = db().messageService;
    const [channelId, other] = [uniq('c'), uniq('c')];
    const [alice, bob] = [uniq('alice'), uniq('bob')];
    const saved = [];
    for (const [i, ts] of [100, 300, 200, 300, 50].entries()) {
      saved.push(await svc.saveHumanMessage({ userId: i % 2 ? bob : alice, username: 'n', channelId, content: `m${i}`, timestamp: ts }));
    }
    await svc.saveHumanMessage({ userId: alice, username: 'n', channelId: other, content: 'elsewhere', timestamp: 999 });
    const recent = await svc.getRecentMessages({ channelId });
    const tie = [saved[1]!.id, saved[3]!.id].sort().reverse();
    expect(recent.map((m) => m.id)).toEqual([...tie, saved[2]!.id, saved[0]!.id, saved[4]!.id]);
    expect((await svc.getRecentMessages({ channelId, limit: 2 })).map((m) => m.id)).toEqual(tie);
    expect((await svc.getRecentMessages({ channelId, userId: bob })).map((m) => m.content).sort()).toEqual(['m1', 'm3']);
    expect((await svc.getRecentMessages({ userId: alice })).map((m) => m.content)).toEqual(['elsewhere', 'm2', 'm0', 'm4']);
    expect(await codeOf(svc.getRecentMessages({} as never))).toBe('INVALID_INPUT');
    expect(await codeOf(svc.getRecentMessages({ channelId, limit: 0 }))).toBe('INVALID_INPUT');
  });

  it('getRecentMessages filters by metadata (string, number, boolean, null)', async () => {
    const svc = db().messageService;
    const channelId = uniq('meta');
    const save = (metadata: Record<string, unknown>, timestamp: number) => svc.saveHumanMessage({ userId: 'u', username: 'n', channelId, content: 'x', metadata, timestamp });
    const billing = await save({ topic: 'billing', priority: 1, vip: true, owner: null }, 3);
    const support = await save({ topic: 'support', priority: 2, vip: false }, 2);
    const billing2 = await save({ topic: 'billing', priority: '1' }, 1);
    const ids = async (metadata: Record<string, string | number | boolean | null>) => (await svc.getRecentMessages({ channelId, metadata })).map((m) => m.id);
    expect(await ids({ topic: 'billing' })).toEqual([billing.id, billing2.id]);
    expect(await ids({ priority: 1 })).toEqual([billing.id]);
    expect(await ids({ priority: 2 })).toEqual([support.id]);
    expect(await ids({ vip: false })).toEqual([support.id]);
    expect(await ids({ owner: null })).toEqual([billing.id]);
    expect(await ids({ topic: 'billing', vip: true })).toEqual([billing.id]);
    expect(await ids({ topic: 'nothing' })).toEqual([]);
  });

  it('searchMessages finds every-word matches, newest first, scoped to the user or channel', async () => {
    const svc = db().messageService;
    const [channelId, other] = [uniq('s'), uniq('s')];
    const [alice, bob] = [uniq('alice'), uniq('bob')];
    const word = `kumquat${Date.now().toString(36)}`;
    const a1 = await svc.saveHumanMessage({ userId: alice, username: 'a', channelId, content: `I like ${word} jam`, timestamp: 10 });
    const b1 = await svc.saveHumanMessage({ userId: bob, username: 'b', channelId, content: `${word} JAM is great`, timestamp: 20 });
    const a2 = await svc.saveHumanMessage({ userId: alice, username: 'a', channelId: other, content: `more ${word}`, timestamp: 30 });
    await svc.saveHumanMessage({ userId: alice, username: 'a', channelId, content: 'unrelated', timestamp: 40 });
    const ids = async (input: Parameters<typeof svc.searchMessages>[0]) => (await svc.searchMessages(input)).map((m) => m.id);
    expect(await ids({ query: word, channelId })).toEqual([b1.id, a1.id]);
    expect(await ids({ query: `${word} jam`, channelId })).toEqual([b1.id, a1.id]);
    expect(await ids({ query: word, userId: alice })).toEqual([a2.id, a1.id]);
    expect(await ids({ query: word, userId: bob })).toEqual([b1.id]);
    expect(await ids({ query: word, userId: alice, channelId: other })).toEqual([a2.id]);
    expect(await ids({ query: word, userId: uniq('carol') })).toEqual([]);
    expect(await ids({ query: word, channelId, limit: 1 })).toEqual([b1.id]);
    expect(await ids({ query: '', channelId })).toEqual([]);
    expect(await codeOf(svc.searchMessages({ query: word } as never))).toBe('INVALID_INPUT');
    const [first] = await svc.searchMessages({ query: word, userId: bob });
    expect(first).toEqual(b1);
  });
});
