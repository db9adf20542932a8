// `db adopt --apply` on real LibSQL files of every omega-bot layout and the product's without
// journal: every row and value kept (full dump of the columns the file had, before = after),
// bookkeeping added, the journal stamped so `migrate` has nothing pending, a second adopt is a
// no-op; omega-bot's own schema runner and INSERTs still work on the adopted file, and its FTS
// finds new rows and no longer finds deleted ones (its stale-entry triggers replaced).
import { existsSync } from 'node:fs';
import Libsql from 'libsql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectLayout } from '../src/adopt/detect.js';
import { migrationStatus } from '../src/transfer/source/migration-status.js';
import { omegaInsertSql, runOmegaSchema, type FixtureLayout, type OmegaVersion } from '../src/testing/index.js';
import { columnsOf, dump, fixture, runCli, tempFolder, withDb } from './adopt-helpers.js';

let tmp: ReturnType<typeof tempFolder>;
beforeAll(() => {
  tmp = tempFolder();
});
afterAll(() => tmp?.remove());

const ftsHits = (db: Libsql.Database, word: string) => (db.prepare(`SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?`).all(word) as unknown[]).length;

/** Inserts one message as omega-bot's service does (its columns only) and returns its rowid. */
function omegaInsertMessage(db: Libsql.Database, version: OmegaVersion, id: string, content: string): void {
  const { sql, columns } = omegaInsertSql(version, 'messages');
  const row: Record<string, unknown> = { id, timestamp: 1_767_225_600_000, sender_type: 'human', user_id: 'u-new', username: 'newcomer', channel_id: 'c1', channel_name: '#general', message_content: content, created_at: 1_767_225_600 };
  db.prepare(sql).run(...columns.map((c) => row[c] ?? null));
}

