import { keyId } from '../ids.js';
import type { ColumnSpec } from '../schema/columns.js';
import { tables, type TableName } from '../schema/tables.js';
import { chatText, paragraphs, sentence, uuidv7At, type Rng, type TextSource } from './generate-text.js';

/**
 * Row counts of a generated data set with `messages` messages; the other tables at the
 * proportions of a real bot's database (per 100k messages: 20k queries, 500 documents,
 * 1k collaborators, 2k user profiles — one per user —, 5k analysis history rows).
 */
export function datasetCounts(messages: number): Record<TableName, number> {
  const users = Math.max(20, Math.round(messages * 0.02));
  const documents = Math.max(1, Math.round(messages * 0.005));
  return {
    messages,
    queries: Math.round(messages * 0.2),
    documents,
    document_collaborators: documents * 2,
    user_profiles: users,
    user_analysis_history: Math.round(messages * 0.05),
  };
}

/** Builds row `i` of a table as SQLite values, in the table spec's column order. */
export type RowBuilder = (i: number) => unknown[];

/** 2025-01-01T00:00:00Z in unix seconds: generated data spans the year before it. */
const END = 1_735_689_600;
const SPAN = 365 * 86_400;
const TOPICS = ['chat', 'billing', 'support', 'music', 'games', 'code', 'news', 'random'];
const LANGS = ['en', 'en', 'en', 'fr', 'de', 'es', 'ja'];
const MODELS = ['gpt-4o-mini', 'claude-3-haiku', 'llama-3-8b'];
const TOOLS = ['searchWeb', 'getWeather', 'calculator', 'queryDatabase', 'createDocument', 'generateImage', 'translate'];
const SENTIMENTS = ['positive', 'neutral', 'negative', 'mixed'];
const INTERACTIONS = ['question', 'conversation', 'command', 'feedback', 'greeting'];
const COMPLEXITY = ['simple', 'moderate', 'complex'];
const ROLES = ['editor', 'editor', 'viewer'];
const ARCHETYPES = ['Sage', 'Explorer', 'Creator', 'Hero', 'Jester', 'Caregiver', 'Rebel', 'Magician'];
const BOT_ID = '1100000000000000001';
const BOT_NAME = 'Omega';

/** The row in the spec's column order; columns the builder leaves out are NULL. */
const inOrder = (table: TableName, r: Record<string, unknown>): unknown[] => tables[table].columns.map((c) => (r[c.name] === undefined ? null : r[c.name]));

/**
 * Row builders of the six tables for a data set of `messages` messages (see {@link datasetCounts}),
 * shaped as omega-bot writes them. Values are deterministic for a given `rng` seed.
 *
 * - messages: conversations in channels of guilds (10% in direct messages: no guild): a human message
 *   (`response_decision` JSON, the platform message id in `metadata`), then sometimes tool calls
 *   (`sender_type` 'tool', `message_content` "Tool: name", `tool_args`/`tool_result` JSON), then
 *   the bot's answer ('ai'); replies carry `parent_message_id`, most rows a `session_id`.
 *   `timestamp` is unix **ms**, `created_at` unix s (omega's DEFAULT), `updated_at` NULL unless the
 *   row was changed (version > 1).
 * - queries: natural-language questions with their SQL, a JSON `query_result`, ms `timestamp`.
 * - documents, collaborators (the creator as 'owner' plus one other), user profiles (omega's
 *   ~95 columns by type), analysis history (JSON snapshots) referencing profiles by `user_id`.
 *
 * Users have digit-string (snowflake) ids. Tables must be built in foreign-key order
 * (`tableNames`): collaborators use the document ids.
 */
