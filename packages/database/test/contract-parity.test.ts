/**
 * The same script of Store calls on LibSQL and on PostgreSQL gives the same rows, tombstones and
 * read results, compared in the canonical form (`normalizeRow`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableNames, type TableName } from '../src/schema/tables.js';
import type { FindOptions, Row, RowChange, Store } from '../src/stores/store.js';
import { normalizeRow } from '../src/transfer/convert/normalize-row.js';
import { openPostgresBackend, openSqliteBackend, type TestBackend } from './helpers/backends.js';
import { collaboratorRow, documentRow, historyRow, INT64_MIN, messageRow, profileRow, queryRow } from './helpers/rows.js';

/** Every read the script observes, in order. */
type Observed = Array<[string, unknown]>;

/** A fixed script of writes and reads; rows are built once so both backends get the same ids. */
function buildScript() {
  const msgs = Array.from({ length: 12 }, (_, i) =>
    messageRow({
      channel_id: `c${i % 3}`,
      user_id: `u${i % 2}`,
      sender_type: (['human', 'ai', 'tool'] as const)[i % 3],
      timestamp: 1_000_000 + Math.floor(i / 2),
      message_content: i % 2 ? `parity apple number ${i}` : `parity pear ${i}`,
      tool_name: i % 4 ? null : 'fruit_lookup',
      metadata: { topic: i % 3 ? 'billing' : 'support', n: i, flag: i % 2 === 0, maybe: i % 4 ? null : 'x', big: BigInt(INT64_MIN) + BigInt(i) },
    }),
  );
  const queries = Array.from({ length: 5 }, (_, i) => queryRow({ user_id: 'u0', execution_time_ms: i * 10, error: i % 2 ? 'boom' : null, timestamp: 2_000_000 + i }));
  const doc = documentRow({ created_by: 'o1', updated_at: 50 });
  const doc2 = documentRow({ created_by: 'o2', updated_at: 60, is_public: false });
  // A legacy document the old bot wrote before adoption (updated_at NULL) beside a newer one.
  const legacyDoc = documentRow({ created_by: 'o3', updated_at: null });
  const doc3 = documentRow({ created_by: 'o3', updated_at: 70 });
  const collab = collaboratorRow(String(doc2.id), { user_id: 'o1' });
  const profile = profileRow({ user_id: 'p1', last_analyzed_at: null, last_interaction_at: 70 });
  const profile2 = profileRow({ user_id: 'p2', last_analyzed_at: 80, last_interaction_at: 90 });
  const profile3 = profileRow({ user_id: 'p3', last_analyzed_at: 95, last_interaction_at: 90 });
  const history = historyRow({ user_id: 'p1' });

  const ids = new Map<TableName, Set<string>>([
    ['messages', new Set(msgs.map((m) => String(m.id)))],
    ['queries', new Set(queries.map((q) => String(q.id)))],
    ['documents', new Set([String(doc.id), String(doc2.id), String(legacyDoc.id), String(doc3.id)])],
    ['document_collaborators', new Set([String(collab.id)])],
    ['user_profiles', new Set([profile, profile2, profile3].map((p) => String(p.id)))],
    ['user_analysis_history', new Set([String(history.id)])],
  ]);
  const run = async (s: Store): Promise<Observed> => {
    const seen: Observed = [];
    const idsOf = (rows: Row[]) => rows.map((r) => r.id);
    for (const m of msgs) await s.insert('messages', m);
    for (const q of queries) await s.insert('queries', q);
    await s.insert('documents', doc);
    await s.insert('documents', doc2);
    await s.insert('documents', legacyDoc);
    await s.insert('documents', doc3);
    await s.insert('document_collaborators', collab);
    for (const p of [profile, profile2, profile3]) await s.insert('user_profiles', p);
    await s.insert('user_analysis_history', history);
    await s.update('messages', String(msgs[0]!.id), { message_content: 'parity apple edited', metadata: { topic: 'billing', edited: true } }, { now: 3000 });
    await s.update('documents', String(doc.id), { title: 'T2', is_public: false }, { now: 3001, expectedVersion: 1 });
    await s.update('user_profiles', String(profile.id), { archetype_confidence: 0.3333333333333333, openness_score: 7, primary_interests: ['x', { y: [1, null] }] }, { now: 3002 });
    seen.push(['delete', await s.delete('messages', String(msgs[1]!.id), 3003)]);
    seen.push(['delete absent', await s.delete('messages', 'no-such-id', 3003)]);
    await s.transaction(async (tx) => {
      await tx.update('queries', String(queries[0]!.id), { error: 'late failure', query_result: null }, { now: 3004 });
    });
    await s
      .transaction(async (tx) => {
        await tx.delete('documents', String(doc.id), 3005);
        throw new Error('rolled back');
      })
      .catch(() => {});
    const changes: RowChange[] = [
      { table: 'messages', op: 'upsert', row: { ...msgs[2]!, message_content: 'parity via apply', version: 5 } },
      { table: 'messages', op: 'upsert', row: { ...msgs[2]!, message_content: 'older, ignored', version: 4 } },
      { table: 'messages', op: 'delete', id: String(msgs[3]!.id), version: 2 },
      { table: 'messages', op: 'upsert', row: msgs[3]! },
      { table: 'documents', op: 'delete', id: String(doc2.id), version: 2 },
    ];
    await s.applyChanges(changes);

    const newest: FindOptions = { orderBy: [['timestamp', 'desc'], ['id', 'desc']], limit: 50 };
    seen.push(['find c1', idsOf(await s.find('messages', { channel_id: 'c1' }, newest))]);
    seen.push(['find u0 human', idsOf(await s.find('messages', { user_id: 'u0', sender_type: 'human' }, newest))]);
    seen.push(['find range', idsOf(await s.find('messages', { timestamp: { gte: 1_000_001, lte: 1_000_004 } }, newest))]);
    seen.push(['find in', idsOf(await s.find('messages', { sender_type: { in: ['ai', 'tool'] }, channel_id: 'c2' }, newest))]);
    seen.push(['find offset', idsOf(await s.find('messages', {}, { ...newest, limit: 3, offset: 2 }))]);
    seen.push(['find null', idsOf(await s.find('messages', { tool_name: null }, newest))]);
    seen.push(['count u1', await s.count('messages', { user_id: 'u1' })]);
    seen.push(['search apple', idsOf(await s.searchMessages({ terms: ['apple'], where: { user_id: 'u1' }, limit: 50 }))]);
    seen.push(['search parity c2', idsOf(await s.searchMessages({ terms: ['parity'], where: { channel_id: 'c2' }, limit: 50 }))]);
    seen.push(['search tool name', idsOf(await s.searchMessages({ terms: ['fruit', 'lookup'], where: {}, limit: 50, offset: 1 }))]);
    for (const dir of ['asc', 'desc'] as const) {
      seen.push([`docs o3 ${dir}`, idsOf(await s.find('documents', { created_by: 'o3' }, { orderBy: [['updated_at', dir]], limit: 10 }))]);
    }
    seen.push(['docs o1', idsOf(await s.find('documents', { created_by: 'o1' }, { orderBy: [['updated_at', 'desc'], ['id', 'desc']], limit: 10 }))]);
    seen.push(['queries failed', idsOf(await s.find('queries', { user_id: 'u0', error: 'boom' }, { orderBy: [['timestamp', 'desc']], limit: 10 }))]);
    seen.push([
      'needing analysis',
      (await s.find('user_profiles', { last_analyzed_at: { ltColumn: 'last_interaction_at', orNull: true } }, { orderBy: [['last_interaction_at', 'desc'], ['id', 'asc']], limit: 10 })).map((r) => r.user_id),
    ]);
    return seen;
  };
  return { run, ids };
}

