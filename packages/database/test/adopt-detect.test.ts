// `detectLayout` and `db adopt` without --apply on real LibSQL files: every layout omega-bot's code
// leaves (v1, v2, v3, a v1 file upgraded by v3), the product's layout without journal, an empty
// file, an adopted one, and foreign files refused with exit 7 and one line naming the mismatch.
// Without --apply nothing is written (file bytes unchanged, no backup).
import { existsSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectLayout } from '../src/adopt/detect.js';
import { migrateSqlite } from '../src/migrations/migrate.js';
import { fileHash, fixture, runCli, tempFolder, withDb } from './adopt-helpers.js';

let tmp: ReturnType<typeof tempFolder>;
beforeAll(() => {
  tmp = tempFolder();
});
afterAll(() => tmp?.remove());

describe('detectLayout', () => {
  it.each([
    ['omega-v3', 'omega-v3', 'omega-v3'],
    ['omega-v2', 'omega-older', 'omega-v2'],
    ['omega-v1', 'omega-older', 'omega-v1'],
    ['project-unstamped', 'project-unstamped', null],
  ] as const)('%s → %s', async (layout, kind, version) => {
    const url = fixture(tmp.file(`${layout}.db`), { layout, size: 60 });
    const d = await detectLayout(url);
    expect(d.kind).toBe(kind);
    expect(d.omegaVersion).toBe(version);
    expect(d.journal).toBe('absent');
  });

  it('a v1 file the v3 bot upgraded with its ALTERs (other column order) is omega-v3', async () => {
    const url = fixture(tmp.file('upgraded.db'), { layout: 'omega-v3', upgradedFrom: ['omega-v1', 'omega-v2'], size: 30 });
    expect((await detectLayout(url)).kind).toBe('omega-v3');
  });

  it('an omega file without FTS, or with another tokenizer, is older omega', async () => {
    const path = tmp.file('nofts.db');
    const url = fixture(path, { layout: 'omega-v3', size: 20 });
    withDb(path, (db) => db.exec('DROP TRIGGER messages_fts_insert; DROP TRIGGER messages_fts_delete; DROP TRIGGER messages_fts_update; DROP TABLE messages_fts'));
    expect((await detectLayout(url)).kind).toBe('omega-older');
    withDb(path, (db) => db.exec(`CREATE VIRTUAL TABLE messages_fts USING fts5(message_content, content='messages', content_rowid='rowid', tokenize='porter')`));
    const d = await detectLayout(url);
    expect(d.kind).toBe('omega-v3');
    expect(d.differences!.fts).toMatchObject({ kind: 'rebuild', reason: expect.stringContaining('indexes (message_content)') });
  });

  it('a missing file and an empty file are empty (missing: not created); a migrated file is adopted', async () => {
    const missing = tmp.file('missing.db');
    expect((await detectLayout(`file:${missing}`)).kind).toBe('empty');
    expect(existsSync(missing)).toBe(false);
    const empty = tmp.file('empty.db');
    writeFileSync(empty, '');
    expect((await detectLayout(`file:${empty}`)).kind).toBe('empty');
    await migrateSqlite(`file:${empty}`);
    expect((await detectLayout(`file:${empty}`)).kind).toBe('adopted');
  });

  it.each([
    ['an extra column', 'ALTER TABLE messages ADD COLUMN foo TEXT', "table messages: column foo is not omega-bot's"],
    ['a foreign table', 'CREATE TABLE notes (id TEXT)', "table notes is not omega-bot's"],
    ['a missing table', 'DROP TABLE queries', 'missing table queries'],
    ['an unknown index', 'CREATE INDEX my_idx ON messages(username)', "index my_idx on messages is not omega-bot's"],
    ['an index on other columns', 'DROP INDEX idx_messages_user_id; CREATE INDEX idx_messages_user_id ON messages(username)', 'index idx_messages_user_id: on (username)'],
    ['a foreign trigger', "CREATE TRIGGER t1 AFTER INSERT ON queries BEGIN SELECT 1; END", "trigger t1 on queries is not omega-bot's"],
    ['an FTS table holding its own content', "DROP TRIGGER messages_fts_insert; DROP TRIGGER messages_fts_delete; DROP TRIGGER messages_fts_update; DROP TABLE messages_fts; CREATE VIRTUAL TABLE messages_fts USING fts5(message_content, tool_name, username)", 'it may hold data of its own'],
  ])('%s is refused', async (_what, sql, mismatch) => {
    const path = tmp.file(`foreign-${_what.replace(/\W+/g, '-')}.db`);
    const url = fixture(path, { layout: 'omega-v3', size: 10 });
    withDb(path, (db) => db.exec(sql));
    const d = await detectLayout(url);
    expect(d.kind).toBe('unrecognised');
    expect(d.mismatch).toContain(mismatch);
  });

  it('a column of another type or nullability is refused', async () => {
    const path = tmp.file('types.db');
    withDb(path, (db) => db.exec(`CREATE TABLE messages (id TEXT PRIMARY KEY, timestamp TEXT NOT NULL); CREATE TABLE queries (id TEXT PRIMARY KEY)`));
    expect((await detectLayout(`file:${path}`)).mismatch).toBe("table messages: column timestamp is TEXT, omega-bot's is INTEGER");
  });
});

