// Copy's byte path (src/transfer/convert/copy-text.ts): rows that need no conversion go from
// SQLite's token chunks to COPY text without the converter. The rule it must keep: every row it
// encodes is byte for byte the line `PgBatch.add(convert(row))` writes, with no note copy counts
// and nothing the bulk load would hold back; every other row reaches the converter as before.
// Checked row by row on hostile rows (chunks of 3 rows, so duplicates and state cross chunks),
// then end to end: copy with and without the byte path leaves PostgreSQL and the rejects files
// identical, in bulk and online load modes.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratePostgres, migrateSqlite } from '../src/migrations/migrate.js';
import { tables } from '../src/schema/tables.js';
import { createTestPostgres, createTestSqlite } from '../src/testing/index.js';
import { countNotes, Converter } from '../src/transfer/convert/convert.js';
import { byteLoadable, jsonMaxBytes, type CopyTextSpec } from '../src/transfer/convert/copy-text.js';
import { copyDatabase, type CopySummary } from '../src/transfer/copy.js';
import { mayExceedIndexRow } from '../src/transfer/load/held-rows.js';
import { PgBatch } from '../src/transfer/load/pg-batch.js';
import { openSource, type EncodedRow, type SourceRow } from '../src/transfer/source/source.js';
import { dumpPostgres, insertRow, msg, query, raw, T0, T0_MS } from './transfer-fixtures.js';

const deep = (d: number) => `${'['.repeat(d)}1${']'.repeat(d)}`;

/** Messages: the plain ones the byte path must take, and hostile ones, by id. */
const MESSAGES: Array<[string, Record<string, unknown>]> = [
  ...Array.from({ length: 12 }, (_, i) => [`m-plain-${String(i).padStart(2, '0')}`, { message_content: `plain ${i}\twith a tab\nand a line\r\nand a back\\slash`, metadata: `{"i":${i},"score":0.5,"tags":["a","b"],"nested":{"ok":true,"none":null}}` }] as [string, Record<string, unknown>]),
  ['m-json-escapes', { metadata: '{"q":"say \\"hi\\"\\n\\ttab \\\\ back"}' }],
  ['m-json-unicode', { metadata: '{"é":"日本 🎉"}', message_content: 'héllo 🎉' }],
  ['m-json-string', { metadata: '"just text"' }],
  ['m-json-number', { metadata: '0.5', tool_args: '[]', tool_result: '{}' }],
  ['m-json-proto', { metadata: '{"__proto__":{"x":1},"a":1}' }],
  ['m-json-space', { metadata: '{"a": 1}' }],
  ['m-json-newline', { metadata: '{\n"a":1}' }],
  ['m-json-order', { metadata: '{"b":1,"1":2}' }],
  ['m-json-dupkey', { metadata: '{"a":1,"a":2}' }],
  ['m-json-slash', { metadata: '{"u":"a\\/b"}' }],
  ['m-json-surrogate', { metadata: '{"s":"x\\ud800y"}' }],
  ['m-json-nul', { metadata: '{"a\\u0000":1,"b":2}' }],
  ['m-json-null', { metadata: 'null' }],
  ['m-json-big', { metadata: '{"n":9007199254740993}' }],
  ['m-json-exp', { metadata: '{"n":1e5}' }],
  ['m-json-neg-zero', { metadata: '{"n":-0}' }],
  ['m-json-deep', { metadata: deep(150) }],
  ['m-json-invalid', { metadata: '{"a":' }],
  ['m-text-nul', { message_content: raw(`'a' || char(0) || 'b'`) }],
  ['m-text-bad-utf8', { message_content: raw(`CAST(X'61FF62' AS TEXT)`) }],
  ['m-text-surrogate', { message_content: raw(`CAST(X'61EDA08062' AS TEXT)`) }],
  ['m-text-blob', { message_content: raw(`X'0102'`) }],
  ['m-text-integer', { user_id: 12345n }],
  ['m-ts-a-small-millis', { timestamp: 1_627_303_906n }],
  ['m-ts-huge-millis', { timestamp: 9_000_000_000_000_000n }],
  ['m-ts-iso', { timestamp: '2021-07-26T12:51:46.122Z' }],
  ['m-ts-iso-next', {}],
  ['m-created-ms', { created_at: 1_700_000_000_123n }],
  ['m-created-ambiguous', { created_at: 150_000_000_000n }],
  ['m-created-negative', { created_at: -5n }],
  ['m-created-real', { created_at: raw('1700000000.5') }],
  ['m-version-huge', { version: 3_000_000_000n }],
  ['m-version-min', { version: -2_147_483_648n }],
  ['m-version-real', { version: raw('1.5') }],
  ['m-content-null', { message_content: null }],
  ['m-long-channel', { channel_id: 'c'.repeat(700) }],
  ['m-sender-bad', { sender_type: 'robot' }],
  ['m-ü-id', {}],
  ['m-dup', { message_content: 'first' }],
  ['m-dup', { message_content: 'second' }],
  ['m-dup', { message_content: 'third' }],
  ['m-zz-after-dup', {}],
];

