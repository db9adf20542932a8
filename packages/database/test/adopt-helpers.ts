// Shared by the adopt-*.test.ts files: fixture files in a temp folder, full dumps of columns, file hashes.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Libsql from 'libsql';
import { buildOmegaDatabase, type OmegaFixtureOptions } from '../src/testing/index.js';

/** A temp folder; `file(name)` is a path in it; `remove()` deletes it. */
export function tempFolder(): { dir: string; file(name: string): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'adopt-'));
  return { dir, file: (name) => join(dir, name), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Builds a fixture at `path` and returns its `file:` URL. */
export function fixture(path: string, opts: OmegaFixtureOptions): string {
  buildOmegaDatabase(path, opts);
  return `file:${path}`;
}

/** Column names of each table that exists, in the file's order. */
export function columnsOf(path: string): Map<string, string[]> {
  const db = new Libsql(path, { readonly: true } as Libsql.Options);
  try {
    const out = new Map<string, string[]>();
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('messages','queries','documents','document_collaborators','user_profiles','user_analysis_history')`).all() as { name: string }[];
    for (const { name } of tables) out.set(name, (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(name) as { name: string }[]).map((c) => c.name));
    return out;
  } finally {
    db.close();
  }
}

/** Every row of the given columns, in id order, exact (bigint integers, Buffers for blobs, text as stored bytes with its storage class). */
export function dump(path: string, columns: Map<string, string[]>): Record<string, unknown[][]> {
  const db = new Libsql(path, { readonly: true } as Libsql.Options);
  try {
    const out: Record<string, unknown[][]> = {};
    for (const [t, cols] of columns) {
      const sel = cols.map((c) => `typeof("${c}"), "${c}"`).join(', ');
      out[t] = db.prepare(`SELECT ${sel} FROM "${t}" ORDER BY id`).raw(true).safeIntegers(true).all() as unknown[][];
    }
    return out;
  } finally {
    db.close();
  }
}

/** sha256 of a file's bytes (a file nothing wrote to keeps it). */
export function fileHash(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Runs SQL on a file and closes it. */
export function withDb<T>(path: string, fn: (db: Libsql.Database) => T): T {
  const db = new Libsql(path);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

const PKG = new URL('../', import.meta.url).pathname;

/** Runs the built CLI (`dist/cli/main.js`) with only PATH and `env`. */
export function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['dist/cli/main.js', ...args], { cwd: PKG, env: { PATH: process.env.PATH, ...env }, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
