// Property: for every generated hostile source, `copy` ≡ `export` + `import` (the PostgreSQL
// contents are identical, row for row), and `check` predicts exactly the rows they reject.
// A seeded generator (mulberry32) makes the rows, so a failure names its seed and replays:
// seconds columns in every spelling (seconds, milliseconds, ISO text, numeric text, reals,
// ambiguous and out-of-range values), JSON with numbers beyond a double, U+0000 and lone
// surrogates in keys and strings, nesting up to thousands of levels, invalid JSON, unique keys
// colliding after the text policy, orphans.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from '@libsql/client';
import { afterAll, describe, expect, it } from 'vitest';
import { migratePostgres, migrateSqlite } from '../src/migrations/migrate.js';
import { tableNames } from '../src/schema/tables.js';
import { createTestPostgres, createTestSqlite } from '../src/testing/index.js';
import { checkDatabase } from '../src/transfer/check.js';
import { copyDatabase } from '../src/transfer/copy.js';
import { exportDatabase } from '../src/transfer/export.js';
import { importDirectory } from '../src/transfer/import.js';
import { verifyTables } from '../src/transfer/verify.js';
import { prng } from './helpers/prng.js';
import { doc, dumpPostgres, insertRow, msg, raw } from './transfer-fixtures.js';


type Gen = { pick<T>(xs: readonly T[]): T; int(n: number): number; chance(p: number): boolean };
const gen = (r: () => number): Gen => ({
  pick: (xs) => xs[Math.floor(r() * xs.length)]!,
  int: (n) => Math.floor(r() * n),
  chance: (p) => r() < p,
});

/** A text value as SQL: plain, or with a U+0000 / a lone surrogate (WTF-8 bytes) spliced in. */
function hostileText(g: Gen, base: string): string | { sql: string } {
  switch (g.int(5)) {
    case 0:
      return raw(`'${base}' || char(0)`);
    case 1:
      return raw(`'${base}' || CAST(x'eda080' AS TEXT)`);
    case 2:
      return raw(`'${base}' || CAST(x'edb0bf' AS TEXT)`);
    default:
      return base;
  }
}

const SECONDS: readonly unknown[] = [
  1_700_000_000, 0, -1, 1_700_000_000_123, 253_402_300_799, 253_402_300_799_999, 253_402_300_800_000, -253_402_300_799_999, 150_000_000_000, 99_999_999_999,
  1.5, -1.5, 1_700_000_000_123.7, '1700000000', '1e11', ' 42 ', '9999-12-31T23:59:59Z', '1970-01-01', '2024-02-29T12:00:00+05:30', '2023-02-29', 'soon', null,
];
const NUMBERS = ['1e400', '-1e400', '1e-400', '-0', '0.1000000000000000000001', '123456789012345678901234', '9007199254740993', '-18446744073709551615', '1.50', '1e-7', '1E+2', '2.5e-3', '1e131072', '0', '42'];
const KEYS = ['k', 'k\\u0000', 'a', '\\ud800', '\\udfff', '\\ud83d\\ude00', 'é', 'e\\u0301', '__proto__', ''];
const STRINGS = ['"x"', '"x\\u0000y"', '"\\ud800"', '"\\u00e9"', '"tab\\t"', '""'];

/** JSON text of a random value (depth-limited), sometimes hostile. */
function jsonText(g: Gen, depth: number): string {
  if (depth <= 0 || g.chance(0.35)) return g.chance(0.5) ? g.pick(NUMBERS) : g.pick([...STRINGS, 'true', 'null']);
  if (g.chance(0.5)) {
    const n = g.int(4);
    return `[${Array.from({ length: n }, () => jsonText(g, depth - 1)).join(',')}]`;
  }
  const n = g.int(4);
  return `{${Array.from({ length: n }, () => `"${g.pick(KEYS)}":${jsonText(g, depth - 1)}`).join(',')}}`;
}

function metadata(g: Gen): string | null {
  const k = g.int(10);
  if (k === 0) return null;
  if (k === 1) return '{"broken":';
  if (k === 2) {
    const d = g.pick([3_000, 14_000, 20_000]);
    return `${'['.repeat(d)}${g.pick(NUMBERS)}${']'.repeat(d)}`;
  }
  return jsonText(g, 6);
}

