/**
 * Every phase of the phase table of docs/design.md, through `createDatabase(loadConfig(env))` as the app runs it
 * (default SHADOW_MODE, i.e. the worker thread): writes via the services, `close()` (drains),
 * then each backend is read DIRECTLY (raw @libsql/client and postgres.js, or bare stores) to see
 * where the writes went, and rows seeded into one backend only show where reads come from.
 */
import type { Client } from '@libsql/client';
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Phase } from '../src/config/phase.js';
import type { Database } from '../src/database.js';
import { newId } from '../src/ids.js';
import { migratePostgres, migrateSqlite } from '../src/migrations/migrate.js';
import type { TableName } from '../src/schema/tables.js';
import { toRecord } from '../src/services/record.js';
import { createBothDatabases, openRaw } from './helpers/backends.js';
import { warnIfDistStale } from './helpers/fresh-dist.js';
import { dumpAll, openBareStores } from './helpers/inspect.js';
import { openPhase } from './helpers/phase-db.js';
import { documentRow, messageRow, profileRow, queryRow } from './helpers/rows.js';
import { silentLogger } from './helpers/silent-logger.js';

type Backend = 'sqlite' | 'postgres';
const EXPECTED: Record<Phase, { written: Backend[]; reads: Backend }> = {
  '1': { written: ['sqlite'], reads: 'sqlite' },
  '4': { written: ['sqlite', 'postgres'], reads: 'sqlite' },
  '5': { written: ['sqlite', 'postgres'], reads: 'postgres' },
  '6': { written: ['postgres'], reads: 'postgres' },
  '6+': { written: ['postgres', 'sqlite'], reads: 'postgres' },
};

/** Writes of every service, including updates and deletes; returns the ids by table and what must be gone. */
async function workload(db: Database) {
  const user = `user-${newId()}`;
  const channel = `chan-${newId()}`;
  const m = db.messageService;
  const place = { userId: user, username: 'ada', channelId: channel, channelName: 'general', guildId: 'g1' };
  const msgs = [
    await m.saveHumanMessage({ ...place, messageContent: 'first message', messageId: '9223372036854775807', metadata: { topic: 'billing', a: 1 }, responseDecision: { shouldRespond: true, confidence: 0.5, reason: 'asked' } }),
    await m.saveAIMessage({ ...place, username: 'omega', messageContent: 'reply', metadata: { nested: { a: [1, true, null] } } }),
    await m.saveToolExecution({ ...place, username: 'omega', toolName: 'search', toolArgs: { q: 'x' }, toolResult: { hits: 2 } }),
  ];
  const q = await db.queryService.saveQuery({ userId: user, username: 'ada', queryText: 'q', queryResult: 'not json', error: 'nope' });
  const d = db.documentService;
  const kept = await d.createDocument({ title: 'kept', createdBy: user, metadata: { v: 1 }, isPublic: false });
  await d.addCollaborator({ documentId: kept.id, userId: 'friend', role: 'editor' });
  await d.updateDocumentContent(kept.id, 'edited by friend');
  await d.updateDocumentTitle(kept.id, 'kept, renamed');
  await d.addCollaborator({ documentId: kept.id, userId: 'leaver' });
  await d.removeCollaborator(kept.id, 'leaver');
  const gone = await d.createDocument({ title: 'gone', createdBy: user });
  await d.addCollaborator({ documentId: gone.id, userId: 'friend' });
  const goneCollaborators = (await d.getDocumentCollaborators(gone.id)).map((c) => c.id);
  const leaver = (await d.getDocumentCollaborators(kept.id)).length; // owner + friend
  expect(leaver).toBe(2);
  await d.deleteDocument(gone.id);
  const u = db.userProfileService;
  const profile = await u.getOrCreateUserProfile(user, 'ada');
  await u.updateUserProfile(user, { openness_score: 25, primary_interests: '["a"]' });
  await u.incrementMessageCount(user);
  const h = await u.saveAnalysisHistory(user, '{"warmth":1}', '{"openness":25}', 1, 'first');
  const keptCollaborators = (await d.getDocumentCollaborators(kept.id)).map((c) => c.id);
  const present: Partial<Record<TableName, string[]>> = {
    messages: msgs,
    queries: [q],
    documents: [kept.id],
    document_collaborators: keptCollaborators,
    user_profiles: [profile.id],
    user_analysis_history: [h],
  };
  const absent: Partial<Record<TableName, string[]>> = {
    documents: [gone.id],
    document_collaborators: goneCollaborators,
  };
  return { present, absent, user, channel, messageIds: msgs };
}

