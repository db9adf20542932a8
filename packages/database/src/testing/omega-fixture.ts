/**
 * Builds LibSQL files the way omega-bot leaves them: its schema runner of a given version (see
 * omega-ddl.ts: its CREATE … IF NOT EXISTS / ALTER TABLE ADD COLUMN sequence, its FTS5 table with
 * the default tokenizer and its stale-entry triggers), then rows as its services write them (ids
 * UUID v4, `messages.timestamp` / `queries.timestamp` in unix ms, every other time in unix s, JSON
 * as TEXT) with real text from Debian's fortunes (fallback: generated sentences). Deterministic for
 * a seed. `project-unstamped` is the product's own layout (`sqliteSchemaStatements()`) without
 * `__drizzle_migrations`, as `drizzle-kit push` leaves a file.
 */
import { existsSync } from 'node:fs';
import Libsql from 'libsql';
import { sqliteSchemaStatements } from '../schema/sqlite-ddl.js';
import { omegaColumns, runOmegaSchema, type OmegaVersion } from './omega-ddl.js';
import { loadText, prng, uuidV4 } from './omega-text.js';

export { omegaColumns, omegaSchemaSteps, runOmegaSchema, type OmegaSchemaStep, type OmegaVersion } from './omega-ddl.js';

/** The layouts {@link buildOmegaDatabase} makes. */
export type FixtureLayout = OmegaVersion | 'project-unstamped';

/** Options of {@link buildOmegaDatabase}. */
export interface OmegaFixtureOptions {
  readonly layout: FixtureLayout;
  /** Messages to write (the other tables scale with it). Default 200. */
  readonly size?: number;
  /** PRNG seed: the same seed gives the same file content. Default 1. */
  readonly seed?: number;
  /**
   * omega-bot versions that ran on the file before `layout` (e.g. `['omega-v1']`: a v1 file the
   * v3 bot upgraded with its ALTERs; columns then come in that order). Omega layouts only.
   */
  readonly upgradedFrom?: readonly OmegaVersion[];
  /** Folder of fortune files (default Debian's). */
  readonly corpusDir?: string;
}

/** What was written, per table. */
export interface OmegaFixture {
  readonly path: string;
  readonly layout: FixtureLayout;
  readonly counts: Readonly<Record<string, number>>;
  readonly textSource: 'fortunes' | 'generated';
}

/** omega-bot's INSERT of a table for a version: its own columns, never `version` / `updated_at` bookkeeping. */
export function omegaInsertSql(version: OmegaVersion, table: string): { sql: string; columns: string[] } {
  const columns = omegaColumns(version, table);
  return { sql: `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`, columns };
}

const BASE_MS = 1_735_689_600_000; // 2025-01-01T00:00:00Z
const TOOLS = ['web_search', 'calculator', 'query_database', 'create_document', 'weather', 'github_issue'];
const SENTIMENTS = ['positive', 'neutral', 'negative', 'mixed'];
const EMOTIONS = ['joy', 'curiosity', 'frustration', 'amusement', 'calm', 'surprise'];
const ARCHETYPES = ['Sage', 'Explorer', 'Creator', 'Jester', 'Caregiver', 'Rebel', 'Hero'];
const INTERESTS = ['rust', 'typescript', 'databases', 'music', 'chess', 'cooking', 'astronomy', 'linux'];

type Row = Record<string, unknown>;

