// The token read of copy and export (source/token-chunk.ts) against the value-by-value read it
// replaces: the same rows, values (storage class included) and order, for every trap of the trap
// database plus rows built to break the token grammar or the storage-class tests. A real LibSQL file.
import { createClient } from '@libsql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableNames, type TableName } from '../src/schema/tables.js';
import type { SourceRow } from '../src/transfer/source/source.js';
import { InvalidUtf8, SqliteBlob } from '../src/transfer/source/sqlite-value.js';
import { materializeTokenChunk, scanTokenChunk } from '../src/transfer/source/token-chunk.js';
import { buildTrapDatabase, insertRow, msg, raw, readSourceTables, sourceRowsJson } from './transfer-fixtures.js';

let db: Awaited<ReturnType<typeof buildTrapDatabase>>;
beforeAll(async () => {
  db = await buildTrapDatabase();
  const c = createClient({ url: db.url });
  // Ids and text holding the grammar's own bytes (digits, ':', ';', 'X').
  await insertRow(c, 'messages', msg('X1;2:3', { message_content: ';:X;12:', username: '3:abc' }));
  await insertRow(c, 'messages', msg('12:34;', { message_content: 'X9;' }));
  await insertRow(c, 'messages', msg('X', { message_content: '' }));
  await insertRow(c, 'messages', msg('', { message_content: 'the empty id' }));
  // Non-ASCII ids and text, text with U+0000 and a CESU-encoded surrogate, invalid bytes.
  await insertRow(c, 'messages', msg('m-é-ü', { message_content: 'naïve 😀 ok' }));
  await insertRow(c, 'messages', msg('m-nul-id-ok', { message_content: raw("CAST(x'610062' AS TEXT)"), username: raw("CAST(x'eda080' AS TEXT)") }));
  await insertRow(c, 'messages', msg('m-bad-bytes-2', { message_content: raw("CAST(x'ff61' AS TEXT)"), channel_name: raw("CAST(x'80' AS TEXT)") }));
  // Storage classes the tokens cannot carry: read again by rowid.
  await insertRow(c, 'messages', msg('m-real-version', { version: 1.5 }));
  await insertRow(c, 'messages', msg('m-real-ts', { timestamp: 1e20 }));
  await insertRow(c, 'messages', msg('m-blob-text', { username: raw("x'00ff10'") }));
  await insertRow(c, 'messages', msg('m-int-text', { tool_args: raw('42') }));
  await insertRow(c, 'messages', msg('m-min-int', { created_at: raw('-9223372036854775808') }));
  // Ids that are not text (the first pass, value by value either way).
  await c.execute("INSERT INTO messages (id, timestamp, sender_type, message_content) VALUES (7, 1, 'human', 'int id')").catch(() => {});
  c.close();
});
afterAll(() => db?.remove());

const readAll = (valueByValue: boolean, chunkRows: number) => readSourceTables({ url: db.url, valueByValue }, chunkRows);
const json = (rows: SourceRow[]) => sourceRowsJson(rows);

