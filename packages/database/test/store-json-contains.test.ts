/**
 * The JSON containment filter of `Where` (src/stores/json-contains.ts): the same rows on LibSQL and
 * PostgreSQL, and the rows expected, for types that must not match across (1, "1", true, 1.0),
 * JSON null against a missing key, hostile keys and values (dots, quotes, `$`, brackets, SQL,
 * non-ASCII), stored text LibSQL holds but PostgreSQL would not (duplicate keys: the last wins,
 * as in jsonb; a leading BOM; invalid JSON; a top-level array), through find, count, search and
 * MessageService.queryMessages; unsupported shapes rejected with INVALID_INPUT on both; on
 * PostgreSQL, the same rows when the GIN index (jsonb_path_ops, migration 0002) answers.
 */
import { createClient } from '@libsql/client';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageService } from '../src/services/message-service.js';
import { createLogger } from '../src/logger.js';
import type { Where } from '../src/stores/store.js';
import { jsonContainsPairs, pgJsonContains } from '../src/stores/json-contains.js';
import { openPostgresBackend, openSqliteBackend, type TestBackend } from './helpers/backends.js';
import { messageRow, T0_MS } from './helpers/rows.js';

const HOSTILE = { 'k.with.dots': 'v', 'k"q\\': 'x\\"y', '$[0]': "'; DROP TABLE messages; --", é: 'ü', '😀 key': '🙂', '': 'empty key' };

/** name → metadata as the store writes it (both backends). */
const STORED: Record<string, unknown> = {
  typed: { model: 'gpt', n: 1, flag: true, z: null },
  strings: { model: 'gpt', n: '1', flag: 'true', z: 'null' },
  other: { model: 'GPT', n: 2, flag: false },
  hostile: HOSTILE,
  none: null,
  array: [{ model: 'gpt' }],
  nested: { nested: { model: 'gpt' }, n: [1] },
  big: { n: 9007199254740991 },
  negative: { n: -5, model: 'gpt ' },
};

/** name → [LibSQL stored text, PostgreSQL jsonb text]: values only a raw write can leave. */
const RAW: Record<string, [string, string | null]> = {
  duplicate: ['{"model":"x","model":"gpt","n":2,"n":1}', '{"model":"x","model":"gpt","n":2,"n":1}'],
  bom: ['\uFEFF{"model":"gpt","n":1}', '{"model":"gpt","n":1}'],
  invalid: ['{"model":"gpt", n: 1', null],
  decimal: ['{"n":1.0,"e":1e2,"model":"gpt"}', '{"n":1.0,"e":1e2,"model":"gpt"}'],
  scalar: ['"gpt"', '"gpt"'],
};

/** Filter → names expected. */
const CASES: [Record<string, unknown>, string[]][] = [
  [{ model: 'gpt' }, ['bom', 'decimal', 'duplicate', 'strings', 'typed']],
  [{ model: 'GPT' }, ['other']],
  [{ n: 1 }, ['bom', 'decimal', 'duplicate', 'typed']],
  [{ n: '1' }, ['strings']],
  [{ flag: true }, ['typed']],
  [{ flag: 'true' }, ['strings']],
  [{ flag: false }, ['other']],
  [{ z: null }, ['typed']],
  [{ z: 'null' }, ['strings']],
  [{ model: 'gpt', n: 1 }, ['bom', 'decimal', 'duplicate', 'typed']],
  [{ model: 'gpt', n: '1' }, ['strings']],
  [{ e: 100 }, ['decimal']],
  [{ n: 9007199254740991 }, ['big']],
  [{ n: -5 }, ['negative']],
  [{ model: 'gpt ' }, ['negative']],
  [{ missing: null }, []],
  ...Object.entries(HOSTILE).map(([k, v]): [Record<string, unknown>, string[]] => [{ [k]: v }, ['hostile']]),
  [HOSTILE, ['hostile']],
  [{ 'k.with': 'v' }, []],
  [{ 'k"q': 'x\\"y' }, []],
];

