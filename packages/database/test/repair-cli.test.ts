import { existsSync, readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createClient } from '@libsql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/env.js';
import { createDatabase } from '../src/database.js';
import { buildOmegaDatabase, createTestSqlite } from '../src/testing/index.js';
import { runCli } from './adopt-helpers.js';
import { silentLogger } from './helpers/silent-logger.js';

// Issue 14 §2: `pnpm db repair` fixes in place what `pnpm db check` finds (backup first, every
// change listed, dry run by default), and reads return the same values before and after.

const place = { userId: 'u1', username: 'ann', channelId: 'c1', channelName: 'general' };
const hex = (s: string) => Buffer.from(s.replaceAll(' ', ''), 'hex');

/** A migrated file with services' rows, then bad bytes written behind the package's back. */
async function badFile(extra?: (raw: ReturnType<typeof createClient>, ids: Record<string, string>) => Promise<void>) {
  const file = createTestSqlite();
  const db = await createDatabase(loadConfig({ LIBSQL_URL: file.url }), { logger: silentLogger });
  const ids: Record<string, string> = {};
  ids.content = await db.messageService.saveHumanMessage({ ...place, messageContent: 'x', messageId: 'a', timestamp: 1 });
  ids.nul = await db.messageService.saveHumanMessage({ ...place, messageContent: 'nul name here', messageId: 'b', timestamp: 2 });
  ids.bom = await db.messageService.saveHumanMessage({ ...place, messageContent: 'bom metadata', messageId: 'c', timestamp: 3 });
  ids.tool = await db.messageService.saveToolExecution({ ...place, toolName: 'search', toolArgs: { q: 1 }, toolResult: { ok: true } });
  ids.clean = await db.messageService.saveHumanMessage({ ...place, messageContent: 'clean row', messageId: 'd', timestamp: 5 });
  ids.doc = (await db.documentService.createDocument({ createdBy: 'u1', title: 'x' })).id;
  await db.close();
  const raw = createClient({ url: file.url });
  const set = (table: string, column: string, bytes: Buffer, id: string) => raw.execute({ sql: `UPDATE ${table} SET ${column} = CAST(? AS TEXT) WHERE id = ?`, args: [bytes, id] });
  await set('messages', 'message_content', hex(Buffer.from('repaired caf').toString('hex') + 'ff'), ids.content!);
  await set('messages', 'username', hex('616e 00 6e'), ids.nul!);
  await set('messages', 'metadata', Buffer.from('\uFEFF{"k":1}'), ids.bom!);
  await set('messages', 'tool_result', Buffer.from('{"ok": tru'), ids.tool!);
  await set('documents', 'title', hex('54 eda080 21'), ids.doc!);
  await extra?.(raw, ids);
  raw.close();
  return { file, ids };
}

/** Every value of the listed columns as hex of its bytes (what is stored, exactly). */
async function storedHex(url: string) {
  const raw = createClient({ url, intMode: 'bigint' });
  const rows = await raw.execute(
    `SELECT id, hex(CAST(message_content AS BLOB)) AS c, hex(CAST(username AS BLOB)) AS u, hex(CAST(metadata AS BLOB)) AS m, hex(CAST(tool_result AS BLOB)) AS t, version FROM messages ORDER BY rowid`,
  );
  const docs = await raw.execute(`SELECT hex(CAST(id AS BLOB)) AS id, hex(CAST(title AS BLOB)) AS t, version FROM documents`);
  raw.close();
  return JSON.stringify([rows.rows, docs.rows], (_k, v) => (typeof v === 'bigint' ? Number(v) : v));
}

/** Reads through the services (phase 1), in the form the bot gets them. */
async function readAll(url: string) {
  const db = await createDatabase(loadConfig({ LIBSQL_URL: url }), { logger: silentLogger });
  try {
    const msgs = await db.messageService.queryMessages({ channelId: 'c1' });
    const docs = await db.documentService.listDocuments({ createdBy: 'u1' });
    return {
      messages: Object.fromEntries(msgs.map((m) => [m.id, { content: m.message_content, username: m.username, metadata: m.metadata, tool_result: m.tool_result }])),
      docs: docs.map((d) => d.title),
      search: (await db.messageService.queryMessages({ searchText: 'repaired' })).map((m) => m.id),
    };
  } finally {
    await db.close();
  }
}

