/**
 * The text policy (services/sanitize.ts, docs/design.md trap: PostgreSQL rejects U+0000 in text and
 * jsonb, and lone surrogates in jsonb): strip U+0000, replace each lone surrogate with U+FFFD, in
 * text columns and in JSON strings, keys included. The stored value is the same on both backends,
 * and each change is logged as `input_sanitized` with the row id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/database.js';
import { keyId } from '../src/ids.js';
import { sanitizeJson, sanitizeText } from '../src/services/sanitize.js';
import { createBothDatabases } from './helpers/backends.js';
import { openBareStores } from './helpers/inspect.js';
import { captureLogs } from './helpers/log-capture.js';
import { openPhase } from './helpers/phase-db.js';

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
    it(`phase ${phase}: messages, queries, documents and profiles are stored sanitised on both backends`, async () => {
      const logs = captureLogs('info');
      const db: Database = await openPhase(phase, urls, { SHADOW_MODE: 'inline' }, logs.logger);
      const user = `policy-${phase}`;
      const m = await db.messageService.saveHumanMessage({ userId: user, username: dirty.username, channelId: 'c', content: dirty.content, metadata: dirty.metadata });
      expect(m).toMatchObject(clean);
      const clean1 = await db.messageService.saveHumanMessage({ userId: user, username: 'ok', channelId: 'c', content: 'nothing to clean 😀' });
      const q = await db.queryService.saveQuery({ userId: user, channelId: 'c', query: `q${NUL}`, response: `r${HIGH}`, error: `e${LOW}`, durationMs: 1, success: false, metadata: { [`${NUL}`]: 1 } });
      expect(q).toMatchObject({ query: 'q', response: 'r\uFFFD', error: 'e\uFFFD', metadata: { '': 1 } });
      const d = await db.documentService.createDocument({ ownerId: user, title: `T${NUL}`, content: `C${HIGH}`, metadata: { [`m${LOW}`]: NUL } });
      expect(d).toMatchObject({ title: 'T', content: 'C\uFFFD', metadata: { 'm\uFFFD': '' } });
      const d2 = await db.documentService.updateDocument({ documentId: d.id, userId: user, expectedVersion: 1, content: `again${NUL}` });
      expect(d2.content).toBe('again');
      const p = await db.userProfileService.updateUserProfile(user, { styleSummary: `s${NUL}${LOW}`, notes: { [`n${NUL}`]: `v${HIGH}` } });
      expect(p).toMatchObject({ styleSummary: 's\uFFFD', notes: { n: 'v\uFFFD' } });
      const closed = await db.close();
      expect(closed.drained).toBe(true);
      expect(db.shadowStats()).toMatchObject({ failed: 0, dropped: 0 });

      // Logged once per sanitised write, with the row id and the fields changed; clean input is not logged.
      const sanitized = logs.events('input_sanitized');
      expect(sanitized.find((l) => l.id === m.id)).toMatchObject({ table: 'messages', fields: ['username', 'content', 'metadata'] });
      expect(sanitized.find((l) => l.id === q.id)).toMatchObject({ table: 'queries', fields: ['query', 'response', 'error', 'metadata'] });
      expect(sanitized.find((l) => l.id === d.id && l.fields && (l.fields as string[]).includes('title'))).toMatchObject({ table: 'documents' });
      expect(sanitized.filter((l) => l.id === d.id)).toHaveLength(2);
      expect(sanitized.find((l) => l.id === keyId('profile', user))).toMatchObject({ table: 'user_profiles', fields: ['style_summary', 'notes'] });
      expect(sanitized.find((l) => l.id === clean1.id)).toBeUndefined();

      const bare = await openBareStores(urls);
      try {
        for (const [table, id] of [['messages', m.id], ['queries', q.id], ['documents', d.id], ['user_profiles', keyId('profile', user)]] as const) {
          const [a, b] = await Promise.all([bare.sqlite.get(table, id), bare.postgres.get(table, id)]);
          expect(a, `${table} on LibSQL`).not.toBeNull();
          expect(b, `${table} on PostgreSQL`).toEqual(a);
          expect(JSON.stringify(a)).not.toMatch(/\\u0000|\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}/i);
        }
        expect((await bare.postgres.get('messages', m.id))?.metadata).toEqual(clean.metadata);
      } finally {
        await bare.close();
      }
    });
  }
});
