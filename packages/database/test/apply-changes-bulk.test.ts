/**
 * `applyChanges` on PostgreSQL writes each table's upserts as ONE multi-row statement
 * (`json_populate_recordset`, see pg-dialect.ts and change-plan.ts). These tests hold it to the
 * same result as one statement per row: every column type exact (millisecond timestamps, integers
 * beyond 2^53 inside JSON, reals including ±Infinity, booleans, any JSON value), all six tables in
 * one batch (both foreign keys),
 * the version guard and tombstones, reconcile's forced mode, and a bad row failing its batch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables, type TableName } from '../src/schema/tables.js';
import { MAX_ROWS_PER_STATEMENT, planChanges } from '../src/stores/change-plan.js';
import type { Row, RowChange } from '../src/stores/store.js';
import { normalizeRow } from '../src/transfer/convert/normalize-row.js';
import { openPostgresBackend, openSqliteBackend, type TestBackend } from './helpers/backends.js';
import { INT64_MAX, INT64_MIN, NESTED_JSON, collaboratorRow, documentRow, historyRow, messageRow, profileRow, queryRow } from './helpers/rows.js';

const upsert = (table: TableName, row: Row): RowChange => ({ table, op: 'upsert', row });

describe('applyChanges: multi-row statements on PostgreSQL', () => {
  let lite: TestBackend;
  let pg: TestBackend;
  beforeAll(async () => {
    [lite, pg] = await Promise.all([openSqliteBackend(), openPostgresBackend()]);
  });
  afterAll(async () => {
    await Promise.all([lite?.cleanup(), pg?.cleanup()]);
  });

  it('a batch of every table and every value type lands exactly as on LibSQL', async () => {
    const doc = documentRow();
    const profile = profileRow();
    const realCols = tables.user_profiles.columns.filter((c) => c.type === 'real').map((c) => c.name);
    profile[realCols[2]!] = 0.1 + 0.2;
    const jsonValues: unknown[] = [NESTED_JSON, 'just a string', [1, 'two', null], 42.5, true, null, { 'key "quoted"': 'ü😀' }];
    const rows: Array<{ table: TableName; row: Row }> = [
      { table: 'documents', row: doc },
      { table: 'document_collaborators', row: collaboratorRow(String(doc.id)) },
      { table: 'user_profiles', row: profile },
      { table: 'user_analysis_history', row: historyRow({ user_id: profile.user_id }) },
      ...jsonValues.map((metadata, i) => ({
        table: 'messages' as const,
        row: messageRow({ metadata, tool_args: { snowflake: BigInt(i % 2 ? INT64_MAX : INT64_MIN) }, sender_type: (['human', 'ai', 'tool'] as const)[i % 3], timestamp: 1_767_225_600_000 + i }),
      })),
      { table: 'documents', row: documentRow({ is_public: false, metadata: null }) },
      ...Array.from({ length: 40 }, (_, i) => ({ table: 'queries' as const, row: queryRow({ query_result: i % 2 ? null : [i], error: i % 3 ? null : 'boom' }) })),
    ];
    // The shadow gets children before parents in one batch: the plan must order them.
    const changes: RowChange[] = [];
    for (const { table, row } of rows) changes.push(upsert(table, await lite.store.insert(table, row)));
    await pg.store.applyChanges(changes.reverse());
    for (const { table, row } of rows) {
      const want = await lite.store.get(table, String(row.id));
      const got = await pg.store.get(table, String(row.id));
      expect(got && normalizeRow(table, got), `${table} ${String(row.id)}`).toEqual(want && normalizeRow(table, want));
    }
    expect((await pg.store.get('user_profiles', String(profile.id)))![realCols[2]!]).toBe(0.1 + 0.2);
  });

  it('non-finite reals (which JSON cannot hold) arrive as PostgreSQL float8 values', async () => {
    // LibSQL's client refuses them as arguments; a PostgreSQL primary (phase 6) can hold them.
    const realCols = tables.user_profiles.columns.filter((c) => c.type === 'real').map((c) => c.name);
    const rows = [profileRow(), profileRow()];
    rows[0]![realCols[0]!] = Number.POSITIVE_INFINITY;
    rows[0]![realCols[1]!] = Number.NEGATIVE_INFINITY;
    rows[1]![realCols[0]!] = Number.NaN;
    await pg.store.applyChanges(rows.map((r) => upsert('user_profiles', r)));
    const [a, b] = await Promise.all(rows.map((r) => pg.store.get('user_profiles', String(r.id))));
    expect([a![realCols[0]!], a![realCols[1]!], b![realCols[0]!]]).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN]);
  });

  it('keeps the version guard and tombstones: older rows lose, a deleted row stays deleted', async () => {
    const row = messageRow();
    const id = String(row.id);
    const v1 = await lite.store.insert('messages', row);
    const v2 = await lite.store.update('messages', id, { message_content: 'second' }, { now: 1_800_000_001 });
    const other = await lite.store.insert('messages', messageRow());
    await pg.store.applyChanges([upsert('messages', v2), upsert('messages', other)]);
    await pg.store.applyChanges([upsert('messages', v1), upsert('messages', v1), upsert('messages', other)]);
    expect((await pg.store.get('messages', id))!.message_content).toBe('second');
    const tomb = (await lite.store.delete('messages', id, 1_800_000_002))!;
    await pg.store.applyChanges([tomb, upsert('messages', v2), upsert('messages', v1)]);
    expect(await pg.store.get('messages', id)).toBeNull();
    expect(await pg.store.tombstoneVersion('messages', id)).toBe(3);
    // Forced (reconcile): an equal version with other content is replaced.
    const corrupt = { ...other, message_content: 'corrupted copy' };
    await pg.store.applyChanges([upsert('messages', corrupt), upsert('messages', messageRow())], { force: true });
    expect((await pg.store.get('messages', String(other.id)))!.message_content).toBe('corrupted copy');
  });

  it('more rows than one statement holds are split, and all land', async () => {
    const changes: RowChange[] = [];
    for (let i = 0; i < MAX_ROWS_PER_STATEMENT + 7; i++) changes.push(upsert('queries', queryRow({ query_text: `q${i}` })));
    expect(planChanges(changes).length).toBe(2);
    await pg.store.applyChanges(changes);
    const ids = changes.map((c) => (c.op === 'upsert' ? String(c.row.id) : ''));
    const found = await Promise.all([ids[0]!, ids.at(-1)!].map((id) => pg.store.get('queries', id)));
    expect(found.every((r) => r !== null)).toBe(true);
  });

  it('a row PostgreSQL refuses fails its whole batch, and nothing of the batch is written', async () => {
    const good = messageRow();
    const orphan = collaboratorRow('no-such-document');
    await expect(pg.store.applyChanges([upsert('messages', good), upsert('document_collaborators', orphan)])).rejects.toMatchObject({ code: '23503' });
    expect(await pg.store.get('messages', String(good.id))).toBeNull();
    // A history entry of a user without a profile (foreign key to user_profiles.user_id).
    await expect(pg.store.applyChanges([upsert('messages', good), upsert('user_analysis_history', historyRow({ user_id: 'no-such-profile' }))])).rejects.toMatchObject({ code: '23503' });
    // A sender_type outside the CHECK, in a multi-row statement.
    await expect(pg.store.applyChanges([upsert('messages', good), upsert('messages', messageRow({ sender_type: 'bot' }))])).rejects.toMatchObject({ code: '23514' });
    expect(await pg.store.get('messages', String(good.id))).toBeNull();
  });
});
