/**
 * Full rows of omega-bot's six tables (src/schema/tables.ts) in their logical form, for store-level
 * tests. Every helper sets every column (so a round trip covers them all) and takes `over` to
 * replace some. Time columns: `messages.timestamp` and `queries.timestamp` are unix MILLISECONDS,
 * every other time column unix SECONDS.
 *
 * Foreign keys (enforced on PostgreSQL): a collaborator's `document_id` must be a document's id,
 * and a history entry's `user_id` must be a profile's `user_id` (`oneRowPerTable` pairs them).
 */
import { newId } from '../../src/ids.js';
import { tables, type TableName } from '../../src/schema/tables.js';
import type { Row } from '../../src/stores/store.js';

/** 2^63 − 1 and −2^63: the ends of a signed 64-bit integer, beyond JS's safe range (snowflakes inside JSON). */
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

/** Base time of the rows, unix seconds. */
export const T0 = 1_700_000_000;
/** The same instant in unix milliseconds (`messages.timestamp`, `queries.timestamp`). */
export const T0_MS = T0 * 1000;

/** A full message row (every column set): a human message with analysis columns filled. */
export function messageRow(over: Row = {}): Row {
  return {
    id: newId(),
    timestamp: T0_MS + 123,
    sender_type: 'human',
    user_id: 'u1',
    username: 'ada',
    channel_id: 'c1',
    channel_name: 'general',
    guild_id: 'g1',
    message_content: 'hello world',
    tool_name: 'search_web',
    tool_args: { query: 'weather', limit: 3 },
    tool_result: [{ title: 'Sunny', score: 0.5 }],
    session_id: 's1',
    parent_message_id: 'parent-1',
    metadata: NESTED_JSON,
    ai_summary: 'a greeting',
    sentiment_analysis: { sentiment: 'positive', score: 0.75 },
    response_decision: { shouldRespond: true, confidence: 0.9, reason: 'mentioned' },
    interaction_type: 'greeting',
    user_intent: 'socialise',
    bot_perception: 'friendly',
    conversation_quality: 'good',
    created_at: T0,
    updated_at: T0,
    version: 1,
    ...over,
  };
}

/** A full query row (every column set). */
export function queryRow(over: Row = {}): Row {
  return {
    id: newId(),
    timestamp: T0_MS + 456,
    user_id: 'u1',
    username: 'ada',
    query_text: 'how many messages today',
    translated_sql: 'SELECT count(*) FROM messages',
    ai_summary: '42 messages',
    query_result: { rows: [{ count: 42 }] },
    result_count: 1,
    error: null,
    execution_time_ms: 123,
    sentiment_analysis: { sentiment: 'neutral' },
    query_complexity: 'simple',
    user_satisfaction: 'satisfied',
    created_at: T0,
    updated_at: T0,
    version: 1,
    ...over,
  };
}

/** A full document row. */
export function documentRow(over: Row = {}): Row {
  return {
    id: newId(),
    title: 'Plan',
    content: 'body',
    created_by: 'owner',
    created_by_username: 'owner name',
    created_at: T0,
    updated_at: T0,
    is_public: true,
    metadata: { labels: ['x'] },
    version: 1,
    ...over,
  };
}

/** A collaborator row of `documentId` (which must exist on PostgreSQL: foreign key). */
export function collaboratorRow(documentId: string, over: Row = {}): Row {
  return { id: newId(), document_id: documentId, user_id: 'friend', username: 'friend name', role: 'viewer', joined_at: T0, updated_at: T0, version: 1, ...over };
}

/**
 * A full user profile: every column of the spec gets a value of its logical type (ints, reals
 * with awkward binary fractions, JSON objects and arrays, timestamps, text), so a round trip
 * covers them all. `user_id` is unique per row (`user-<id>`).
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
      case 'millis':
        row[c.name] = T0_MS + i;
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
  row.username = 'ada';
  row.version = 1;
  return { ...row, ...over };
}

/** A history entry. Its `user_id` must be a profile's (foreign key): pass `{ user_id: profile.user_id }`. */
export function historyRow(over: Row = {}): Row {
  return {
    id: newId(),
    user_id: 'u1',
    analysis_timestamp: T0 + 60,
    feelings_snapshot: { affinity: 7, trust: 5, bond: 'warming up' },
    personality_snapshot: { archetype: 'Sage', openness: 80, interests: ['go', 'ts'] },
    message_count_at_analysis: 42,
    changes_summary: 'openness 70 → 80',
    created_at: T0,
    updated_at: T0,
    version: 1,
    ...over,
  };
}

/** One full row per table, parents first (the collaborator references the document, the history entry the profile). */
export function oneRowPerTable(): Array<{ table: TableName; row: Row }> {
  const doc = documentRow();
  const profile = profileRow();
  return [
    { table: 'messages', row: messageRow() },
    { table: 'queries', row: queryRow() },
    { table: 'documents', row: doc },
    { table: 'document_collaborators', row: collaboratorRow(String(doc.id)) },
    { table: 'user_profiles', row: profile },
    { table: 'user_analysis_history', row: historyRow({ user_id: profile.user_id }) },
  ];
}
