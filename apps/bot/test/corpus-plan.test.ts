import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { activityPatch, isAnalysisChange } from '../src/profile-aggregates.js';
import { CorpusError, loadCorpus, parseFortunes } from '../src/replay/corpus.js';
import { planReplay } from '../src/replay/plan.js';

const dir = mkdtempSync(join(tmpdir(), 'bot-corpus-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fortune corpus', () => {
  it('splits entries on % lines, drops overstrikes and control characters', () => {
    const text = 'First one.\r\n%\r\nSecond\n  -- someone\n%\n\n%\nB\bBo\bol\bld and \x07bell\n%\n';
    expect(parseFortunes(text)).toEqual(['First one.', 'Second\n  -- someone', 'Bold and bell']);
  });

  it('reads a folder: skips .dat/.u8, binary files and off/, follows each real file once', () => {
    writeFileSync(join(dir, 'a'), 'alpha\n%\nbeta\n');
    writeFileSync(join(dir, 'a.dat'), Buffer.from([0, 0, 0, 2, 0, 1]));
    symlinkSync(join(dir, 'a'), join(dir, 'a.u8'));
    symlinkSync(join(dir, 'a'), join(dir, 'alias'));
    writeFileSync(join(dir, 'blob'), Buffer.from([1, 2, 0, 3]));
    mkdirSync(join(dir, 'off'));
    writeFileSync(join(dir, 'off', 'rude'), 'rude\n%\n');
    mkdirSync(join(dir, 'more'));
    writeFileSync(join(dir, 'more', 'b'), `gamma\n%\n${'x'.repeat(2001)}\n%\n`);
    const c = loadCorpus(dir);
    expect(c.entries).toEqual(['alpha', 'beta', 'gamma']);
    expect(c.skippedEntries).toBe(1);
    expect(c.files.map((f) => f.slice(dir.length + 1))).toEqual(['a', 'more/b']);
  });

  it('a missing or empty corpus is a CorpusError that says how to install it', () => {
    expect(() => loadCorpus(join(dir, 'nope'))).toThrow(CorpusError);
    expect(() => loadCorpus(join(dir, 'nope'))).toThrow(/apt-get install -y fortunes-min fortunes/);
    mkdirSync(join(dir, 'empty'));
    expect(() => loadCorpus(join(dir, 'empty'))).toThrow(/no fortune entries/);
  });
});

describe('replay plan', () => {
  const entries = Array.from({ length: 120 }, (_, i) => `Entry ${i} about penguins${i % 3 ? ' and kernels' : ''} number${i}`);
  const opts = { users: 12, channels: 4, searchEvery: 10, seed: 9, searchLag: 4, startAt: 1_700_000_000 };

  it('is deterministic for a seed, with increasing timestamps and snowflake ids', () => {
    const a = planReplay(entries, opts);
    const b = planReplay(entries, opts);
    const render = (p: typeof a) => p.events.map((e) => [e.kind, e.user, e.channel, e.timestamp, e.externalId, e.render(new Map())]);
    expect(render(a)).toEqual(render(b));
    expect(render(planReplay(entries, { ...opts, seed: 10 }))).not.toEqual(render(a));
    expect(a.events.filter((e) => e.kind === 'chat')).toHaveLength(120);
    expect(a.events.filter((e) => e.kind === 'search')).toHaveLength(12);
    for (let i = 1; i < a.events.length; i++) expect(a.events[i]!.timestamp).toBeGreaterThan(a.events[i - 1]!.timestamp);
    const ids = a.events.map((e) => BigInt(e.externalId));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((x) => x > 2n ** 53n)).toBe(true);
    expect(new Set(a.events.map((e) => e.user)).size).toBeGreaterThan(6);
  });

  it('searches for a word of an earlier message in the same channel', () => {
    const p = planReplay(entries, opts);
    p.events.forEach((e, i) => {
      if (e.kind !== 'search') return;
      const word = e.render(new Map()).replace('!search ', '');
      const earlier = p.events.slice(0, Math.max(0, i - opts.searchLag + 1)).filter((x) => x.kind === 'chat' && x.channel === e.channel);
      expect(earlier.some((x) => x.render(new Map()).toLowerCase().includes(word)), word).toBe(true);
    });
  });

  it('renders doc edits and shares from the documents created so far', () => {
    const p = planReplay(entries, opts);
    const edit = p.events.find((e) => e.kind === 'doc-edit')!;
    expect(edit.render(new Map())).toBe('!doc list');
    expect(edit.render(new Map([[edit.user, ['doc-1']]]))).toMatch(/^!doc edit doc-1 Entry \d+/);
  });

  it('takes back earlier shares and deletes an owner\'s newest document', () => {
    const p = planReplay(Array.from({ length: 700 }, (_, i) => `Entry ${i} words here`), opts);
    const unshare = p.events.find((e) => e.kind === 'doc-unshare')!;
    const del = p.events.find((e) => e.kind === 'doc-delete')!;
    expect(unshare.render(new Map())).toBe('!doc list');
    const docs = new Map([[unshare.user, ['doc-a', 'doc-b']]]);
    const sharedWith = p.events.slice(0, p.events.indexOf(unshare)).filter((e) => e.kind === 'doc-share' && e.user === unshare.user).map((e) => e.render(docs).split(' ')[3]);
    const [, , id, target] = unshare.render(docs).split(' ');
    expect(id).toBe('doc-a');
    expect(sharedWith).toContain(target);
    expect(del.render(new Map())).toBe('!doc list');
    expect(del.render(new Map([[del.user, ['doc-a', 'doc-b']]]))).toBe('!doc delete doc-b');
  });
});

