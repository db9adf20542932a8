/**
 * verify's pass compares each json column of a row with PostgreSQL's token whose end the chunk
 * walk already found (the byte before the next token: pass-compare.ts), not by scanning for it
 * again. Pass rows written by hand here (pass-sql.ts grammar), both sides walked as the readers
 * do: a difference in the first, a middle or the last json column (the last one ends at the
 * row's json end) is still a difference, NULL against JSON `null` is the same, and a chunk whose
 * json offsets do not land on PostgreSQL's U+0001 is refused rather than compared.
 */
import { describe, expect, it } from 'vitest';
import { ChunkBuilder, PassFormatError, type PassChunk } from '../src/transfer/verify-pass/pass-chunk.js';
import { PassComparer } from '../src/transfer/verify-pass/pass-compare.js';
import { passLayout } from '../src/transfer/verify-pass/pass-sql.js';

const layout = passLayout('messages');
const JSON_NAMES = layout.json.map((c) => c.name);

/** Plain tokens of a message row (same on both sides for values in canonical storage). */
function plainTokens(id: string): string {
  return layout.plain
    .map((c) => {
      switch (c.type) {
        case 'id':
          return `${Buffer.byteLength(id)}:${id}`;
        case 'text':
          return c.notNull ? `${Buffer.byteLength(`v-${c.name}`)}:v-${c.name}` : ':';
        case 'bool':
          return 'N';
        default:
          return c.notNull ? '1700000000123;' : ';';
      }
    })
    .join('');
}

type Json = Record<string, string | null>;

const liteRow = (id: string, json: Json) =>
  plainTokens(id) + JSON_NAMES.map((n) => (json[n] == null ? ':' : `${Buffer.byteLength(json[n]!)}:${json[n]}`)).join('');
const pgRow = (id: string, json: Json) => plainTokens(id) + JSON_NAMES.map((n) => `${json[n] ?? ''}\u0001`).join('');

function chunk(rows: string[], side: 'sqlite' | 'postgres'): PassChunk {
  const buf = Buffer.from(rows.join(''), 'utf8');
  const c = new ChunkBuilder(layout, rows.length);
  c.addBuffer(buf);
  c.walk(0, 0, buf.length, side);
  expect(c.n).toBe(rows.length);
  return c.build(null);
}

const base: Json = {
  tool_args: '{"query":"x","limit":7}',
  tool_result: null,
  metadata: '{"model":"m","tokens":3}',
  sentiment_analysis: '[1,2]',
  response_decision: '{"b":{"y":1,"x":"é"},"a":null}',
};
const basePg: Json = {
  tool_args: '{"limit": 7, "query": "x"}',
  tool_result: null,
  metadata: '{"model": "m", "tokens": 3}',
  sentiment_analysis: '[1, 2]',
  response_decision: '{"a": null, "b": {"x": "é", "y": 1}}',
};

describe("verify's json columns against PostgreSQL's tokens (spans from the walk)", () => {
  it('has the json columns this test walks (messages: five, the last one ending the row)', () => {
    expect(JSON_NAMES).toEqual(['tool_args', 'tool_result', 'metadata', 'sentiment_analysis', 'response_decision']);
  });

  it('matches equal values in any spacing and key order, and NULL against JSON null', () => {
    const lite = chunk([liteRow('a', base), liteRow('b', { ...base, tool_result: 'null' }), liteRow('c', { ...base, response_decision: null })], 'sqlite');
    const pg = chunk([pgRow('a', basePg), pgRow('b', basePg), pgRow('c', { ...basePg, response_decision: 'null' })], 'postgres');
    const cmp = new PassComparer(layout);
    expect([0, 1, 2].map((r) => cmp.same(lite, r, pg, r))).toEqual([true, true, true]);
  });

  it('finds a difference in the first, a middle and the last json column', () => {
    const cases: Array<[string, Json]> = [
      ['first', { ...basePg, tool_args: '{"limit": 8, "query": "x"}' }],
      ['middle', { ...basePg, metadata: '{"model": "m", "tokens": 30}' }],
      ['middle, NULL against a value', { ...basePg, tool_result: '{}' }],
      ['last', { ...basePg, response_decision: '{"a": null, "b": {"x": "é", "y": 2}}' }],
      ['last, longer', { ...basePg, response_decision: '{"a": null, "b": {"x": "é", "y": 1}, "c": 1}' }],
      ['last, NULL', { ...basePg, response_decision: null }],
    ];
    const lite = chunk(cases.map(([, ], r) => liteRow(`r${r}`, base)), 'sqlite');
    const pg = chunk(cases.map(([, json], r) => pgRow(`r${r}`, json)), 'postgres');
    const cmp = new PassComparer(layout);
    expect(cases.map(([name], r) => [name, cmp.same(lite, r, pg, r)])).toEqual(cases.map(([name]) => [name, false]));
  });

  it('refuses a PostgreSQL chunk whose json offsets do not end on U+0001', () => {
    const lite = chunk([liteRow('a', base)], 'sqlite');
    const pg = chunk([pgRow('a', basePg)], 'postgres');
    const cmp = new PassComparer(layout);
    expect(cmp.same(lite, 0, pg, 0)).toBe(true);
    const json = Int32Array.from(pg.json);
    json[3] = json[3]! + 1; // metadata would then end one byte late, on sentiment_analysis's `[`
    expect(() => cmp.same(lite, 0, { ...pg, json }, 0)).toThrow(PassFormatError);
  });
});
