import { spawnSync } from 'node:child_process';
import { createClient } from '@libsql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/env.js';
import { createDatabase, type Database } from '../src/database.js';
import { createTestSqlite } from '../src/testing/index.js';
import { captureLogs } from './helpers/log-capture.js';

// Issue 14 §2: one bad stored row never takes the bot down or fails other people's reads.
// The stored bytes are written behind the package's back (raw SQL), as omega-bot's files hold them.

const place = { userId: 'u1', username: 'ann', channelId: 'c1', channelName: 'general' };
const dist = new URL('../dist/', import.meta.url).href;

/** Runs `body` (ESM, `db` = createDatabase on `url`, phase 1) in a child process; its stdout's `RESULT ` line parsed. */
function inChild(url: string, body: string) {
  const script =
    `const { createDatabase, loadConfig } = await import(${JSON.stringify(`${dist}index.js`)});\n` +
    `const db = await createDatabase(loadConfig({ LIBSQL_URL: ${JSON.stringify(url)}, LOG_LEVEL: 'info' }));\n` +
    `const out = {};\n${body}\nawait db.close();\nprocess.stdout.write('RESULT ' + JSON.stringify(out) + '\\n');\n`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  const logs = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { status: r.status, signal: r.signal, stderr: r.stderr, result: line ? (JSON.parse(line.slice(7)) as Record<string, any>) : null, logs };
}

describe('stored bytes that are not UTF-8 never crash a read (LibSQL)', () => {
  const file = createTestSqlite();
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    const db = await createDatabase(loadConfig({ LIBSQL_URL: file.url, LOG_LEVEL: 'silent' }), { logger: captureLogs('silent').logger });
    ids.content = await db.messageService.saveHumanMessage({ ...place, messageContent: 'placeholder', messageId: 'm1', timestamp: 1_000 });
    ids.username = await db.messageService.saveHumanMessage({ ...place, messageContent: 'hello from a bad name', messageId: 'm2', timestamp: 2_000 });
    ids.nul = await db.messageService.saveHumanMessage({ ...place, messageContent: 'hello with a nul channel', messageId: 'm3', timestamp: 3_000 });
    ids.metadata = await db.messageService.saveHumanMessage({ ...place, messageContent: 'hello bad metadata', messageId: 'm4', timestamp: 4_000 });
    ids.good = await db.messageService.saveHumanMessage({ ...place, messageContent: 'hello good row', messageId: 'm5', timestamp: 5_000 });
    ids.doc = (await db.documentService.createDocument({ createdBy: 'u1', title: 'placeholder' })).id;
    await db.userProfileService.createUserProfile('u1', 'ann');
    ids.query = await db.queryService.saveQuery({ userId: 'u1', username: 'ann', queryText: 'placeholder', executionTimeMs: 3 });
    await db.close();
    const raw = createClient({ url: file.url });
    const set = (table: string, column: string, hex: string, id: string, key = 'id') =>
      raw.execute({ sql: `UPDATE ${table} SET ${column} = CAST(? AS TEXT) WHERE ${key} = ?`, args: [Buffer.from(hex.replaceAll(' ', ''), 'hex'), id] });
    // "hello caf" FF " wrong": a byte that never starts UTF-8
    await set('messages', 'message_content', Buffer.from('hello caf').toString('hex') + 'ff' + Buffer.from(' wrong').toString('hex'), ids.content!);
    // "bo" ED A0 80 "b": an encoded lone surrogate (WTF-8), C3 alone: a cut sequence
    await set('messages', 'username', '626f eda080 62 c3', ids.username!);
    // "gen" 00 "eral": the driver would cut the text at U+0000
    await set('messages', 'channel_name', '67656e 00 6572616c', ids.nul!);
    // {"note":"x" FE "y"}: invalid bytes inside a JSON string
    await set('messages', 'metadata', Buffer.from('{"note":"x').toString('hex') + 'fe' + Buffer.from('y"}').toString('hex'), ids.metadata!);
    await set('documents', 'title', '5469746c 80 65', ids.doc!);
    await set('user_profiles', 'omega_thoughts', '6e696365 f8 a1', 'u1', 'user_id');
    await set('queries', 'query_text', '73656c656374 c0 af', ids.query!);
    raw.close();
  });
  afterAll(() => file.remove());

  it('a phase-1 search, the other message reads, a document, a profile and a query: the process survives and the reads go on', () => {
    const r = inChild(
      file.url,
      `
      out.search = (await db.messageService.queryMessages({ searchText: 'hello' })).map((m) => [m.id, m.message_content, m.username, m.channel_name, m.metadata]);
      out.list = (await db.messageService.queryMessages({ channelId: 'c1' })).map((m) => m.id);
      out.byId = (await db.messageService.getMessageById(${JSON.stringify(ids.username)})).username;
      out.doc = (await db.documentService.getDocument(${JSON.stringify(ids.doc)})).title;
      out.profile = (await db.userProfileService.getUserProfile('u1')).omega_thoughts;
      out.queries = (await db.queryService.getRecentQueries({ userId: 'u1' })).map((q) => q.query_text);
      out.count = await db.messageService.getMessageCount({});
      `,
    );
    expect({ status: r.status, signal: r.signal, stderr: r.status === 0 ? '' : r.stderr.slice(0, 2000) }).toEqual({ status: 0, signal: null, stderr: '' });
    const out = r.result!;
    const byId = Object.fromEntries((out.search as string[][]).map((m) => [m[0], m]));
    expect(Object.keys(byId).sort()).toEqual([ids.content, ids.username, ids.nul, ids.metadata, ids.good].sort());
    expect(byId[ids.content!]![1]).toBe('hello caf\uFFFD wrong');
    expect(byId[ids.username!]![2]).toBe('bo\uFFFDb\uFFFD');
    expect(byId[ids.nul!]![3]).toBe('general');
    expect(JSON.parse(byId[ids.metadata!]![4]!)).toEqual({ note: 'x\uFFFDy' });
    expect(byId[ids.good!]![1]).toBe('hello good row');
    expect(out.list).toHaveLength(5);
    expect(out.byId).toBe('bo\uFFFDb\uFFFD');
    expect(out.doc).toBe('Titl\uFFFDe');
    expect(out.profile).toBe('nice\uFFFD\uFFFD');
    expect(out.queries).toEqual(['select\uFFFD\uFFFD']);
    expect(out.count).toBe(5);
    // Every degraded value is logged once with its table, id and column.
    const degraded = r.logs.filter((l) => l.event === 'read_value_degraded');
    const seen = degraded.flatMap((l) => (l.issues as { column: string; reason: string }[]).map((i) => `${l.table as string} ${l.id as string} ${i.column} ${i.reason}`));
    expect(seen).toEqual(
      expect.arrayContaining([
        `messages ${ids.content} message_content invalid_utf8`,
        `messages ${ids.username} username lone_surrogate`,
        `messages ${ids.username} username invalid_utf8`,
        `messages ${ids.nul} channel_name nul`,
        `messages ${ids.metadata} metadata invalid_utf8`,
        `documents ${ids.doc} title invalid_utf8`,
        `queries ${ids.query} query_text invalid_utf8`,
      ]),
    );
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.some((s) => s.startsWith(`messages ${ids.good} `))).toBe(false);
  });
});

