/**
 * Hostile search input on both backends (docs/design.md trap: FTS5 MATCH and to_tsquery raise on raw
 * syntax): `queryMessages({ searchText })` with every input gives results or [], never an
 * exception, with its filters still applied; normal words find the same messages, with the same
 * ids, on LibSQL (phase 1) and PostgreSQL (phase 6).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/database.js';
import type { MessageRecord } from '../src/services/record.js';
import { createBothDatabases } from './helpers/backends.js';
import { openPhase } from './helpers/phase-db.js';
import { silentLogger } from './helpers/silent-logger.js';

const HOSTILE: readonly string[] = [
  '"',
  '""',
  '"unterminated',
  "'",
  "it's",
  '-',
  '--',
  '-refund',
  'refund -policy',
  'NOT',
  'NOT refund',
  'refund NOT policy',
  'AND',
  'OR',
  'AND OR',
  'refund AND OR policy',
  'NEAR(refund policy)',
  'col:x',
  'content:refund',
  'messages_fts:refund',
  '*',
  'ref*',
  '^refund',
  '(',
  ')',
  '(refund',
  'refund)',
  '{refund}',
  '[',
  '+refund',
  '!',
  '&',
  '|',
  '<->',
  'refund <-> policy',
  'refund & policy | !x',
  ':*',
  '\\',
  '\\"',
  '%',
  '_',
  '',
  ' ',
  '\t\n\r',
  'x'.repeat(10_000),
  'refund '.repeat(2_000),
  '🦊',
  '🦊 refund 🦊',
  '👨‍👩‍👧‍👦',
  '\u0000',
  'refund\u0000policy',
  '\uD800',
  'refund \uDC00 policy',
  '\uFFFF\uFFFE',
  "'; DROP TABLE messages; --",
  "' OR '1'='1",
  '" OR 1=1 --',
  'refund"; DELETE FROM messages WHERE "1"="1',
  "1); SELECT pg_sleep(5); --",
  '$1',
  '?',
  '\u202Erefund',
  'ＲＥＦＵＮＤ',
];

describe('queryMessages searchText with hostile input', () => {
  let urls: Awaited<ReturnType<typeof createBothDatabases>>;
  const dbs: Record<'sqlite' | 'postgres', Database | null> = { sqlite: null, postgres: null };
  const saved: Record<'sqlite' | 'postgres', string[]> = { sqlite: [], postgres: [] };
  const CONTENTS = ['Our refund policy changed today', 'Refunds take 5 days; policy applies', 'nothing to see', 'café au lait, naïve résumé', '東京 で 会いましょう'];

  beforeAll(async () => {
    urls = await createBothDatabases('search');
    dbs.sqlite = await openPhase('1', urls, {}, silentLogger);
    dbs.postgres = await openPhase('6', urls, {}, silentLogger);
    // The same messages, with the same ids, on both: written on LibSQL, then copied as rows.
    for (const [i, content] of CONTENTS.entries()) {
      saved.sqlite.push(await dbs.sqlite.messageService.saveHumanMessage({ userId: 'u1', username: 'n', channelId: 'c1', channelName: 'general', messageContent: content, messageId: String(i), timestamp: 100 + i }));
    }
    // Another user's and another channel's messages with the same words: the filters must keep them out.
    for (const [i, content] of CONTENTS.entries()) {
      saved.sqlite.push(await dbs.sqlite.messageService.saveHumanMessage({ userId: 'u2', username: 'm', channelId: 'c2', channelName: 'other', messageContent: content, messageId: `x${i}`, timestamp: 200 + i }));
    }
    await dbs.postgres.backends.postgres!.applyChanges(
      await Promise.all(saved.sqlite.map(async (id) => ({ table: 'messages' as const, op: 'upsert' as const, row: (await dbs.sqlite!.backends.sqlite!.get('messages', id))! }))),
    );
  });
  afterAll(async () => {
    await dbs.sqlite?.close();
    await dbs.postgres?.close();
    await urls?.cleanup();
  });

  for (const backend of ['sqlite', 'postgres'] as const) {
    it(`${backend}: every hostile input gives results or [], never an exception`, async () => {
      const svc = dbs[backend]!.messageService;
      for (const query of HOSTILE) {
        for (const scope of [{ userId: 'u1' }, { channelId: 'c1' }, { userId: 'u1', channelId: 'c1', senderType: 'human' as const, startTime: 0, endTime: 10_000 }]) {
          let result: MessageRecord[];
          try {
            result = await svc.queryMessages({ searchText: query, ...scope });
          } catch (e) {
            throw new Error(`${backend}: queryMessages(${JSON.stringify(query.slice(0, 60))}) threw ${String(e)}`);
          }
          expect(Array.isArray(result)).toBe(true);
          for (const m of result) expect([m.user_id, m.channel_id]).toEqual(['u1', 'c1']);
        }
      }
      // Nothing was dropped or changed by the injection strings.
      expect(await svc.getMessageCount({ channelId: 'c1' })).toBe(CONTENTS.length);
      expect(await svc.getMessageCount()).toBe(2 * CONTENTS.length);
    });
  }

  it('the same queries find the same ids on both backends', async () => {
    const ids = async (backend: 'sqlite' | 'postgres', query: string, scope: { channelId?: string } = { channelId: 'c1' }) =>
      (await dbs[backend]!.messageService.queryMessages({ searchText: query, ...scope })).map((m) => m.id);
    for (const query of [...HOSTILE, 'refund', 'REFUND', 'policy', 'refund policy', 'policy refund', 'today', 'days', 'lait', 'café', 'résumé', '東京', '会いましょう', 'nothing', 'absent', 'general']) {
      expect(await ids('postgres', query), JSON.stringify(query.slice(0, 60))).toEqual(await ids('sqlite', query));
      expect(await ids('postgres', query, {}), `${JSON.stringify(query.slice(0, 60))} unfiltered`).toEqual(await ids('sqlite', query, {}));
    }
    expect(await ids('sqlite', 'refund', {})).toEqual([saved.sqlite[5]!, saved.sqlite[0]!]);
    expect(await ids('sqlite', 'refund')).toEqual([saved.sqlite[0]!]);
    expect(await ids('sqlite', 'policy')).toEqual([saved.sqlite[1]!, saved.sqlite[0]!]);
    expect(await ids('sqlite', 'refund -policy')).toEqual([saved.sqlite[0]!]);
    expect(await ids('sqlite', 'NOT refund')).toEqual([]); // "not" is a word here, and no message has it
  });

  // LibSQL's FTS5 keeps diacritics (unicode61 remove_diacritics 0), like PostgreSQL's 'simple' configuration.
  it('unaccented words find accented messages the same way on both backends', async () => {
    for (const query of ['cafe', 'resume', 'naive']) {
      const [a, b] = await Promise.all((['sqlite', 'postgres'] as const).map(async (k) => (await dbs[k]!.messageService.queryMessages({ searchText: query, channelId: 'c1' })).map((m) => m.id)));
      expect(b, query).toEqual(a);
    }
  });
});