async function countIn(raw: { lite: Client; pg: postgres.Sql }, backend: Backend, table: TableName, ids: string[]): Promise<number> {
  if (backend === 'sqlite') {
    const rs = await raw.lite.execute({ sql: `SELECT count(*) AS n FROM ${table} WHERE id IN (${ids.map(() => '?').join(', ')})`, args: ids });
    return Number(rs.rows[0]!.n);
  }
  const rows = await raw.pg.unsafe(`SELECT count(*)::int AS n FROM ${table} WHERE id = ANY($1::text[])`, [ids]);
  return Number(rows[0]!.n);
}

async function tombstones(raw: { lite: Client; pg: postgres.Sql }, backend: Backend): Promise<string[]> {
  const rows =
    backend === 'sqlite'
      ? (await raw.lite.execute('SELECT table_name, id, version FROM row_tombstones')).rows.map((r) => `${String(r.table_name)}/${String(r.id)}@${Number(r.version)}`)
      : (await raw.pg`SELECT table_name, id, version FROM row_tombstones`).map((r) => `${String(r.table_name)}/${String(r.id)}@${Number(r.version)}`);
  return rows.sort();
}

describe.each((['1', '4', '5', '6', '6+'] as const).map((p) => [p]))('phase %s', (phase) => {
  const expected = EXPECTED[phase];
  let urls: Awaited<ReturnType<typeof createBothDatabases>>;
  let raw: ReturnType<typeof openRaw>;

  beforeAll(async () => {
    warnIfDistStale();
    urls = await createBothDatabases('phase');
    // Both schemas exist, so "no rows on the other backend" is a real check in every phase.
    await Promise.all([migrateSqlite(urls.sqliteUrl), migratePostgres(urls.pgUrl)]);
    raw = openRaw(urls.sqliteUrl, urls.pgUrl);
  });
  afterAll(async () => {
    await raw?.close();
    await urls?.cleanup();
  });

  it(`writes land on ${expected.written.join(' then ')} (identical rows and tombstones), nowhere else`, async () => {
    const db = await openPhase(phase, urls, {}, silentLogger);
    expect(db.routing.phase).toBe(phase);
    const w = await workload(db);
    const closed = await db.close();
    expect(closed).toEqual({ drained: true, remaining: 0 });
    const shadow = db.shadowStats();
    if (expected.written.length === 2) expect(shadow).toMatchObject({ failed: 0, dropped: 0, queued: 0, inFlight: 0 });
    if (shadow) expect(shadow.succeeded).toBe(shadow.enqueued);
    else expect(expected.written).toHaveLength(1);

    for (const backend of ['sqlite', 'postgres'] as const) {
      const holds = expected.written.includes(backend);
      for (const [table, ids] of Object.entries(w.present) as Array<[TableName, string[]]>) {
        expect(await countIn(raw, backend, table, ids), `${backend}.${table}`).toBe(holds ? ids.length : 0);
      }
      for (const [table, ids] of Object.entries(w.absent) as Array<[TableName, string[]]>) {
        expect(await countIn(raw, backend, table, ids), `${backend}.${table} deleted`).toBe(0);
      }
      const tomb = await tombstones(raw, backend);
      expect(tomb.length, `${backend} tombstones`).toBe(holds ? 4 : 0);
    }
    if (expected.written.length === 2) {
      const bare = await openBareStores(urls);
      try {
        expect(await dumpAll(bare.postgres)).toEqual(await dumpAll(bare.sqlite));
        // The records the services return are the same text on both backends (jsonb reorders keys; the codec sorts them).
        for (const [table, ids] of Object.entries(w.present) as Array<[TableName, string[]]>) {
          for (const id of ids) {
            const [a, b] = await Promise.all([bare.sqlite.get(table, id), bare.postgres.get(table, id)]);
            expect(toRecord(table, b!), `${table} ${id}`).toEqual(toRecord(table, a!));
          }
        }
        expect(await tombstones(raw, 'postgres')).toEqual(await tombstones(raw, 'sqlite'));
      } finally {
        await bare.close();
      }
    }
  });

  it(`reads come from ${expected.reads}`, async () => {
    const channel = `reads-${newId()}`;
    const owner = `owner-${newId()}`;
    const bare = await openBareStores(urls);
    const seeded = {
      sqlite: messageRow({ channel_id: channel, message_content: 'seeded in sqlite only' }),
      postgres: messageRow({ channel_id: channel, message_content: 'seeded in postgres only' }),
    };
    const docs = { sqlite: documentRow({ created_by: owner, title: 'sqlite doc' }), postgres: documentRow({ created_by: owner, title: 'postgres doc' }) };
    const profile = profileRow({ user_id: owner });
    const queries = { sqlite: queryRow({ user_id: owner, query_text: 'sqlite query' }), postgres: queryRow({ user_id: owner, query_text: 'postgres query' }) };
    try {
      for (const b of ['sqlite', 'postgres'] as const) {
        await bare[b].insert('messages', seeded[b]);
        await bare[b].insert('documents', docs[b]);
        await bare[b].insert('queries', queries[b]);
        await bare[b].insert('user_profiles', { ...profile, dominant_archetype: b });
      }
    } finally {
      await bare.close();
    }
    const db = await openPhase(phase, urls, {}, silentLogger);
    try {
      expect((await db.messageService.queryMessages({ channelId: channel })).map((m) => m.id)).toEqual([seeded[expected.reads].id]);
      expect((await db.messageService.queryMessages({ searchText: 'seeded only', channelId: channel })).map((m) => m.message_content)).toEqual([
        seeded[expected.reads].message_content,
      ]);
      expect(await db.messageService.getMessageCount({ channelId: channel })).toBe(1);
      expect((await db.documentService.listDocuments({ createdBy: owner })).map((d) => d.title)).toEqual([`${expected.reads} doc`]);
      expect((await db.queryService.getRecentQueries({ userId: owner })).map((q) => q.query_text)).toEqual([`${expected.reads} query`]);
      expect((await db.userProfileService.getUserProfile(owner))?.dominant_archetype).toBe(expected.reads);
    } finally {
      await db.close();
    }
  });

  if (phase === '5') {
    it('read-your-writes: a read right after a write in the same process sees it', async () => {
      const db = await openPhase(phase, urls, {}, silentLogger);
      try {
        const channel = `ryw-${newId()}`;
        const user = `ryw-${newId()}`;
        for (let i = 0; i < 25; i++) {
          const saved = await db.messageService.saveHumanMessage({ userId: user, username: 'u', channelId: channel, channelName: 'c', messageContent: `message ${i}`, messageId: String(i), timestamp: 1_000 + i });
          const [newest] = await db.messageService.queryMessages({ channelId: channel, limit: 1 });
          expect(newest?.id, `read after write ${i}`).toBe(saved);
        }
        const doc = await db.documentService.createDocument({ title: 'v1', createdBy: user });
        await db.documentService.updateDocumentTitle(doc.id, 'v2');
        expect(await db.documentService.getDocument(doc.id)).toMatchObject({ title: 'v2', version: 2 });
        await db.userProfileService.getOrCreateUserProfile(user, 'u');
        await db.userProfileService.updateUserProfile(user, { dominant_archetype: 'Sage' });
        expect((await db.userProfileService.getUserProfile(user))?.dominant_archetype).toBe('Sage');
        await db.userProfileService.incrementMessageCount(user);
        expect((await db.userProfileService.getUserProfile(user))?.message_count).toBe(1);
        await db.documentService.deleteDocument(doc.id);
        expect(await db.documentService.getDocument(doc.id)).toBeNull();
        // Served by PostgreSQL once the shadow landed (a fallback to the primary would also be correct, but rare).
        const stats = db.stats();
        expect(stats.reads.backend).toBe('postgres');
        expect(stats.reads.fallbacks).toBeLessThan(stats.reads.latencyMs.count / 2);
      } finally {
        await db.close();
      }
    });
  }
});
