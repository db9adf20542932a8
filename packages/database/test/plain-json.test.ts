// The byte check of copy's byte path (src/transfer/convert/plain-json.ts): JSON text it accepts
// must be what the converter writes back unchanged (coerce.ts, then stringifyJsonExact), with no
// note. The oracle is the converter itself, on generated values written by JSON.stringify (the
// form the check must mostly accept) and on every mutation of them that may change the write-back:
// whitespace, escapes, duplicate and integer keys, number spellings, nesting, invalid text.
import { describe, expect, it } from 'vitest';
import { coerce } from '../src/transfer/convert/coerce.js';
import { isPlainJson, MAX_DEPTH, MAX_KEYS } from '../src/transfer/convert/plain-json.js';
import { stringifyJsonExact } from '../src/json-exact.js';
import { prng } from './helpers/prng.js';

/** Whether the converter writes `text` back as it is, noting nothing (what the check must imply). */
function convertedUnchanged(text: string): boolean {
  const r = coerce('json', text, false);
  if (!r.ok || (r.notes && r.notes.length > 0) || r.value === null) return false;
  return stringifyJsonExact(r.value) === text;
}

/**
 * The check on `text`'s UTF-8, and the text the converter would then read: the bytes decoded (a
 * lone surrogate of a JS string is written as U+FFFD, as SQLite would hold it). Null for bytes the
 * byte path never checks (U+0000: the chunk goes to the converter).
 */
function onBytes(text: string): { accepted: boolean; read: string } | null {
  const bytes = Buffer.from(text);
  if (bytes.includes(0)) return null;
  return { accepted: isPlainJson(bytes, 0, bytes.length), read: bytes.toString('utf8') };
}
const accepts = (text: string) => onBytes(text)?.accepted === true;


const CHARS = ['a', 'Z', ' ', '"', '\\', '/', '\n', '\t', '\b', '\f', '\r', '\u0001', '\u001f', '\u007f', 'é', '日', '🎉', '\u2028', '\ud800', '\u0000', ':', ',', '[', '1', 'e'];
const NUMBERS = [0, -0, 1, -1, 0.5, 1.5, 0.1, 0.30000000000000004, 1e-6, 1e-7, 123456789012345, 1234567890123456, 2 ** 53 + 2, 1e21, 1e300, -2.5e-8, 3.14159, 100, 0.000123];
const KEYS = ['a', 'b', 'topic', '0', '1', '10', '01', '__proto__', '', 'k"q', 'é', 'a b', 'constructor'];

function value(r: () => number, depth: number): unknown {
  const k = Math.floor(r() * (depth > 3 ? 4 : 7));
  switch (k) {
    case 0:
      return NUMBERS[Math.floor(r() * NUMBERS.length)];
    case 1:
      return Array.from({ length: Math.floor(r() * 4) }, () => CHARS[Math.floor(r() * CHARS.length)]).join('');
    case 2:
      return [true, false, null][Math.floor(r() * 3)];
    case 3:
      return Math.floor(r() * 1000);
    case 4:
    case 5: {
      const o: Record<string, unknown> = {};
      for (let n = Math.floor(r() * 4); n > 0; n--) Object.defineProperty(o, KEYS[Math.floor(r() * KEYS.length)]!, { value: value(r, depth + 1), enumerable: true, writable: true, configurable: true });
      return o;
    }
    default:
      return Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth + 1));
  }
}

