import { newId } from '../../src/ids.js';
import { tables, type TableName } from '../../src/schema/tables.js';
import type { Row } from '../../src/stores/store.js';

/** 2^63 − 1 and −2^63: the ends of a signed 64-bit integer, beyond JS's safe range. */
export const INT64_MAX = '9223372036854775807';
export const INT64_MIN = '-9223372036854775808';

/** A JSON value with nesting, arrays, unicode, floats, booleans and nulls. */
export const NESTED_JSON = {
  topic: 'billing',
  priority: 2,
  ratio: 0.125,
  urgent: true,
  assignee: null,
  tags: ['a', 'b', { deep: [1, 2.5, null, false] }],
  nested: { level2: { level3: { emoji: '🦊', text: 'héllo "quoted" \\ back' } } },
  empty: {},
  emptyList: [],
};

const T0 = 1_700_000_000;

/** A full message row (every column set). */
export function messageRow(over: Row = {}): Row {
  return {
    id: newId(),
    user_id: 'u1',
    username: 'ada',
    channel_id: 'c1',
    role: 'human',
    content: 'hello world',
    external_id: INT64_MAX,
    metadata: NESTED_JSON,
    timestamp: T0,
    created_at: T0,
    updated_at: T0,
    version: 1,
    ...over,
  };
}

/** A full query row. */
export function queryRow(over: Row = {}): Row {
  return {
    id: newId(),
    user_id: 'u1',
    channel_id: 'c1',
    query: 'what is the weather',
    response: 'sunny',
    duration_ms: 123,
    success: false,
    error: 'timeout',
    metadata: { model: 'x', tokens: 42 },
    created_at: T0,
    updated_at: T0,
    version: 1,
    ...over,
  };
}

/** A full document row. */
export function documentRow(over: Row = {}): Row {
  return { id: newId(), owner_id: 'owner', title: 'Plan', content: 'body', metadata: { labels: ['x'] }, created_at: T0, updated_at: T0, version: 1, ...over };
}

/** A collaborator row of `documentId`. */
export function collaboratorRow(documentId: string, over: Row = {}): Row {
  return { id: newId(), document_id: documentId, user_id: 'friend', role: 'viewer', added_by: 'owner', created_at: T0, updated_at: T0, version: 1, ...over };
}

/**
 * A full user profile: every column of the spec gets a value of its logical type (ints, reals
 * with awkward binary fractions, booleans, JSON, timestamps, text), so a round trip covers them all.
 */
export function profileRow(over: Row = {}): Row {
  const row: Row = {};
  let i = 0;
  for (const c of tables.user_profiles.columns) {
    i++;
    switch (c.type) {
      case 'id':
        row[c.name] = newId();
        break;
      case 'text':
        row[c.name] = `${c.name} ✓ ${i}`;
        break;
      case 'int':
        row[c.name] = i % 2 ? i : -i * 1000;
        break;
      case 'bigint':
        row[c.name] = INT64_MAX;
        break;
      case 'timestamp':
        row[c.name] = T0 + i;
        break;
      case 'bool':
        row[c.name] = i % 2 === 0;
        break;
      case 'real':
        row[c.name] = i % 3 === 0 ? 0.1 + 0.2 : i % 3 === 1 ? -1 / 3 : 1e-300 * i;
        break;
      case 'json':
        row[c.name] = i % 2 ? { n: i, list: [i, 'x', null], ok: true } : [i, { k: 'v' }];
        break;
    }
  }
  row.user_id = `user-${String(row.id)}`;
  row.version = 1;
  return { ...row, ...over };
}

/** A history entry. */
export function historyRow(over: Row = {}): Row {
  return {
    id: newId(),
    user_id: 'u1',
    profile_version: 3,
    changes: { traitOpenness: { from: null, to: 0.5 }, interests: { from: [], to: ['go', 'ts'] } },
    source: 'analysis',
    created_at: T0,
    updated_at: T0,
    version: 1,
    ...over,
  };
}

/** One full row per table, for round-trip tests (collaborator references `doc`). */
export function oneRowPerTable(): Array<{ table: TableName; row: Row }> {
  const doc = documentRow();
  return [
    { table: 'messages', row: messageRow() },
    { table: 'queries', row: queryRow() },
    { table: 'documents', row: doc },
    { table: 'document_collaborators', row: collaboratorRow(String(doc.id)) },
    { table: 'user_profiles', row: profileRow() },
    { table: 'user_analysis_history', row: historyRow() },
  ];
}