async function buildSource(c: Client, seed: number): Promise<void> {
  const g = gen(prng(seed));
  await c.execute('PRAGMA foreign_keys = OFF');
  await c.execute('DROP INDEX idx_collaborators_unique');
  const users = ['u1', 'u2', 'u3', 'u4'];
  const docIds: string[] = [];
  for (let i = 0; i < 40; i++) {
    const id = `d${String(i).padStart(3, '0')}`;
    docIds.push(id);
    await insertRow(c, 'documents', doc(id, { title: hostileText(g, `t${i}`), created_at: g.pick(SECONDS) as never, updated_at: g.pick(SECONDS) as never, metadata: metadata(g) }));
  }
  for (let i = 0; i < 40; i++) {
    const docId = g.chance(0.15) ? hostileText(g, g.pick(docIds)) : g.chance(0.05) ? 'd-missing' : g.pick(docIds);
    await insertRow(c, 'document_collaborators', { id: `c${String(i).padStart(3, '0')}`, document_id: docId, user_id: hostileText(g, g.pick(users)), joined_at: g.pick(SECONDS) as never });
  }
  for (let i = 0; i < 12; i++) {
    // omega-bot's inline UNIQUE (user_id) refuses exact duplicates in SQLite: only the policy-made ones get in
    await insertRow(c, 'user_profiles', { id: `p${String(i).padStart(3, '0')}`, user_id: hostileText(g, g.pick(users)), username: hostileText(g, 'name'), created_at: g.pick(SECONDS) as never }).catch((e: Error) => {
      if (!/UNIQUE/.test(e.message)) throw e;
    });
  }
  for (let i = 0; i < 20; i++) {
    await insertRow(c, 'user_analysis_history', {
      id: `h${String(i).padStart(3, '0')}`,
      user_id: g.chance(0.1) ? 'nobody' : hostileText(g, g.pick(users)),
      analysis_timestamp: (g.pick(SECONDS) ?? 1_700_000_000) as never,
      feelings_snapshot: metadata(g),
    });
  }
  for (let i = 0; i < 40; i++) {
    await insertRow(c, 'messages', msg(`m${String(i).padStart(3, '0')}`, { metadata: metadata(g), tool_args: metadata(g), created_at: g.pick(SECONDS) as never, message_content: hostileText(g, 'hi') }));
  }
}


/** `table:id reason` of every line of the rejects files in `dir` (`<table>.ndjson`). */
function rejectsIn(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of tableNames) {
    const f = join(dir, `${t}.ndjson`);
    if (!existsSync(f)) continue;
    for (const line of readFileSync(f, 'utf8').split('\n').filter(Boolean)) {
      const r = JSON.parse(line) as { id: string | null; rowid?: string; reason: string };
      out.set(`${t}:${r.id ?? `rowid ${r.rowid}`}`, r.reason);
    }
  }
  return out;
}

const SEEDS = [1, 2, 3, 4, 5, 20240514];
const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const f of cleanups) await f();
});

describe('copy ≡ export + import over generated hostile rows, and verify agrees', () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}: same PostgreSQL contents, same rejects, predicted by check`, async () => {
      const src = createTestSqlite(`prop-${seed}.db`);
      cleanups.push(() => src.remove());
      await migrateSqlite(src.url);
      const c = createClient({ url: src.url, intMode: 'bigint' });
      try {
        await buildSource(c, seed);
      } finally {
        c.close();
      }
      const [a, b] = await Promise.all([createTestPostgres(`xfer_prop_a${seed}`), createTestPostgres(`xfer_prop_b${seed}`)]);
      cleanups.push(() => a.drop(), () => b.drop());
      await Promise.all([migratePostgres(a.url), migratePostgres(b.url)]);
      const dir = mkdtempSync(join(tmpdir(), `prop-${seed}-`));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));

      const check = await checkDatabase({ libsqlUrl: src.url });
      const copied = await copyDatabase({ libsqlUrl: src.url, databaseUrl: a.url, rejectsDir: join(dir, 'copy-rejects'), batchRows: 7, chunkRows: 9 });
      const exported = await exportDatabase({ libsqlUrl: src.url, outDir: join(dir, 'export'), chunkRows: 9 });
      const imported = await importDirectory({ dir: join(dir, 'export'), databaseUrl: b.url, batchRows: 7 });

      expect([...rejectsIn(join(dir, 'export', 'rejects'))], 'import rejects nothing export let through').toEqual([]);
      expect(imported.totals.rejected).toBe(0);
      const byCopy = rejectsIn(join(dir, 'copy-rejects'));
      const byExport = rejectsIn(join(dir, 'export', 'rejects', 'export'));
      expect([...byCopy].filter(([, why]) => why.startsWith('postgres ')), 'PostgreSQL refuses nothing the conversion let through').toEqual([]);
      expect([...byExport.keys()].sort()).toEqual([...byCopy.keys()].sort());
      expect(check.rejects.map((r) => `${r.table}:${r.id ?? `rowid ${r.rowid}`}`).sort(), 'check predicts every reject of copy').toEqual([...byCopy.keys()].sort());
      expect(copied.totals.rejected).toBe(byCopy.size);
      expect(await dumpPostgres(b.url)).toEqual(await dumpPostgres(a.url));
      expect(check.totals.rejected, 'the generator made hostile rows').toBeGreaterThan(0);
      // verify sees the rejects copy made as rejects (not drift), each by id
      const v = await verifyTables({ libsqlUrl: src.url, databaseUrl: a.url, recheckDelayMs: 0, threads: false, sampleSize: 1_000 });
      expect(v.sample.map((d) => `${d.table}:${d.id} ${d.kind} ${d.columns.join(',')} (copy: ${byCopy.get(`${d.table}:${d.id}`) ?? 'loaded'})`)).toEqual([]);
      expect(v.rejectedSample.map((r) => `${r.table}:${r.id}`).sort()).toEqual([...byCopy.keys()].filter((k) => !k.includes(':rowid ')).sort());
    }, 240_000);
  }
});
