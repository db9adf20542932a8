/**
 * The contract of `Store` (src/stores/store.ts), written once and run against each backend by
 * a thin file that only opens the connection (contract-sqlite.test.ts, contract-postgres.test.ts).
 * Every test makes its own ids, users and channels, so tests share one database per file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseError, isDatabaseError } from '../src/errors.js';
import { newId } from '../src/ids.js';
import type { TableName } from '../src/schema/tables.js';
import type { Row, RowChange, Store } from '../src/stores/store.js';
import { collaboratorRow, documentRow, INT64_MAX, INT64_MIN, messageRow, NESTED_JSON, oneRowPerTable, profileRow, queryRow } from './helpers/rows.js';

/** What a thin file hands the suite: an opened, migrated store and how to dispose of it. */
export interface ContractBackend {
  readonly store: Store;
  cleanup(): Promise<void>;
}

/** Rejects with a DatabaseError and returns it, so tests can look at `code` and `details`. */
async function dbError(p: Promise<unknown>): Promise<DatabaseError> {
  try {
    await p;
  } catch (e) {
    if (isDatabaseError(e)) return e;
    throw new Error(`expected a DatabaseError, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected a DatabaseError, but the call resolved');
}

const uniq = (p: string) => `${p}-${newId()}`;

/** Runs the Store contract against the backend `open` returns. */
export function storeContract(name: string, open: () => Promise<ContractBackend>): void {
  describe(`Store contract: ${name}`, () => {
    let backend: ContractBackend;
    let store: Store;

    beforeAll(async () => {
      backend = await open();
      store = backend.store;
    });
    afterAll(async () => {
      await backend?.cleanup();
    });

    describe('insert and get', () => {
      it('round-trips one full row of every table, every logical type exact', async () => {
        for (const { table, row } of oneRowPerTable()) {
          const returned = await store.insert(table, row);
          expect(returned, `insert ${table}`).toEqual(row);
          const stored = await store.get(table, String(row.id));
          expect(stored, `get ${table}`).toEqual(row);
        }
      });

      it('keeps bigint ends exact (2^63−1 and −2^63) as strings of digits', async () => {
        for (const ext of [INT64_MAX, INT64_MIN, '9007199254740993', '0']) {
          const row = messageRow({ external_id: ext });
          await store.insert('messages', row);
          const got = await store.get('messages', String(row.id));
          expect(got?.external_id).toBe(ext);
        }
      });

      it('gives booleans as booleans, reals as exact doubles, ints and timestamps as numbers', async () => {
        const q = queryRow({ success: true, duration_ms: 2_147_483_647 });
        await store.insert('queries', q);
        const got = (await store.get('queries', String(q.id)))!;
        expect(got.success).toBe(true);
        expect(got.duration_ms).toBe(2_147_483_647);
        expect(got.created_at).toBe(q.created_at);

        const p = profileRow({ trait_openness: 0.1 + 0.2, trait_neuroticism: -0.0001, opted_out: true, is_bot: false });
        await store.insert('user_profiles', p);
        const gp = (await store.get('user_profiles', String(p.id)))!;
        expect(gp.trait_openness).toBe(0.30000000000000004);
        expect(gp.trait_neuroticism).toBe(-0.0001);
        expect(gp.opted_out).toBe(true);
        expect(gp.is_bot).toBe(false);
        expect(typeof gp.activity_hour_00).toBe('number');
      });

      it('stores nested JSON, empty values and top-level non-objects as given', async () => {
        const values = [NESTED_JSON, {}, { a: [] }, { s: '' }, { deep: { a: { b: { c: [[[]]] } } } }, [true, 1, 'x'], [], 'just text', 42, 1.5, true, false, { big: 1e300, neg: -0.5 }];
        for (const metadata of values) {
          const row = messageRow({ metadata });
          await store.insert('messages', row);
          expect((await store.get('messages', String(row.id)))?.metadata).toEqual(metadata);
        }
      });

      it('stores SQL NULL in nullable columns and fills left-out columns with their spec defaults', async () => {
        const row = messageRow({ external_id: null, metadata: null });
        await store.insert('messages', row);
        const got = (await store.get('messages', String(row.id)))!;
        expect(got.external_id).toBeNull();
        expect(got.metadata).toBeNull();

        const q = queryRow({ response: null, error: null });
        delete q.metadata;
        const returned = await store.insert('queries', q);
        expect(returned.metadata).toEqual({});
        const gq = (await store.get('queries', String(q.id)))!;
        expect(gq.response).toBeNull();
        expect(gq.error).toBeNull();
        expect(gq.metadata).toEqual({});

        const p = profileRow({ trait_openness: null, style_summary: null, notes: null });
        await store.insert('user_profiles', p);
        const gp = (await store.get('user_profiles', String(p.id)))!;
        expect(gp.trait_openness).toBeNull();
        expect(gp.style_summary).toBeNull();
        expect(gp.notes).toBeNull();
      });

      it('get of an unknown id is null', async () => {
        for (const table of ['messages', 'queries', 'documents', 'document_collaborators', 'user_profiles', 'user_analysis_history'] as TableName[]) {
          expect(await store.get(table, newId())).toBeNull();
        }
      });

      it('rejects a duplicate id with the driver error, and keeps the first row', async () => {
        const row = messageRow();
        await store.insert('messages', row);
        await expect(store.insert('messages', { ...row, content: 'second' })).rejects.toThrow();
        expect((await store.get('messages', String(row.id)))?.content).toBe('hello world');
      });
    });

    describe('update', () => {
      it('without expectedVersion: applies the patch, sets updated_at, increments version', async () => {
        const row = messageRow();
        await store.insert('messages', row);
        const updated = await store.update('messages', String(row.id), { content: 'edited', metadata: { v: 2 }, external_id: INT64_MIN }, { now: 1_800_000_000 });
        expect(updated).toEqual({ ...row, content: 'edited', metadata: { v: 2 }, external_id: INT64_MIN, updated_at: 1_800_000_000, version: 2 });
        expect(await store.get('messages', String(row.id))).toEqual(updated);
        const again = await store.update('messages', String(row.id), { content: 'again' }, { now: 1_800_000_001 });
        expect(again.version).toBe(3);
      });

      it('with the current expectedVersion: succeeds', async () => {
        const doc = documentRow();
        await store.insert('documents', doc);
        const u = await store.update('documents', String(doc.id), { title: 'New' }, { now: 1_800_000_000, expectedVersion: 1 });
        expect(u.version).toBe(2);
        expect(u.title).toBe('New');
      });

      it('with a stale expectedVersion: VERSION_CONFLICT with details.currentVersion, row unchanged', async () => {
        const doc = documentRow();
        await store.insert('documents', doc);
        await store.update('documents', String(doc.id), { title: 'v2' }, { now: 1_800_000_000 });
        const err = await dbError(store.update('documents', String(doc.id), { title: 'stale' }, { now: 1_800_000_001, expectedVersion: 1 }));
        expect(err.code).toBe('VERSION_CONFLICT');
        expect(err.details.currentVersion).toBe(2);
        expect(err.details.expectedVersion).toBe(1);
        expect((await store.get('documents', String(doc.id)))?.title).toBe('v2');
      });

      it('of an unknown id: NOT_FOUND, with or without expectedVersion', async () => {
        expect((await dbError(store.update('documents', newId(), { title: 'x' }, { now: 1 }))).code).toBe('NOT_FOUND');
        expect((await dbError(store.update('documents', newId(), { title: 'x' }, { now: 1, expectedVersion: 1 }))).code).toBe('NOT_FOUND');
      });

      it('refuses to patch id, version, timestamps or an unknown column (INVALID_INPUT)', async () => {
        const doc = documentRow();
        await store.insert('documents', doc);
        for (const patch of [{ id: 'x' }, { version: 9 }, { created_at: 1 }, { updated_at: 1 }, { nope: 1 }]) {
          expect((await dbError(store.update('documents', String(doc.id), patch, { now: 1 }))).code).toBe('INVALID_INPUT');
        }
        expect(await store.get('documents', String(doc.id))).toEqual(doc);
      });

      it('patches bool, real, int, json and null values of a profile', async () => {
        const p = profileRow();
        await store.insert('user_profiles', p);
        const patch = { opted_out: true, is_moderator: false, trait_openness: 0.7, message_count: 99, interests: ['a', { b: 1 }], style_summary: null };
        const u = await store.update('user_profiles', String(p.id), patch, { now: 1_800_000_000 });
        expect(u).toEqual({ ...p, ...patch, updated_at: 1_800_000_000, version: 2 });
        expect(await store.get('user_profiles', String(p.id))).toEqual(u);
      });
    });

    describe('delete and tombstones', () => {
      it('deletes the row and returns its tombstone at version + 1', async () => {
        const row = messageRow();
        await store.insert('messages', row);
        await store.update('messages', String(row.id), { content: 'v2' }, { now: 1 });
        const t = await store.delete('messages', String(row.id), 1_800_000_000);
        expect(t).toEqual({ table: 'messages', op: 'delete', id: row.id, version: 3 });
        expect(await store.get('messages', String(row.id))).toBeNull();
        expect(await store.tombstoneVersion('messages', String(row.id))).toBe(3);
      });

      it('delete of an absent row returns null and records nothing', async () => {
        const id = newId();
        expect(await store.delete('messages', id, 1)).toBeNull();
        expect(await store.tombstoneVersion('messages', id)).toBeNull();
      });

      it('tombstones are per table', async () => {
        const doc = documentRow();
        await store.insert('documents', doc);
        await store.delete('documents', String(doc.id), 1);
        expect(await store.tombstoneVersion('documents', String(doc.id))).toBe(2);
        expect(await store.tombstoneVersion('messages', String(doc.id))).toBeNull();
      });
    });

    describe('find', () => {
      it('filters by equality (text, bool), orders by several columns and limits', async () => {
        const user = uniq('find');
        const rows = [
          queryRow({ user_id: user, created_at: 10, success: true, duration_ms: 5 }),
          queryRow({ user_id: user, created_at: 30, success: false, duration_ms: 1 }),
          queryRow({ user_id: user, created_at: 20, success: true, duration_ms: 3 }),
          queryRow({ user_id: user, created_at: 20, success: true, duration_ms: 4 }),
          queryRow({ user_id: uniq('other'), created_at: 40 }),
        ];
        for (const r of rows) await store.insert('queries', r);
        const desc = await store.find('queries', { user_id: user }, { orderBy: [['created_at', 'desc'], ['duration_ms', 'asc']], limit: 10 });
        expect(desc.map((r) => r.duration_ms)).toEqual([1, 3, 4, 5]);
        const limited = await store.find('queries', { user_id: user }, { orderBy: [['created_at', 'asc'], ['duration_ms', 'asc']], limit: 2 });
        expect(limited.map((r) => r.duration_ms)).toEqual([5, 3]);
        const ok = await store.find('queries', { user_id: user, success: true }, { orderBy: [['duration_ms', 'asc']], limit: 10 });
        expect(ok.map((r) => r.duration_ms)).toEqual([3, 4, 5]);
        const failed = await store.find('queries', { user_id: user, success: false }, { orderBy: [], limit: 10 });
        expect(failed).toHaveLength(1);
        expect(failed[0]).toEqual(rows[1]);
      });

      it('returns only the asked columns with `columns`', async () => {
        const user = uniq('cols');
        await store.insert('queries', queryRow({ user_id: user, duration_ms: 7, success: true }));
        const [r] = await store.find('queries', { user_id: user }, { orderBy: [], limit: 1, columns: ['duration_ms', 'success'] });
        expect(r?.duration_ms).toBe(7);
        expect(r?.success).toBe(true);
      });

      it('rejects an unknown where or order column (INVALID_INPUT)', async () => {
        expect((await dbError(store.find('queries', { nope: 1 }, { orderBy: [], limit: 1 }))).code).toBe('INVALID_INPUT');
        expect((await dbError(store.find('queries', {}, { orderBy: [['nope; DROP TABLE queries', 'asc']], limit: 1 }))).code).toBe('INVALID_INPUT');
      });
    });

    describe('recentMessages', () => {
      it('orders by timestamp desc, then id desc, and limits', async () => {
        const channel = uniq('chan');
        const ids = [newId(), newId(), newId(), newId()].sort();
        // Two rows share a timestamp: the larger id comes first.
        const rows = [
          messageRow({ id: ids[0], channel_id: channel, timestamp: 100 }),
          messageRow({ id: ids[1], channel_id: channel, timestamp: 300 }),
          messageRow({ id: ids[2], channel_id: channel, timestamp: 200 }),
          messageRow({ id: ids[3], channel_id: channel, timestamp: 200 }),
        ];
        for (const r of [rows[3]!, rows[0]!, rows[2]!, rows[1]!]) await store.insert('messages', r);
        const got = await store.recentMessages({ channelId: channel, limit: 10 });
        expect(got.map((r) => r.id)).toEqual([ids[1], ids[3], ids[2], ids[0]]);
        expect(got[0]).toEqual(rows[1]);
        expect((await store.recentMessages({ channelId: channel, limit: 2 })).map((r) => r.id)).toEqual([ids[1], ids[3]]);
      });

      it('scopes to the channel, the user, or both', async () => {
        const [c1, c2, u1, u2] = [uniq('c'), uniq('c'), uniq('u'), uniq('u')];
        const a = messageRow({ channel_id: c1, user_id: u1, timestamp: 1 });
        const b = messageRow({ channel_id: c1, user_id: u2, timestamp: 2 });
        const c = messageRow({ channel_id: c2, user_id: u1, timestamp: 3 });
        for (const r of [a, b, c]) await store.insert('messages', r);
        const ids = async (spec: { channelId?: string; userId?: string }) => (await store.recentMessages({ ...spec, limit: 10 })).map((r) => r.id);
        expect(await ids({ channelId: c1 })).toEqual([b.id, a.id]);
        expect(await ids({ userId: u1 })).toEqual([c.id, a.id]);
        expect(await ids({ channelId: c1, userId: u1 })).toEqual([a.id]);
        expect(await ids({ channelId: c2, userId: u2 })).toEqual([]);
      });

      it('refuses an unscoped read (INVALID_INPUT)', async () => {
        expect((await dbError(store.recentMessages({ limit: 10 }))).code).toBe('INVALID_INPUT');
      });

      it('filters by metadata containment: string, number, boolean, null, several keys', async () => {
        const channel = uniq('meta');
        const m = (metadata: unknown, timestamp: number) => messageRow({ channel_id: channel, metadata, timestamp });
        const rows = {
          billing: m({ topic: 'billing', priority: 2, urgent: true, assignee: null }, 9),
          billing2: m({ topic: 'billing', priority: '2', urgent: false }, 8),
          support: m({ topic: 'support', priority: 2.5, urgent: 1 }, 7),
          nested: m({ inner: { topic: 'billing' } }, 6),
          array: m({ topic: ['billing'] }, 5),
          empty: m({}, 4),
          nullMeta: m(null, 3),
          dotted: m({ 'a.b': 'x', 'with "quote"': 'y', "it's": 'z' }, 2),
        };
        for (const r of Object.values(rows)) await store.insert('messages', r);
        const ids = async (metadata: Record<string, string | number | boolean | null>) =>
          (await store.recentMessages({ channelId: channel, metadata, limit: 50 })).map((r) => r.id);
        expect(await ids({ topic: 'billing' })).toEqual([rows.billing.id, rows.billing2.id]);
        expect(await ids({ priority: 2 })).toEqual([rows.billing.id]);
        expect(await ids({ priority: '2' })).toEqual([rows.billing2.id]);
        expect(await ids({ priority: 2.5 })).toEqual([rows.support.id]);
        expect(await ids({ urgent: true })).toEqual([rows.billing.id]);
        expect(await ids({ urgent: false })).toEqual([rows.billing2.id]);
        expect(await ids({ urgent: 1 })).toEqual([rows.support.id]);
        expect(await ids({ assignee: null })).toEqual([rows.billing.id]);
        expect(await ids({ topic: 'billing', urgent: true })).toEqual([rows.billing.id]);
        expect(await ids({ topic: 'billing', urgent: 'yes' })).toEqual([]);
        expect(await ids({ 'a.b': 'x' })).toEqual([rows.dotted.id]);
        expect(await ids({ 'with "quote"': 'y' })).toEqual([rows.dotted.id]);
        expect(await ids({ "it's": 'z' })).toEqual([rows.dotted.id]);
        expect(await ids({ "' OR 1=1 --": 'x' })).toEqual([]);
        expect(await ids({})).toHaveLength(Object.keys(rows).length);
      });
    });

    describe('searchMessages', () => {
      it('finds messages whose content has every term, newest first, scoped by user and channel', async () => {
        const [c1, c2, u1, u2] = [uniq('c'), uniq('c'), uniq('u'), uniq('u')];
        const word = `zebra${Date.now().toString(36)}`;
        const a = messageRow({ channel_id: c1, user_id: u1, content: `the ${word} crossed the road`, timestamp: 1 });
        const b = messageRow({ channel_id: c1, user_id: u2, content: `a ${word} again, road closed`, timestamp: 2 });
        const c = messageRow({ channel_id: c2, user_id: u1, content: `${word} in another channel`, timestamp: 3 });
        const d = messageRow({ channel_id: c1, user_id: u1, content: 'nothing relevant', timestamp: 4 });
        for (const r of [a, b, c, d]) await store.insert('messages', r);
        const ids = async (terms: string[], scope: { userId?: string; channelId?: string }, limit = 20) =>
          (await store.searchMessages({ terms, ...scope, limit })).map((r) => r.id);
        expect(await ids([word], { channelId: c1 })).toEqual([b.id, a.id]);
        expect(await ids([word], { userId: u1 })).toEqual([c.id, a.id]);
        expect(await ids([word], { userId: u1, channelId: c1 })).toEqual([a.id]);
        expect(await ids([word, 'road'], { channelId: c1 })).toEqual([b.id, a.id]);
        expect(await ids([word, 'crossed'], { channelId: c1 })).toEqual([a.id]);
        expect(await ids([word], { channelId: c1 }, 1)).toEqual([b.id]);
        expect(await ids([word], { userId: uniq('stranger') })).toEqual([]);
        const [full] = await store.searchMessages({ terms: [word], channelId: c2, limit: 1 });
        expect(full).toEqual(c);
      });

      it('follows updates and deletes of the content', async () => {
        const ch = uniq('c');
        const m = messageRow({ channel_id: ch, content: 'original walrus' });
        await store.insert('messages', m);
        await store.update('messages', String(m.id), { content: 'changed narwhal' }, { now: 2 });
        expect(await store.searchMessages({ terms: ['walrus'], channelId: ch, limit: 5 })).toEqual([]);
        expect((await store.searchMessages({ terms: ['narwhal'], channelId: ch, limit: 5 })).map((r) => r.id)).toEqual([m.id]);
        await store.delete('messages', String(m.id), 3);
        expect(await store.searchMessages({ terms: ['narwhal'], channelId: ch, limit: 5 })).toEqual([]);
      });
    });

    describe('listDocumentsForUser', () => {
      it('lists only documents the user owns or collaborates on, most recently updated first', async () => {
        const [owner, friend, stranger] = [uniq('owner'), uniq('friend'), uniq('stranger')];
        const d1 = documentRow({ owner_id: owner, updated_at: 10 });
        const d2 = documentRow({ owner_id: owner, updated_at: 30 });
        const d3 = documentRow({ owner_id: uniq('someone'), updated_at: 20 });
        const d4 = documentRow({ owner_id: friend, updated_at: 5 });
        for (const d of [d1, d2, d3, d4]) await store.insert('documents', d);
        await store.insert('document_collaborators', collaboratorRow(String(d3.id), { user_id: friend }));
        await store.insert('document_collaborators', collaboratorRow(String(d1.id), { user_id: friend, role: 'editor' }));
        const ids = async (u: string, limit = 10) => (await store.listDocumentsForUser(u, limit)).map((r) => r.id);
        expect(await ids(owner)).toEqual([d2.id, d1.id]);
        expect(await ids(friend)).toEqual([d3.id, d1.id, d4.id]);
        expect(await ids(friend, 1)).toEqual([d3.id]);
        expect(await ids(stranger)).toEqual([]);
        expect((await store.listDocumentsForUser(owner, 1))[0]).toEqual(d2);
      });
    });

    describe('transaction', () => {
      it('commits every write and returns the callback result', async () => {
        const a = messageRow();
        const b = queryRow();
        const r = await store.transaction(async (tx) => {
          await tx.insert('messages', a);
          await tx.insert('queries', b);
          expect(await tx.get('messages', String(a.id))).toEqual(a);
          return 42;
        });
        expect(r).toBe(42);
        expect(await store.get('messages', String(a.id))).toEqual(a);
        expect(await store.get('queries', String(b.id))).toEqual(b);
      });

      it('rolls back every write when the callback throws', async () => {
        const existing = documentRow();
        await store.insert('documents', existing);
        const a = messageRow();
        const boom = new Error('boom');
        await expect(
          store.transaction(async (tx) => {
            await tx.insert('messages', a);
            await tx.update('documents', String(existing.id), { title: 'changed' }, { now: 5 });
            await tx.delete('documents', String(existing.id), 6);
            throw boom;
          }),
        ).rejects.toBe(boom);
        expect(await store.get('messages', String(a.id))).toBeNull();
        expect(await store.get('documents', String(existing.id))).toEqual(existing);
        expect(await store.tombstoneVersion('documents', String(existing.id))).toBeNull();
      });

      it('rolls back when a statement fails (duplicate id), and the store stays usable', async () => {
        const a = messageRow();
        const dup = messageRow();
        await store.insert('messages', dup);
        await expect(
          store.transaction(async (tx) => {
            await tx.insert('messages', a);
            await tx.insert('messages', dup);
          }),
        ).rejects.toThrow();
        expect(await store.get('messages', String(a.id))).toBeNull();
        const after = messageRow();
        await store.insert('messages', after);
        expect(await store.get('messages', String(after.id))).toEqual(after);
      });
    });

    describe('applyChanges (version guard)', () => {
      const up = (table: TableName, row: Row): RowChange => ({ table, op: 'upsert', row });
      const del = (table: TableName, id: string, version: number): RowChange => ({ table, op: 'delete', id, version });

      it('inserts a new row from its full state', async () => {
        const row = messageRow({ version: 4 });
        await store.applyChanges([up('messages', row)]);
        expect(await store.get('messages', String(row.id))).toEqual(row);
      });

      it('a newer version wins; an older or equal version is a no-op', async () => {
        const v1 = documentRow();
        const id = String(v1.id);
        await store.applyChanges([up('documents', v1)]);
        const v3 = { ...v1, title: 'v3', updated_at: 3, version: 3 };
        await store.applyChanges([up('documents', v3)]);
        expect(await store.get('documents', id)).toEqual(v3);
        await store.applyChanges([up('documents', { ...v1, title: 'v2', version: 2 })]);
        expect(await store.get('documents', id)).toEqual(v3);
        await store.applyChanges([up('documents', { ...v3, title: 'same version, other content' })]);
        expect(await store.get('documents', id)).toEqual(v3);
        const v4 = { ...v3, title: 'v4', metadata: { n: 4 }, version: 4 };
        await store.applyChanges([up('documents', v4)]);
        expect(await store.get('documents', id)).toEqual(v4);
      });

      it('a tombstone deletes an older row and prevents its resurrection by older or equal upserts', async () => {
        const v2 = messageRow({ version: 2 });
        const id = String(v2.id);
        await store.applyChanges([up('messages', v2)]);
        await store.applyChanges([del('messages', id, 3)]);
        expect(await store.get('messages', id)).toBeNull();
        expect(await store.tombstoneVersion('messages', id)).toBe(3);
        await store.applyChanges([up('messages', v2)]);
        await store.applyChanges([up('messages', { ...v2, version: 3 })]);
        expect(await store.get('messages', id)).toBeNull();
      });

      it('a tombstone that arrives before the row it deletes still wins', async () => {
        const row = messageRow({ version: 1 });
        const id = String(row.id);
        await store.applyChanges([del('messages', id, 2)]);
        await store.applyChanges([up('messages', row)]);
        expect(await store.get('messages', id)).toBeNull();
      });

      it('a tombstone of an older version does not delete a newer row, and tombstones keep the highest version', async () => {
        const v5 = documentRow({ version: 5 });
        const id = String(v5.id);
        await store.applyChanges([up('documents', v5)]);
        await store.applyChanges([del('documents', id, 3)]);
        expect(await store.get('documents', id)).toEqual(v5);
        await store.applyChanges([del('documents', id, 6)]);
        expect(await store.get('documents', id)).toBeNull();
        await store.applyChanges([del('documents', id, 4)]);
        expect(await store.tombstoneVersion('documents', id)).toBe(6);
      });

      it('a row re-created after its tombstone (a higher version) is accepted', async () => {
        const doc = documentRow();
        const c = collaboratorRow(String(doc.id), { version: 1 });
        const id = String(c.id);
        await store.applyChanges([up('documents', doc), up('document_collaborators', c)]);
        await store.applyChanges([del('document_collaborators', id, 2)]);
        const readded = { ...c, role: 'editor', version: 3 };
        await store.applyChanges([up('document_collaborators', readded)]);
        expect(await store.get('document_collaborators', id)).toEqual(readded);
      });

      it('keeps every logical type exact through the upsert path', async () => {
        for (const { table, row } of oneRowPerTable()) {
          await store.applyChanges([up(table, row)]);
          expect(await store.get(table, String(row.id)), table).toEqual(row);
          const newer = { ...row, version: 2, updated_at: 1_800_000_000 };
          await store.applyChanges([up(table, newer)]);
          expect(await store.get(table, String(row.id)), table).toEqual(newer);
        }
      });

      it('is one transaction: a bad change rolls back the whole batch', async () => {
        const good = messageRow();
        const bad = messageRow({ content: null }); // NOT NULL
        await expect(store.applyChanges([up('messages', good), up('messages', bad)])).rejects.toThrow();
        expect(await store.get('messages', String(good.id))).toBeNull();
      });

      it('applies a mixed batch in order (upserts and deletes of several tables)', async () => {
        const doc = documentRow();
        const c = collaboratorRow(String(doc.id));
        const m = messageRow();
        await store.applyChanges([
          up('documents', doc),
          up('document_collaborators', c),
          up('messages', m),
          up('documents', { ...doc, title: 'v2', version: 2 }),
          del('document_collaborators', String(c.id), 2),
        ]);
        expect((await store.get('documents', String(doc.id)))?.title).toBe('v2');
        expect(await store.get('document_collaborators', String(c.id))).toBeNull();
        expect(await store.get('messages', String(m.id))).toEqual(m);
      });
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