describe('db repair on a file with bad values', () => {
  let file: Awaited<ReturnType<typeof badFile>>['file'];
  let ids: Record<string, string>;
  beforeAll(async () => ({ file, ids } = await badFile()));
  afterAll(() => file.remove());
  const env = () => ({ LIBSQL_URL: file.url });

  it('check finds the rows; a dry run lists every change, writes nothing and makes no backup', async () => {
    expect((await runCli(['check'], env())).code).toBe(5);
    const before = await storedHex(file.url);
    const r = await runCli(['repair'], env());
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('(dry run)');
    expect(r.stdout).toContain(`would fix messages "${ids.content}" message_content (invalid_utf8): x'${Buffer.from('repaired caf').toString('hex')}ff' → "repaired caf\\ufffd"`);
    expect(r.stdout).toContain(`would fix messages "${ids.nul}" username (nul): "an\\u0000n" → "ann"`);
    expect(r.stdout).toContain(`would fix messages "${ids.bom}" metadata (bom): "\\ufeff{\\"k\\":1}" → "{\\"k\\":1}"`);
    expect(r.stdout).toContain(`would fix messages "${ids.tool}" tool_result (invalid_json): "{\\"ok\\": tru" → "{\\"raw\\":\\"{\\\\\\"ok\\\\\\": tru\\"}"`);
    expect(r.stdout).toContain(`would fix documents "${ids.doc}" title (lone_surrogate): x'54eda08021' → "T\\ufffd!"`);
    expect(r.stdout).toMatch(/5 values to fix/);
    expect(r.stdout).toContain('nothing changed: run again with --apply');
    expect(await storedHex(file.url)).toBe(before);
    expect(readdirSync(dirname(file.path)).filter((n) => n.includes('pre-repair'))).toEqual([]);
  });

  it('--apply: backup first (the old bytes), every value fixed in one go, versions bumped, reads unchanged but for invalid JSON, check passes', async () => {
    const readBefore = await readAll(file.url);
    const hexBefore = await storedHex(file.url);
    const r = await runCli(['--json', 'repair', '--apply'], env());
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { applied: boolean; backupPath: string; changes: { table: string; column: string }[]; skipped: unknown[] };
    expect(out.applied).toBe(true);
    expect(out.changes.map((c) => `${c.table}.${c.column}`).sort()).toEqual(['documents.title', 'messages.message_content', 'messages.metadata', 'messages.tool_result', 'messages.username']);
    expect(out.skipped).toEqual([]);
    // The backup holds the file as it was.
    expect(existsSync(out.backupPath)).toBe(true);
    expect(await storedHex(`file:${out.backupPath}`)).toBe(hexBefore);
    // Reads give what they gave before (the read policy is the repair policy), except the
    // value that was not JSON: null before, kept as {"raw": …} now.
    const readAfter = await readAll(file.url);
    const expected = structuredClone(readBefore);
    expected.messages[ids.tool!]!.tool_result = '{"raw":"{\\"ok\\": tru"}';
    expect(readBefore.messages[ids.tool!]!.tool_result).toBeNull();
    expect(readAfter).toEqual(expected);
    expect(readAfter.messages[ids.content!]!.content).toBe('repaired caf\uFFFD');
    expect(readAfter.search).toEqual([ids.content]);
    // version + 1 on each repaired row, untouched elsewhere.
    const raw = createClient({ url: file.url });
    const versions = Object.fromEntries((await raw.execute('SELECT id, version FROM messages')).rows.map((x) => [x.id as string, Number(x.version)]));
    raw.close();
    expect(versions).toEqual({ [ids.content!]: 2, [ids.nul!]: 2, [ids.bom!]: 2, [ids.tool!]: 2, [ids.clean!]: 1 });
    expect((await runCli(['check'], env())).code).toBe(0);
  });

  it('a second run finds nothing to do and writes no backup', async () => {
    const backups = readdirSync(dirname(file.path)).filter((n) => n.includes('pre-repair'));
    const r = await runCli(['repair', '--apply'], env());
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/rows read; nothing to fix/);
    expect(readdirSync(dirname(file.path)).filter((n) => n.includes('pre-repair'))).toEqual(backups);
  });
});

describe('db repair refuses what it must not touch', () => {
  it('an unadopted omega-bot file: LEGACY_SCHEMA, exit 8, nothing written', async () => {
    const file = createTestSqlite();
    try {
      buildOmegaDatabase(file.path, { layout: 'omega-v3', size: 5 });
      const r = await runCli(['repair', '--apply'], { LIBSQL_URL: file.url });
      expect(r.code).toBe(8);
      expect(r.stderr).toContain('LEGACY_SCHEMA');
      expect(readdirSync(dirname(file.path)).filter((n) => n.includes('pre-repair'))).toEqual([]);
    } finally {
      file.remove();
    }
  });

  it('a bad value in a key column is listed as skipped and left as it is (exit 5); the other values are fixed', async () => {
    const { file, ids } = await badFile(async (raw, ids) => {
      await raw.execute({ sql: `INSERT INTO document_collaborators (id, document_id, user_id, role, version) VALUES ('k1', ?, CAST(? AS TEXT), 'editor', 1)`, args: [ids.doc!, hex('75 ff')] });
    });
    try {
      const r = await runCli(['repair', '--apply'], { LIBSQL_URL: file.url });
      expect(r.code).toBe(5);
      expect(r.stdout).toContain(`skipped document_collaborators "k1" user_id (invalid_utf8): key column, left as x'75ff'`);
      const raw = createClient({ url: file.url });
      const left = await raw.execute(`SELECT hex(CAST(user_id AS BLOB)) AS u FROM document_collaborators WHERE id = 'k1'`);
      const fixed = await raw.execute({ sql: `SELECT title FROM documents WHERE id = ?`, args: [ids.doc!] });
      raw.close();
      expect(left.rows[0]!.u).toBe('75FF');
      expect(fixed.rows[0]!.title).toBe('T\uFFFD!');
    } finally {
      file.remove();
    }
  });

  it('a missing file: exit 3; a remote URL: exit 2', async () => {
    expect((await runCli(['repair'], { LIBSQL_URL: 'file:/tmp/does-not-exist-repair/x.db' })).code).toBe(3);
    expect((await runCli(['repair'], { LIBSQL_URL: 'libsql://example.invalid' })).code).toBe(2);
  });
});
