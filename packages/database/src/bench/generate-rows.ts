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
const SOURCES = ['analysis', 'analysis', 'manual', 'import'];

/**
 * Row builders of the six tables for a data set of `messages` messages (see {@link datasetCounts}).
 * Values are deterministic for a given `rng` seed. Users have digit-string ids; external ids are
 * chat-platform snowflakes above 2^53 (exact only as bigint); metadata is JSON text.
 * Tables must be built in foreign-key order (`tableNames`): collaborators use the document ids.
 */
export function rowBuilders(messages: number, rng: Rng, text: TextSource): Record<TableName, RowBuilder> {
  const counts = datasetCounts(messages);
  const users = counts.user_profiles;
  const channels = Math.max(8, Math.round(users / 40));
  const userId = (u: number) => String(300_000_000_000_000_000n + BigInt(u) * 104_729n);
  const userName = (u: number) => `${text.words[u % text.words.length]!.replace(/[^\p{L}]/gu, '').toLowerCase() || 'user'}${u}`;
  const channelId = (c: number) => String(900_000_000_000_000_000n + BigInt(c) * 7_919n);
  const at = (i: number, n: number) => END - SPAN + Math.floor((i / Math.max(1, n)) * SPAN) + rng.int(0, 59);
  const meta = (ts: number, created: number) => {
    const version = rng.next() < 0.95 ? 1 : rng.int(2, 4);
    return [created, version === 1 ? created : Math.min(END, created + rng.int(1, 86_400)), version, ts];
  };
  const docOwner = (d: number) => (d * 37) % users;
  // Collaborators point at the documents built before them (tables are built in foreign-key order).
  const documentIds: string[] = [];

  return {
    messages: (i) => {
      const ts = at(i, counts.messages);
      const bot = rng.next() < 0.3;
      const u = rng.skewed(users);
      const m: Record<string, unknown> = { topic: rng.pick(TOPICS), lang: rng.pick(LANGS) };
      if (rng.next() < 0.2) m.mentions = [userId(rng.skewed(users)), userId(rng.skewed(users))];
      if (rng.next() < 0.1) m.attachments = rng.int(1, 3);
      if (bot) m.model = rng.pick(MODELS);
      const [created, updated, version] = meta(ts, ts);
      const external = bot && rng.next() < 0.5 ? null : 1_200_000_000_000_000_000n + BigInt(i) * 4_194_304n + BigInt(rng.int(0, 4_000_000));
      return [
        uuidv7At(rng, ts * 1000 + rng.int(0, 999)),
        bot ? 'bot' : userId(u),
        bot ? 'bot' : userName(u),
        channelId(rng.skewed(channels)),
        bot ? 'bot' : 'human',
        chatText(rng, text),
        external,
        JSON.stringify(m),
        ts,
        created,
        updated,
        version,
      ];
    },
    queries: (i) => {
      const ts = at(i, counts.queries);
      const ok = rng.next() < 0.95;
      const [created, updated, version] = meta(ts, ts);
      return [
        uuidv7At(rng, ts * 1000 + rng.int(0, 999)),
        userId(rng.skewed(users)),
        channelId(rng.skewed(channels)),
        sentence(rng, text, 3, 14),
        ok ? chatText(rng, text) : null,
        rng.int(20, 5_000),
        ok ? 1 : 0,
        ok ? null : rng.pick(['timeout after 30s', 'rate limited', 'upstream returned 502']),
        JSON.stringify({ model: rng.pick(MODELS), tokens: rng.int(10, 4_000), cached: rng.next() < 0.3 }),
        created,
        updated,
        version,
      ];
    },
    documents: (i) => {
      const ts = at(i, counts.documents);
      const body = paragraphs(rng, text, rng.int(2, 10));
      const [created, updated, version] = meta(ts, ts);
      const id = uuidv7At(rng, ts * 1000 + rng.int(0, 999));
      documentIds[i] = id;
      return [
        id,
        userId(docOwner(i)),
        sentence(rng, text, 2, 8),
        body,
        JSON.stringify({ tags: [rng.pick(TOPICS), rng.pick(TOPICS)], words: body.split(' ').length }),
        created,
        updated,
        version,
      ];
    },
    // Two collaborators per document, never the owner, unique per (document, user) like the service.
    document_collaborators: (i) => {
      const d = Math.floor(i / 2);
      const docId = documentIds[d]!;
      const u = (docOwner(d) + 1 + (i % 2) + ((d * 7) % Math.max(1, users - 3))) % users;
      const ts = at(d, counts.documents) + 3_600;
      const [created, updated, version] = meta(ts, ts);
      return [keyId('collaborator', docId, userId(u)), docId, userId(u), rng.next() < 0.7 ? 'viewer' : 'editor', userId(docOwner(d)), created, updated, version];
    },
    user_profiles: (i) => profileRow(i),
    user_analysis_history: (i) => {
      const ts = at(i, counts.user_analysis_history);
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      for (let k = rng.int(1, 4); k > 0; k--) changes[rng.pick(['traitOpenness', 'sentimentAvg', 'interests', 'mbtiGuess', 'messageCount'])] = { from: rng.int(0, 100) / 100, to: rng.int(0, 100) / 100 };
      const [created, updated, version] = meta(ts, ts);
      return [uuidv7At(rng, ts * 1000), userId(rng.skewed(users)), rng.int(1, 20), JSON.stringify(changes), rng.pick(SOURCES), created, updated, version];
    },
  };

  // Per-column values of the ~130-column profile, by logical type and a few column names.
  function profileRow(i: number): unknown[] {
    const first = END - SPAN + rng.int(0, SPAN / 2);
    const last = first + rng.int(0, SPAN / 2);
    return tables.user_profiles.columns.map((c: ColumnSpec) => {
      if (c.name === 'id') return keyId('profile', userId(i));
      if (c.name === 'user_id') return userId(i);
      if (c.name === 'username') return userName(i);
      if (c.name === 'created_at' || c.name === 'first_seen_at') return first;
      if (c.name === 'updated_at' || c.name.startsWith('last_')) return last;
      if (c.name === 'version') return rng.int(1, 30);
      if (!c.notNull && rng.next() < 0.1) return null;
      switch (c.type) {
        case 'int':
          return rng.int(0, c.name.startsWith('activity_') ? 500 : 10_000);
        case 'real':
          return Math.round(rng.next() * 1e6) / 1e6;
        case 'bool':
          return rng.next() < 0.5 ? 1 : 0;
        case 'timestamp':
          return rng.int(first, last);
        case 'bigint':
          return 1_000_000_000_000_000_000n + BigInt(rng.int(0, 1e9));
        case 'json':
          return JSON.stringify(Array.from({ length: rng.int(0, 6) }, () => rng.pick(text.words)));
        default:
          return c.name.endsWith('_summary') ? sentence(rng, text, 10, 40) : rng.pick(text.words);
      }
    });
  }
}