export function rowBuilders(messages: number, rng: Rng, text: TextSource): Record<TableName, RowBuilder> {
  const counts = datasetCounts(messages);
  const users = counts.user_profiles;
  const channels = Math.max(8, Math.round(users / 40));
  const guilds = Math.max(2, Math.round(channels / 6));
  const userId = (u: number) => String(300_000_000_000_000_000n + BigInt(u) * 104_729n);
  const userName = (u: number) => `${text.words[u % text.words.length]!.replace(/[^\p{L}]/gu, '').toLowerCase() || 'user'}${u}`;
  const channelId = (c: number) => String(900_000_000_000_000_000n + BigInt(c) * 7_919n);
  const channelName = (c: number) => `${(text.words[(c * 13) % text.words.length] ?? 'general').replace(/[^\p{L}]/gu, '').toLowerCase() || 'general'}-${c}`;
  const guildId = (c: number) => String(700_000_000_000_000_000n + BigInt(c % guilds) * 6_007n);
  /** A user's direct-message channel (no guild). */
  const dmChannelId = (u: number) => String(800_000_000_000_000_000n + BigInt(u) * 7_919n);
  const snowflake = (i: number) => String(1_200_000_000_000_000_000n + BigInt(i) * 4_194_304n + BigInt(rng.int(0, 4_000_000)));
  /** Unix seconds of row `i` of `n`, spread over the year. */
  const at = (i: number, n: number) => END - SPAN + Math.floor((i / Math.max(1, n)) * SPAN) + rng.int(0, 59);
  /** Bookkeeping: most rows never changed (version 1, `updated_at` NULL as omega leaves it). */
  const bookkeeping = (created: number) => {
    const version = rng.next() < 0.95 ? 1 : rng.int(2, 4);
    return { created_at: created, updated_at: version === 1 ? null : Math.min(END, created + rng.int(1, 86_400)), version };
  };
  const json = (v: unknown) => JSON.stringify(v);
  const docCreator = (d: number) => (d * 37) % users;
  // Collaborators point at the documents built before them (tables are built in foreign-key order).
  const documentIds: string[] = [];
  // The conversation being generated: the human message replies and tool calls point at.
  let turn = { humanId: null as string | null, user: 0, channel: 0, dm: false, session: null as string | null };

  return {
    messages: (i) => {
      const ts = at(i, counts.messages);
      const ms = ts * 1000 + rng.int(0, 999);
      const id = uuidv7At(rng, ms);
      const r = rng.next();
      const kind = turn.humanId === null || r < 0.5 ? 'human' : r < 0.88 ? 'ai' : 'tool';
      if (kind === 'human') {
        const channel = rng.skewed(channels);
        turn = { humanId: id, user: rng.skewed(users), channel, dm: rng.next() < 0.1, session: rng.next() < 0.8 ? `session-${channel}-${Math.floor(ts / 3_600)}` : null };
      }
      const u = turn.user;
      const c = turn.channel;
      const row: Record<string, unknown> = {
        id,
        timestamp: ms,
        sender_type: kind,
        user_id: kind === 'human' ? userId(u) : BOT_ID,
        username: kind === 'human' ? userName(u) : BOT_NAME,
        channel_id: turn.dm ? dmChannelId(u) : channelId(c),
        channel_name: turn.dm ? 'DM' : channelName(c),
        guild_id: turn.dm ? null : guildId(c),
        session_id: turn.session,
        ...bookkeeping(ts),
      };
      if (kind === 'human') {
        const m: Record<string, unknown> = { messageId: snowflake(i), topic: rng.pick(TOPICS), lang: rng.pick(LANGS) };
        if (rng.next() < 0.2) m.mentions = [userId(rng.skewed(users)), userId(rng.skewed(users))];
        if (rng.next() < 0.1) m.attachments = rng.int(1, 3);
        const respond = rng.next() < 0.6;
        row.message_content = chatText(rng, text);
        row.metadata = json(m);
        row.response_decision = json({ shouldRespond: respond, confidence: rng.int(50, 100) / 100, reason: sentence(rng, text, 4, 12) });
        if (rng.next() < 0.3) row.sentiment_analysis = json({ sentiment: rng.pick(SENTIMENTS), score: rng.int(-100, 100) / 100, emotions: [rng.pick(text.words)] });
        if (rng.next() < 0.3) row.interaction_type = rng.pick(INTERACTIONS);
        if (rng.next() < 0.2) row.user_intent = sentence(rng, text, 3, 10);
      } else if (kind === 'ai') {
        row.message_content = chatText(rng, text);
        row.parent_message_id = turn.humanId;
        row.metadata = json({ model: rng.pick(MODELS), tokens: rng.int(10, 4_000) });
        if (rng.next() < 0.2) row.ai_summary = sentence(rng, text, 8, 25);
        if (rng.next() < 0.2) row.bot_perception = sentence(rng, text, 5, 15);
        if (rng.next() < 0.2) row.conversation_quality = rng.pick(['good', 'neutral', 'poor']);
      } else {
        const tool = rng.pick(TOOLS);
        const ok = rng.next() < 0.9;
        row.message_content = `Tool: ${tool}`;
        row.tool_name = tool;
        row.parent_message_id = turn.humanId;
        row.tool_args = json({ query: sentence(rng, text, 2, 8), limit: rng.int(1, 20) });
        row.tool_result = json(
          ok ? { success: true, results: Array.from({ length: rng.int(0, 4) }, () => sentence(rng, text, 3, 12)), ms: rng.int(5, 3_000) } : { success: false, error: rng.pick(['timeout after 30s', 'rate limited', 'upstream returned 502']) },
        );
      }
      return inOrder('messages', row);
    },
    queries: (i) => {
      const ts = at(i, counts.queries);
      const ms = ts * 1000 + rng.int(0, 999);
      const u = rng.skewed(users);
      const ok = rng.next() < 0.93;
      const n = ok ? rng.int(0, 50) : null;
      const result = ok ? Array.from({ length: Math.min(n!, 5) }, (_, k) => ({ user_id: userId(rng.skewed(users)), count: rng.int(1, 900), rank: k + 1 })) : null;
      return inOrder('queries', {
        id: uuidv7At(rng, ms),
        timestamp: ms,
        user_id: userId(u),
        username: userName(u),
        query_text: sentence(rng, text, 3, 14),
        translated_sql: `SELECT user_id, count(*) AS count FROM messages WHERE channel_id = '${channelId(rng.skewed(channels))}' GROUP BY user_id ORDER BY count DESC LIMIT ${rng.int(1, 20)}`,
        ai_summary: ok && rng.next() < 0.7 ? sentence(rng, text, 8, 30) : null,
        query_result: result === null ? null : json(result),
        result_count: n,
        error: ok ? null : rng.pick(['no such column: usr', 'query timed out', 'syntax error near "FROM"']),
        execution_time_ms: rng.int(2, 5_000),
        sentiment_analysis: rng.next() < 0.2 ? json({ sentiment: rng.pick(SENTIMENTS), score: rng.int(-100, 100) / 100 }) : null,
        query_complexity: rng.pick(COMPLEXITY),
        user_satisfaction: rng.next() < 0.1 ? rng.pick(['satisfied', 'unsatisfied']) : null,
        ...bookkeeping(ts),
      });
    },
    documents: (i) => {
      const ts = at(i, counts.documents);
      const body = paragraphs(rng, text, rng.int(2, 10));
      const id = uuidv7At(rng, ts * 1000 + rng.int(0, 999));
      documentIds[i] = id;
      const version = rng.next() < 0.6 ? 1 : rng.int(2, 12);
      return inOrder('documents', {
        id,
        title: sentence(rng, text, 2, 8),
        content: body,
        created_by: userId(docCreator(i)),
        created_by_username: userName(docCreator(i)),
        created_at: ts,
        // omega's documents have their own updated_at, set on create.
        updated_at: version === 1 ? ts : Math.min(END, ts + rng.int(60, 30 * 86_400)),
        is_public: rng.next() < 0.7 ? 1 : 0,
        metadata: rng.next() < 0.5 ? json({ tags: [rng.pick(TOPICS), rng.pick(TOPICS)], words: body.split(' ').length }) : null,
        version,
      });
    },
    // Two per document: the creator as 'owner' (omega's createDocument adds it) and one other user,
    // unique per (document, user) like the service.
    document_collaborators: (i) => {
      const d = Math.floor(i / 2);
      const docId = documentIds[d]!;
      const owner = i % 2 === 0;
      const u = owner ? docCreator(d) : (docCreator(d) + 1 + ((d * 7) % Math.max(1, users - 2))) % users;
      const ts = at(d, counts.documents) + (owner ? 0 : rng.int(60, 86_400));
      return inOrder('document_collaborators', {
        id: keyId('collaborator', docId, userId(u)),
        document_id: docId,
        user_id: userId(u),
        username: userName(u),
        role: owner ? 'owner' : rng.pick(ROLES),
        joined_at: ts,
        updated_at: null,
        version: 1,
      });
    },
    user_profiles: (i) => profileRow(i),
    // References profiles by user_id (omega's foreign key): users 0 … users−1 all have one.
    user_analysis_history: (i) => {
      const ts = at(i, counts.user_analysis_history);
      const u = rng.skewed(users);
      return inOrder('user_analysis_history', {
        id: uuidv7At(rng, ts * 1000),
        user_id: userId(u),
        analysis_timestamp: ts,
        feelings_snapshot: json({ affinity: rng.int(0, 100), trust: rng.int(0, 100), bond: rng.pick(['acquaintance', 'friend', 'stranger']), thoughts: sentence(rng, text, 6, 20) }),
        personality_snapshot: json({ archetype: rng.pick(ARCHETYPES), openness: rng.int(0, 100), extraversion: rng.int(0, 100), interests: [rng.pick(TOPICS), rng.pick(TOPICS)] }),
        message_count_at_analysis: rng.int(1, 5_000),
        changes_summary: rng.next() < 0.8 ? sentence(rng, text, 6, 30) : null,
        ...bookkeeping(ts),
      });
    },
  };

  // Per-column values of omega's ~95-column profile, by logical type and a few column names.
  function profileRow(i: number): unknown[] {
    const first = END - SPAN + rng.int(0, SPAN / 2);
    const last = first + rng.int(0, SPAN / 2);
    const analyzed = rng.next() < 0.7;
    return tables.user_profiles.columns.map((c: ColumnSpec) => {
      if (c.name === 'id') return keyId('profile', userId(i));
      if (c.name === 'user_id') return userId(i);
      if (c.name === 'username') return userName(i);
      if (c.name === 'created_at' || c.name === 'first_seen_at') return first;
      if (c.name === 'updated_at' || c.name === 'last_interaction_at') return last;
      if (c.name === 'last_analyzed_at') return analyzed ? rng.int(first, last) : null;
      if (c.name === 'last_photo_analyzed_at' || c.name.startsWith('uploaded_photo')) return null; // few users upload a photo
      if (c.name === 'version') return rng.int(1, 30);
      if (c.name === 'message_count') return rng.int(1, 20_000);
      if (c.name === 'dominant_archetype' || c.name === 'shadow_archetype') return analyzed ? rng.pick(ARCHETYPES) : null;
      if (!analyzed && !c.notNull) return c.default ?? null; // never analyzed: omega leaves the analysis columns empty
      if (!c.notNull && rng.next() < 0.1) return null;
      switch (c.type) {
        case 'int':
          return rng.int(0, 100); // omega's scores are 0–100
        case 'real':
          return Math.round(rng.next() * 1e6) / 1e6;
        case 'bool':
          return rng.next() < 0.5 ? 1 : 0;
        case 'timestamp':
          return rng.int(first, last);
        case 'millis':
          return rng.int(first, last) * 1000 + rng.int(0, 999);
        case 'json':
          return c.name.endsWith('_metadata') || c.name === 'personality_facets' || c.name === 'feelings_json'
            ? JSON.stringify({ [rng.pick(text.words)]: rng.int(0, 100), note: sentence(rng, text, 3, 10) })
            : JSON.stringify(Array.from({ length: rng.int(0, 6) }, () => rng.pick(text.words)));
        default:
          return c.name === 'omega_thoughts' || c.name.endsWith('_description') ? sentence(rng, text, 10, 40) : rng.pick(text.words);
      }
    });
  }
}
