/**
 * The same script of Store calls on LibSQL and on PostgreSQL gives the same rows, tombstones and
 * read results, compared in the canonical form (`normalizeRow`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableNames, type TableName } from '../src/schema/tables.js';
import type { Row, RowChange, Store } from '../src/stores/store.js';
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
      timestamp: 1000 + Math.floor(i / 2),
      content: i % 2 ? `parity apple number ${i}` : `parity pear ${i}`,
      metadata: { topic: i % 3 ? 'billing' : 'support', n: i, flag: i % 2 === 0, maybe: i % 4 ? null : 'x' },
      external_id: i % 5 ? String(BigInt(INT64_MIN) + BigInt(i)) : null,
    }),
  );
  const queries = Array.from({ length: 5 }, (_, i) => queryRow({ user_id: 'u0', duration_ms: i * 10, success: i % 2 === 0, created_at: 2000 + i }));
  const doc = documentRow({ owner_id: 'o1', updated_at: 50 });
  const doc2 = documentRow({ owner_id: 'o2', updated_at: 60 });
  const collab = collaboratorRow(String(doc2.id), { user_id: 'o1' });
  const profile = profileRow({ user_id: 'p1' });
  const history = historyRow({ user_id: 'p1' });

  const ids = new Map<TableName, Set<string>>([
    ['messages', new Set(msgs.map((m) => String(m.id)))],
    ['queries', new Set(queries.map((q) => String(q.id)))],
    ['documents', new Set([String(doc.id), String(doc2.id)])],
    ['document_collaborators', new Set([String(collab.id)])],
    ['user_profiles', new Set([String(profile.id)])],
    ['user_analysis_history', new Set([String(history.id)])],
  ]);
  const run = async (s: Store): Promise<Observed> => {
    const seen: Observed = [];
    for (const m of msgs) await s.insert('messages', m);
    for (const q of queries) await s.insert('queries', q);
    await s.insert('documents', doc);
    await s.insert('documents', doc2);
    await s.insert('document_collaborators', collab);
    await s.insert('user_profiles', profile);
    await s.insert('user_analysis_history', history);
    await s.update('messages', String(msgs[0]!.id), { content: 'parity apple edited', metadata: { topic: 'billing', edited: true } }, { now: 3000 });
    await s.update('documents', String(doc.id), { title: 'T2' }, { now: 3001, expectedVersion: 1 });
    await s.update('user_profiles', String(profile.id), { trait_openness: 0.3333333333333333, opted_out: true, interests: ['x', { y: [1, null] }] }, { now: 3002 });
    seen.push(['delete', await s.delete('messages', String(msgs[1]!.id), 3003)]);
    seen.push(['delete absent', await s.delete('messages', 'no-such-id', 3003)]);
    await s.transaction(async (tx) => {
      await tx.update('queries', String(queries[0]!.id), { success: true, response: null }, { now: 3004 });
    });
    await s
      .transaction(async (tx) => {
        await tx.delete('documents', String(doc.id), 3005);
        throw new Error('rolled back');
      })
      .catch(() => {});
    const changes: RowChange[] = [
      { table: 'messages', op: 'upsert', row: { ...msgs[2]!, content: 'parity via apply', version: 5 } },
      { table: 'messages', op: 'upsert', row: { ...msgs[2]!, content: 'older, ignored', version: 4 } },
      { table: 'messages', op: 'delete', id: String(msgs[3]!.id), version: 2 },
      { table: 'messages', op: 'upsert', row: msgs[3]! },
      { table: 'documents', op: 'delete', id: String(doc2.id), version: 2 },
    ];
    await s.applyChanges(changes);

    seen.push(['recent c1', (await s.recentMessages({ channelId: 'c1', limit: 50 })).map((r) => r.id)]);
    seen.push(['recent u0 billing', (await s.recentMessages({ userId: 'u0', metadata: { topic: 'billing' }, limit: 50 })).map((r) => r.id)]);
    seen.push(['recent flag', (await s.recentMessages({ channelId: 'c0', metadata: { flag: true, maybe: null }, limit: 50 })).map((r) => r.id)]);
    seen.push(['recent n', (await s.recentMessages({ userId: 'u1', metadata: { n: 5 }, limit: 50 })).map((r) => r.id)]);
    seen.push(['search apple', (await s.searchMessages({ terms: ['apple'], userId: 'u1', limit: 50 })).map((r) => r.id)]);
    seen.push(['search parity c2', (await s.searchMessages({ terms: ['parity'], channelId: 'c2', limit: 50 })).map((r) => r.id)]);
    seen.push(['docs o1', (await s.listDocumentsForUser('o1', 10)).map((r) => r.id)]);
    seen.push(['find ok', (await s.find('queries', { user_id: 'u0', success: true }, { orderBy: [['created_at', 'desc']], limit: 10 })).map((r) => r.id)]);
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
