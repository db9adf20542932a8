import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { UserProfileRecord } from '@repo/database';
import { FEELINGS_COLUMNS, isMessageMilestone, snapshotOf } from '../src/analysis-milestones.js';
import { CorpusError, loadCorpus, parseFortunes } from '../src/replay/corpus.js';
import { makeChannels } from '../src/replay/people.js';
import { planReplay, SESSION_GAP_MS } from '../src/replay/plan.js';

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
  const opts = { users: 12, channels: 4, searchEvery: 10, seed: 9, searchLag: 4, startAt: 1_700_000_000_000 };

  it('is deterministic for a seed, with increasing millisecond timestamps and snowflake message ids', () => {
    const a = planReplay(entries, opts);
    const b = planReplay(entries, opts);
    const render = (p: typeof a) => p.events.map((e) => [e.kind, e.user, e.channel, e.timestamp, e.messageId, e.sessionId, e.render(new Map())]);
    expect(render(a)).toEqual(render(b));
    expect(render(planReplay(entries, { ...opts, seed: 10 }))).not.toEqual(render(a));
    expect(a.events.filter((e) => e.kind === 'chat')).toHaveLength(120);
    expect(a.events.filter((e) => e.kind === 'search')).toHaveLength(12);
    expect(a.events[0]!.timestamp).toBeGreaterThan(opts.startAt);
    for (let i = 1; i < a.events.length; i++) expect(a.events[i]!.timestamp).toBeGreaterThan(a.events[i - 1]!.timestamp);
    expect(a.events.every((e) => Number.isInteger(e.timestamp) && e.timestamp < opts.startAt + 86_400_000 * 30)).toBe(true); // ms, not s
    const ids = a.events.map((e) => BigInt(e.messageId));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((x) => x > 2n ** 53n)).toBe(true);
    expect(new Set(a.events.map((e) => e.user)).size).toBeGreaterThan(6);
  });

  it('channels have names and guilds; every fourth is a direct-message channel with neither', () => {
    expect(makeChannels(5)).toEqual([
      { id: 'c-general', name: 'general', guildId: 'g-1' },
      { id: 'c-random', name: 'random', guildId: 'g-1' },
      { id: 'c-dev', name: 'dev', guildId: 'g-1' },
      { id: 'd-books' },
      { id: 'c-music', name: 'music', guildId: 'g-2' },
    ]);
    expect(makeChannels(13)[12]).toEqual({ id: 'c-general-2', name: 'general-2', guildId: 'g-4' });
  });

  it('a channel opens a new session after an hour of quiet', () => {
    const p = planReplay(Array.from({ length: 600 }, (_, i) => `Entry ${i}`), { ...opts, searchEvery: 0 });
    const last = new Map<number, { at: number; session: string }>();
    let opened = 0;
    for (const e of p.events) {
      expect(e.sessionId.startsWith(`${p.channels[e.channel]!.id}-s`)).toBe(true);
      const prev = last.get(e.channel);
      if (prev) {
        const gap = e.timestamp - prev.at;
        if (gap > SESSION_GAP_MS) {
          expect(e.sessionId).not.toBe(prev.session);
          opened++;
        } else expect(e.sessionId).toBe(prev.session);
      }
      last.set(e.channel, { at: e.timestamp, session: e.sessionId });
    }
    expect(opened).toBeGreaterThan(0);
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

  it('renders doc shows, edits and renames from the documents created so far; every second document is private', () => {
    const p = planReplay(Array.from({ length: 240 }, (_, i) => `Entry ${i} about penguins`), opts);
    const edit = p.events.find((e) => e.kind === 'doc-edit')!;
    expect(edit.render(new Map())).toBe('!doc list');
    expect(edit.render(new Map([[edit.user, ['doc-1']]]))).toMatch(/^!doc edit doc-1 Entry \d+/);
    const created = p.events.filter((e) => e.kind === 'doc-new').map((e) => e.render(new Map()));
    expect(created.map((t) => t.startsWith('!doc new --private '))).toEqual(created.map((_, i) => i % 2 === 1));
    const title = p.events.find((e) => e.kind === 'doc-title')!;
    expect(title.render(new Map([[title.user, ['doc-1', 'doc-2']]]))).toMatch(/^!doc title doc-2 Entry \d+ about penguins$/);
    const show = p.events.find((e) => e.kind === 'doc-show')!;
    expect(show.render(new Map())).toBe('!doc list');
    const owners = new Map(p.events.filter((e) => e.kind === 'doc-new').map((e) => [e.user, ['doc-x', 'doc-y']]));
    expect(show.render(owners)).toBe('!doc show doc-x');
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

describe('analysis milestones', () => {
  it('snapshots at message 1, 10, 25, 50 and every 100th', () => {
    expect([1, 10, 25, 50, 100, 300].every(isMessageMilestone)).toBe(true);
    expect([0, 2, 11, 99, 150, 301].some(isMessageMilestone)).toBe(false);
  });

  it('a snapshot is a JSON object of the columns, JSON columns nested (not quoted), unset ones null', () => {
    const profile = { user_id: 'u', username: 'ada', affinity_score: 7, emotional_bond: 'warm', dominant_emotions: '["joy","awe"]', feelings_json: '{"n":12345678901234567890}' } as unknown as UserProfileRecord;
    const text = snapshotOf(profile, FEELINGS_COLUMNS);
    const snap = JSON.parse(text);
    expect(Object.keys(snap)).toEqual([...FEELINGS_COLUMNS]);
    expect(snap).toMatchObject({ affinity_score: 7, emotional_bond: 'warm', trust_level: null, dominant_emotions: ['joy', 'awe'], omega_thoughts: null });
    expect(text).toContain('"feelings_json":{"n":12345678901234567890}'); // spliced, not re-encoded: the big integer stays exact
  });
});
