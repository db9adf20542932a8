// The one conversion (transfer/convert.ts + coerce.ts): every deliberate coercion and every reject
// reason, on values as the LibSQL reader returns them. Pure functions: no database needed here;
// the same rules run against real databases in transfer-check/export-import/copy tests.
import { describe, expect, it } from 'vitest';
import { coerce, NOTE_MILLIS_SMALL, parseIsoSeconds } from '../src/transfer/convert/coerce.js';
import { Converter } from '../src/transfer/convert/convert.js';
import { decodeText, InvalidUtf8, SqliteBlob } from '../src/transfer/source/sqlite-value.js';

const ok = (type: Parameters<typeof coerce>[0], v: unknown) => {
  const r = coerce(type, v, false);
  if (!r.ok) throw new Error(`expected ${String(v)} to be accepted as ${type}, got reject: ${r.reason}`);
  return r;
};
const reason = (type: Parameters<typeof coerce>[0], v: unknown) => {
  const r = coerce(type, v, false);
  if (r.ok) throw new Error(`expected ${String(v)} to be rejected as ${type}, got ${JSON.stringify(r.value)}`);
  return r.reason;
};

describe('booleans', () => {
  it.each([
    [1n, true],
    [0n, false],
    ['1', true],
    ['0', false],
    ['true', true],
    ['FALSE', false],
    ['t', true],
    ['F', false],
    ['Yes', true],
    ['no', false],
    ['ON', true],
    [' off ', false],
  ])('%s → %s', (v, expected) => expect(ok('bool', v).value).toBe(expected));

  it('notes each text spelling, not integer 0/1', () => {
    expect(ok('bool', 'yes').notes).toEqual(["text 'yes'"]);
    expect(ok('bool', 1n).notes).toBeUndefined();
  });

  it.each([2n, -1n, 'maybe', 'y', '', 0.5, new SqliteBlob(new Uint8Array([1]))])('rejects %s', (v) => expect(reason('bool', v)).toMatch(/boolean/));
});

describe('timestamps (unix seconds)', () => {
  it('keeps integer seconds', () => expect(ok('timestamp', 1_700_000_000n)).toEqual({ ok: true, value: 1_700_000_000 }));
  it('divides milliseconds (> 10^11) by 1000, floored', () => {
    const r = ok('timestamp', 1_627_303_906_122n);
    expect(r.value).toBe(1_627_303_906);
    expect(r.notes).toContain('milliseconds ÷ 1000');
  });
  it('parses ISO-8601 text, UTC when no zone', () => {
    expect(ok('timestamp', '2021-07-26T12:51:46Z').value).toBe(1_627_303_906);
    expect(ok('timestamp', '2021-07-26 12:51:46').value).toBe(1_627_303_906);
    expect(ok('timestamp', '2021-07-26T14:51:46.999+02:00').value).toBe(1_627_303_906);
    expect(ok('timestamp', '2021-07-26T14:51:46+0200').value).toBe(1_627_303_906);
    expect(ok('timestamp', '2021-07-26').value).toBe(1_627_257_600);
    expect(ok('timestamp', '2021-07-26T12:51:46Z').notes).toEqual(['ISO-8601 text']);
  });
  it('takes numeric text with the same unit rule', () => {
    expect(ok('timestamp', '1627303906').value).toBe(1_627_303_906);
    expect(ok('timestamp', '1627303906122').value).toBe(1_627_303_906);
  });
  it('drops a fraction of a second', () => expect(ok('timestamp', 1_627_303_906.75).value).toBe(1_627_303_906));
  it.each(['yesterday', '2021-02-30', '2021-07-26T24:00:00Z', '1627303906122000000', 1e15])('rejects %s', (v) => expect(reason('timestamp', v)).toMatch(/timestamp|out of range/));
  it('parseIsoSeconds refuses impossible dates', () => expect(parseIsoSeconds('2021-13-01')).toBeNull());
});

