/**
 * Every LibSQL connection the product opens waits for other processes' locks: `@libsql/client`'s
 * default busy timeout is 0 ms, and one client opened without it (the layout check) made bot
 * replicas starting on one file fail with SQLITE_BUSY. Raw clients come from
 * `createLibsqlClient` and native `libsql` databases from `openLibsqlFile` (both in
 * stores/sqlite/libsql-client.ts) only; the test and bench data helpers are outside the product.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openLibsqlFile } from '../src/stores/sqlite/libsql-client.js';

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

  it('openLibsqlFile waits for a write lock held by another process (default timeout) and fails at once with 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'libsql-busy-'));
    const path = join(dir, 'busy.db');
    try {
      const setup = openLibsqlFile(path);
      setup.exec('PRAGMA journal_mode = WAL; CREATE TABLE t (x INTEGER)');
      setup.close();
      // Another process takes the write lock, says so, and releases it 400 ms later.
      const holder = spawn(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `import Libsql from 'libsql'; const db = new Libsql(${JSON.stringify(path)}); db.exec('BEGIN IMMEDIATE; INSERT INTO t VALUES (1)'); console.log('locked'); setTimeout(() => { db.exec('COMMIT'); db.close(); }, 400);`,
        ],
        { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const exited = new Promise<number | null>((res) => holder.once('exit', res));
      await new Promise<void>((res, rej) => {
        holder.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && res());
        holder.once('exit', (code) => rej(new Error(`lock holder exited early (${code})`)));
      });
      const impatient = openLibsqlFile(path, 0);
      expect(() => impatient.exec('INSERT INTO t VALUES (2)')).toThrow(/SQLITE_BUSY|locked/i);
      impatient.close();
      const patient = openLibsqlFile(path); // DEFAULT_BUSY_TIMEOUT_MS: outlasts the holder's 400 ms
      patient.exec('INSERT INTO t VALUES (3)');
      expect(patient.prepare('SELECT x FROM t ORDER BY x').raw(true).all()).toEqual([[1], [3]]);
      patient.close();
      expect(await exited).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