describe('a JSON column that is not JSON degrades that value only (LibSQL)', () => {
  const file = createTestSqlite();
  const logs = captureLogs('info');
  let db: Database;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    db = await createDatabase(loadConfig({ LIBSQL_URL: file.url }), { logger: logs.logger });
    for (const k of ['bom', 'garbage', 'good']) ids[k] = await db.messageService.saveHumanMessage({ ...place, messageContent: `search me ${k}`, messageId: k, metadata: { k } });
    ids.tool = await db.messageService.saveToolExecution({ ...place, toolName: 'search', toolArgs: { q: 1 }, toolResult: { ok: true } });
    const raw = createClient({ url: file.url });
    await raw.execute({ sql: 'UPDATE messages SET metadata = ? WHERE id = ?', args: ['\uFEFF{"k":"bom","n":12345678901234567890}', ids.bom!] });
    await raw.execute({ sql: 'UPDATE messages SET metadata = ? WHERE id = ?', args: ['{"k": "garbage", oops', ids.garbage!] });
    await raw.execute({ sql: 'UPDATE messages SET tool_result = ? WHERE id = ?', args: ['not json at all', ids.tool!] });
    raw.close();
  });
  afterAll(async () => {
    await db.close();
    file.remove();
  });

  it('a search returning the rows: BOM-prefixed JSON read without its BOM, garbage as null, the rest of each row intact, each logged with its id', async () => {
    const rows = await db.messageService.queryMessages({ searchText: 'search me' });
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    expect(Object.keys(byId).sort()).toEqual([ids.bom, ids.garbage, ids.good].sort());
    expect(byId[ids.bom!]!.metadata).toBe('{"k":"bom","n":12345678901234567890}');
    expect(byId[ids.garbage!]!.metadata).toBeNull();
    expect(byId[ids.garbage!]!.message_content).toBe('search me garbage');
    expect(byId[ids.good!]!.metadata).toBe('{"k":"good","messageId":"good"}');
    const tool = await db.messageService.getMessageById(ids.tool!);
    expect(tool!.tool_result).toBeNull();
    expect(tool!.tool_args).toBe('{"q":1}');
    const list = await db.messageService.queryMessages({ channelId: 'c1' });
    expect(list).toHaveLength(4);
    const seen = logs.events('read_value_degraded').flatMap((l) => (l.issues as { column: string; reason: string }[]).map((i) => `${l.id as string} ${i.column} ${i.reason}`));
    expect(seen).toEqual(expect.arrayContaining([`${ids.bom} metadata bom`, `${ids.garbage} metadata invalid_json`, `${ids.tool} tool_result invalid_json`]));
    // Logged once per value, however often it is read.
    await db.messageService.queryMessages({ searchText: 'search me' });
    const again = logs.events('read_value_degraded').flatMap((l) => (l.issues as { column: string }[]).map((i) => `${l.id as string} ${i.column}`));
    expect(again.filter((s) => s === `${ids.garbage} metadata`)).toHaveLength(1);
  });

  it('an update of a row with a bad value returns the row (RETURNING reads safely too)', async () => {
    const doc = await db.documentService.createDocument({ createdBy: 'u1', title: 'T', metadata: { a: 1 } });
    const raw2 = createClient({ url: file.url });
    await raw2.execute({ sql: 'UPDATE documents SET metadata = CAST(? AS TEXT) WHERE id = ?', args: [Buffer.from('7b2261223a22ff227d', 'hex'), doc.id] });
    raw2.close();
    await db.documentService.updateDocumentContent(doc.id, 'new content');
    const again = await db.documentService.getDocument(doc.id);
    expect(again!.content).toBe('new content');
    expect(JSON.parse(again!.metadata!)).toEqual({ a: '\uFFFD' });
  });
});