describe('profile aggregates', () => {
  it('records analysis history only for a new profile, a moved peak or a message-count milestone', () => {
    const c = (fields: Record<string, unknown>) => Object.fromEntries(Object.entries(fields).map(([k, to]) => [k, { from: 1, to }]));
    expect(isAnalysisChange(c({ messageCount: 1, peakHour: 3 }))).toBe(true);
    expect(isAnalysisChange(c({ messageCount: 7, wordCount: 40 }))).toBe(false);
    expect(isAnalysisChange(c({ messageCount: 7, peakWeekday: 'sun' }))).toBe(true);
    expect(isAnalysisChange(c({ messageCount: 7, peakHour: 4 }))).toBe(true);
    expect([1, 10, 25, 50, 100, 300].every((n) => isAnalysisChange(c({ messageCount: n })))).toBe(true);
    expect([2, 11, 99, 150, 301].some((n) => isAnalysisChange(c({ messageCount: n })))).toBe(false);
  });

  it('counts the message into the hour and weekday (UTC) of its time', () => {
    const sunday2330 = Date.UTC(2024, 5, 16, 23, 30) / 1000;
    const first = activityPatch(null, { username: 'ada', channelId: 'c1', content: 'héllo wörld', timestamp: sunday2330, isCommand: false, isSearch: false, documentCreated: false });
    expect(first).toMatchObject({ message_count: 1, word_count: 2, character_count: 11, avg_message_length: 11, activity_hour_23: 1, activity_sun: 1, peak_hour: 23, peak_weekday: 'sun', first_seen_at: sunday2330, channels_active: ['c1'] });
    const cur = { id: 'p', userId: 'u', username: 'ada', createdAt: 0, updatedAt: 0, version: 1, messageCount: 1, characterCount: 11, wordCount: 2, activityHour23: 1, activitySun: 1, firstSeenAt: sunday2330, lastSeenAt: sunday2330, lastMessageAt: sunday2330, channelsActive: ['c1'] };
    const earlier = activityPatch(cur, { username: 'ada', channelId: 'c2', content: '!search x', timestamp: sunday2330 - 86_400 * 6, isCommand: true, isSearch: true, documentCreated: false });
    expect(earlier).toMatchObject({ message_count: 2, command_count: 1, search_count: 1, first_seen_at: sunday2330 - 86_400 * 6, last_seen_at: sunday2330, activity_mon: 1, channels_active: ['c1', 'c2'], avg_message_length: 10 });
  });
});