describe('millis (unix milliseconds: messages.timestamp, queries.timestamp)', () => {
  it('keeps milliseconds exactly: never ÷1000, no note', () => {
    expect(ok('millis', 1_627_303_906_122n)).toEqual({ ok: true, value: 1_627_303_906_122 });
    expect(coerce('millis', 1_627_303_906_122, true)).toEqual({ ok: true, value: 1_627_303_906_122 }); // canonical (an export line)
  });
  it('keeps a value small enough to be seconds as it is, with an informational note', () => {
    expect(ok('millis', 1_627_303_906n)).toEqual({ ok: true, value: 1_627_303_906, notes: [NOTE_MILLIS_SMALL] });
  });
  it('parses ISO-8601 text to ms, keeping the fraction', () => {
    expect(ok('millis', '2021-07-26T12:51:46.122Z')).toEqual({ ok: true, value: 1_627_303_906_122, notes: ['ISO-8601 text'] });
    expect(ok('millis', '2021-07-26 12:51:46').value).toBe(1_627_303_906_000);
  });
  it('takes numeric text and integral reals exactly', () => {
    expect(ok('millis', '1627303906122').value).toBe(1_627_303_906_122);
    expect(ok('millis', 1_627_303_906_122.0).value).toBe(1_627_303_906_122);
  });
  it.each([1_627_303_906_122.5, 'yesterday', 2n ** 63n - 1n, 9e15, '2021-02-30'])('rejects %s', (v) => expect(reason('millis', v)).toMatch(/milliseconds|out of range|timestamp/));
});

describe('integers', () => {
  it('int: fits PostgreSQL integer or is rejected', () => {
    expect(ok('int', 2_147_483_647n).value).toBe(2_147_483_647);
    expect(reason('int', 2_147_483_648n)).toMatch(/out of range/);
    expect(reason('int', -2_147_483_649n)).toMatch(/out of range/);
    expect(reason('int', 1.5)).toMatch(/not an integer/);
    expect(reason('int', 'twelve')).toMatch(/not an integer/);
    expect(ok('int', 12.0).notes).toEqual(['integral real']);
  });
  it('bigint: 2^53+1 and 2^63−1 exact, as strings; beyond int64 rejected', () => {
    expect(ok('bigint', 2n ** 53n + 1n).value).toBe('9007199254740993');
    expect(ok('bigint', 2n ** 63n - 1n).value).toBe('9223372036854775807');
    expect(ok('bigint', -(2n ** 63n)).value).toBe('-9223372036854775808');
    expect(ok('bigint', '9223372036854775807').value).toBe('9223372036854775807');
    expect(reason('bigint', '9223372036854775808')).toMatch(/out of range/);
    expect(reason('bigint', 2 ** 60)).toMatch(/precision/);
  });
});

describe('text policy (services/sanitize.ts)', () => {
  it('strips U+0000 and notes it', () => expect(ok('text', 'a\u0000b')).toEqual({ ok: true, value: 'ab', notes: ['U+0000 stripped'] }));
  it('replaces a lone surrogate with U+FFFD and notes it', () => expect(ok('text', 'a\uD800b')).toEqual({ ok: true, value: 'a\uFFFDb', notes: ['lone surrogate → U+FFFD'] }));
  it('keeps a valid pair', () => expect(ok('text', 'a\uD83D\uDE00b')).toEqual({ ok: true, value: 'a😀b' }));
  it('rejects invalid UTF-8 and blobs', () => {
    expect(reason('text', new InvalidUtf8(new Uint8Array([0x61, 0xff]), 1))).toMatch(/invalid UTF-8 at byte 1/);
    expect(reason('text', new SqliteBlob(new Uint8Array([0])))).toMatch(/blob/);
  });
});