async function dump(s: Store, ids: Map<TableName, Set<string>>): Promise<Record<string, Row[]>> {
  const out: Record<string, Row[]> = {};
  for (const table of tableNames) {
    const rows: Row[] = [];
    for (const id of [...(ids.get(table) ?? [])].sort()) {
      const r = await s.get(table, id);
      rows.push(r ? normalizeRow(table, r) : { id, absent: true, tombstone: await s.tombstoneVersion(table, id) });
    }
    out[table] = rows;
  }
  return out;
}

describe('Store parity: LibSQL and PostgreSQL', () => {
  let lite: TestBackend;
  let pg: TestBackend;
  beforeAll(async () => {
    [lite, pg] = await Promise.all([openSqliteBackend(), openPostgresBackend()]);
  });
  afterAll(async () => {
    await Promise.all([lite?.cleanup(), pg?.cleanup()]);
  });

  it('gives the same rows, tombstones and reads on both backends', async () => {
    const { run, ids } = buildScript();
    const seenLite = await run(lite.store);
    const seenPg = await run(pg.store);
    expect(seenPg).toEqual(seenLite);
    // The script observed something on every read (a parity of empty results proves little).
    for (const [what, value] of seenLite) if (Array.isArray(value)) expect(value.length, what).toBeGreaterThan(0);
    expect(seenLite.find(([w]) => w === 'needing analysis')?.[1]).toEqual(['p2', 'p1']);

    for (const table of tableNames) {
      const count = async (st: Store) => (await st.find(table, {}, { orderBy: [], limit: 1000, columns: ['id'] })).length;
      expect(await count(pg.store), table).toBe(await count(lite.store));
    }
    const [a, b] = [await dump(lite.store, ids), await dump(pg.store, ids)];
    expect(b).toEqual(a);
    expect(a.messages!.filter((r) => r.absent)).toHaveLength(2);
    expect(a.documents!.filter((r) => r.absent)).toHaveLength(1);
  });
});