describe('db adopt (plan only)', () => {
  it('prints the plan and changes nothing without --apply', async () => {
    const path = tmp.file('plan.db');
    const url = fixture(path, { layout: 'omega-v2', size: 40 });
    const before = fileHash(path);
    const r = await runCli(['adopt', '--libsql-url', url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('layout: omega-older (omega-v2)');
    expect(r.stdout).toContain('add column   messages.interaction_type TEXT');
    expect(r.stdout).toContain('add column   messages.version INTEGER NOT NULL DEFAULT 1');
    expect(r.stdout).toContain('add column   document_collaborators.updated_at INTEGER');
    expect(r.stdout).toContain('create table user_profiles');
    expect(r.stdout).toContain('create table row_tombstones');
    expect(r.stdout).toContain('create index messages_channel_ts_idx ON messages(channel_id, timestamp, id)');
    expect(r.stdout).toMatch(/rebuild FTS {2}messages_fts from messages \(tokenizer unicode61/);
    expect(r.stdout).toMatch(/stamp {8}__drizzle_migrations: 0000_omega_schema \(hash [0-9a-f]{12}…, created_at \d+\)/);
    expect(r.stdout).toContain(`nothing changed: stop the old bot, then run again with --apply (backup first to ${path}.pre-adopt.bak)`);
    expect(fileHash(path)).toBe(before);
    expect(existsSync(`${path}.pre-adopt.bak`)).toBe(false);
    const j = await runCli(['--json', 'adopt', '--libsql-url', url]);
    const doc = JSON.parse(j.stdout) as { applied: boolean; layout: { kind: string }; steps: { kind: string }[] };
    expect(doc).toMatchObject({ applied: false, layout: { kind: 'omega-older' } });
    expect(doc.steps.filter((s) => s.kind === 'stamp-journal')).toHaveLength(1);
    expect(fileHash(path)).toBe(before);
  });

  it('a foreign file exits 7 with one line naming the mismatch; nothing written', async () => {
    const path = tmp.file('foreign-cli.db');
    const url = fixture(path, { layout: 'omega-v3', size: 10 });
    withDb(path, (db) => db.exec('ALTER TABLE messages ADD COLUMN foo TEXT'));
    const before = fileHash(path);
    for (const args of [['adopt', '--libsql-url', url], ['adopt', '--libsql-url', url, '--apply']]) {
      const r = await runCli(args);
      expect(r.code).toBe(7);
      expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error UNRECOGNISED_LAYOUT: .*table messages: column foo is not omega-bot's$/)]);
    }
    expect(fileHash(path)).toBe(before);
    expect(existsSync(`${path}.pre-adopt.bak`)).toBe(false);
    const m = await runCli(['migrate'], { LIBSQL_URL: url });
    expect(m.code).toBe(7);
    expect(fileHash(path)).toBe(before);
  });

  it('an empty file: nothing to adopt (migrate creates the layout), exit 0; a missing file: exit 3, not created', async () => {
    const path = tmp.file('empty-cli.db');
    writeFileSync(path, '');
    const r = await runCli(['adopt', '--libsql-url', `file:${path}`, '--apply']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('nothing to adopt: `pnpm db migrate` creates the layout');
    const gone = tmp.file('gone.db');
    const g = await runCli(['adopt', '--libsql-url', `file:${gone}`]);
    expect(g.code).toBe(3);
    expect(existsSync(gone)).toBe(false);
  });
});