describe('JSON', () => {
  it('parses, sanitizes strings and keys, notes it', () => {
    const r = ok('json', '{"k\\u0000":"x\\ud800"}');
    expect(r.value).toEqual({ k: 'x\uFFFD' });
    expect(r.notes).toEqual(expect.arrayContaining(['U+0000 stripped', 'lone surrogate → U+FFFD']));
  });
  it('rejects invalid JSON with the parser message', () => expect(reason('json', '{"a":')).toMatch(/^invalid JSON: /));
  it('JSON null is SQL NULL', () => expect(ok('json', 'null').value).toBeNull());
});

describe('decodeText (what the LibSQL reader does with TEXT bytes)', () => {
  it('keeps U+0000 (libsql would cut the text there) and a leading BOM', () => {
    expect(decodeText(new Uint8Array([0x61, 0x00, 0x62]))).toBe('a\u0000b');
    expect(decodeText(new Uint8Array([0xef, 0xbb, 0xbf, 0x61]))).toBe('\uFEFFa');
  });
  it('decodes an encoded lone surrogate (WTF-8) to the code unit; a CESU pair to its character', () => {
    expect(decodeText(new Uint8Array([0x61, 0xed, 0xa0, 0x80]))).toBe('a\uD800');
    expect(decodeText(new Uint8Array([0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]))).toBe('😀');
  });
  it('reports other invalid bytes with their offset', () => {
    const r = decodeText(new Uint8Array([0x61, 0x62, 0xc0, 0x80]));
    expect(r).toBeInstanceOf(InvalidUtf8);
    expect((r as InvalidUtf8).offset).toBe(2);
  });
});