describe('JSON containment filter: same rows on LibSQL and PostgreSQL', () => {
  let lite: TestBackend;
  let pg: TestBackend;
  const idOf = new Map<string, string>();
  const nameOf = new Map<string, string>();
  beforeAll(async () => {
    [lite, pg] = await Promise.all([openSqliteBackend(), openPostgresBackend()]);
    const rawLite = createClient({ url: lite.url });
    const rawPg = postgres(pg.url, { max: 1, onnotice: () => {} });
    try {
      let i = 0;
      for (const [name, metadata] of [...Object.entries(STORED), ...Object.keys(RAW).map((n) => [n, { placeholder: true }] as const)]) {
        const row = messageRow({ metadata, channel_id: i % 2 ? 'c-odd' : 'c-even', timestamp: T0_MS + i++, message_content: `row ${name} common` });
        idOf.set(name, String(row.id));
        nameOf.set(String(row.id), name);
        await lite.store.insert('messages', row);
        await pg.store.insert('messages', row);
      }
      for (const [name, [text, jsonb]] of Object.entries(RAW)) {
        await rawLite.execute({ sql: 'UPDATE messages SET metadata = ? WHERE id = ?', args: [text, idOf.get(name)!] });
        await rawPg`UPDATE messages SET metadata = ${jsonb}::text::jsonb WHERE id = ${idOf.get(name)!}`;
      }
    } finally {
      rawLite.close();
      await rawPg.end({ timeout: 5 });
    }
  });
  afterAll(async () => {
    await Promise.all([lite?.cleanup(), pg?.cleanup()]);
  });

  const names = (rows: Record<string, unknown>[]) => rows.map((r) => nameOf.get(String(r.id))).sort();

  it('the raw rows hold what each backend was given (duplicate keys: PostgreSQL keeps the last)', async () => {
    const d = await pg.store.get('messages', idOf.get('duplicate')!);
    expect(d?.metadata).toEqual({ model: 'gpt', n: 1 });
  });

  for (const [filter, expected] of CASES) {
    it(`${JSON.stringify(filter)} → ${JSON.stringify(expected)}`, async () => {
      const where: Where = { metadata: { jsonContains: filter } };
      const opts = { orderBy: [['timestamp', 'desc']] as const, limit: 100 };
      const [a, b] = await Promise.all([lite.store.find('messages', where, opts), pg.store.find('messages', where, opts)]);
      expect(names(a)).toEqual(expected);
      expect(names(b)).toEqual(expected);
      expect(await lite.store.count('messages', where)).toBe(expected.length);
      expect(await pg.store.count('messages', where)).toBe(expected.length);
    });
  }

  it('PostgreSQL: every filter gives the same rows through messages_metadata_idx (GIN jsonb_path_ops, seqscan off)', async () => {
    const raw = postgres(pg.url, { max: 1, onnotice: () => {} });
    try {
      for (const [filter, expected] of CASES) {
        const f = pgJsonContains('m.metadata', jsonContainsPairs('messages', 'metadata', { jsonContains: filter as never }));
        const query = `SELECT m.id FROM messages m WHERE ${f.sql.replace('?', '$1')}`;
        const [plan, rows] = await raw.begin(async (tx) => {
          await tx.unsafe('SET LOCAL enable_seqscan = off');
          const p = await tx.unsafe(`EXPLAIN (COSTS OFF) ${query}`, f.params as never[]);
          return [p.map((r) => r['QUERY PLAN'] as string).join(' / '), await tx.unsafe(query, f.params as never[])] as const;
        });
        expect(plan, JSON.stringify(filter)).toMatch(/Bitmap Index Scan on messages_metadata_idx/);
        expect(names([...rows]), JSON.stringify(filter)).toEqual(expected);
      }
    } finally {
      await raw.end({ timeout: 5 });
    }
  });

  it('combines with other filters, with search, and through MessageService.queryMessages', async () => {
    const log = createLogger({ level: 'silent' });
    for (const b of [lite, pg]) {
      const where: Where = { channel_id: 'c-even', metadata: { jsonContains: { model: 'gpt' } } };
      const expected = ['bom', 'decimal', 'duplicate', 'strings', 'typed'].filter((n) => [...idOf.keys()].indexOf(n) % 2 === 0).sort();
      expect(expected.length).toBeGreaterThan(0);
      expect(names(await b.store.find('messages', where, { orderBy: [['timestamp', 'desc']], limit: 100 }))).toEqual(expected);
      expect(names(await b.store.searchMessages({ terms: ['common'], where, limit: 100 }))).toEqual(expected);
      const svc = new MessageService({ store: b.store, log });
      const viaService = await svc.queryMessages({ channelId: 'c-even', metadataContains: { model: 'gpt' } });
      expect(viaService.map((m) => nameOf.get(m.id)).sort()).toEqual(expected);
      const searched = await svc.queryMessages({ searchText: 'common', metadataContains: { n: '1' } });
      expect(searched.map((m) => nameOf.get(m.id))).toEqual(['strings']);
    }
  });

  it('rejects shapes it cannot answer alike on both backends, with INVALID_INPUT', async () => {
    const bad: unknown[] = [
      {},
      { a: { b: 1 } },
      { a: [1] },
      { a: 1.5 },
      { a: Number.NaN },
      { a: 2 ** 53 },
      { a: 1n },
      { a: 'nul\u0000' },
      { 'nul\u0000': 'x' },
      [['a', 1]],
      'a',
      null,
      new Map([['a', 1]]),
    ];
    for (const b of [lite, pg]) {
      for (const jsonContains of bad) {
        await expect(b.store.find('messages', { metadata: { jsonContains } as never }, { orderBy: [], limit: 1 }), JSON.stringify(String(jsonContains))).rejects.toMatchObject({
          code: 'INVALID_INPUT',
        });
      }
      await expect(b.store.count('messages', { metadata: { jsonContains: { a: 1 }, in: [] } as never })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      // Only JSON columns.
      await expect(b.store.count('messages', { channel_id: { jsonContains: { a: 1 } } })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      const svc = new MessageService({ store: b.store, log: createLogger({ level: 'silent' }) });
      await expect(svc.queryMessages({ metadataContains: { a: { b: 1 } } as never })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      await expect(svc.queryMessages({ metadataContains: { a: 0.5 } })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    }
  });
});
