/**
 * Every LibSQL connection the product opens waits for other processes' locks: `@libsql/client`'s
 * default busy timeout is 0 ms, and one client opened without it (the layout check) made bot
 * replicas starting on one file fail with SQLITE_BUSY. Raw clients come from
 * `createLibsqlClient` and native `libsql` databases from `openLibsqlFile` (both in
 * stores/sqlite/libsql-client.ts) only; the test and bench data helpers are outside the product.
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

  it('only stores/sqlite/libsql-client.ts opens the native libsql driver (new Libsql(…), a value import of libsql)', () => {
    const openers = files
      .filter((f) => f.path !== 'stores/sqlite/libsql-client.ts' && !f.path.startsWith('testing/') && !f.path.startsWith('bench/'))
      .filter((f) => /\bnew Libsql\s*\(/.test(f.text) || /^import (?!type )[^;]*from 'libsql';/m.test(f.text))
      .map((f) => f.path);
    expect(openers).toEqual([]);
  });

  it('openLibsqlFile passes the busy timeout to the driver', () => {
    const helper = files.find((f) => f.path === 'stores/sqlite/libsql-client.ts')!.text;
    expect(helper).toMatch(/new Libsql\(path, \{ timeout: busyTimeoutMs \}/);
  });
});