describe('Converter (row rules)', () => {
  const message = (id: unknown, extra: Record<string, unknown> = {}) => ({
    id,
    timestamp: 1_700_000_000_123n,
    sender_type: 'human',
    user_id: 'u1',
    username: 'ada',
    channel_id: 'c1',
    channel_name: 'general',
    guild_id: null,
    message_content: 'hi',
    metadata: '{}',
    created_at: 1n,
    updated_at: null,
    version: 1n,
    ...extra,
  });

  it('converts a clean row to its logical form (ms timestamp exact, absent nullable columns NULL)', () => {
    const r = new Converter('sqlite', 'check').convert('messages', message('m1', { guild_id: 2n ** 63n - 1n, tool_args: '{"n":9007199254740993}' }));
    expect(r.ok && r.row).toMatchObject({ id: 'm1', guild_id: '9223372036854775807', metadata: {}, tool_args: { n: 9007199254740993n }, timestamp: 1_700_000_000_123, created_at: 1, updated_at: null, version: 1 });
  });

  it('rejects a missing NOT NULL value instead of defaulting it, and lists every problem of the row', () => {
    const r = new Converter('sqlite', 'check').convert('messages', message('m1', { message_content: null, metadata: '{x' }));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reject).toMatchObject({ table: 'messages', id: 'm1', column: 'message_content', stage: 'check' });
      expect(r.reject.reason).toMatch(/^missing: message_content is NOT NULL; also metadata: invalid JSON/);
    }
  });

  it('takes NULL for the nullable created_at / updated_at (omega leaves them empty) and a table without created_at', () => {
    const conv = new Converter('sqlite', 'check');
    expect(conv.convert('messages', message('m1', { created_at: null, updated_at: null })).ok).toBe(true);
    const collab = { id: 'c1', document_id: 'd1', user_id: 'u', username: null, role: null, joined_at: null, updated_at: null, version: 1n };
    expect(conv.convert('document_collaborators', collab)).toMatchObject({ ok: true, row: { role: null, joined_at: null } });
  });

  it('rejects missing, non-text and inexact ids', () => {
    const conv = new Converter('sqlite', 'check');
    expect(conv.convert('messages', message(null), { rowid: 7n })).toMatchObject({ ok: false, reject: { id: null, rowid: '7', reason: 'missing: id is NOT NULL' } });
    expect(conv.convert('messages', message(5n))).toMatchObject({ ok: false, reject: { reason: 'unusable id: integer, not text' } });
    expect(conv.convert('messages', message('a\u0000'))).toMatchObject({ ok: false, reject: { reason: expect.stringMatching(/unusable id/) } });
  });

  it('rejects a later duplicate id, keeps the first', () => {
    const conv = new Converter('sqlite', 'check');
    expect(conv.convert('messages', message('m1')).ok).toBe(true);
    expect(conv.convert('messages', message('m1'))).toMatchObject({ ok: false, reject: { id: 'm1', reason: expect.stringMatching(/^duplicate id/) } });
    expect(conv.convert('messages', message('m2')).ok).toBe(true);
  });

  it('rejects orphans: parent missing in the snapshot, or rejected earlier in the run', () => {
    const conv = new Converter('sqlite', 'copy');
    const collab = (id: string, doc: string) => ({ id, document_id: doc, user_id: 'u', username: 'ada', role: 'editor', joined_at: 1n, updated_at: null, version: 1n });
    expect(conv.convert('document_collaborators', collab('c1', 'd0'), { parentExists: { document_id: false } })).toMatchObject({
      ok: false,
      reject: { reason: 'orphan: document d0 missing', column: 'document_id' },
    });
    conv.markRejected('documents', 'd1');
    expect(conv.convert('document_collaborators', collab('c2', 'd1'), { parentExists: { document_id: true } })).toMatchObject({ ok: false, reject: { reason: 'orphan: document d1 was rejected' } });
    expect(conv.convert('document_collaborators', collab('c3', 'd3'), { parentExists: { document_id: true } }).ok).toBe(true);
  });

  it('rejects orphans of a reference to another column than id (user_analysis_history.user_id → user_profiles.user_id)', () => {
    const conv = new Converter('sqlite', 'copy');
    const history = (id: string, userId: string) => ({ id, user_id: userId, analysis_timestamp: 1n, feelings_snapshot: '{}', version: 1n });
    expect(conv.convert('user_analysis_history', history('h1', 'u0'), { parentExists: { user_id: false } })).toMatchObject({
      ok: false,
      reject: { reason: 'orphan: user_profile with user_id u0 missing', column: 'user_id' },
    });
    // A profile rejected by conversion marks its user_id (not only its id).
    const bad = conv.convert('user_profiles', { id: 'p1', user_id: 'u1', username: 'ada', archetype_confidence: 'high', first_seen_at: 1n, last_interaction_at: 1n, version: 1n });
    expect(bad.ok).toBe(false);
    expect(conv.convert('user_analysis_history', history('h2', 'u1'), { parentExists: { user_id: true } })).toMatchObject({ ok: false, reject: { reason: 'orphan: user_profile with user_id u1 was rejected' } });
    expect(conv.convert('user_analysis_history', history('h3', 'p1'), { parentExists: { user_id: true } }).ok).toBe(true); // the profile's id is not its user_id
    // A profile PostgreSQL rejects (markRejected with the row) does the same.
    conv.markRejected('user_profiles', 'p2', { id: 'p2', user_id: 'u2' });
    expect(conv.convert('user_analysis_history', history('h4', 'u2'), { parentExists: { user_id: true } })).toMatchObject({ ok: false, reject: { reason: 'orphan: user_profile with user_id u2 was rejected' } });
  });

  it('canonical mode takes logical values (import of an export)', () => {
    const conv = new Converter('canonical', 'import');
    const r = conv.convert('messages', { ...message('m1'), guild_id: '9223372036854775807', metadata: { a: 'x' }, timestamp: 1_627_303_906_122, created_at: 5, updated_at: 5, version: 2 });
    expect(r).toMatchObject({ ok: true, notes: null, row: { guild_id: '9223372036854775807', metadata: { a: 'x' }, timestamp: 1_627_303_906_122, version: 2 } });
  });
});
