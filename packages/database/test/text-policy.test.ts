/**
 * The text policy (services/sanitize.ts, docs/design.md trap: PostgreSQL rejects U+0000 in text and
 * jsonb, and lone surrogates in jsonb): strip U+0000, replace each lone surrogate with U+FFFD, in
 * text columns and in JSON strings, keys included. The stored value is the same on both backends,
 * and each change is logged as `input_sanitized` with the row id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/database.js';
import { sanitizeJson, sanitizeText } from '../src/services/sanitize.js';
import { createBothDatabases } from './helpers/backends.js';
import { dumpAll, openBareStores } from './helpers/inspect.js';
import { captureLogs } from './helpers/log-capture.js';
import { openPhase, silentLogger } from './helpers/phase-db.js';

const NUL = '\u0000';
const HIGH = '\uD83D'; // a high surrogate without its low half
const LOW = '\uDE00'; // a low surrogate without its high half

describe('sanitizeText / sanitizeJson', () => {
  it.each([
    [`a${NUL}b`, 'ab'],
    [`${NUL}${NUL}`, ''],
    [`x${HIGH}y`, 'x\uFFFDy'],
    [`x${LOW}y`, 'x\uFFFDy'],
    [`${LOW}${HIGH}`, '\uFFFD\uFFFD'],
    [`${HIGH}${NUL}${LOW}`, '😀'], // stripping the NUL joins a valid pair, which is then kept
    ['😀 ok', '😀 ok'],
    ['plain', 'plain'],
  ])('%j → %j', (input, want) => {
    expect(sanitizeText(input)).toBe(want);
  });

  it('cleans keys and values at any depth, and returns the same object when nothing changed', () => {
    expect(sanitizeJson({ [`k${NUL}`]: [`v${HIGH}`, { [`${LOW}`]: NUL }], n: 1, b: true, z: null })).toEqual({ k: ['v\uFFFD', { '\uFFFD': '' }], n: 1, b: true, z: null });
    const clean = { a: ['b', { c: 'd' }] };
    expect(sanitizeJson(clean)).toBe(clean);
  });
});

describe('the same stored value on both backends, logged with the id', () => {
  let urls: Awaited<ReturnType<typeof createBothDatabases>>;
  beforeAll(async () => {
    urls = await createBothDatabases('textpolicy');
  });
  afterAll(async () => {
    await urls?.cleanup();
  });

  const dirty = {
    content: `hello${NUL} world ${HIGH}! ${LOW}end 😀`,
    username: `ad${NUL}a${LOW}`,
    metadata: { [`to${NUL}pic`]: `bill${NUL}ing`, [`k${HIGH}`]: [`x${LOW}`, { [`deep${NUL}`]: `v${HIGH}${NUL}` }], ok: '😀', n: 1 },
  };
  const clean = {
    content: 'hello world \uFFFD! \uFFFDend 😀',
    username: 'ada\uFFFD',
    metadata: { topic: 'billing', 'k\uFFFD': ['x\uFFFD', { deep: 'v\uFFFD' }], ok: '😀', n: 1 },
  };

  for (const phase of ['4', '6+'] as const) {
    it(`phase ${phase}: messages, queries, documents, profiles and history are stored sanitised on both backends`, async () => {
      const logs = captureLogs('info');
      const db: Database = await openPhase(phase, urls, { SHADOW_MODE: 'inline' }, logs.logger);
      const user = `policy-${phase}`;
      const place = { userId: user, channelId: 'c', channelName: 'general' };
      const mId = await db.messageService.saveHumanMessage({ ...place, username: dirty.username, messageContent: dirty.content, messageId: '1', metadata: dirty.metadata });
      const m = (await db.messageService.getMessageById(mId))!;
      expect({ content: m.message_content, username: m.username, metadata: JSON.parse(m.metadata!) }).toEqual({ ...clean, metadata: { ...clean.metadata, messageId: '1' } });
      const clean1 = await db.messageService.saveHumanMessage({ ...place, username: 'ok', messageContent: 'nothing to clean 😀', messageId: '2' });
      const tool = await db.messageService.saveToolExecution({ ...place, username: 'ok', toolName: `t${NUL}`, toolArgs: { [`a${LOW}`]: 1 }, toolResult: `r${NUL}` });
      expect(await db.messageService.getMessageById(tool)).toMatchObject({ tool_name: 't', message_content: 'Tool: t', tool_args: '{"a\uFFFD":1}', tool_result: '"r"' });
      const qId = await db.queryService.saveQuery({ userId: user, username: 'ok', queryText: `q${NUL}`, aiSummary: `r${HIGH}`, error: `e${LOW}`, queryResult: '{"\\u0000": 1}' });
      expect(await db.queryService.getQueryById(qId)).toMatchObject({ query_text: 'q', ai_summary: 'r\uFFFD', error: 'e\uFFFD', query_result: '{"":1}' });
      const d = await db.documentService.createDocument({ createdBy: user, title: `T${NUL}`, content: `C${HIGH}`, metadata: { [`m${LOW}`]: NUL } });
      expect(d).toMatchObject({ title: 'T', content: 'C\uFFFD', metadata: '{"m\uFFFD":""}' });
      await db.documentService.updateDocumentContent(d.id, `again${NUL}`);
      expect((await db.documentService.getDocument(d.id))?.content).toBe('again');
      const profileId = await db.userProfileService.createUserProfile(user, 'ok');
      await db.userProfileService.updateUserProfile(user, { dominant_archetype: `s${NUL}${LOW}`, notable_patterns: { [`n${NUL}`]: `v${HIGH}` } as never });
      expect(await db.userProfileService.getUserProfile(user)).toMatchObject({ dominant_archetype: 's\uFFFD', notable_patterns: '{"n":"v\uFFFD"}' });
      const hId = await db.userProfileService.saveAnalysisHistory(user, '{"k\\u0000": 1}', `not json${NUL}`, 3, `sum${NUL}`);
      expect((await db.userProfileService.getAnalysisHistory(user))[0]).toMatchObject({ feelings_snapshot: '{"k":1}', personality_snapshot: '{"raw":"not json"}', changes_summary: 'sum' });
      const closed = await db.close();
      expect(closed.drained).toBe(true);
      expect(db.shadowStats()).toMatchObject({ failed: 0, dropped: 0 });

      // Logged once per sanitised write, with the row id and the fields changed; clean input is not logged.
      const sanitized = logs.events('input_sanitized');
      expect(sanitized.find((l) => l.id === mId)).toMatchObject({ table: 'messages', fields: ['username', 'message_content', 'metadata'] });
      expect(sanitized.find((l) => l.id === tool)).toMatchObject({ table: 'messages', fields: ['message_content', 'tool_name', 'tool_args', 'tool_result'] });
      expect(sanitized.find((l) => l.id === qId)).toMatchObject({ table: 'queries', fields: ['query_text', 'ai_summary', 'query_result', 'error'] });
      expect(sanitized.find((l) => l.id === d.id && l.fields && (l.fields as string[]).includes('title'))).toMatchObject({ table: 'documents', fields: ['title', 'content', 'metadata'] });
      expect(sanitized.filter((l) => l.id === d.id)).toHaveLength(2);
      expect(sanitized.find((l) => l.id === profileId)).toMatchObject({ table: 'user_profiles', fields: ['dominant_archetype', 'notable_patterns'] });
      expect(sanitized.find((l) => l.id === hId)).toMatchObject({ table: 'user_analysis_history', fields: ['feelings_snapshot', 'personality_snapshot', 'changes_summary'] });
      expect(sanitized.find((l) => l.id === clean1)).toBeUndefined();

      const bare = await openBareStores(urls);
      try {
        for (const [table, id] of [['messages', mId], ['messages', tool], ['queries', qId], ['documents', d.id], ['user_profiles', profileId], ['user_analysis_history', hId]] as const) {
          const [a, b] = await Promise.all([bare.sqlite.get(table, id), bare.postgres.get(table, id)]);
          expect(a, `${table} on LibSQL`).not.toBeNull();
          expect(b, `${table} on PostgreSQL`).toEqual(a);
          expect(JSON.stringify(a)).not.toMatch(/\\u0000|\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}/i);
        }
        expect((await bare.postgres.get('messages', mId))?.metadata).toEqual({ ...clean.metadata, messageId: '1' });
      } finally {
        await bare.close();
      }
    });
  }
});

describe('the id policy: ids holding NUL, lone surrogates or control characters are rejected, never sanitised', () => {
  let urls: Awaited<ReturnType<typeof createBothDatabases>>;
  beforeAll(async () => {
    urls = await createBothDatabases('idpolicy');
  });
  afterAll(async () => {
    await urls?.cleanup();
  });
  const BAD = [`u${NUL}x`, `u${HIGH}x`, `${LOW}`, 'u\u0007x', 'u\u009bx', 'u\u007fx'];

  for (const phase of ['4', '6+'] as const) {
    it(`phase ${phase}: every service answers INVALID_INPUT naming the field, and writes nothing on either backend`, async () => {
      const db: Database = await openPhase(phase, urls, { SHADOW_MODE: 'inline' }, silentLogger);
      const bare = await openBareStores(urls);
      const doc = await db.documentService.createDocument({ createdBy: 'owner', title: 'T' });
      const place = { userId: 'u', username: 'n', channelId: 'c', channelName: 'general', messageId: 'm' };
      await db.backends.shadow?.barrier(10_000);
      const before = JSON.stringify([await dumpAll(bare.sqlite), await dumpAll(bare.postgres)]);
      const calls: Array<[field: string, run: (bad: string) => Promise<unknown>]> = [
        ['userId', (b) => db.messageService.saveHumanMessage({ ...place, userId: b, messageContent: 'x' })],
        ['channelId', (b) => db.messageService.saveHumanMessage({ ...place, channelId: b, messageContent: 'x' })],
        ['guildId', (b) => db.messageService.saveHumanMessage({ ...place, guildId: b, messageContent: 'x' })],
        ['sessionId', (b) => db.messageService.saveHumanMessage({ ...place, sessionId: b, messageContent: 'x' })],
        ['messageId', (b) => db.messageService.saveHumanMessage({ ...place, messageId: b, messageContent: 'x' })],
        ['parentMessageId', (b) => db.messageService.saveAIMessage({ ...place, parentMessageId: b, messageContent: 'x' })],
        ['userId', (b) => db.messageService.saveToolExecution({ ...place, userId: b, toolName: 't', toolArgs: {}, toolResult: null })],
        ['userId', (b) => db.queryService.saveQuery({ userId: b, username: 'n', queryText: 'q' })],
        ['createdBy', (b) => db.documentService.createDocument({ createdBy: b, title: 'T' })],
        ['documentId', (b) => db.documentService.addCollaborator({ documentId: b, userId: 'u2' })],
        ['userId', (b) => db.documentService.addCollaborator({ documentId: doc.id, userId: b })],
        ['input', (b) => db.userProfileService.createUserProfile(b, 'n')],
        ['input', (b) => db.userProfileService.getOrCreateUserProfile(b, 'n')],
        ['input', (b) => db.userProfileService.saveAnalysisHistory(b, '{}', '{}', 1)],
        ['input', (b) => db.documentService.updateDocumentContent(b, 'c')],
      ];
      try {
        for (const bad of BAD) {
          for (const [field, run] of calls) {
            const e = await run(bad).then(
              () => null,
              (x: unknown) => x,
            );
            expect(e, `${field} = ${JSON.stringify(bad)}`).toMatchObject({ code: 'INVALID_INPUT' });
            expect((e as Error).message).toMatch(/is no valid id/);
            if (field !== 'input') expect((e as Error).message).toContain(field);
          }
        }
        await db.backends.shadow?.barrier(10_000);
        expect(JSON.stringify([await dumpAll(bare.sqlite), await dumpAll(bare.postgres)])).toBe(before);
      } finally {
        await bare.close();
        await db.close();
      }
    });
  }
});

describe('numbers out of range answer INVALID_INPUT on both backends, never a driver error', () => {
  let urls: Awaited<ReturnType<typeof createBothDatabases>>;
  beforeAll(async () => {
    urls = await createBothDatabases('numbers');
  });
  afterAll(async () => {
    await urls?.cleanup();
  });

  for (const phase of ['1', '6'] as const) {
    it(`phase ${phase}`, async () => {
      const db: Database = await openPhase(phase, urls, {}, silentLogger);
      const place = { userId: 'u', username: 'n', channelId: 'c', channelName: 'general', messageId: 'm', messageContent: 'x' };
      const calls: Array<[string, () => Promise<unknown>]> = [
        ['timestamp 2^63', () => db.messageService.saveHumanMessage({ ...place, timestamp: 2 ** 63 })],
        ['timestamp beyond Date', () => db.messageService.saveHumanMessage({ ...place, timestamp: 8_640_000_000_000_001 })],
        ['timestamp negative', () => db.messageService.saveHumanMessage({ ...place, timestamp: -1 })],
        ['timestamp NaN', () => db.messageService.saveHumanMessage({ ...place, timestamp: Number.NaN })],
        ['startTime 1e300', () => db.messageService.queryMessages({ startTime: 1e300 })],
        ['resultCount 2^31', () => db.queryService.saveQuery({ userId: 'u', username: 'n', queryText: 'q', resultCount: 2 ** 31 })],
        ['executionTimeMs 1e300', () => db.queryService.saveQuery({ userId: 'u', username: 'n', queryText: 'q', executionTimeMs: 1e300 })],
        ['executionTimeMs Infinity', () => db.queryService.saveQuery({ userId: 'u', username: 'n', queryText: 'q', executionTimeMs: Number.POSITIVE_INFINITY })],
        ['messageCount 2^31', () => db.userProfileService.saveAnalysisHistory('u', '{}', '{}', 2 ** 31)],
        ['limit 1e9', () => db.messageService.queryMessages({ limit: 1e9 })],
      ];
      try {
        for (const [what, run] of calls) {
          await expect(run(), what).rejects.toMatchObject({ code: 'INVALID_INPUT' });
        }
        expect(await db.messageService.getMessageCount()).toBe(0);
        expect(await db.queryService.getQueryCount()).toBe(0);
      } finally {
        await db.close();
      }
    });
  }
});
