// JSON with exact integers (json-exact.ts), and the stores reading and writing it on both backends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonDecimal, parseJsonExact, sameJsonValue, stringifyJsonExact } from '../src/json-exact.js';
import { openPhase, silentLogger } from './helpers/phase-db.js';
import { createBothDatabases, openRaw } from './helpers/backends.js';

describe('parseJsonExact / stringifyJsonExact', () => {
  it('keeps integers beyond 2^53 exact as bigint, everything else as JSON.parse does', () => {
    const text = '{"a":9007199254740993,"b":[-18446744073709551615, 1.5, 9007199254740991],"c":"12345678901234567890","d":{"e":1e300}}';
    const v = parseJsonExact(text);
    expect(v).toEqual({ a: 9007199254740993n, b: [-18446744073709551615n, 1.5, 9007199254740991], c: '12345678901234567890', d: { e: 1e300 } });
    expect(stringifyJsonExact(v)).toBe('{"a":9007199254740993,"b":[-18446744073709551615,1.5,9007199254740991],"c":"12345678901234567890","d":{"e":1e+300}}');
    expect(parseJsonExact('12345678901234567890')).toBe(12345678901234567890n);
    // not a double's value: kept exact (JsonDecimal), never rounded to 2.5
    expect(stringifyJsonExact(parseJsonExact('[2.5000000000000000001]'))).toBe('[2.5000000000000000001]');
  });

  it('an integer token of 22+ digits is the double it most likely was (jsonb prints 1e300 as plain digits)', () => {
    expect(parseJsonExact(`{"big":1${'0'.repeat(300)},"x":1${'0'.repeat(21)}}`)).toEqual({ big: 1e300, x: 1e21 });
    expect(parseJsonExact(`[${'9'.repeat(21)}]`)).toEqual([BigInt('9'.repeat(21))]);
  });

  it('texts without a long number token, and quoted digits, are plain JSON.parse results', () => {
    expect(parseJsonExact('{"id":"123456789012345678901"}')).toEqual({ id: '123456789012345678901' });
    expect(parseJsonExact('{"n":42}')).toEqual({ n: 42 });
    expect(stringifyJsonExact({ n: 42, s: 'x' })).toBe('{"n":42,"s":"x"}');
  });

  it('numbers beyond a double stay exact (1e400, 1e-400, 22+ digit integers, 0.1000000000000000000001); -0 is 0 as in jsonb', () => {
    const text = '{"a":1e400,"b":1e-400,"c":0.1000000000000000000001,"d":12345678901234567890123,"e":-0,"f":1.5,"g":[1E+2,-1e-7]}';
    const v = parseJsonExact(text) as Record<string, unknown>;
    expect(v.a).toBeInstanceOf(JsonDecimal);
    expect(v.b).toBeInstanceOf(JsonDecimal);
    expect(v.d).toBe(12345678901234567890123n);
    expect(stringifyJsonExact(v)).toBe('{"a":1e400,"b":1e-400,"c":0.1000000000000000000001,"d":12345678901234567890123,"e":0,"f":1.5,"g":[100,-1e-7]}');
    // the bot's HTTP answers (JSON.stringify) still get the nearest double
    expect(JSON.stringify({ x: v.c })).toBe('{"x":0.1}');
    // compared by exact value: jsonb's plain digits equal the exponent form, 1e400 differs from 1e401
    expect(sameJsonValue(v.a, parseJsonExact(`1${'0'.repeat(400)}`))).toBe(true);
    expect(sameJsonValue(parseJsonExact('[1e400]'), parseJsonExact('[1e401]'))).toBe(false);
    expect(sameJsonValue(parseJsonExact('[0.1000000000000000000001]'), parseJsonExact('[0.1]'))).toBe(false);
    expect(sameJsonValue(parseJsonExact('[1.50, -0]'), parseJsonExact('[1.5, 0]'))).toBe(true);
  });

  it('any depth: 5,000 and 300,000 levels parse, write and compare without recursion', () => {
    for (const depth of [5_000, 300_000]) {
      const arr = `${'['.repeat(depth)}1e400${']'.repeat(depth)}`;
      const obj = `${'{"k":'.repeat(depth)}0.1000000000000000000001${'}'.repeat(depth)}`;
      for (const t of [arr, obj]) {
        const v = parseJsonExact(t);
        expect(stringifyJsonExact(v)).toBe(t);
        expect(sameJsonValue(v, parseJsonExact(t))).toBe(true);
      }
      // JSON.parse's value (no exact numbers) too
      expect(stringifyJsonExact(JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`))).toBe(`${'['.repeat(depth)}${']'.repeat(depth)}`);
    }
  });

  it('a "__proto__" key is kept as a key (never taken as the prototype)', () => {
    const v = parseJsonExact('{"__proto__":{"x":1e400}}');
    expect(Object.keys(v as object)).toEqual(['__proto__']);
    expect(stringifyJsonExact(v)).toBe('{"__proto__":{"x":1e400}}');
  });

  it('throws SyntaxError on invalid JSON on both paths', () => {
    expect(() => parseJsonExact('{"a":')).toThrow(SyntaxError);
    expect(() => parseJsonExact('{"a":12345678901234567890')).toThrow(SyntaxError);
    for (const bad of ['[1e400', '[1e400,]', '{"a" 1e400}', '01e400', '[1e400] x', '["\\x",1e400]', '[1e400 2]']) expect(() => parseJsonExact(bad), bad).toThrow(SyntaxError);
  });
});

describe('stores: metadata with integers beyond 2^53 round-trips exactly on both backends', () => {
  let urls: Awaited<ReturnType<typeof createBothDatabases>>;
  let raw: ReturnType<typeof openRaw>;
  beforeAll(async () => {
    urls = await createBothDatabases('jsonexact');
    raw = openRaw(urls.sqliteUrl, urls.pgUrl);
  });
  afterAll(async () => {
    await raw?.close();
    await urls?.cleanup();
  });

  for (const phase of ['4', '6+'] as const) {
    it(`phase ${phase}: written by the service, stored digit for digit on primary and shadow, read back as bigint`, async () => {
      const db = await openPhase(phase, urls, {}, silentLogger);
      const metadata = { snowflake: 9007199254740993n, nested: { ids: [18446744073709551615n] } };
      let id: string;
      try {
        const place = { userId: 'u-big', username: 'ada', channelId: 'c-big', channelName: 'big' };
        id = await db.messageService.saveHumanMessage({ ...place, messageContent: `big ints ${phase}`, messageId: `mid-${phase}`, metadata });
        const back = await db.messageService.getMessageById(id);
        // records carry JSON as exact text (omega's form); the platform message id is kept in metadata
        expect(parseJsonExact(String(back!.metadata))).toEqual({ ...metadata, messageId: `mid-${phase}` });
      } finally {
        await db.close(); // drains the shadow write
      }
      const lite = await raw.lite.execute({ sql: 'SELECT metadata FROM messages WHERE id = ?', args: [id] });
      expect(String(lite.rows[0]!.metadata)).toBe(`{"snowflake":9007199254740993,"nested":{"ids":[18446744073709551615]},"messageId":"mid-${phase}"}`);
      const pg = await raw.pg.unsafe(`SELECT metadata->>'snowflake' AS s, metadata->'nested'->'ids'->>0 AS i FROM messages WHERE id = $1`, [id]);
      expect(pg).toEqual([{ s: '9007199254740993', i: '18446744073709551615' }]);
    });
  }
});