/** Spellings of `text` that parse to the same value or nearly, each a way the write-back may differ. */
function mutations(text: string, r: () => number): string[] {
  const at = Math.floor(r() * (text.length + 1));
  return [
    `${text.slice(0, at)} ${text.slice(at)}`,
    text.replace(/:/, ': '),
    text.replace(/,/, ',\n'),
    text.replace(/"a"/, '"\\u0061"'),
    text.replace(/\\n/, '\\u000a'),
    text.replace(/\//, '\\/'),
    text.replace(/(\d)(?=[,\]}]|$)/, '$10'),
    text.replace(/(\d+)(?=[,\]}]|$)/, '$1.0'),
    text.replace(/(\d+)(?=[,\]}]|$)/, '$1e0'),
    text.replace(/\{"/, '{"a":0,"'),
    text.replace(/\{/, '{"7":1,'),
    text.replace(/\[/, '[-0,'),
    text.replace(/"$/, '\\u0000"'),
    text.slice(0, -1),
    `${text}x`,
  ];
}

describe('isPlainJson: what it accepts, the converter writes back unchanged', () => {
  it('on generated values and their mutations (seeded)', () => {
    const r = prng(20261206);
    let plainAccepted = 0;
    let plainTotal = 0;
    let checked = 0;
    for (let n = 0; n < 4000; n++) {
      const v = value(r, 0);
      const text = JSON.stringify(v);
      if (text === undefined) continue;
      for (const t of [text, ...mutations(text, r)]) {
        const c = onBytes(t);
        if (!c) continue;
        checked++;
        if (c.accepted) expect(convertedUnchanged(c.read), t).toBe(true);
      }
      plainTotal++;
      if (accepts(text)) plainAccepted++;
    }
    expect(checked).toBeGreaterThan(50_000);
    // Not vacuous: most texts written by JSON.stringify pass (the rest hold a rule's exception).
    expect(plainAccepted / plainTotal).toBeGreaterThan(0.4);
  });

  it('accepts omega-bot shaped JSON as JSON.stringify writes it', () => {
    for (const v of [
      { topic: 'general', model: 'claude-3-haiku', tokens: 1234, cost: 0.00042 },
      { shouldRespond: true, confidence: 0.9, reason: 'asked "why?"\nthen left' },
      { sentiment: 'positive', score: 0.85, emotions: ['joy', 'surprise'], nested: { a: [1, 2, { b: null }] } },
      { query: 'weather in 東京', results: [], success: true },
      'just a string',
      42,
      [],
      {},
    ]) {
      const t = JSON.stringify(v);
      expect(accepts(t), t).toBe(true);
      expect(convertedUnchanged(t), t).toBe(true);
    }
  });

  it('refuses each case where the write-back or the text policy could change the text', () => {
    for (const t of [
      'null',
      '{"a": 1}',
      ' {"a":1}',
      '{"a":1}\n',
      '{"b":1,"a":1,"b":2}',
      '{"2":1,"a":1}',
      '{"__proto__":1}',
      '{"s":"\\u0041"}',
      '{"s":"\\ud800"}',
      '{"s":"a\\/b"}',
      '{"n":1.0}',
      '{"n":1.50}',
      '{"n":-0}',
      '{"n":1e5}',
      '{"n":01}',
      '{"n":0.0000001}',
      '{"n":1234567890123456}',
      '{"n":.5}',
      '{"n":1.}',
      '{"s":"tab\there"}',
      '{"a":1,}',
      '[1,]',
      '{"a" :1}',
      'nul',
      'tru',
      '"unterminated',
      `${'['.repeat(MAX_DEPTH + 1)}${']'.repeat(MAX_DEPTH + 1)}`,
      JSON.stringify(Object.fromEntries(Array.from({ length: MAX_KEYS + 1 }, (_, i) => [`k${i}`, i]))),
    ]) {
      expect(accepts(t), t).toBe(false);
    }
    // At the limits, accepted.
    expect(accepts(`${'['.repeat(MAX_DEPTH)}${']'.repeat(MAX_DEPTH)}`)).toBe(true);
    expect(accepts(JSON.stringify(Object.fromEntries(Array.from({ length: MAX_KEYS }, (_, i) => [`k${i}`, i]))))).toBe(true);
    expect(accepts('{"n":0.000001,"m":-123456789012345,"o":-0.5,"p":"\\"\\\\\\b\\f\\n\\r\\t"}')).toBe(true);
  });
});
