// readLineBatches (ndjson.ts): lines exactly as written, whatever falls on a 1 MiB read boundary.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readLineBatches } from '../src/transfer/ndjson.js';

const dir = mkdtempSync(join(tmpdir(), 'ndjson-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function lines(content: string | Buffer): Promise<{ lines: string[]; batches: number }> {
  const path = join(dir, `f${Math.random()}.ndjson`);
  writeFileSync(path, content);
  const out: string[] = [];
  let batches = 0;
  for await (const b of readLineBatches(path)) {
    batches++;
    out.push(...b);
  }
  return { lines: out, batches };
}

describe('readLineBatches', () => {
  it('splits on \\n, drops a \\r before it, keeps a last line without \\n, yields no empty last line', async () => {
    expect((await lines('{"a":1}\n{"b":2}\r\n{"c":3}')).lines).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
    expect((await lines('x\n\ny\n')).lines).toEqual(['x', '', 'y']);
    expect((await lines('')).lines).toEqual([]);
  });

  it('keeps multi-byte characters and lines that straddle 1 MiB reads intact', async () => {
    const want = Array.from({ length: 3_000 }, (_, i) => `${i} ${'é😀'.repeat(i % 300)} ${'x'.repeat(i % 7)}`);
    want.push('y'.repeat(3 << 20)); // one line longer than a read
    const got = await lines(`${want.join('\n')}\n`);
    expect(got.lines).toEqual(want);
    expect(got.batches).toBeGreaterThan(1);
  });
});