/** Ids the byte path must encode (the converter would write them unchanged). */
const ENCODED = ['m-plain-00', 'm-plain-11', 'm-json-escapes', 'm-json-unicode', 'm-json-string', 'm-json-number', 'm-ts-a-small-millis', 'm-created-ambiguous', 'm-created-negative', 'm-version-min', 'm-sender-bad', 'm-ü-id', 'm-zz-after-dup'];
/** Ids it must leave to the converter (it changes, notes or rejects them, or holds them back). */
const CONVERTED = [
  'm-json-space',
  'm-json-newline',
  'm-json-order',
  'm-json-dupkey',
  'm-json-slash',
  'm-json-surrogate',
  'm-json-nul',
  'm-json-null',
  'm-json-big',
  'm-json-exp',
  'm-json-neg-zero',
  'm-json-deep',
  'm-json-invalid',
  'm-text-nul',
  'm-text-bad-utf8',
  'm-text-surrogate',
  'm-text-blob',
  'm-text-integer',
  'm-ts-huge-millis',
  'm-ts-iso',
  'm-created-ms',
  'm-created-real',
  'm-version-huge',
  'm-version-real',
  'm-content-null',
  'm-long-channel',
  'm-real-timestamp',
  // A row read again by value (m-ts-iso: text in a number column) has no id in the chunk, so the
  // row after it cannot be told from a duplicate there: the converter takes it.
  'm-ts-iso-next',
];

const QUERIES: Array<[string, Record<string, unknown>]> = [
  ['q-plain', { query_result: '{"rows":[{"n":1}]}', result_count: 1n }],
  ['q-no-result', { query_result: null, execution_time_ms: null }],
  ['q-big-count', { result_count: 3_000_000_000n }],
  ['q-ts-seconds', { timestamp: 1_627_303_906n }],
  ['q-json-big', { query_result: '{"rows":[{"n":9007199254740993}]}' }],
];

/** A source file like a hand-made omega-bot database: messages without a primary key (duplicate ids), the rest migrated. */
async function buildSource(): Promise<ReturnType<typeof createTestSqlite>> {
  const src = createTestSqlite('copy-text.db');
  await migrateSqlite(src.url);
  const c = createClient({ url: src.url, intMode: 'bigint' });
  try {
    await c.execute('DROP TABLE messages');
    await c.execute(`CREATE TABLE messages (${tables.messages.columns.map((col) => `"${col.name}"`).join(', ')})`);
    // Integers as bigint: a JS number is bound as a REAL, which a column without affinity keeps (the converter's case).
    const ints = { timestamp: BigInt(T0_MS), created_at: BigInt(T0), updated_at: BigInt(T0), version: 1n };
    for (const [id, extra] of MESSAGES) await insertRow(c, 'messages', msg(id, { ...ints, ...(extra as Record<string, never>) }));
    await insertRow(c, 'messages', msg('m-real-timestamp', { ...ints, timestamp: T0_MS }));
    // Ids that are not text (read by rowid, before the keyset pass).
    await insertRow(c, 'messages', msg('x', { id: null }));
    await insertRow(c, 'messages', msg('x', { id: 77n }));
    for (const [id, extra] of QUERIES) await insertRow(c, 'queries', query(id, extra as Record<string, never>));
  } finally {
    c.close();
  }
  return src;
}

const isEncoded = (x: SourceRow | EncodedRow): x is EncodedRow => 'copyText' in x;

let src: Awaited<ReturnType<typeof buildSource>>;
beforeAll(async () => {
  src = await buildSource();
});
afterAll(() => src?.remove());

