// userProfileService on a phase-1 (LibSQL) and a phase-6 (PostgreSQL) database.
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

describePhases('userProfileService', ['1', '6'], ({ db }) => {
  const primary = () => {
    const d = db();
    return d.routing.primary === 'sqlite' ? d.backends.sqlite! : d.backends.postgres!;
  };

  it('createUserProfile / getUserProfile: the record has every column; first_seen_at = last_interaction_at = now (s), message_count 0', async () => {
    const svc = db().userProfileService;
    const user = uniq('u');
    expect(await svc.getUserProfile(user)).toBeNull();
    const before = Math.floor(Date.now() / 1000);
    const id = await svc.createUserProfile(user, 'ada');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
    const p = (await svc.getUserProfile(user))!;
    expect(Object.keys(p).sort()).toEqual(columnNames('user_profiles').sort());
    expect(p).toMatchObject({ id, user_id: user, username: 'ada', message_count: 0, last_analyzed_at: null, appearance_confidence: 0, openness_score: null, version: 1 });
    expect(p.first_seen_at).toBeGreaterThanOrEqual(before);
    expect(p.last_interaction_at).toBe(p.first_seen_at);
    // A second profile for the same user is the driver's unique violation.
    await expect(svc.createUserProfile(user, 'ada')).rejects.toThrow();
  });

  it('updateUserProfile: sets the given columns (JSON as text or value), version + 1; a missing profile is a no-op', async () => {
    const svc = db().userProfileService;
    const user = uniq('u');
    await svc.createUserProfile(user, 'ada');
    await svc.updateUserProfile(user, {
      openness_score: 80,
      archetype_confidence: 0.3333333333333333,
      dominant_archetype: 'Sage',
      primary_interests: '["go","ts"]',
      secondary_archetypes: ['Hero', { big: 2n ** 63n - 1n }] as never,
      username: 'ada2',
      last_analyzed_at: 1_700_000_000,
      updated_at: 1, // ignored: always now
      notable_patterns: undefined,
    });
    const p = (await svc.getUserProfile(user))!;
    expect(p).toMatchObject({
      username: 'ada2',
      openness_score: 80,
      archetype_confidence: 0.3333333333333333,
      dominant_archetype: 'Sage',
      primary_interests: '["go","ts"]',
      secondary_archetypes: '["Hero",{"big":9223372036854775807}]',
      last_analyzed_at: 1_700_000_000,
      notable_patterns: null,
      version: 2,
    });
    expect(p.updated_at).toBeGreaterThan(1);
    await svc.updateUserProfile(user, { dominant_archetype: null });
    expect(await svc.getUserProfile(user)).toMatchObject({ dominant_archetype: null, openness_score: 80, version: 3 });
    await svc.updateUserProfile(user, {});
    expect((await svc.getUserProfile(user))?.version).toBe(3);
    const nobody = uniq('nobody');
    await svc.updateUserProfile(nobody, { openness_score: 1 });
    expect(await svc.getUserProfile(nobody)).toBeNull();
  });

  it('updateUserProfile: a key that is not an updatable column, a wrong type or non-JSON text is INVALID_INPUT and writes nothing', async () => {
    const svc = db().userProfileService;
    const user = uniq('u');
    await svc.createUserProfile(user, 'ada');
    const before = await svc.getUserProfile(user);
    for (const bad of [
      { no_such_column: 1 },
      { 'openness_score = 0; DROP TABLE user_profiles; --': 1 },
      { opennessScore: 1 },
      { id: 'x' },
      { user_id: 'x' },
      { created_at: 1 },
      { version: 3 },
      { openness_score: 'high' },
      { openness_score: 1.5 },
      { archetype_confidence: Number.NaN },
      { last_analyzed_at: -1 },
      { first_seen_at: null },
      { username: null },
      { primary_interests: 'not json' },
    ]) {
      expect(await codeOf(svc.updateUserProfile(user, bad as never)), JSON.stringify(bad)).toBe('INVALID_INPUT');
    }
    expect(await codeOf(svc.updateUserProfile(user, null as never))).toBe('INVALID_INPUT');
    expect(await codeOf(svc.updateUserProfile('', {}))).toBe('INVALID_INPUT');
    expect(await svc.getUserProfile(user)).toEqual(before);
  });

  it('getOrCreateUserProfile: creates once, then returns the same profile; concurrent calls give one profile', async () => {
    const svc = db().userProfileService;
    const user = uniq('u');
    const p1 = await svc.getOrCreateUserProfile(user, 'ada');
    expect(p1).toMatchObject({ user_id: user, username: 'ada', message_count: 0 });
    expect(await svc.getOrCreateUserProfile(user, 'other name')).toEqual(p1);
    const racer = uniq('racer');
    const all = await Promise.all(Array.from({ length: 12 }, () => svc.getOrCreateUserProfile(racer, 'r')));
    expect(new Set(all.map((p) => p.id)).size).toBe(1);
    expect(await primary().count('user_profiles', { user_id: racer })).toBe(1);
  });

  it('incrementMessageCount: + 1 and last_interaction_at = now; concurrent increments all count; no profile is a no-op', async () => {
    const svc = db().userProfileService;
    const user = uniq('u');
    await svc.createUserProfile(user, 'ada');
    await svc.updateUserProfile(user, { last_interaction_at: 1_000, first_seen_at: 1_000 });
    await svc.incrementMessageCount(user);
    const p = (await svc.getUserProfile(user))!;
    expect(p.message_count).toBe(1);
    expect(p.last_interaction_at).toBeGreaterThan(1_000);
    expect(p.updated_at).toBe(p.last_interaction_at);
    await Promise.all(Array.from({ length: 16 }, () => svc.incrementMessageCount(user)));
    expect((await svc.getUserProfile(user))?.message_count).toBe(17);
    const nobody = uniq('nobody');
    await svc.incrementMessageCount(nobody);
    expect(await svc.getUserProfile(nobody)).toBeNull();
    expect(await codeOf(svc.incrementMessageCount(''))).toBe('INVALID_INPUT');
  });

  it('saveAnalysisHistory / getAnalysisHistory: snapshots as JSON text (non-JSON as {"raw": …}), newest first, limited', async () => {
    const svc = db().userProfileService;
    const user = uniq('u');
    await svc.createUserProfile(user, 'ada');
    const before = Math.floor(Date.now() / 1000);
    const h1 = await svc.saveAnalysisHistory(user, '{"warmth": 0.5}', '{"openness": 80}', 10);
    const h2 = await svc.saveAnalysisHistory(user, 'feels fine', '[1,2]', 20, 'warmer');
    const history = await svc.getAnalysisHistory(user);
    expect(history.map((h) => h.id)).toEqual([h2, h1]); // same second: id DESC (UUIDv7)
    expect(Object.keys(history[0]!).sort()).toEqual(columnNames('user_analysis_history').sort());
    expect(history[0]).toMatchObject({ user_id: user, feelings_snapshot: '{"raw":"feels fine"}', personality_snapshot: '[1,2]', message_count_at_analysis: 20, changes_summary: 'warmer', version: 1 });
    expect(history[1]).toMatchObject({ feelings_snapshot: '{"warmth":0.5}', personality_snapshot: '{"openness":80}', changes_summary: null });
    expect(history[0]!.analysis_timestamp).toBeGreaterThanOrEqual(before);
    expect((await svc.getAnalysisHistory(user, 1)).map((h) => h.id)).toEqual([h2]);
    expect(await svc.getAnalysisHistory(uniq('other'))).toEqual([]);
    // No profile: PostgreSQL's foreign key would refuse the row, so both backends refuse it.
    expect(await codeOf(svc.saveAnalysisHistory(uniq('nobody'), '{}', '{}', 1))).toBe('NOT_FOUND');
    expect(await codeOf(svc.saveAnalysisHistory(user, '{}', '{}', -1))).toBe('INVALID_INPUT');
    expect(await codeOf(svc.getAnalysisHistory(user, 0))).toBe('INVALID_INPUT');
  });

  it('getUsersNeedingAnalysis: never analysed, or analysed before the last interaction; most recently active first', async () => {
    const svc = db().userProfileService;
    // Far-future interaction times keep other tests' profiles out of the first places.
    const base = 6_000_000_000;
    const [never, stale, fresh, equal] = [uniq('never'), uniq('stale'), uniq('fresh'), uniq('equal')];
    for (const u of [never, stale, fresh, equal]) await svc.createUserProfile(u, u);
    await svc.updateUserProfile(never, { last_interaction_at: base + 40 });
    await svc.updateUserProfile(stale, { last_interaction_at: base + 30, last_analyzed_at: base + 10 });
    await svc.updateUserProfile(fresh, { last_interaction_at: base + 50, last_analyzed_at: base + 60 });
    await svc.updateUserProfile(equal, { last_interaction_at: base + 45, last_analyzed_at: base + 45 });
    const ids = (await svc.getUsersNeedingAnalysis()).map((p) => p.user_id);
    expect(ids.slice(0, 2)).toEqual([never, stale]);
    expect(ids).not.toContain(fresh);
    expect(ids).not.toContain(equal);
    expect((await svc.getUsersNeedingAnalysis(1)).map((p) => p.user_id)).toEqual([never]);
    expect(await codeOf(svc.getUsersNeedingAnalysis(0))).toBe('INVALID_INPUT');
  });

  it('getAllUserProfiles: every profile, most recently active first, limited', async () => {
    const svc = db().userProfileService;
    const base = 7_000_000_000; // above every other test's profile
    const [a, b] = [uniq('a'), uniq('b')];
    await svc.createUserProfile(a, 'a');
    await svc.createUserProfile(b, 'b');
    await svc.updateUserProfile(a, { last_interaction_at: base + 2 });
    await svc.updateUserProfile(b, { last_interaction_at: base + 1 });
    expect((await svc.getAllUserProfiles(2)).map((p) => p.user_id)).toEqual([a, b]);
    const all = await svc.getAllUserProfiles();
    expect(all.length).toBeGreaterThan(2);
    expect(all.map((p) => p.last_interaction_at)).toEqual([...all.map((p) => p.last_interaction_at)].sort((x, y) => y - x));
    expect(await codeOf(svc.getAllUserProfiles(-1))).toBe('INVALID_INPUT');
  });
});
