// Every transfer command (export, import, copy, reconcile, gate) refuses an omega-bot LibSQL file
// that `adopt` has not taken over, in one line with LEGACY_SCHEMA (exit 8), before touching
// anything: the file's bytes are unchanged, no export file is written, PostgreSQL stays empty.
// Control: the same commands get past the guard on the adopted file.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPostgres } from '../src/testing/index.js';
import { fileHash, fixture, runCli, tempFolder } from './adopt-helpers.js';

let tmp: ReturnType<typeof tempFolder>;
let pg: { url: string; drop: () => Promise<void> };
beforeAll(async () => {
  tmp = tempFolder();
  pg = await createTestPostgres('adoptguard');
});
afterAll(async () => {
  await pg?.drop();
  tmp?.remove();
});

async function pgTables(url: string): Promise<string[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return (await sql<{ t: string }[]>`SELECT table_schema || '.' || table_name AS t FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`).map((r) => r.t);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

const errorLines = (stderr: string) => stderr.trim().split('\n').filter((l) => l.startsWith('error'));

/** Each command as run against the legacy file at `url` (an empty export folder for import). */
function commands(url: string, dir: string): Array<[string, string[], Record<string, string>]> {
  const env = { LIBSQL_URL: url, DATABASE_URL: pg.url };
  return [
    ['export', ['export', '--out', `${dir}/export-out`], { LIBSQL_URL: url }],
    ['export --libsql-url', ['export', '--libsql-url', url, '--out', `${dir}/export-out2`], {}],
    ['import', ['import', '--from', `${dir}/import-from`], env],
    ['copy', ['copy', '--rejects', `${dir}/rejects`], env],
    ['copy --libsql-url', ['copy', '--libsql-url', url, '--rejects', `${dir}/rejects`], { DATABASE_URL: pg.url }],
    ['reconcile', ['reconcile', '--from', 'sqlite', '--data-dir', `${dir}/data`], env],
    ['gate', ['gate', '--skip-shadow', '--data-dir', `${dir}/data`], env],
  ];
}

const COMMANDS = ['export', 'export --libsql-url', 'import', 'copy', 'copy --libsql-url', 'reconcile', 'gate'];

describe.each(['omega-v3', 'omega-v1', 'project-unstamped'] as const)('a legacy %s file', (layout) => {
  let path: string;
  let url: string;
  let dir: string;
  beforeAll(() => {
    dir = tmp.file(layout);
    mkdirSync(dir);
    path = `${dir}/bot.db`;
    url = fixture(path, { layout, size: 60, seed: 5 });
  });

  it.each(COMMANDS)('%s is refused with LEGACY_SCHEMA (exit 8, one line) and nothing is touched', async (name) => {
    const [, args, env] = commands(url, dir).find((c) => c[0] === name)!;
    const hash = fileHash(path);
    const r = await runCli(args, env);
    expect(r.code, `${name}: ${r.stderr}`).toBe(8);
    expect(errorLines(r.stderr), name).toEqual([expect.stringMatching(/^error LEGACY_SCHEMA: LibSQL .* run `pnpm db adopt` .*before `pnpm db \w+`$/)]);
    expect(fileHash(path), `${name} changed the file`).toBe(hash);
    expect(existsSync(`${path}-wal`) || existsSync(`${path}-journal`), name).toBe(false);
    expect(readdirSync(dir).sort(), `${name} wrote files`).toEqual(['bot.db']);
    expect(await pgTables(pg.url), `${name} wrote to PostgreSQL`).toEqual([]);
  });
});

describe('the adopted file (control)', () => {
  it('export gets past the guard once adopt --apply ran', async () => {
    const dir = tmp.file('adopted');
    mkdirSync(dir);
    const url = fixture(`${dir}/bot.db`, { layout: 'omega-v3', size: 60, seed: 5 });
    expect((await runCli(['export', '--out', `${dir}/out`], { LIBSQL_URL: url })).code).toBe(8);
    const a = await runCli(['adopt', '--libsql-url', url, '--apply']);
    expect(a.code, a.stderr).toBe(0);
    const r = await runCli(['export', '--out', `${dir}/out`, '--allow-rejects'], { LIBSQL_URL: url });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(`${dir}/out/metadata.json`)).toBe(true);
  });
});
