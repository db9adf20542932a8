/**
 * Every LibSQL connection the product opens waits for other processes' locks: `@libsql/client`'s
 * default busy timeout is 0 ms, and one client opened without it (the layout check) made bot
 * replicas starting on one file fail with SQLITE_BUSY. Raw clients come from
 * `createLibsqlClient` (stores/sqlite/libsql-client.ts) only, and every `new Libsql(…)` outside the
 * test and bench data helpers passes a timeout.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

const files = sources(SRC).map((path) => ({ path: relative(SRC, path), text: readFileSync(path, 'utf8') }));

describe('LibSQL connections always have a busy timeout', () => {
  it('finds the sources (the scan itself works)', () => {
    expect(files.some((f) => f.path === 'stores/sqlite/libsql-client.ts')).toBe(true);
    expect(files.length).toBeGreaterThan(50);
  });

  it('only stores/sqlite/libsql-client.ts calls @libsql/client createClient', () => {
    const callers = files.filter((f) => f.path !== 'stores/sqlite/libsql-client.ts' && /\bcreateClient\s*\(/.test(f.text)).map((f) => f.path);
    expect(callers).toEqual([]);
  });

  it('every new Libsql(…) of the product passes a timeout', () => {
    const missing = files
      .filter((f) => !f.path.startsWith('testing/') && !f.path.startsWith('bench/'))
      .flatMap((f) => [...f.text.matchAll(/new Libsql\(([^;]*)\)/g)].filter((m) => !/timeout:/.test(m[1]!)).map(() => f.path));
    expect(missing).toEqual([]);
  });
});
