/**
 * The contract of `Store` (src/stores/store.ts), written once and run against each backend by
 * a thin file that only opens the connection (contract-sqlite.test.ts, contract-postgres.test.ts).
 * Every test makes its own ids, users, channels and search words, so tests share one database per file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseError, isDatabaseError } from '../src/errors.js';
import { newId } from '../src/ids.js';
import { tableNames, type TableName } from '../src/schema/tables.js';
import type { Row, RowChange, Store, Where } from '../src/stores/store.js';
import { collaboratorRow, documentRow, historyRow, INT64_MAX, INT64_MIN, messageRow, NESTED_JSON, oneRowPerTable, profileRow, queryRow } from './helpers/rows.js';

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
/** A word both tokenizers keep whole (letters and digits only) that no other test uses. */
const word = (p: string) => `${p}${newId().replaceAll('-', '').slice(-12)}${Math.random().toString(36).slice(2, 8)}`;

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

    const ids = (rows: Row[]) => rows.map((r) => r.id);

    describe('insert and get', () => {
      it('round-trips one full row of every table, every logical type exact', async () => {
        const rows = oneRowPerTable();
        expect(rows.map((r) => r.table)).toEqual([...tableNames]);
        for (const { table, row } of rows) {
          const returned = await store.insert(table, row);
          expect(returned, `insert ${table}`).toEqual(row);
          const stored = await store.get(table, String(row.id));
          expect(stored, `get ${table}`).toEqual(row);
        }
      });

      it('keeps integers beyond 2^53 inside JSON exact (bigint), on every JSON column kind', async () => {
        for (const big of [INT64_MAX, INT64_MIN, '9007199254740993']) {
          const metadata = { messageId: BigInt(big), nested: [BigInt(big), 1] };
          const row = messageRow({ metadata, tool_args: { snowflake: BigInt(big) } });
          await store.insert('messages', row);
          const got = (await store.get('messages', String(row.id)))!;
          expect(got.metadata).toEqual(metadata);
          expect((got.tool_args as { snowflake: unknown }).snowflake).toBe(BigInt(big));
        }
      });

      it('gives millisecond timestamps, ints, reals and booleans as exact numbers / booleans', async () => {
        const ms = 1_767_225_600_123; // 2026-01-01 in ms: far beyond int32
        const m = messageRow({ timestamp: ms });
        await store.insert('messages', m);
        expect((await store.get('messages', String(m.id)))!.timestamp).toBe(ms);

        const q = queryRow({ timestamp: ms + 1, execution_time_ms: 2_147_483_647, result_count: -1 });
        await store.insert('queries', q);
        const got = (await store.get('queries', String(q.id)))!;
        expect(got.timestamp).toBe(ms + 1);
        expect(got.execution_time_ms).toBe(2_147_483_647);
        expect(got.result_count).toBe(-1);
        expect(got.created_at).toBe(q.created_at);

        for (const is_public of [true, false]) {
          const d = documentRow({ is_public });
          await store.insert('documents', d);
          expect((await store.get('documents', String(d.id)))!.is_public).toBe(is_public);
        }

        const p = profileRow({ archetype_confidence: 0.1 + 0.2, emoji_usage_rate: -0.0001, openness_score: 100, message_count: 0 });
        await store.insert('user_profiles', p);
        const gp = (await store.get('user_profiles', String(p.id)))!;
        expect(gp.archetype_confidence).toBe(0.30000000000000004);
        expect(gp.emoji_usage_rate).toBe(-0.0001);
        expect(gp.openness_score).toBe(100);
        expect(gp.message_count).toBe(0);
        expect(typeof gp.first_seen_at).toBe('number');
      });

      it('stores nested JSON, empty values and top-level non-objects as given', async () => {
        const values = [NESTED_JSON, {}, { a: [] }, { s: '' }, { deep: { a: { b: { c: [[[]]] } } } }, [true, 1, 'x'], [], 'just text', 42, 1.5, true, false, { big: 1e300, neg: -0.5 }];
        for (const metadata of values) {
          const row = messageRow({ metadata, tool_result: metadata });
          await store.insert('messages', row);
          const got = (await store.get('messages', String(row.id)))!;
          expect(got.metadata).toEqual(metadata);
          expect(got.tool_result).toEqual(metadata);
        }
      });

      it('stores SQL NULL in nullable columns and fills left-out columns with their spec defaults', async () => {
        const nullable = { user_id: null, channel_id: null, tool_name: null, tool_args: null, metadata: null, response_decision: null, created_at: null, updated_at: null };
        const row = messageRow(nullable);
        await store.insert('messages', row);
        expect(await store.get('messages', String(row.id))).toEqual(row);

        const q = queryRow({ translated_sql: null, query_result: null, result_count: null, error: null });
        await store.insert('queries', q);
        expect(await store.get('queries', String(q.id))).toEqual(q);

        // Left out: documents.content '' and is_public true; collaborators.role 'editor';
        // profiles.message_count 0 and appearance_confidence 0 (omega-bot's defaults).
        const d = documentRow();
        delete d.content;
        delete d.is_public;
        const rd = await store.insert('documents', d);
        expect(rd).toMatchObject({ content: '', is_public: true });
        expect(await store.get('documents', String(d.id))).toEqual(rd);

        const c = collaboratorRow(String(d.id));
        delete c.role;
        expect((await store.insert('document_collaborators', c)).role).toBe('editor');
        expect((await store.get('document_collaborators', String(c.id)))!.role).toBe('editor');

        const p = profileRow();
        delete p.message_count;
        delete p.appearance_confidence;
        delete p.dominant_archetype;
        await store.insert('user_profiles', p);
        const gp = (await store.get('user_profiles', String(p.id)))!;
        expect(gp.message_count).toBe(0);
        expect(gp.appearance_confidence).toBe(0);
        expect(gp.dominant_archetype).toBeNull();
      });

      it("refuses a sender_type outside 'human' | 'ai' | 'tool' (CHECK), and a NULL in a NOT NULL column", async () => {
        for (const sender_type of ['human', 'ai', 'tool']) {
          const ok = messageRow({ sender_type });
          await store.insert('messages', ok);
          expect((await store.get('messages', String(ok.id)))!.sender_type).toBe(sender_type);
        }
        for (const sender_type of ['bot', 'Human', '']) {
          const bad = messageRow({ sender_type });
          await expect(store.insert('messages', bad), sender_type).rejects.toThrow();
          expect(await store.get('messages', String(bad.id))).toBeNull();
        }
        for (const over of [{ message_content: null }, { timestamp: null }, { sender_type: null }]) {
          await expect(store.insert('messages', messageRow(over))).rejects.toThrow();
        }
        await expect(store.insert('queries', queryRow({ username: null }))).rejects.toThrow();
        await expect(store.insert('user_profiles', profileRow({ first_seen_at: null }))).rejects.toThrow();
      });

      it('refuses rows whose parent is missing (both foreign keys), and cascades deletes to children', async () => {
        await expect(store.insert('document_collaborators', collaboratorRow(newId()))).rejects.toThrow();
        await expect(store.insert('user_analysis_history', historyRow({ user_id: uniq('no-profile') }))).rejects.toThrow();
        const d = documentRow();
        const p = profileRow();
        await store.insert('documents', d);
        await store.insert('user_profiles', p);
        const c = collaboratorRow(String(d.id));
        const h = historyRow({ user_id: p.user_id });
        await store.insert('document_collaborators', c);
        await store.insert('user_analysis_history', h);
        await store.delete('documents', String(d.id), 1);
        await store.delete('user_profiles', String(p.id), 1);
        expect(await store.get('document_collaborators', String(c.id))).toBeNull();
        expect(await store.get('user_analysis_history', String(h.id))).toBeNull();
      });

      it('get of an unknown id is null', async () => {
        for (const table of tableNames) expect(await store.get(table, newId())).toBeNull();
      });

      it('rejects a duplicate id with the driver error, and keeps the first row', async () => {
        const row = messageRow();
        await store.insert('messages', row);
        await expect(store.insert('messages', { ...row, message_content: 'second' })).rejects.toThrow();
        expect((await store.get('messages', String(row.id)))?.message_content).toBe('hello world');
      });

      it('rejects a second profile of the same user_id and a second collaborator of the same (document, user)', async () => {
        const p = profileRow();
        await store.insert('user_profiles', p);
        await expect(store.insert('user_profiles', profileRow({ user_id: p.user_id }))).rejects.toThrow();
        const d = documentRow();
        await store.insert('documents', d);
        await store.insert('document_collaborators', collaboratorRow(String(d.id), { user_id: 'same' }));
        await expect(store.insert('document_collaborators', collaboratorRow(String(d.id), { user_id: 'same' }))).rejects.toThrow();
      });
    });

    describe('update', () => {
      it('without expectedVersion: applies the patch, sets updated_at, increments version', async () => {
        const row = messageRow();
        await store.insert('messages', row);
        const patch = { message_content: 'edited', metadata: { v: 2, id: BigInt(INT64_MIN) }, sender_type: 'ai', guild_id: null };
        const updated = await store.update('messages', String(row.id), patch, { now: 1_800_000_000 });
        expect(updated).toEqual({ ...row, ...patch, updated_at: 1_800_000_000, version: 2 });
        expect(await store.get('messages', String(row.id))).toEqual(updated);
        const again = await store.update('messages', String(row.id), { message_content: 'again' }, { now: 1_800_000_001 });
        expect(again.version).toBe(3);
      });

      it('with the current expectedVersion: succeeds', async () => {
        const doc = documentRow();
        await store.insert('documents', doc);
        const u = await store.update('documents', String(doc.id), { title: 'New', is_public: false }, { now: 1_800_000_000, expectedVersion: 1 });
        expect(u.version).toBe(2);
        expect(u.title).toBe('New');
        expect(u.is_public).toBe(false);
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
        for (const patch of [{ id: 'x' }, { version: 9 }, { created_at: 1 }, { updated_at: 1 }, { nope: 1 }, { 'title" = \'x\' --': 1 }]) {
          expect((await dbError(store.update('documents', String(doc.id), patch, { now: 1 }))).code).toBe('INVALID_INPUT');
        }
        expect(await store.get('documents', String(doc.id))).toEqual(doc);
      });

      it("refuses a sender_type outside the CHECK's values, row unchanged", async () => {
        const m = messageRow();
        await store.insert('messages', m);
        await expect(store.update('messages', String(m.id), { sender_type: 'bot' }, { now: 2 })).rejects.toThrow();
        expect(await store.get('messages', String(m.id))).toEqual(m);
      });

      it('patches real, int, json, timestamp and null values of a profile', async () => {
        const p = profileRow();
        await store.insert('user_profiles', p);
        const patch = { archetype_confidence: 0.7, message_count: 99, primary_interests: ['a', { b: 1 }], last_analyzed_at: 1_800_000_123, omega_thoughts: null };
        const u = await store.update('user_profiles', String(p.id), patch, { now: 1_800_000_000 });
        expect(u).toEqual({ ...p, ...patch, updated_at: 1_800_000_000, version: 2 });
        expect(await store.get('user_profiles', String(p.id))).toEqual(u);
      });
    });

    describe('delete and tombstones', () => {
      it('deletes the row and returns its tombstone at version + 1', async () => {
        const row = messageRow();
        await store.insert('messages', row);
        await store.update('messages', String(row.id), { message_content: 'v2' }, { now: 1 });
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
      it('filters by equality, orders by several columns, limits and offsets', async () => {
        const user = uniq('find');
        const rows = [
          queryRow({ user_id: user, timestamp: 10, result_count: 5, error: null }),
          queryRow({ user_id: user, timestamp: 30, result_count: 1, error: 'timeout' }),
          queryRow({ user_id: user, timestamp: 20, result_count: 3, error: null }),
          queryRow({ user_id: user, timestamp: 20, result_count: 4, error: null }),
          queryRow({ user_id: uniq('other'), timestamp: 40 }),
        ];
        for (const r of rows) await store.insert('queries', r);
        const order = { orderBy: [['timestamp', 'desc'], ['result_count', 'asc']] as const, limit: 10 };
        const counts = async (where: Where, opts: { limit?: number; offset?: number } = {}) =>
          (await store.find('queries', where, { ...order, ...opts })).map((r) => r.result_count);
        expect(await counts({ user_id: user })).toEqual([1, 3, 4, 5]);
        expect(await counts({ user_id: user }, { limit: 2 })).toEqual([1, 3]);
        expect(await counts({ user_id: user }, { limit: 2, offset: 2 })).toEqual([4, 5]);
        expect(await counts({ user_id: user }, { limit: 10, offset: 3 })).toEqual([5]);
        expect(await counts({ user_id: user }, { offset: 4 })).toEqual([]);
        expect(await counts({ user_id: user, timestamp: 20 })).toEqual([3, 4]);
        expect(await counts({ user_id: user, error: 'timeout' })).toEqual([1]);
        const asc = await store.find('queries', { user_id: user }, { orderBy: [['timestamp', 'asc'], ['result_count', 'desc']], limit: 10 });
        expect(asc.map((r) => r.result_count)).toEqual([5, 4, 3, 1]);
        expect(asc[3]).toEqual(rows[1]);
      });

      it('filters on booleans (documents.is_public)', async () => {
        const owner = uniq('owner');
        const pub = documentRow({ created_by: owner, is_public: true });
        const priv = documentRow({ created_by: owner, is_public: false });
        for (const d of [pub, priv]) await store.insert('documents', d);
        expect(ids(await store.find('documents', { created_by: owner, is_public: true }, { orderBy: [], limit: 10 }))).toEqual([pub.id]);
        expect(ids(await store.find('documents', { created_by: owner, is_public: false }, { orderBy: [], limit: 10 }))).toEqual([priv.id]);
      });

      it('filters by {gte, lte} ranges (inclusive), alone or together, on millisecond timestamps', async () => {
        const channel = uniq('range');
        const at = [1_767_225_600_000, 1_767_225_600_001, 1_767_225_600_500, 1_767_225_601_000];
        const rows = at.map((timestamp) => messageRow({ channel_id: channel, timestamp }));
        for (const r of rows) await store.insert('messages', r);
        const got = async (timestamp: Where[string]) =>
          (await store.find('messages', { channel_id: channel, timestamp }, { orderBy: [['timestamp', 'asc']], limit: 10 })).map((r) => r.timestamp);
        expect(await got({ gte: at[1] })).toEqual(at.slice(1));
        expect(await got({ lte: at[2] })).toEqual(at.slice(0, 3));
        expect(await got({ gte: at[1], lte: at[2] })).toEqual([at[1], at[2]]);
        expect(await got({ gte: at[2], lte: at[2] })).toEqual([at[2]]);
        expect(await got({ gte: at[3]! + 1 })).toEqual([]);
        expect(await got({ gte: at[2], lte: at[1] })).toEqual([]);
        expect(await got({})).toEqual(at); // an empty range object: no bound
      });

      it('filters by {in} lists (text and int), and an empty list matches nothing', async () => {
        const channel = uniq('in');
        const rows = (['human', 'ai', 'tool', 'ai'] as const).map((sender_type, i) => messageRow({ channel_id: channel, sender_type, timestamp: i }));
        for (const r of rows) await store.insert('messages', r);
        const got = async (where: Where) => ids(await store.find('messages', { channel_id: channel, ...where }, { orderBy: [['timestamp', 'asc']], limit: 10 }));
        expect(await got({ sender_type: { in: ['ai', 'tool'] } })).toEqual([rows[1]!.id, rows[2]!.id, rows[3]!.id]);
        expect(await got({ sender_type: { in: ['human'] } })).toEqual([rows[0]!.id]);
        expect(await got({ sender_type: { in: ['nobody'] } })).toEqual([]);
        expect(await got({ sender_type: { in: [] } })).toEqual([]);
        expect(await got({ timestamp: { in: [0, 3, 99] } })).toEqual([rows[0]!.id, rows[3]!.id]);
        expect(await got({ id: { in: [rows[2]!.id, newId()] } })).toEqual([rows[2]!.id]);
      });

      it('matches NULL with null (IS NULL), and ignores undefined entries', async () => {
        const channel = uniq('null');
        const a = messageRow({ channel_id: channel, guild_id: null, timestamp: 1 });
        const b = messageRow({ channel_id: channel, guild_id: 'g', timestamp: 2 });
        for (const r of [a, b]) await store.insert('messages', r);
        const got = async (where: Where) => ids(await store.find('messages', { channel_id: channel, ...where }, { orderBy: [['timestamp', 'asc']], limit: 10 }));
        expect(await got({ guild_id: null })).toEqual([a.id]);
        expect(await got({ guild_id: 'g' })).toEqual([b.id]);
        expect(await got({ guild_id: undefined })).toEqual([a.id, b.id]);
        expect(await got({ guild_id: undefined, user_id: undefined })).toEqual([a.id, b.id]);
      });

      it('compares two columns of a row with {ltColumn} (and {orNull}), as "users needing analysis"', async () => {
        const name = uniq('analysis');
        const p = (last_analyzed_at: number | null, last_interaction_at: number) => profileRow({ username: name, last_analyzed_at, last_interaction_at });
        const never = p(null, 50);
        const stale = p(10, 50);
        const fresh = p(60, 50);
        const same = p(50, 50);
        for (const r of [never, stale, fresh, same]) await store.insert('user_profiles', r);
        const got = async (cond: Where[string]) =>
          ids(await store.find('user_profiles', { username: name, last_analyzed_at: cond }, { orderBy: [['last_interaction_at', 'desc'], ['id', 'asc']], limit: 10 })).sort();
        expect(await got({ ltColumn: 'last_interaction_at' })).toEqual([stale.id]);
        expect(await got({ ltColumn: 'last_interaction_at', orNull: true })).toEqual([never.id, stale.id].sort());
        expect(await store.count('user_profiles', { username: name, last_analyzed_at: { ltColumn: 'last_interaction_at', orNull: true } })).toBe(2);
        expect((await dbError(store.find('user_profiles', { last_analyzed_at: { ltColumn: 'nope' } }, { orderBy: [], limit: 1 }))).code).toBe('INVALID_INPUT');
        expect((await dbError(store.find('user_profiles', { last_analyzed_at: { gte: 1, below: 2 } }, { orderBy: [], limit: 1 }))).code).toBe('INVALID_INPUT');
      });

      it('orders newest first by timestamp then id, as omega-bot reads messages', async () => {
        const channel = uniq('chan');
        const sorted = [newId(), newId(), newId(), newId()].sort();
        const rows = [
          messageRow({ id: sorted[0], channel_id: channel, timestamp: 100 }),
          messageRow({ id: sorted[1], channel_id: channel, timestamp: 300 }),
          messageRow({ id: sorted[2], channel_id: channel, timestamp: 200 }),
          messageRow({ id: sorted[3], channel_id: channel, timestamp: 200 }),
        ];
        for (const r of [rows[3]!, rows[0]!, rows[2]!, rows[1]!]) await store.insert('messages', r);
        const got = await store.find('messages', { channel_id: channel }, { orderBy: [['timestamp', 'desc'], ['id', 'desc']], limit: 10 });
        expect(ids(got)).toEqual([sorted[1], sorted[3], sorted[2], sorted[0]]);
        expect(got[0]).toEqual(rows[1]);
      });

      it('returns only the asked columns with `columns`', async () => {
        const user = uniq('cols');
        await store.insert('queries', queryRow({ user_id: user, execution_time_ms: 7 }));
        const [r] = await store.find('queries', { user_id: user }, { orderBy: [], limit: 1, columns: ['execution_time_ms', 'query_result'] });
        expect(r).toEqual({ execution_time_ms: 7, query_result: { rows: [{ count: 42 }] } });
      });

      it('rejects an unknown where, order or result column (INVALID_INPUT)', async () => {
        expect((await dbError(store.find('queries', { nope: 1 }, { orderBy: [], limit: 1 }))).code).toBe('INVALID_INPUT');
        expect((await dbError(store.find('queries', { nope: { gte: 1 } }, { orderBy: [], limit: 1 }))).code).toBe('INVALID_INPUT');
        expect((await dbError(store.find('queries', { 'id" IS NOT NULL OR "id': 1 }, { orderBy: [], limit: 1 }))).code).toBe('INVALID_INPUT');
        expect((await dbError(store.find('queries', {}, { orderBy: [['nope; DROP TABLE queries', 'asc']], limit: 1 }))).code).toBe('INVALID_INPUT');
        expect((await dbError(store.find('queries', {}, { orderBy: [], limit: 1, columns: ['id', 'nope'] }))).code).toBe('INVALID_INPUT');
        // Columns of omega-bot's other tables or of the old layout are unknown here too.
        expect((await dbError(store.find('messages', { content: 'x' }, { orderBy: [], limit: 1 }))).code).toBe('INVALID_INPUT');
        expect((await dbError(store.find('messages', { role: 'human' }, { orderBy: [], limit: 1 }))).code).toBe('INVALID_INPUT');
      });
    });

    describe('count', () => {
      it('counts the rows matching equality, ranges, lists and null, and all rows with {}', async () => {
        const user = uniq('count');
        const rows = [
          messageRow({ user_id: user, sender_type: 'human', timestamp: 10, guild_id: null }),
          messageRow({ user_id: user, sender_type: 'ai', timestamp: 20 }),
          messageRow({ user_id: user, sender_type: 'tool', timestamp: 30 }),
          messageRow({ user_id: user, sender_type: 'ai', timestamp: 40 }),
        ];
        const before = await store.count('messages', {});
        for (const r of rows) await store.insert('messages', r);
        expect(await store.count('messages', {})).toBe(before + 4);
        expect(await store.count('messages', { user_id: user })).toBe(4);
        expect(await store.count('messages', { user_id: user, sender_type: 'ai' })).toBe(2);
        expect(await store.count('messages', { user_id: user, timestamp: { gte: 20, lte: 30 } })).toBe(2);
        expect(await store.count('messages', { user_id: user, sender_type: { in: ['human', 'tool'] } })).toBe(2);
        expect(await store.count('messages', { user_id: user, sender_type: { in: [] } })).toBe(0);
        expect(await store.count('messages', { user_id: user, guild_id: null })).toBe(1);
        expect(await store.count('messages', { user_id: user, channel_id: undefined })).toBe(4);
        expect(await store.count('messages', { user_id: uniq('nobody') })).toBe(0);
        const n = await store.count('queries', {});
        expect(typeof n).toBe('number');
      });

      it('rejects an unknown column (INVALID_INPUT)', async () => {
        expect((await dbError(store.count('messages', { nope: 1 }))).code).toBe('INVALID_INPUT');
        expect((await dbError(store.count('documents', { owner_id: 'x' }))).code).toBe('INVALID_INPUT');
      });
    });

    describe('searchMessages', () => {
      const search = (terms: string[], where: Where = {}, limit = 50, offset?: number) => store.searchMessages({ terms, where, limit, offset });

      it('finds a word in message_content, tool_name or username, newest first, with every term required', async () => {
        const [inContent, inTool, inName, other] = [word('content'), word('tool'), word('name'), word('other')];
        const a = messageRow({ message_content: `the ${inContent} crossed the road`, username: 'ada', tool_name: null, timestamp: 1 });
        const b = messageRow({ sender_type: 'tool', message_content: `Tool: run_${inTool}`, tool_name: `run_${inTool}`, timestamp: 2 });
        const c = messageRow({ message_content: 'nothing relevant', username: inName, tool_name: null, timestamp: 3 });
        const d = messageRow({ message_content: `${inContent} and ${other}`, username: inName, tool_name: `x_${inTool}`, timestamp: 4 });
        for (const r of [a, b, c, d]) await store.insert('messages', r);
        expect(ids(await search([inContent]))).toEqual([d.id, a.id]);
        expect(ids(await search([inTool]))).toEqual([d.id, b.id]);
        expect(ids(await search([inName]))).toEqual([d.id, c.id]);
        // All terms, each in any searched column.
        expect(ids(await search([inContent, inName]))).toEqual([d.id]);
        expect(ids(await search([inContent, 'road']))).toEqual([a.id]);
        expect(ids(await search([inContent, word('absent')]))).toEqual([]);
        // Case-insensitive on both backends.
        expect(ids(await search([inContent.toUpperCase()]))).toEqual([d.id, a.id]);
        // The whole row comes back.
        expect((await search([inContent], {}, 1))[0]).toEqual(d);
      });

      it('does not search other columns (ai_summary, metadata, channel_name)', async () => {
        const w = word('hidden');
        const m = messageRow({ message_content: 'plain', ai_summary: w, metadata: { note: w }, channel_name: w, user_intent: w });
        await store.insert('messages', m);
        expect(await search([w])).toEqual([]);
      });

      it('applies every where filter: user, channel, sender type, time range (ms), lists', async () => {
        const w = word('filter');
        const [u1, u2, c1, c2] = [uniq('u'), uniq('u'), uniq('c'), uniq('c')];
        const base = 1_767_225_600_000;
        const rows = [
          messageRow({ user_id: u1, channel_id: c1, sender_type: 'human', timestamp: base + 1, message_content: `${w} one` }),
          messageRow({ user_id: u2, channel_id: c1, sender_type: 'ai', timestamp: base + 2, message_content: `${w} two` }),
          messageRow({ user_id: u1, channel_id: c2, sender_type: 'human', timestamp: base + 3, message_content: `${w} three` }),
          messageRow({ user_id: u1, channel_id: c1, sender_type: 'tool', timestamp: base + 4, message_content: `${w} four` }),
          messageRow({ user_id: u1, channel_id: c1, sender_type: 'human', timestamp: base + 5, message_content: 'no match here' }),
        ];
        for (const r of rows) await store.insert('messages', r);
        const [one, two, three, four] = rows.map((r) => r.id);
        expect(ids(await search([w]))).toEqual([four, three, two, one]);
        expect(ids(await search([w], { user_id: u1 }))).toEqual([four, three, one]);
        expect(ids(await search([w], { channel_id: c1 }))).toEqual([four, two, one]);
        expect(ids(await search([w], { user_id: u1, channel_id: c1 }))).toEqual([four, one]);
        expect(ids(await search([w], { sender_type: 'human' }))).toEqual([three, one]);
        expect(ids(await search([w], { sender_type: { in: ['ai', 'tool'] } }))).toEqual([four, two]);
        expect(ids(await search([w], { timestamp: { gte: base + 2 } }))).toEqual([four, three, two]);
        expect(ids(await search([w], { timestamp: { lte: base + 2 } }))).toEqual([two, one]);
        expect(ids(await search([w], { timestamp: { gte: base + 2, lte: base + 3 } }))).toEqual([three, two]);
        expect(ids(await search([w], { user_id: u1, channel_id: c1, sender_type: 'human', timestamp: { gte: base, lte: base + 10 } }))).toEqual([one]);
        expect(ids(await search([w], { user_id: uniq('stranger') }))).toEqual([]);
        expect(ids(await search([w], { user_id: undefined, channel_id: c2 }))).toEqual([three]);
      });

      it('limits and offsets after ordering (timestamp desc, then id desc)', async () => {
        const w = word('page');
        const sorted = Array.from({ length: 5 }, () => newId()).sort();
        // Two rows share a timestamp: the larger id comes first.
        const rows = sorted.map((id, i) => messageRow({ id, message_content: `${w} ${i}`, timestamp: i === 4 ? 3 : i }));
        for (const r of [...rows].reverse()) await store.insert('messages', r);
        const want = [sorted[4], sorted[3], sorted[2], sorted[1], sorted[0]];
        expect(ids(await search([w]))).toEqual(want);
        expect(ids(await search([w], {}, 2))).toEqual(want.slice(0, 2));
        expect(ids(await search([w], {}, 2, 2))).toEqual(want.slice(2, 4));
        expect(ids(await search([w], {}, 2, 4))).toEqual(want.slice(4));
        expect(ids(await search([w], {}, 10, 5))).toEqual([]);
      });

      it('rejects an unknown where column (INVALID_INPUT)', async () => {
        expect((await dbError(search(['x'], { nope: 1 }))).code).toBe('INVALID_INPUT');
        expect((await dbError(search(['x'], { content: 'x' }))).code).toBe('INVALID_INPUT');
      });

      it('follows updates and deletes: an old word is gone, a new word found, a deleted row not found', async () => {
        const [oldW, newW, kept] = [word('old'), word('new'), word('kept')];
        const m = messageRow({ message_content: `original ${oldW} ${kept}` });
        await store.insert('messages', m);
        expect(ids(await search([oldW]))).toEqual([m.id]);
        await store.update('messages', String(m.id), { message_content: `changed ${newW} ${kept}` }, { now: 2 });
        expect(await search([oldW])).toEqual([]);
        expect(ids(await search([newW]))).toEqual([m.id]);
        expect(ids(await search([kept]))).toEqual([m.id]);
        // An update of a column search does not read keeps the row findable, with its new state.
        const u = await store.update('messages', String(m.id), { metadata: { edited: true } }, { now: 3 });
        expect(await search([newW])).toEqual([u]);
        // username and tool_name changes too.
        const [nameW, toolW] = [word('nm'), word('tl')];
        await store.update('messages', String(m.id), { username: nameW, tool_name: toolW }, { now: 4 });
        expect(ids(await search([nameW]))).toEqual([m.id]);
        expect(ids(await search([toolW]))).toEqual([m.id]);
        await store.delete('messages', String(m.id), 5);
        for (const w of [oldW, newW, kept, nameW, toolW]) expect(await search([w]), w).toEqual([]);
      });

      it('follows shadow writes (applyChanges upserts, forced upserts and tombstones)', async () => {
        const [w1, w2, w3] = [word('sa'), word('sb'), word('sc')];
        const v1 = messageRow({ message_content: `first ${w1}` });
        const id = String(v1.id);
        await store.applyChanges([{ table: 'messages', op: 'upsert', row: v1 }]);
        expect(ids(await search([w1]))).toEqual([id]);
        await store.applyChanges([{ table: 'messages', op: 'upsert', row: { ...v1, message_content: `second ${w2}`, version: 2 } }]);
        expect(await search([w1])).toEqual([]);
        expect(ids(await search([w2]))).toEqual([id]);
        await store.applyChanges([{ table: 'messages', op: 'upsert', row: { ...v1, message_content: `repaired ${w3}`, version: 2 } }], { force: true });
        expect(await search([w2])).toEqual([]);
        expect(ids(await search([w3]))).toEqual([id]);
        await store.applyChanges([{ table: 'messages', op: 'delete', id, version: 3 }]);
        expect(await search([w3])).toEqual([]);
      });

      it('a rolled-back transaction leaves nothing in the search index', async () => {
        const w = word('rollback');
        await expect(
          store.transaction(async (tx) => {
            await tx.insert('messages', messageRow({ message_content: w }));
            expect((await tx.searchMessages({ terms: [w], where: {}, limit: 5 })).length).toBe(1);
            throw new Error('undo');
          }),
        ).rejects.toThrow('undo');
        expect(await search([w])).toEqual([]);
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
          expect(await tx.count('messages', { id: a.id })).toBe(1);
          expect(ids(await tx.find('queries', { id: b.id }, { orderBy: [], limit: 1 }))).toEqual([b.id]);
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
        const v4 = { ...v3, title: 'v4', metadata: { n: 4 }, is_public: false, version: 4 };
        await store.applyChanges([up('documents', v4)]);
        expect(await store.get('documents', id)).toEqual(v4);
      });

      it('force (reconcile) replaces an equal version, but not a newer one', async () => {
        const v2 = queryRow({ version: 2 });
        const id = String(v2.id);
        await store.applyChanges([up('queries', v2)]);
        const repaired = { ...v2, query_text: 'repaired' };
        await store.applyChanges([up('queries', repaired)], { force: true });
        expect(await store.get('queries', id)).toEqual(repaired);
        await store.applyChanges([up('queries', { ...v2, query_text: 'older', version: 1 })], { force: true });
        expect(await store.get('queries', id)).toEqual(repaired);
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
        const bad = messageRow({ message_content: null }); // NOT NULL
        await expect(store.applyChanges([up('messages', good), up('messages', bad)])).rejects.toThrow();
        expect(await store.get('messages', String(good.id))).toBeNull();
        const badSender = messageRow({ sender_type: 'bot' }); // CHECK
        await expect(store.applyChanges([up('messages', good), up('messages', badSender)])).rejects.toThrow();
        expect(await store.get('messages', String(good.id))).toBeNull();
      });

      it('applies a mixed batch in order (upserts and deletes of several tables)', async () => {
        const doc = documentRow();
        const c = collaboratorRow(String(doc.id));
        const m = messageRow();
        const p = profileRow();
        const h = historyRow({ user_id: p.user_id });
        await store.applyChanges([
          up('documents', doc),
          up('document_collaborators', c),
          up('messages', m),
          up('user_profiles', p),
          up('user_analysis_history', h),
          up('documents', { ...doc, title: 'v2', version: 2 }),
          del('document_collaborators', String(c.id), 2),
        ]);
        expect((await store.get('documents', String(doc.id)))?.title).toBe('v2');
        expect(await store.get('document_collaborators', String(c.id))).toBeNull();
        expect(await store.get('messages', String(m.id))).toEqual(m);
        expect(await store.get('user_analysis_history', String(h.id))).toEqual(h);
      });
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