describe('byte path, row by row', () => {
  const spec: CopyTextSpec = { jsonMaxBytes: 200, indexedColumns: ['channel_id', 'user_id', 'timestamp', 'id', 'session_id', 'sender_type'] };

  for (const table of ['messages', 'queries'] as const) {
    it(`${table}: every encoded row is the converter's own COPY line; the rest reach the converter`, async () => {
      expect(byteLoadable(table)).toBe(true);
      const source = await openSource({ url: src.url });
      let encoded: Array<SourceRow | EncodedRow> = [];
      let plain: SourceRow[] = [];
      try {
        await source.snapshot(async (snap) => {
          for await (const chunk of snap.copyRows(table, 3, spec)) encoded.push(...chunk);
          for await (const chunk of snap.rows(table, 3)) plain.push(...chunk);
        });
      } finally {
        source.close();
      }
      expect(encoded.length).toBe(plain.length);
      // The reference: every row through the converter, in order, as copy did before.
      const converter = new Converter('sqlite', 'copy', {});
      const took: string[] = [];
      const left: string[] = [];
      for (let k = 0; k < plain.length; k++) {
        const row = plain[k]!;
        const item = encoded[k]!;
        const c = converter.convert(table, row.values, row);
        const id = String(row.values.id);
        if (!isEncoded(item)) {
          expect(item.rowid).toBe(row.rowid);
          left.push(id);
          continue;
        }
        took.push(id);
        expect(item.rowid, id).toBe(row.rowid);
        expect(item.id, id).toBe(id);
        expect(c.ok, `${id}: ${JSON.stringify(c.ok ? null : c.reject)}`).toBe(true);
        if (!c.ok) continue;
        const counts = { sanitized: 0, coerced: 0 };
        countNotes(counts, c.notes);
        expect(counts, id).toEqual({ sanitized: 0, coerced: 0 });
        expect(mayExceedIndexRow(c.row, spec.indexedColumns!), id).toBe(false);
        const batch = new PgBatch(table);
        batch.add(c.row);
        expect(item.copyText.subarray(item.start, item.end).toString('utf8'), id).toBe(Buffer.concat(batch.payload()).toString('utf8'));
        // And the line decodes back to the converted row (reject records of the loader use this).
        const back = new PgBatch(table);
        back.addLine(item.id, item.copyText, item.start, item.end);
        expect(back.row(0), id).toEqual(batch.row(0));
      }
      if (table === 'messages') {
        for (const id of ENCODED) expect(took, id).toContain(id);
        for (const id of CONVERTED) expect(left, id).toContain(id);
        // The first m-dup goes by the byte path, the two after it (duplicates) to the converter.
        expect(took.filter((id) => id === 'm-dup')).toHaveLength(1);
        expect(left.filter((id) => id === 'm-dup')).toHaveLength(2);
        expect(left).toEqual(expect.arrayContaining(['null', '77']));
      } else {
        expect(took).toEqual(expect.arrayContaining(['q-plain', 'q-no-result', 'q-ts-seconds']));
        expect(left).toEqual(expect.arrayContaining(['q-big-count', 'q-json-big']));
      }
      encoded = [];
      plain = [];
    });
  }

  it('jsonMaxBytes follows PostgreSQL depth limit (twice the smaller one)', () => {
    expect(jsonMaxBytes({ arrays: 14_543, objects: 13_089 })).toBe(26_178);
    expect(jsonMaxBytes({ arrays: 100, objects: 300 })).toBe(200);
  });
});

describe('byte path, end to end', () => {
  let pgs: Array<Awaited<ReturnType<typeof createTestPostgres>>> = [];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const pg of pgs) await pg.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    pgs = [];
  });


  /** The rejects files of a run, each sorted by line (batches may finish in any order). */
  const rejectsOf = (dir: string): Record<string, string[]> =>
    Object.fromEntries(
      readdirSync(dir)
        .filter((f) => f.endsWith('.ndjson'))
        .map((f) => [f, readFileSync(join(dir, f), 'utf8').trim().split('\n').sort()]),
    );

  const counts = (s: CopySummary) => Object.fromEntries(s.tables.map((t) => [t.table, { read: t.read, written: t.written, rejected: t.rejected, sanitized: t.sanitized, coerced: t.coerced }]));

  async function run(byteCopy: boolean, loadMode: 'auto' | 'online') {
    const pg = await createTestPostgres(`copytext_${byteCopy ? 'b' : 'c'}_${loadMode}`);
    pgs.push(pg);
    await migratePostgres(pg.url);
    const rejectsDir = mkdtempSync(join(tmpdir(), 'copy-text-rejects-'));
    dirs.push(rejectsDir);
    const summary = await copyDatabase({ libsqlUrl: src.url, databaseUrl: pg.url, rejectsDir, chunkRows: 3, batchRows: 4, loadMode, byteCopy });
    return { summary, dump: await dumpPostgres(pg.url), rejects: rejectsOf(rejectsDir) };
  }

  it('copy with the byte path leaves PostgreSQL, the counts and the rejects as the converter alone does (bulk and online)', async () => {
    const reference = await run(false, 'auto');
    // Not vacuous: rows went in, PostgreSQL refused one (the CHECK on sender_type), the converter others.
    expect(reference.dump.messages!.length).toBeGreaterThan(20);
    expect(JSON.stringify(reference.rejects)).toContain('m-sender-bad');
    expect(JSON.stringify(reference.rejects)).toContain('m-json-invalid');
    for (const mode of ['auto', 'online'] as const) {
      const byte = await run(true, mode);
      expect(byte.dump, mode).toEqual(reference.dump);
      expect(byte.rejects, mode).toEqual(reference.rejects);
      expect(counts(byte.summary), mode).toEqual(counts(reference.summary));
    }
  });
});