describe.each([
  ['omega-v3', 'omega-v3'],
  ['omega-v2', 'omega-v2'],
  ['omega-v1', 'omega-v1'],
  ['project-unstamped', 'omega-v3'],
] as const)('adopt --apply on %s', (layout: FixtureLayout, version: OmegaVersion) => {
  let path: string;
  let url: string;
  let legacyColumns: Map<string, string[]>;
  let before: Record<string, unknown[][]>;

  beforeAll(() => {
    path = tmp.file(`${layout}.db`);
    url = fixture(path, { layout, size: 400, seed: 11 });
    legacyColumns = columnsOf(path);
    before = dump(path, legacyColumns);
  });

  it('is refused by migrate (LEGACY_SCHEMA, one line, exit 8) and nothing is written', async () => {
    const m = await runCli(['migrate'], { LIBSQL_URL: url });
    expect(m.code).toBe(8);
    expect(m.stderr.trim().split('\n').filter((l) => l.startsWith('error'))).toEqual([expect.stringMatching(/^error LEGACY_SCHEMA: .*run `pnpm db adopt`/)]);
    expect(withDb(path, (db) => db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE name = '__drizzle_migrations'`).get() as { n: number }).n).toBe(0);
    const s = await runCli(['status'], { LIBSQL_URL: url });
    expect(s.stdout).toContain('layout: legacy, not adopted');
  });

  it('applies: backup, equal checksums before and after, every row and value kept', async () => {
    const r = await runCli(['adopt', '--libsql-url', url, '--apply']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`backup: ${path}.pre-adopt.bak`);
    const sums = (label: string) => r.stdout.split('\n').filter((l) => l.startsWith(label)).map((l) => l.slice(label.length).trim());
    expect(sums('before').length).toBe(legacyColumns.size);
    expect(sums('after')).toEqual(sums('before'));
    expect(r.stdout).toContain('adopted:');
    expect(dump(path, legacyColumns)).toEqual(before);
  });

  it('adds the bookkeeping and stamps the journal: migrate has nothing pending, a second adopt is a no-op', async () => {
    const cols = columnsOf(path);
    for (const t of ['messages', 'queries', 'documents', 'document_collaborators', 'user_profiles', 'user_analysis_history']) expect(cols.get(t), t).toContain('version');
    withDb(path, (db) => {
      expect((db.prepare(`SELECT count(*) AS n FROM messages WHERE version IS NULL OR version < 1`).get() as { n: number }).n).toBe(0);
      expect(db.prepare(`SELECT name FROM sqlite_master WHERE name = 'row_tombstones'`).get()).toBeTruthy();
      db.exec(`INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')`);
    });
    expect((await detectLayout(url)).kind).toBe('adopted');
    const s = await migrationStatus({ libsqlUrl: url });
    expect(s.sqlite).toMatchObject({ reachable: true, pending: [], unknown: 0 });
    const m = await runCli(['migrate', '--target', 'sqlite'], { LIBSQL_URL: url });
    expect(m.code, m.stderr).toBe(0);
    expect(m.stdout).toContain('sqlite: nothing to apply');
    const again = await runCli(['adopt', '--libsql-url', url, '--apply']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('nothing to do');
    expect(dump(path, legacyColumns)).toEqual(before);
  });

  it('the backup exists, opens and holds the rows as they were', () => {
    const backup = `${path}.pre-adopt.bak`;
    expect(existsSync(backup)).toBe(true);
    expect(dump(backup, legacyColumns)).toEqual(before);
    expect(columnsOf(backup)).toEqual(legacyColumns);
  });

  it("omega-bot's own schema runner and INSERTs still work; FTS finds new rows and forgets deleted ones", () => {
    withDb(path, (db) => {
      runOmegaSchema(db, version);
      runOmegaSchema(db, 'omega-v3');
      omegaInsertMessage(db, version, '7f000000-0000-4000-8000-000000000001', 'zyzzyvaword arrives after adoption');
      expect((db.prepare(`SELECT version, updated_at FROM messages WHERE id = ?`).get('7f000000-0000-4000-8000-000000000001') as { version: number }).version).toBe(1);
      expect(ftsHits(db, 'zyzzyvaword')).toBe(1);
      db.prepare(`DELETE FROM messages WHERE id = ?`).run('7f000000-0000-4000-8000-000000000001');
      expect(ftsHits(db, 'zyzzyvaword')).toBe(0);
      // an update: the old words go, the new ones come
      const one = db.prepare(`SELECT id FROM messages ORDER BY id LIMIT 1`).get() as { id: string };
      db.prepare(`UPDATE messages SET message_content = 'quuxnewword' WHERE id = ?`).run(one.id);
      expect(ftsHits(db, 'quuxnewword')).toBe(1);
      db.exec(`INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')`);
      const { sql, columns } = omegaInsertSql(version, 'queries');
      const q: Record<string, unknown> = { id: 'q-after', timestamp: 1_767_225_600_000, user_id: 'u', username: 'n', query_text: 'how many?', created_at: 1_767_225_600 };
      db.prepare(sql).run(...columns.map((c) => q[c] ?? null));
    });
    // the re-run schema runner added no column twice
    expect(new Set(columnsOf(path).get('messages')).size).toBe(columnsOf(path).get('messages')!.length);
  });
});

describe("omega-bot's own FTS triggers (control: the test above can fail)", () => {
  it('leave a deleted row findable on a file that was not adopted', () => {
    const path = tmp.file('control.db');
    fixture(path, { layout: 'omega-v3', size: 10 });
    withDb(path, (db) => {
      omegaInsertMessage(db, 'omega-v3', '7f000000-0000-4000-8000-000000000002', 'staleword here');
      db.prepare(`DELETE FROM messages WHERE id = ?`).run('7f000000-0000-4000-8000-000000000002');
      expect(ftsHits(db, 'staleword')).toBe(1);
    });
  });
});

describe('adopt --apply refusals', () => {
  it('refuses when the backup file exists (exit 2), nothing written', async () => {
    const path = tmp.file('backup-exists.db');
    const url = fixture(path, { layout: 'omega-v3', size: 10 });
    withDb(`${path}.pre-adopt.bak`, (db) => db.exec('CREATE TABLE x (a)'));
    const cols = columnsOf(path);
    const r = await runCli(['adopt', '--libsql-url', url, '--apply']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error BACKUP_EXISTS: backup .*pre-adopt\.bak exists/);
    expect(columnsOf(path)).toEqual(cols);
    expect((await detectLayout(url)).kind).toBe('omega-v3');
  });
});
