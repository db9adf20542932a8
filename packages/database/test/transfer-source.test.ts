// The LibSQL snapshot reader: both drivers (the `libsql` binding for files, `@libsql/client` for
// remote databases, here on the same file) return the same lossless values for every trap, and a
// snapshot does not see writes made after it started.
import { createClient } from '@libsql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableNames } from '../src/schema/tables.js';
import { openSource, type SourceRow } from '../src/transfer/source/source.js';
import { InvalidUtf8 } from '../src/transfer/source/sqlite-value.js';
import { journalModeWarning } from '../src/transfer/source/warnings.js';
import { buildTrapDatabase, doc, insertRow, readSourceTables, sourceRowsJson, TRAPS, TS_MS } from './transfer-fixtures.js';

let db: Awaited<ReturnType<typeof buildTrapDatabase>>;
beforeAll(async () => {
  db = await buildTrapDatabase();
});
afterAll(() => db?.remove());

const readAll = (viaClient: boolean) => readSourceTables({ url: db.url, viaClient }, 3);
const json = (rows: SourceRow[]) => sourceRowsJson(rows);

describe('LibSQL snapshot reader', () => {
  it('reads the same lossless values through both drivers', async () => {
    const native = await readAll(false);
    const client = await readAll(true);
    for (const t of tableNames) expect(json(client[t]!), t).toBe(json(native[t]!));
    const m = Object.fromEntries(native.messages!.map((r) => [r.values.id, r.values]));
    expect(m[TRAPS.messages.nulText]!.message_content).toBe('before\u0000after'); // libsql alone would cut at U+0000
    expect(m[TRAPS.messages.surrogateText]!.message_content).toBe('a\uD800b');
    expect(m['m-invalid-utf8']!.message_content).toBeInstanceOf(InvalidUtf8);
    expect(m[TRAPS.messages.big63]!.timestamp).toBe(2n ** 63n - 1n); // integers exact, as bigint
    expect(m[TRAPS.messages.timestampMs]!.timestamp).toBe(BigInt(TS_MS));
    expect(native.messages!.map((r) => r.values.id)).toEqual([...native.messages!.map((r) => r.values.id)].sort());
  });

  it('warns when the file is not in WAL mode (the read transaction would block writers)', async () => {
    const source = await openSource({ url: db.url });
    expect(source.journalMode).toBe('delete');
    expect(journalModeWarning(source)).toMatch(/not WAL: while this runs, writers to it wait or fail with SQLITE_BUSY/);
    source.close();
  });

  it('a snapshot (WAL file) does not see rows written after it started', async () => {
    const writer = createClient({ url: db.url });
    await writer.execute('PRAGMA journal_mode = WAL');
    const source = await openSource({ url: db.url });
    expect(journalModeWarning(source)).toBeNull();
    try {
      await source.snapshot(async (snap) => {
        const before = await snap.count('documents');
        await insertRow(writer, 'documents', doc('d-late', { title: 'late', content: '' }));
        expect(await snap.count('documents')).toBe(before);
        let n = 0;
        for await (const chunk of snap.rows('documents', 10)) n += chunk.length;
        expect(n).toBe(before);
      });
    } finally {
      writer.close();
      source.close();
    }
  });
});
