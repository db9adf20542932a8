// The snapshot reader's row reads (source.ts): plain ASCII text travels as text, anything else as
// bytes, and chunks shrink while rows are large, so memory does not depend on row size. Both
// drivers (the `libsql` binding and `@libsql/client`) read the same values.
import { createClient } from '@libsql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateSqlite } from '../src/migrations/migrate.js';
import { createTestSqlite } from '../src/testing/index.js';
import { openSource, type SourceRow } from '../src/transfer/source/source.js';
import { InvalidUtf8, SqliteBlob } from '../src/transfer/source/sqlite-value.js';
import { insertRow, msg, raw, TS_MS } from './transfer-fixtures.js';

const BIG = 100_000; // characters of each large row's message_content
let db: ReturnType<typeof createTestSqlite>;

beforeAll(async () => {
  db = createTestSqlite('read-chunks.db');
  await migrateSqlite(db.url);
  const c = createClient({ url: db.url, intMode: 'bigint' });
  const m = (id: string, content: unknown) => insertRow(c, 'messages', msg(id, { message_content: content as never, timestamp: BigInt(TS_MS) }));
  await m('a-ascii', 'plain ascii ~!@#$%^&*()_+{}|:"<>?`-=[]\\;\',./');
  await m('a-nonascii', 'é😀 ü');
  await m('a-nul', raw(`'x' || char(0) || 'y'`));
  await m('a-latin1', raw(`CAST(X'E92061' AS TEXT)`)); // é in Latin-1, then " a": not UTF-8
  await m('a-blob', raw(`X'00FF41'`));
  await m('a-int', 42n);
  await m('a-real', 1.5);
  await m('a-fffe', '\uFFFF starts like a blob marker');
  for (let i = 0; i < 30; i++) await m(`b-big-${String(i).padStart(2, '0')}`, `${i} ${'z'.repeat(BIG)}`);
  for (let i = 0; i < 20; i++) await m(`c-small-${String(i).padStart(2, '0')}`, `small ${i}`);
  c.close();
});
afterAll(() => db?.remove());

async function read(viaClient: boolean, chunkRows: number) {
  const source = await openSource({ url: db.url, viaClient });
  try {
    return await source.snapshot(async (snap) => {
      const chunks: SourceRow[][] = [];
      for await (const chunk of snap.rows('messages', chunkRows)) chunks.push(chunk);
      return chunks;
    });
  } finally {
    source.close();
  }
}

describe('snapshot row reads', () => {
  for (const viaClient of [false, true]) {
    it(`every storage class comes back as stored (${viaClient ? '@libsql/client' : 'libsql binding'})`, async () => {
      const rows = (await read(viaClient, 1_000)).flat();
      const content = Object.fromEntries(rows.map((r) => [r.values.id as string, r.values.message_content]));
      expect(content['a-ascii']).toBe('plain ascii ~!@#$%^&*()_+{}|:"<>?`-=[]\\;\',./');
      expect(content['a-nonascii']).toBe('é😀 ü');
      expect(content['a-nul']).toBe('x\u0000y');
      expect(content['a-latin1']).toBeInstanceOf(InvalidUtf8);
      expect(content['a-blob']).toEqual(new SqliteBlob(Uint8Array.from([0x00, 0xff, 0x41])));
      expect(content['a-int']).toBe('42'); // TEXT affinity stores numbers as text
      expect(content['a-real']).toBe('1.5');
      expect(content['a-fffe']).toBe('\uFFFF starts like a blob marker');
      expect(rows.map((r) => r.values.id)).toEqual(rows.map((r) => r.values.id as string).sort());
      expect(rows.find((r) => r.values.id === 'a-int')!.values.timestamp).toBe(BigInt(TS_MS)); // integers exact, as bigint (ms)
    });
  }

  it('large rows come in small chunks (about 256 Ki characters), small rows in chunks of chunkRows; none is lost', async () => {
    const chunks = await read(false, 10);
    expect(chunks.flat().map((r) => r.values.id)).toHaveLength(58);
    const isBig = (c: SourceRow[]) => c.some((r) => String(r.values.id).startsWith('b-big'));
    const bigChunks = chunks.filter(isBig);
    // The size adapts after each read: once big rows were seen, a read holds at most ~2.6 of them (256 Ki / 100 k).
    expect(bigChunks.length).toBeGreaterThanOrEqual(8);
    expect(Math.max(...bigChunks.slice(2).map((c) => c.length))).toBeLessThanOrEqual(3);
    // After the big rows, reads grow back to chunkRows (20 small rows: a few chunks, not one per row).
    const after = chunks.slice(chunks.findLastIndex(isBig) + 1);
    expect(after.flat()).toHaveLength(after.flat().filter((r) => String(r.values.id).startsWith('c-small')).length);
    expect(after.length).toBeLessThanOrEqual(4);
    expect(Math.max(...after.map((c) => c.length))).toBe(10);
  });
});
