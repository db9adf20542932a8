/**
 * Every input gets a clear 4xx before anything is written (issue 14 §3): an id field of
 * `POST /messages` holding U+0000, a lone surrogate or a control character answers 400
 * `INVALID_INPUT` naming the field, on every phase, and no row is written on either backend
 * (no profile, no human message, no reply, no tool execution, no query). Free text (username,
 * channelName, content) is sanitised and stored instead. Numbers out of range answer 400, never 500.
 */
import type { Database, TableName } from '@repo/database';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BotServer } from '../src/server.js';
import { memoryLogger, openApp, postgresCounts, sqliteCounts, testBackends } from './helpers.js';

const PHASE_FLAGS = {
  '1': {},
  '4': { USE_POSTGRES_SHADOW: 'true' },
  '6': { USE_POSTGRES_PRIMARY: 'true' },
  '6+': { USE_POSTGRES_PRIMARY: 'true', USE_POSTGRES_SHADOW: 'true' },
} as const;

const BAD_IDS: Array<[string, string]> = [
  ['NUL', 'u\u0000x'],
  ['lone high surrogate', 'u\uD800x'],
  ['lone low surrogate', '\uDC00'],
  ['control character', 'u\u0007x'],
  ['C1 control character', 'u\u009bx'],
  ['escape', '\u001b[31mred'],
];
const ID_FIELDS = ['userId', 'channelId', 'guildId', 'messageId', 'sessionId'] as const;

for (const phase of ['1', '4', '6', '6+'] as const) {
  describe(`phase ${phase}`, () => {
    let backends: Awaited<ReturnType<typeof testBackends>>;
    let db: Database;
    let app: BotServer;
    const log = memoryLogger('warn');

    beforeAll(async () => {
      backends = await testBackends(phase !== '1');
      const env = { LIBSQL_URL: backends.sqlite.url, ...(backends.pg ? { DATABASE_URL: backends.pg.url } : {}), ...PHASE_FLAGS[phase], SHADOW_MODE: 'inline' };
      ({ db, app } = await openApp(env, log.logger));
    });
    afterAll(async () => {
      await app?.close();
      await db?.close();
      await backends?.cleanup();
    });

    const counts = async (): Promise<Record<string, Record<TableName, number>>> => {
      await db.backends.shadow?.barrier(10_000);
      return { ...(phase !== '6' ? { sqlite: await sqliteCounts(backends.sqlite.url) } : {}), ...(backends.pg ? { postgres: await postgresCounts(backends.pg.url) } : {}) };
    };
    const post = (body: Record<string, unknown>) => app.inject({ method: 'POST', url: '/messages', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
    const good = { userId: 'u-ok', username: 'ok', channelId: 'c-ok', guildId: 'g-ok', messageId: 'm-ok', sessionId: 's-ok', content: '!search hello' };

    it.each(ID_FIELDS.flatMap((f) => BAD_IDS.map(([what, v]) => [f, what, v] as const)))('%s with a %s: 400 INVALID_INPUT naming it, nothing written', async (field, _what, value) => {
      const before = await counts();
      const res = await post({ ...good, [field]: value });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toMatchObject({ error: 'BAD_REQUEST', code: 'INVALID_INPUT', field });
      expect(res.json().message).toContain(field);
      expect(await counts()).toEqual(before);
    });

    it('numbers out of range and of the wrong kind answer 400, nothing written', async () => {
      const before = await counts();
      for (const timestamp of [2 ** 63, 1e300, -1, 1.5e12 + 0.5, 9_007_199_254_740_993, 253_402_300_800_000, '1718013600000']) {
        const res = await post({ ...good, messageId: `m-ts-${String(timestamp)}`, timestamp });
        expect(res.statusCode, `${String(timestamp)}: ${res.body}`).toBe(400);
        expect(res.json()).toMatchObject({ code: 'INVALID_INPUT', field: 'timestamp' });
      }
      expect(await counts()).toEqual(before);
    });

    it('free text (username, channelName, content) is sanitised and stored, the request answered 200', async () => {
      const res = await post({ userId: `u-free-${phase}`, username: 'a\u0000d\uD800a', channelId: 'c-free', channelName: 'gen\u0000eral', messageId: 'm-free', content: 'hi\u0000 there \uDC00' });
      expect(res.statusCode, res.body).toBe(200);
      const m = (await db.messageService.getMessageById(res.json().messageId))!;
      expect(m).toMatchObject({ username: 'ad\uFFFDa', channel_name: 'general', message_content: 'hi there \uFFFD' });
    });
  });
}