describe('token read (copy, export)', () => {
  for (const chunkRows of [1, 2, 3, 1000]) {
    it(`gives the rows, values and order of the value-by-value read (chunks of ${chunkRows})`, async () => {
      const slow = await readAll(true, chunkRows);
      const fast = await readAll(false, chunkRows);
      for (const t of tableNames) expect(json(fast[t]!), t).toBe(json(slow[t]!));
      const m = Object.fromEntries(fast.messages!.map((r) => [String(r.values.id), r.values]));
      expect(m['X1;2:3']!.message_content).toBe(';:X;12:');
      expect(m['']!.message_content).toBe('the empty id');
      expect(m['m-é-ü']!.message_content).toBe('naïve 😀 ok');
      expect(m['m-nul-id-ok']!.message_content).toBe('a\u0000b');
      expect(m['m-nul-id-ok']!.username).toBe('\uD800');
      expect(m['m-bad-bytes-2']!.message_content).toBeInstanceOf(InvalidUtf8);
      expect(m['m-real-version']!.version).toBe(1.5);
      expect(m['m-real-ts']!.timestamp).toBe(1e20);
      expect(m['m-blob-text']!.username).toBeInstanceOf(SqliteBlob);
      expect(m['m-int-text']!.tool_args).toBe('42'); // TEXT affinity stores the integer as text
      expect(m['m-min-int']!.created_at).toBe(-(2n ** 63n));
    });
  }

  it('reads the same through the reader thread (the built package: a worker thread holds the connection)', async () => {
    const dist = new URL('../dist/transfer/source/', import.meta.url).href;
    const { openSource: openDist } = (await import(`${dist}source.js`)) as typeof import('../src/transfer/source/source.js');
    const { rawForJson: rawDist } = (await import(`${dist}sqlite-value.js`)) as typeof import('../src/transfer/source/sqlite-value.js');
    const { readerThreadAvailable } = (await import(`${dist}reader-thread.js`)) as typeof import('../src/transfer/source/reader-thread.js');
    expect(readerThreadAvailable()).toBe(true);
    const threaded: Record<string, SourceRow[]> = {};
    const source = await openDist({ url: db.url });
    try {
      await source.snapshot(async (snap) => {
        // Both lanes of a copy read at once from the one thread and snapshot.
        await Promise.all(
          tableNames.map(async (t) => {
            threaded[t] = [];
            for await (const chunk of snap.rows(t, 2)) threaded[t].push(...chunk);
          }),
        );
        // A consumer that stops early ends its pass; the next read still answers.
        for await (const chunk of snap.rows('messages', 1)) if (chunk.length) break;
        expect(await snap.count('messages')).toBe(threaded.messages!.length);
      });
    } finally {
      source.close();
    }
    const slow = await readAll(true, 1000);
    for (const t of tableNames) expect(sourceRowsJson(threaded[t]!, rawDist), t).toBe(json(slow[t]!));
  });

  it('the reader thread reports a file it cannot open, and SQL errors, as errors (no crash)', async () => {
    const dist = new URL('../dist/transfer/source/', import.meta.url).href;
    const { threadReader } = (await import(`${dist}reader-thread.js`)) as typeof import('../src/transfer/source/reader-thread.js');
    await expect(threadReader('/nonexistent-dir/x.db', 100)).rejects.toThrow();
    const f = await threadReader(db.path, 100);
    const r = await f.begin();
    await expect(r.all('SELECT * FROM no_such_table')).rejects.toThrow(/no such table/);
    expect(await r.all('SELECT 1 + 1')).toEqual([[2n]]);
    r.close();
    f.close();
  });

  it('refuses a chunk that does not follow the grammar, or holds another number of rows', () => {
    const present = new Set(['id']);
    const t: TableName = 'messages';
    expect(() => scanTokenChunk(t, present, Buffer.from('1;3:abc'), 2)).toThrow(/parsed 1 rows, SQLite sent 2/);
    expect(() => scanTokenChunk(t, present, Buffer.from('1;3:abc2;3:def'), 1)).toThrow(/more rows than the 1 SQLite sent/);
    expect(() => scanTokenChunk(t, present, Buffer.from('1;9:abc'), 1)).toThrow(/bad length for id/);
    expect(() => scanTokenChunk(t, present, Buffer.from('1;3'), 1)).toThrow(/no ':'/);
    const scan = scanTokenChunk(t, present, Buffer.from('1;3:abcX2;'), 2);
    expect([scan.lastRowid, scan.lastIdStart]).toEqual([2n, -1]); // the last row's id comes with its second read
    const again = { rowid: 2n, values: { id: 'again' }, parentExists: {} };
    expect(materializeTokenChunk(t, scan, (rowid) => (rowid === 2n ? again : undefined))).toEqual([
      expect.objectContaining({ rowid: 1n, values: expect.objectContaining({ id: 'abc', message_content: null }) }),
      again,
    ]);
    expect(() => materializeTokenChunk(t, scan, () => undefined)).toThrow(/row 2 vanished/);
  });
});
