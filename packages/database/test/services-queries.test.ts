// queryService on a phase-1 (LibSQL) and a phase-6 (PostgreSQL) database.
import { expect, it } from 'vitest';
import { isDatabaseError } from '../src/errors.js';
import { newId } from '../src/ids.js';
import { columnNames } from '../src/schema/tables.js';
import { describePhases } from './helpers/service-phases.js';

const uniq = (p: string) => `${p}-${newId()}`;

describePhases('queryService', ['1', '6'], ({ db }) => {
  it('saveQuery: returns the id; the record has every column, timestamp in ms, query_result as JSON text', async () => {
    const svc = db().queryService;
    const user = uniq('u');
    const before = Date.now();
    const id = await svc.saveQuery({
      userId: user,
      username: 'ada',
      queryText: 'how many messages today?',
      translatedSql: 'SELECT count(*) FROM messages',
      aiSummary: 'forty-two',
      queryResult: '[{"count": 42, "big": 9223372036854775807}]',
      resultCount: 1,
      executionTimeMs: 12,
    });
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
    const q = (await svc.getQueryById(id))!;
    expect(Object.keys(q).sort()).toEqual(columnNames('queries').sort());
    expect(q).toMatchObject({
      id,
      user_id: user,
      username: 'ada',
      query_text: 'how many messages today?',
      translated_sql: 'SELECT count(*) FROM messages',
      ai_summary: 'forty-two',
      query_result: '[{"big":9223372036854775807,"count":42}]',
      result_count: 1,
      error: null,
      execution_time_ms: 12,
      version: 1,
    });
    expect(q.timestamp).toBeGreaterThanOrEqual(before);
    expect(q.timestamp).toBeLessThanOrEqual(Date.now());
    expect(await svc.getQueryById(newId())).toBeNull();
  });

  it('query_result: text that is not JSON is stored as {"result": text}; absent is null', async () => {
    const svc = db().queryService;
    const user = uniq('u');
    const failed = await svc.saveQuery({ userId: user, username: 'ada', queryText: 'x', queryResult: 'no rows, sorry', error: 'boom' });
    const none = await svc.saveQuery({ userId: user, username: 'ada', queryText: 'y' });
    const scalar = await svc.saveQuery({ userId: user, username: 'ada', queryText: 'z', queryResult: '42' });
    expect(await svc.getQueryById(failed)).toMatchObject({ query_result: '{"result":"no rows, sorry"}', error: 'boom', result_count: null, translated_sql: null });
    expect((await svc.getQueryById(none))?.query_result).toBeNull();
    expect((await svc.getQueryById(scalar))?.query_result).toBe('42');
  });

  it('rejects bad input (INVALID_INPUT) and writes nothing', async () => {
    const svc = db().queryService;
    const user = uniq('bad');
    const ok = { userId: user, username: 'ada', queryText: 'q' };
    for (const bad of [{ executionTimeMs: -1 }, { executionTimeMs: 1.5 }, { resultCount: -2 }, { queryText: undefined }, { username: undefined }, { userId: '' }, { queryResult: 5 }]) {
      const err = await svc.saveQuery({ ...ok, ...bad } as never).catch((e: unknown) => e);
      expect(isDatabaseError(err, 'INVALID_INPUT'), JSON.stringify(bad)).toBe(true);
    }
    for (const bad of [{ limit: 0 }, { limit: 1001 }, { offset: -1 }, { userId: '' }]) {
      const err = await svc.getRecentQueries(bad).catch((e: unknown) => e);
      expect(isDatabaseError(err, 'INVALID_INPUT'), JSON.stringify(bad)).toBe(true);
    }
    expect(await svc.getQueryCount({ userId: user })).toBe(0);
  });

  it("getRecentQueries: the user's queries only, newest first, limit and offset; getQueryCount", async () => {
    const svc = db().queryService;
    const [me, other] = [uniq('me'), uniq('other')];
    const a = await svc.saveQuery({ userId: me, username: 'me', queryText: 'first' });
    const b = await svc.saveQuery({ userId: me, username: 'me', queryText: 'second' });
    const c = await svc.saveQuery({ userId: me, username: 'me', queryText: 'third' });
    await svc.saveQuery({ userId: other, username: 'o', queryText: 'not mine' });
    // Same millisecond: the UUIDv7 id (time-ordered) breaks the tie.
    expect((await svc.getRecentQueries({ userId: me })).map((q) => q.id)).toEqual([c, b, a]);
    expect((await svc.getRecentQueries({ userId: me, limit: 1 })).map((q) => q.id)).toEqual([c]);
    expect((await svc.getRecentQueries({ userId: me, limit: 2, offset: 1 })).map((q) => q.id)).toEqual([b, a]);
    expect((await svc.getRecentQueries()).length).toBeGreaterThanOrEqual(4);
    expect(await svc.getQueryCount({ userId: me })).toBe(3);
    expect(await svc.getQueryCount({ userId: other })).toBe(1);
    expect(await svc.getQueryCount()).toBeGreaterThanOrEqual(4);
  });
});
