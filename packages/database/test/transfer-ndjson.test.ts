// readLineBatches (ndjson.ts): lines exactly as written, whatever falls on a read boundary; and
// AtomicFile writes them back byte for byte, small and large texts mixed.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AtomicFile } from '../src/transfer/files/atomic-file.js';
import { readLineBatches } from '../src/transfer/files/ndjson.js';

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
    want.push('y'.repeat(3 << 20)); // one line longer than several reads
    const got = await lines(`${want.join('\n')}\n`);
    expect(got.lines).toEqual(want);
    expect(got.batches).toBeGreaterThan(1);
  });
});

describe('AtomicFile', () => {
  it('writes small and large texts in order, byte for byte, and counts the bytes', async () => {
    const texts = Array.from({ length: 5_000 }, (_, i) => (i % 1_000 === 999 ? `${'é😀'.repeat(200_000)}\n` : `${i} ${'ü'.repeat(i % 50)}\n`));
    const path = join(dir, 'atomic.ndjson');
    const f = await AtomicFile.create(path);
    for (const t of texts) await f.write(t);
    await f.commit();
    const written = readFileSync(path);
    expect(written.toString('utf8')).toBe(texts.join(''));
    expect(f.bytes).toBe(written.length);
  });
});