function generate(seed: number, size: number, entries: string[]): Record<string, Row[]> {
  const r = prng(seed);
  const text = () => r.pick(entries);
  const json = (v: unknown) => JSON.stringify(v);
  const nUsers = Math.max(3, Math.min(40, Math.ceil(size / 25)));
  const users = Array.from({ length: nUsers }, (_, i) => ({ id: String(300_000_000_000_000_000n + BigInt(i) * 7_919n), name: `user_${i}_${r.pick(['ada', 'grace', 'linus', 'ken', 'barbara', 'edsger'])}` }));
  const guilds = ['1100000000000000001', '1100000000000000002'];
  const channels = Array.from({ length: 6 }, (_, i) => ({ id: String(1_200_000_000_000_000_000n + BigInt(i)), name: `#${['general', 'random', 'help', 'dev', 'music', 'dm'][i]}`, guild: i === 5 ? null : guilds[i % 2]! }));
  const messages: Row[] = [];
  let t = BASE_MS;
  let session = uuidV4(r);
  while (messages.length < size) {
    const u = r.pick(users);
    const ch = r.pick(channels);
    if (r.chance(0.15)) session = uuidV4(r);
    t += r.int(1_000, 90_000);
    const human: Row = {
      id: uuidV4(r),
      timestamp: t,
      sender_type: 'human',
      user_id: u.id,
      username: u.name,
      channel_id: ch.id,
      channel_name: ch.name,
      guild_id: ch.guild,
      message_content: messages.length === 0 ? 'Ünïcödé café 🎉 — "quotes" and \'apostrophes\'' : text(),
      tool_name: null,
      tool_args: null,
      tool_result: null,
      session_id: session,
      parent_message_id: null,
      metadata: r.chance(0.5) ? json({ messageId: String(1_300_000_000_000_000_000n + BigInt(messages.length)), attachments: [] }) : null,
      ai_summary: null,
      sentiment_analysis: json({ sentiment: r.pick(SENTIMENTS), score: Math.round(r.next() * 1000) / 1000, emotions: [r.pick(EMOTIONS), r.pick(EMOTIONS)] }),
      response_decision: json({ shouldRespond: r.chance(0.7), confidence: Math.round(r.next() * 100) / 100, reason: 'mentioned or asked a question' }),
      interaction_type: r.pick(['question', 'banter', 'request', 'feedback']),
      user_intent: r.pick(['learn', 'chat', 'get help', 'test the bot']),
      bot_perception: r.pick(['friendly', 'curious', 'skeptical']),
      conversation_quality: r.pick(['high', 'medium', 'low']),
      created_at: Math.floor(t / 1000),
    };
    messages.push(human);
    if (messages.length < size && r.chance(0.3)) {
      const tool = r.pick(TOOLS);
      t += r.int(200, 3_000);
      messages.push({
        ...nullRow(human),
        id: uuidV4(r),
        timestamp: t,
        sender_type: 'tool',
        user_id: u.id,
        username: u.name,
        channel_id: ch.id,
        channel_name: ch.name,
        guild_id: ch.guild,
        message_content: `Tool: ${tool}`,
        tool_name: tool,
        tool_args: json({ query: text().slice(0, 80), limit: r.int(1, 20) }),
        tool_result: json({ ok: r.chance(0.9), items: [text().slice(0, 60)], elapsedMs: r.int(5, 4000) }),
        session_id: session,
        parent_message_id: human.id,
        created_at: Math.floor(t / 1000),
      });
    }
    if (messages.length < size) {
      t += r.int(500, 8_000);
      messages.push({
        ...nullRow(human),
        id: uuidV4(r),
        timestamp: t,
        sender_type: 'ai',
        user_id: 'omega-bot',
        username: 'Omega',
        channel_id: ch.id,
        channel_name: ch.name,
        guild_id: ch.guild,
        message_content: text(),
        session_id: session,
        parent_message_id: human.id,
        metadata: json({ model: 'gpt-4o', tokens: r.int(20, 900), temperature: 0.7 + r.next() / 10 }),
        ai_summary: r.chance(0.4) ? text().slice(0, 200) : null,
        created_at: Math.floor(t / 1000),
      });
    }
  }

  const queries: Row[] = Array.from({ length: Math.max(2, Math.floor(size / 10)) }, (_, i) => {
    const u = r.pick(users);
    const failed = r.chance(0.1);
    const ts = BASE_MS + i * 61_000 + r.int(0, 60_000);
    const n = r.int(0, 40);
    return {
      id: uuidV4(r),
      timestamp: ts,
      user_id: u.id,
      username: u.name,
      query_text: `how many messages did ${r.pick(users).name} send in ${r.pick(channels).name}?`,
      translated_sql: `SELECT COUNT(*) AS n FROM messages WHERE username = '${u.name}' AND timestamp > ${ts - 86_400_000}`,
      ai_summary: failed ? null : `There were ${n} messages.`,
      query_result: failed ? null : json([{ n }]),
      result_count: failed ? null : 1,
      error: failed ? 'SQLITE_ERROR: no such column: usernme' : null,
      execution_time_ms: r.int(1, 250),
      sentiment_analysis: json({ sentiment: r.pick(SENTIMENTS), score: r.next() }),
      query_complexity: r.pick(['simple', 'moderate', 'complex']),
      user_satisfaction: r.pick(['satisfied', 'neutral', 'unsatisfied', null]),
      created_at: Math.floor(ts / 1000),
    };
  });

  const documents: Row[] = [];
  const collaborators: Row[] = [];
  for (let i = 0; i < Math.max(2, Math.floor(size / 20)); i++) {
    const owner = r.pick(users);
    const created = Math.floor(BASE_MS / 1000) + i * 3_600 + r.int(0, 3_000);
    const doc = {
      id: uuidV4(r),
      title: text().split('\n')[0]!.slice(0, 80),
      content: Array.from({ length: r.int(1, 4) }, text).join('\n\n'),
      created_by: owner.id,
      created_by_username: owner.name,
      created_at: created,
      updated_at: created + r.int(0, 50_000),
      is_public: r.chance(0.6) ? 1 : 0,
      metadata: r.chance(0.5) ? json({ tags: [r.pick(INTERESTS)], wordCount: r.int(10, 900) }) : null,
    };
    documents.push(doc);
    const members = new Set([owner.id]);
    collaborators.push({ id: uuidV4(r), document_id: doc.id, user_id: owner.id, username: owner.name, role: 'owner', joined_at: created });
    for (let k = r.int(0, 3); k > 0; k--) {
      const u = r.pick(users);
      if (members.has(u.id)) continue;
      members.add(u.id);
      collaborators.push({ id: uuidV4(r), document_id: doc.id, user_id: u.id, username: u.name, role: r.pick(['editor', 'viewer']), joined_at: created + r.int(60, 90_000) });
    }
  }

  const profiles: Row[] = [];
  const history: Row[] = [];
  for (const u of users) {
    const first = Math.floor(BASE_MS / 1000) + r.int(0, 1_000);
    const p: Row = { id: uuidV4(r), user_id: u.id, username: u.name };
    p.dominant_archetype = r.pick(ARCHETYPES);
    p.secondary_archetypes = json([r.pick(ARCHETYPES), r.pick(ARCHETYPES)]);
    p.archetype_confidence = r.next();
    p.shadow_archetype = r.pick(ARCHETYPES);
    for (const c of ['openness', 'conscientiousness', 'extraversion', 'agreeableness', 'neuroticism']) p[`${c}_score`] = r.int(0, 100);
    p.attachment_style = r.pick(['secure', 'anxious', 'avoidant']);
    p.attachment_confidence = r.next();
    for (const c of ['emotional_awareness_score', 'empathy_score', 'emotional_regulation_score', 'verbal_fluency_score', 'analytical_thinking_score', 'creative_thinking_score', 'social_dominance_score', 'cooperation_score', 'affinity_score', 'trust_level', 'facial_symmetry_score', 'approachability_score']) {
      p[c] = r.int(0, 100);
    }
    p.communication_formality = r.pick(['casual', 'formal', 'mixed']);
    p.communication_assertiveness = r.pick(['assertive', 'passive']);
    p.communication_engagement = r.pick(['active', 'lurker']);
    p.question_asking_frequency = r.next();
    p.conflict_style = r.pick(['collaborating', 'avoiding', 'competing']);
    p.humor_style = r.pick(['affiliative', 'self-deprecating', 'dry']);
    p.message_length_avg = 10 + r.next() * 200;
    p.message_length_variance = r.next() * 5_000;
    p.response_latency_avg = r.next() * 60;
    p.emoji_usage_rate = r.chance(0.2) ? 0.1 + 0.2 : r.next();
    p.punctuation_style = r.pick(['minimal', 'standard', 'expressive!!!']);
    p.capitalization_pattern = r.pick(['lowercase', 'standard']);
    p.technical_knowledge_level = r.pick(['beginner', 'intermediate', 'expert']);
    p.primary_interests = json([r.pick(INTERESTS), r.pick(INTERESTS)]);
    p.expertise_areas = json([r.pick(INTERESTS)]);
    p.emotional_bond = r.pick(['warm', 'neutral', 'wary']);
    p.omega_thoughts = text().slice(0, 300);
    p.notable_patterns = json(['asks follow-ups', 'late-night messages']);
    p.overall_sentiment = r.pick(SENTIMENTS);
    p.positive_interaction_ratio = r.next();
    p.negative_interaction_ratio = r.next() / 4;
    p.dominant_emotions = json([r.pick(EMOTIONS), r.pick(EMOTIONS)]);
    p.feelings_json = r.chance(0.5) ? json({ affinity: r.int(0, 100), notes: 'legacy' }) : null;
    p.personality_facets = r.chance(0.5) ? json({ curiosity: r.next() }) : null;
    p.uploaded_photo_url = r.chance(0.3) ? `https://cdn.example.com/avatars/${u.id}.png` : null;
    p.uploaded_photo_metadata = p.uploaded_photo_url ? json({ width: 512, height: 512, format: 'png' }) : null;
    p.ai_appearance_description = p.uploaded_photo_url ? text().slice(0, 200) : null;
    p.appearance_confidence = p.uploaded_photo_url ? r.next() : 0;
    p.hair_color = r.pick(['brown', 'black', 'blond', 'red', null]);
    p.eye_color = r.pick(['brown', 'blue', 'green', null]);
    p.distinctive_features = json(r.chance(0.5) ? ['glasses'] : []);
    p.accessories = json(r.chance(0.5) ? ['headphones', 'watch'] : []);
    p.aesthetic_archetype = r.pick(['minimalist', 'classic', 'streetwear']);
    p.first_seen_at = first;
    p.last_interaction_at = first + r.int(0, 5_000_000);
    p.last_analyzed_at = r.chance(0.8) ? first + r.int(0, 5_000_000) : null;
    p.last_photo_analyzed_at = p.uploaded_photo_url ? first + r.int(0, 5_000_000) : null;
    p.message_count = r.int(0, 5_000);
    p.created_at = first;
    p.updated_at = (p.last_interaction_at as number) + 1;
    profiles.push(p);
    for (let k = r.int(0, 3); k > 0; k--) {
      history.push({
        id: uuidV4(r),
        user_id: u.id,
        analysis_timestamp: first + k * 86_400,
        feelings_snapshot: json({ affinity: r.int(0, 100), trust: r.int(0, 100) }),
        personality_snapshot: json({ archetype: r.pick(ARCHETYPES), openness: r.int(0, 100) }),
        message_count_at_analysis: r.int(0, 5_000),
        changes_summary: r.chance(0.7) ? text().slice(0, 200) : null,
        created_at: first + k * 86_400,
      });
    }
  }
  return { messages, queries, documents, document_collaborators: collaborators, user_profiles: profiles, user_analysis_history: history };
}

