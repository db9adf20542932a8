// QueryService on a phase-1 (LibSQL) and a phase-6 (PostgreSQL) database.
import { expect, it } from 'vitest';
import { isDatabaseError } from '../src/errors.js';
import { newId } from '../src/ids.js';
import { describePhases } from './helpers/service-phases.js';

const uniq = (p: string) => `${p}-${newId()}`;

describePhases('QueryService', ['1', '6'], ({ db }) => {
  it('saves a query and returns it as stored', async () => {
    const svc = db().queryService;
    const q = await svc.saveQuery({ userId: 'u', channelId: 'c', query: 'weather?', response: 'sunny', durationMs: 12, success: true, metadata: { model: 'm' } });
    expect(q).toMatchObject({ userId: 'u', channelId: 'c', query: 'weather?', response: 'sunny', durationMs: 12, success: true, error: null, metadata: { model: 'm' }, version: 1 });
    const failed = await svc.saveQuery({ userId: 'u', channelId: 'c', query: 'x', durationMs: 0, success: false, error: 'boom' });
    expect(failed).toMatchObject({ success: false, error: 'boom', response: null, metadata: {} });
  });

  it('rejects a negative or fractional duration and a missing success flag (INVALID_INPUT)', async () => {
    const svc = db().queryService;
    for (const bad of [{ durationMs: -1, success: true }, { durationMs: 1.5, success: true }, { durationMs: 1 }]) {
      const err = await svc.saveQuery({ userId: 'u', channelId: 'c', query: 'q', ...bad } as never).catch((e: unknown) => e);
      expect(isDatabaseError(err, 'INVALID_INPUT'), JSON.stringify(bad)).toBe(true);
    }
  });

  it('getRecentQueries: the user\'s queries only, newest first', async () => {
    const svc = db().queryService;
    const [me, other] = [uniq('me'), uniq('other')];
    const a = await svc.saveQuery({ userId: me, channelId: 'c', query: 'first', durationMs: 1, success: true });
    const b = await svc.saveQuery({ userId: me, channelId: 'c', query: 'second', durationMs: 1, success: true });
    await svc.saveQuery({ userId: other, channelId: 'c', query: 'not mine', durationMs: 1, success: true });
    // Same second: the UUIDv7 id (time-ordered) breaks the tie.
    expect((await svc.getRecentQueries({ userId: me })).map((q) => q.id)).toEqual([b.id, a.id]);
    expect((await svc.getRecentQueries({ userId: me, limit: 1 })).map((q) => q.id)).toEqual([b.id]);
  });

  it('getQueryStats: count, success rate and p50/p95 in ms, per user', async () => {
    const svc = db().queryService;
    const [me, other] = [uniq('me'), uniq('other')];
    expect(await svc.getQueryStats({ userId: me })).toEqual({ count: 0, successRate: 0, p50Ms: null, p95Ms: null });
    // 60 × 10 ms, 36 × 100 ms, 4 × 1000 ms: p50 = 10 and p95 = 100 under any percentile definition.
    const durations = [...Array(60).fill(10), ...Array(36).fill(100), ...Array(4).fill(1000)] as number[];
    for (const [i, d] of durations.entries()) {
      await svc.saveQuery({ userId: me, channelId: 'c', query: `q${i}`, durationMs: d, success: i % 4 !== 0 });
    }
    await svc.saveQuery({ userId: other, channelId: 'c', query: 'slow', durationMs: 99_999, success: false });
    expect(await svc.getQueryStats({ userId: me })).toEqual({ count: 100, successRate: 0.75, p50Ms: 10, p95Ms: 100 });
    expect(await svc.getQueryStats({ userId: other })).toEqual({ count: 1, successRate: 0, p50Ms: 99_999, p95Ms: 99_999 });
  });
});
