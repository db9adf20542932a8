// UserProfileService on a phase-1 (LibSQL) and a phase-6 (PostgreSQL) database.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isDatabaseError } from '../src/errors.js';
import { keyId, newId } from '../src/ids.js';
import { openRaw } from './helpers/backends.js';
import { describePhases } from './helpers/service-phases.js';

const uniq = (p: string) => `${p}-${newId()}`;

describePhases('UserProfileService', ['1', '6'], ({ db, urls, phase }) => {
  let raw: ReturnType<typeof openRaw>;
  beforeAll(() => {
    raw = openRaw(urls().sqliteUrl, phase === '1' ? 'postgres://unused@127.0.0.1:1/x' : urls().pgUrl);
  });
  afterAll(async () => {
    await raw?.close();
  });

  it('creates the profile on first update and appends the changes to the history in the same call', async () => {
    const svc = db().userProfileService;
    const user = uniq('u');
    expect(await svc.getUserProfile(user)).toBeNull();
    const p1 = await svc.updateUserProfile(user, { traitOpenness: 0.8, interests: ['go'], opted_out: false, username: 'ada' }, { source: 'analysis' });
    expect(p1).toMatchObject({ id: keyId('profile', user), userId: user, username: 'ada', traitOpenness: 0.8, interests: ['go'], optedOut: false, messageCount: 0, version: 1 });
    expect(await svc.getUserProfile(user)).toEqual(p1);
    const [h1] = await svc.getAnalysisHistory(user);
    expect(h1).toMatchObject({ userId: user, profileVersion: 1, source: 'analysis', changes: { traitOpenness: { from: null, to: 0.8 }, interests: { from: null, to: ['go'] } } });
  });

  it('a partial update changes only the given fields and records from → to; history is newest first', async () => {
    const svc = db().userProfileService;
    const user = uniq('u');
    await svc.updateUserProfile(user, { traitOpenness: 0.5, mbtiGuess: 'INTJ' });
    const p2 = await svc.updateUserProfile(user, { trait_openness: 0.6, messageCount: 3 });
    expect(p2).toMatchObject({ traitOpenness: 0.6, mbtiGuess: 'INTJ', messageCount: 3, version: 2 });
    const history = await svc.getAnalysisHistory(user);
    expect(history.map((h) => h.profileVersion)).toEqual([2, 1]);
    expect(history[0]!.changes).toEqual({ traitOpenness: { from: 0.5, to: 0.6 }, messageCount: { from: 0, to: 3 } });
    expect((await svc.getAnalysisHistory(user, { limit: 1 })).length).toBe(1);
  });

  it('a no-op update writes nothing; history: false writes no history', async () => {
    const svc = db().userProfileService;
    const user = uniq('u');
    const p1 = await svc.updateUserProfile(user, { mbtiGuess: 'ENFP' });
    expect(await svc.updateUserProfile(user, { mbtiGuess: 'ENFP' })).toEqual(p1);
    const p2 = await svc.updateUserProfile(user, { messageCount: 9 }, { history: false });
    expect(p2.version).toBe(2);
    expect((await svc.getAnalysisHistory(user)).map((h) => h.profileVersion)).toEqual([1]);
  });

  it('history as a predicate: called with the changed fields (camelCase, from → to); history only when it says so', async () => {
    const svc = db().userProfileService;
    const user = uniq('u');
    const seen: unknown[] = [];
    const onlyPeaks = (changes: Record<string, { from: unknown; to: unknown }>) => (seen.push(changes), 'peakHour' in changes);
    await svc.updateUserProfile(user, { messageCount: 1, peakHour: 9 }, { history: onlyPeaks, source: 'activity' });
    await svc.modifyUserProfile(user, (cur) => ({ messageCount: Number(cur?.messageCount) + 1, peakHour: 9 }), { history: onlyPeaks });
    await svc.modifyUserProfile(user, (cur) => ({ messageCount: Number(cur?.messageCount) + 1, peakHour: 14 }), { history: onlyPeaks });
    expect(seen).toEqual([{ messageCount: { from: null, to: 1 }, peakHour: { from: null, to: 9 } }, { messageCount: { from: 1, to: 2 } }, { messageCount: { from: 2, to: 3 }, peakHour: { from: 9, to: 14 } }]);
    const history = await svc.getAnalysisHistory(user);
    expect(history.map((h) => [h.profileVersion, h.source])).toEqual([[3, null], [1, 'activity']]);
    expect(history[0]!.changes).toEqual({ messageCount: { from: 2, to: 3 }, peakHour: { from: 9, to: 14 } });
  });

  it('an unknown field or a wrong type is INVALID_INPUT and writes nothing', async () => {
    const svc = db().userProfileService;
    const user = uniq('u');
    for (const bad of [{ noSuchField: 1 }, { traitOpenness: 'high' }, { messageCount: 1.5 }, { optedOut: 'yes' }, { id: 'x' }, { version: 3 }, { messageCount: null }]) {
      const e = await svc.updateUserProfile(user, bad).catch((err: unknown) => err);
      expect(isDatabaseError(e, 'INVALID_INPUT'), JSON.stringify(bad)).toBe(true);
    }
    expect(await svc.getUserProfile(user)).toBeNull();
    expect(await svc.getAnalysisHistory(user)).toEqual([]);
  });

  it('a failing history write rolls back the profile update (one transaction)', async () => {
    const svc = db().userProfileService;
    const user = uniq('fail');
    const p1 = await svc.updateUserProfile(user, { mbtiGuess: 'ISTP' });
    // Make the history insert of this user fail on the primary, inside the transaction.
    if (phase === '1') {
      await raw.lite.execute(
        `CREATE TRIGGER fail_history BEFORE INSERT ON user_analysis_history WHEN NEW.user_id = '${user}' BEGIN SELECT RAISE(ABORT, 'injected failure'); END`,
      );
    } else {
      await raw.pg.unsafe(`ALTER TABLE user_analysis_history ADD CONSTRAINT fail_history CHECK (user_id <> '${user}') NOT VALID`);
    }
    try {
      await expect(svc.updateUserProfile(user, { mbtiGuess: 'ESTP', traitOpenness: 0.1 })).rejects.toThrow();
    } finally {
      if (phase === '1') await raw.lite.execute('DROP TRIGGER fail_history');
      else await raw.pg.unsafe('ALTER TABLE user_analysis_history DROP CONSTRAINT fail_history');
    }
    expect(await svc.getUserProfile(user)).toEqual(p1);
    expect((await svc.getAnalysisHistory(user)).map((h) => h.profileVersion)).toEqual([1]);
  });

  it('modifyUserProfile: concurrent read-modify-writes all land (retried on conflict)', async () => {
    const svc = db().userProfileService;
    const user = uniq('u');
    await Promise.all(
      Array.from({ length: 16 }, () => svc.modifyUserProfile(user, (cur) => ({ messageCount: Number(cur?.messageCount ?? 0) + 1 }), { history: false })),
    );
    expect((await svc.getUserProfile(user))?.messageCount).toBe(16);
  });

  it('every read is scoped to its user', async () => {
    const svc = db().userProfileService;
    const [a, b] = [uniq('a'), uniq('b')];
    await svc.updateUserProfile(a, { mbtiGuess: 'A' });
    await svc.updateUserProfile(b, { mbtiGuess: 'B' });
    expect((await svc.getUserProfile(a))?.mbtiGuess).toBe('A');
    expect((await svc.getAnalysisHistory(a)).every((h) => h.userId === a)).toBe(true);
    expect((await svc.getAnalysisHistory(b)).map((h) => h.changes)).toEqual([{ mbtiGuess: { from: null, to: 'B' } }]);
  });
});