/**
 * The rows {@link buildOmegaDatabase} writes (omega-bot's newest columns; JSON as text, booleans
 * 0/1), for fixtures of other layouts (omega-bot's PostgreSQL tables). Deterministic for a seed.
 */
export function omegaRows(opts: { size?: number; seed?: number; corpusDir?: string } = {}): Record<string, Array<Record<string, unknown>>> {
  return generate(opts.seed ?? 1, opts.size ?? 200, loadText(opts.corpusDir).entries);
}

function nullRow(like: Row): Row {
  return Object.fromEntries(Object.keys(like).map((k) => [k, null]));
}

/**
 * Creates `path` (which must not exist) with the layout and rows. Omega layouts: omega-bot's
 * schema runner of that version (after those of `upgradedFrom`), rows holding only that version's
 * columns. `project-unstamped`: the product's full layout, no drizzle journal.
 * @throws Error when `path` exists.
 */
export function buildOmegaDatabase(path: string, opts: OmegaFixtureOptions): OmegaFixture {
  if (existsSync(path)) throw new Error(`buildOmegaDatabase: ${path} exists`);
  const size = opts.size ?? 200;
  const { entries, source } = loadText(opts.corpusDir);
  const rows = generate(opts.seed ?? 1, size, entries);
  const db = new Libsql(path);
  try {
    const version: OmegaVersion = opts.layout === 'project-unstamped' ? 'omega-v3' : opts.layout;
    if (opts.layout === 'project-unstamped') {
      for (const s of sqliteSchemaStatements()) db.exec(s);
    } else {
      for (const v of opts.upgradedFrom ?? []) runOmegaSchema(db, v);
      runOmegaSchema(db, opts.layout);
    }
    const counts: Record<string, number> = {};
    db.exec('BEGIN');
    for (const [table, list] of Object.entries(rows)) {
      const { sql, columns } = omegaInsertSql(version, table);
      if (columns.length === 0) continue;
      const st = db.prepare(sql);
      for (const row of list) st.run(...columns.map((c) => (row[c] === undefined ? null : row[c])));
      counts[table] = list.length;
    }
    if (opts.layout === 'project-unstamped') {
      // Rows the product changed since: version 2 and an updated_at.
      db.exec(`UPDATE messages SET version = 2, updated_at = created_at + 60 WHERE rowid % 7 = 0`);
      db.exec(`UPDATE queries SET version = 3, updated_at = created_at + 5 WHERE rowid % 5 = 0`);
    }
    db.exec('COMMIT');
    return { path, layout: opts.layout, counts, textSource: source };
  } finally {
    db.close();
  }
}
