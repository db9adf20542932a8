/**
 * omega-bot's schema runner as its three known versions run it, for test fixtures: the
 * `CREATE TABLE / INDEX / VIRTUAL TABLE / TRIGGER … IF NOT EXISTS` statements of its
 * `initializeSchema`, then its `runMigrations` probes (`SELECT cols FROM t LIMIT 0`; when that
 * fails, `ALTER TABLE t ADD COLUMN …`). Written down independently of the product's table specs
 * (src/schema/tables.ts) on purpose: a fixture derived from the specs could not catch a spec that
 * drifted from omega-bot's real layout.
 *
 * Versions: `omega-v1` (oldest: messages and queries, no analysis columns), `omega-v2` (documents
 * and collaborators; messages.ai_summary/sentiment_analysis in the CREATE, response_decision by
 * ALTER), `omega-v3` (newest: interaction and query-sentiment columns, user_profiles with its
 * "PhD-level" columns, user_analysis_history).
 */

/** One of omega-bot's schema versions. */
export type OmegaVersion = 'omega-v1' | 'omega-v2' | 'omega-v3';

/** One step of omega-bot's schema runner. */
export type OmegaSchemaStep =
  | { readonly sql: string }
  /** A probe: when `SELECT <columns> FROM <table> LIMIT 0` fails, the ALTERs run (omega's `runMigrations`). */
  | { readonly probe: string; readonly onMissing: readonly string[] };

const MESSAGES_V1 = [
  'id TEXT PRIMARY KEY',
  'timestamp INTEGER NOT NULL',
  "sender_type TEXT NOT NULL CHECK(sender_type IN ('human', 'ai', 'tool'))",
  'user_id TEXT',
  'username TEXT',
  'channel_id TEXT',
  'channel_name TEXT',
  'guild_id TEXT',
  'message_content TEXT NOT NULL',
  'tool_name TEXT',
  'tool_args TEXT',
  'tool_result TEXT',
  'session_id TEXT',
  'parent_message_id TEXT',
  'metadata TEXT',
];
const MESSAGES_V2_EXTRA = ['ai_summary TEXT', 'sentiment_analysis TEXT'];
const MESSAGES_V3_EXTRA = ['response_decision TEXT', 'interaction_type TEXT', 'user_intent TEXT', 'bot_perception TEXT', 'conversation_quality TEXT'];
const CREATED_AT = "created_at INTEGER DEFAULT (strftime('%s', 'now'))";
const UPDATED_AT = "updated_at INTEGER DEFAULT (strftime('%s', 'now'))";

const QUERIES_V1 = [
  'id TEXT PRIMARY KEY',
  'timestamp INTEGER NOT NULL',
  'user_id TEXT NOT NULL',
  'username TEXT NOT NULL',
  'query_text TEXT NOT NULL',
  'translated_sql TEXT',
  'ai_summary TEXT',
  'query_result TEXT',
  'result_count INTEGER',
  'error TEXT',
  'execution_time_ms INTEGER',
];
const QUERIES_V3_EXTRA = ['sentiment_analysis TEXT', 'query_complexity TEXT', 'user_satisfaction TEXT'];

const table = (name: string, defs: readonly string[]) => `\n    CREATE TABLE IF NOT EXISTS ${name} (\n      ${defs.join(',\n      ')}\n    )\n  `;
const index = (name: string, on: string, unique = false) => `\n    CREATE ${unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${name} ON ${on}\n  `;

/** omega-bot's FTS5 table: default tokenizer (unicode61, diacritics removed). */
const FTS = [
  `\n    CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5(\n      message_content,\n      tool_name,\n      username,\n      content='messages',\n      content_rowid='rowid'\n    )\n  `,
  `\n    CREATE TRIGGER IF NOT EXISTS messages_fts_insert AFTER INSERT ON messages BEGIN\n      INSERT INTO messages_fts(rowid, message_content, tool_name, username)\n      VALUES (new.rowid, new.message_content, new.tool_name, new.username);\n    END\n  `,
  // omega-bot's delete and update triggers: a plain DELETE on an external-content FTS5 table,
  // which reads the tokens to remove from `messages` (already gone or changed): stale entries stay.
  `\n    CREATE TRIGGER IF NOT EXISTS messages_fts_delete AFTER DELETE ON messages BEGIN\n      DELETE FROM messages_fts WHERE rowid = old.rowid;\n    END\n  `,
  `\n    CREATE TRIGGER IF NOT EXISTS messages_fts_update AFTER UPDATE ON messages BEGIN\n      DELETE FROM messages_fts WHERE rowid = old.rowid;\n      INSERT INTO messages_fts(rowid, message_content, tool_name, username)\n      VALUES (new.rowid, new.message_content, new.tool_name, new.username);\n    END\n  `,
];

const DOCUMENTS = [
  'id TEXT PRIMARY KEY',
  'title TEXT NOT NULL',
  "content TEXT NOT NULL DEFAULT ''",
  'created_by TEXT NOT NULL',
  'created_by_username TEXT',
  CREATED_AT,
  UPDATED_AT,
  'is_public INTEGER DEFAULT 1',
  'metadata TEXT',
];
const COLLABORATORS = [
  'id TEXT PRIMARY KEY',
  'document_id TEXT NOT NULL',
  'user_id TEXT NOT NULL',
  'username TEXT',
  "role TEXT DEFAULT 'editor'",
  "joined_at INTEGER DEFAULT (strftime('%s', 'now'))",
  'FOREIGN KEY (document_id) REFERENCES documents(id) ON DELETE CASCADE',
];

/** user_profiles columns after the identity, as `name TYPE` (omega-v3's CREATE). */
const PROFILE_PSYCHOLOGY = `dominant_archetype TEXT, secondary_archetypes TEXT, archetype_confidence REAL, shadow_archetype TEXT,
openness_score INTEGER, conscientiousness_score INTEGER, extraversion_score INTEGER, agreeableness_score INTEGER, neuroticism_score INTEGER,
attachment_style TEXT, attachment_confidence REAL,
emotional_awareness_score INTEGER, empathy_score INTEGER, emotional_regulation_score INTEGER,
communication_formality TEXT, communication_assertiveness TEXT, communication_engagement TEXT, verbal_fluency_score INTEGER, question_asking_frequency REAL,
analytical_thinking_score INTEGER, creative_thinking_score INTEGER, abstract_reasoning_score INTEGER, concrete_thinking_score INTEGER,
social_dominance_score INTEGER, cooperation_score INTEGER, conflict_style TEXT, humor_style TEXT,
message_length_avg REAL, message_length_variance REAL, response_latency_avg REAL, emoji_usage_rate REAL, punctuation_style TEXT, capitalization_pattern TEXT,
technical_knowledge_level TEXT, primary_interests TEXT, expertise_areas TEXT,
affinity_score INTEGER, trust_level INTEGER, emotional_bond TEXT, omega_thoughts TEXT, notable_patterns TEXT,
overall_sentiment TEXT, positive_interaction_ratio REAL, negative_interaction_ratio REAL, dominant_emotions TEXT`;
const PROFILE_LEGACY = 'feelings_json TEXT, personality_facets TEXT';
const PROFILE_PHOTO = 'uploaded_photo_url TEXT, uploaded_photo_metadata TEXT, ai_appearance_description TEXT, appearance_confidence REAL DEFAULT 0.0';
const PROFILE_PHENOTYPE = `ai_detected_gender TEXT, gender_confidence REAL, estimated_age_range TEXT, age_confidence REAL,
face_shape TEXT, facial_symmetry_score INTEGER, jawline_prominence TEXT, cheekbone_prominence TEXT,
hair_color TEXT, hair_texture TEXT, hair_length TEXT, hair_style TEXT, hair_density TEXT, facial_hair TEXT,
eye_color TEXT, eye_shape TEXT, eye_spacing TEXT, eyebrow_shape TEXT, eyebrow_thickness TEXT,
nose_shape TEXT, nose_size TEXT, lip_fullness TEXT, smile_type TEXT,
skin_tone TEXT, skin_texture TEXT, complexion_quality TEXT,
body_type TEXT, build_description TEXT, height_estimate TEXT, posture TEXT,
distinctive_features TEXT, clothing_style TEXT, accessories TEXT,
attractiveness_assessment TEXT, approachability_score INTEGER, perceived_confidence_level TEXT, aesthetic_archetype TEXT`;
const PROFILE_TRACKING =
  'first_seen_at INTEGER NOT NULL, last_interaction_at INTEGER NOT NULL, last_analyzed_at INTEGER, last_photo_analyzed_at INTEGER, message_count INTEGER DEFAULT 0';
const split = (s: string) => s.split(',').map((d) => d.trim()).filter(Boolean);

const PROFILES = [
  'id TEXT PRIMARY KEY',
  'user_id TEXT NOT NULL UNIQUE',
  'username TEXT NOT NULL',
  ...split(PROFILE_PSYCHOLOGY),
  ...split(PROFILE_LEGACY),
  ...split(PROFILE_PHOTO),
  ...split(PROFILE_PHENOTYPE),
  ...split(PROFILE_TRACKING),
  CREATED_AT,
  UPDATED_AT,
];
/** The columns omega-v3's `migrationPhDProfilingFields` adds to an older user_profiles when missing. */
const PHD_FIELDS = [...split(PROFILE_PSYCHOLOGY), ...split(PROFILE_PHENOTYPE), 'last_photo_analyzed_at INTEGER'];

const HISTORY = [
  'id TEXT PRIMARY KEY',
  'user_id TEXT NOT NULL',
  'analysis_timestamp INTEGER NOT NULL',
  'feelings_snapshot TEXT',
  'personality_snapshot TEXT',
  'message_count_at_analysis INTEGER',
  'changes_summary TEXT',
  CREATED_AT,
  'FOREIGN KEY (user_id) REFERENCES user_profiles(user_id) ON DELETE CASCADE',
];

const probe = (tableName: string, defs: readonly string[]): OmegaSchemaStep => ({
  probe: `SELECT ${defs.map((d) => d.split(' ')[0]).join(', ')} FROM ${tableName} LIMIT 0`,
  onMissing: defs.map((d) => `ALTER TABLE ${tableName} ADD COLUMN ${d}`),
});

/**
 * The statements omega-bot's `initializeSchema` of a version runs, in order (a file it created
 * fresh, or one an older version created that it upgrades).
 */
export function omegaSchemaSteps(version: OmegaVersion): OmegaSchemaStep[] {
  const v = version === 'omega-v1' ? 1 : version === 'omega-v2' ? 2 : 3;
  const messages = [...MESSAGES_V1, ...(v >= 2 ? MESSAGES_V2_EXTRA : []), ...(v >= 3 ? MESSAGES_V3_EXTRA : []), CREATED_AT];
  const queries = [...QUERIES_V1, ...(v >= 3 ? QUERIES_V3_EXTRA : []), CREATED_AT];
  const s = (sql: string): OmegaSchemaStep => ({ sql });
  const steps: OmegaSchemaStep[] = [
    s(table('messages', messages)),
    s(index('idx_messages_timestamp', 'messages(timestamp DESC)')),
    s(index('idx_messages_user_id', 'messages(user_id)')),
    s(index('idx_messages_sender_type', 'messages(sender_type)')),
    s(index('idx_messages_channel_id', 'messages(channel_id)')),
    s(index('idx_messages_session_id', 'messages(session_id)')),
    ...FTS.map(s),
    s(table('queries', queries)),
    s(index('idx_queries_timestamp', 'queries(timestamp DESC)')),
    s(index('idx_queries_user_id', 'queries(user_id)')),
  ];
  if (v === 1) return steps;
  steps.push(
    s(table('documents', DOCUMENTS)),
    s(index('idx_documents_created_by', 'documents(created_by)')),
    s(index('idx_documents_created_at', 'documents(created_at DESC)')),
    s(index('idx_documents_updated_at', 'documents(updated_at DESC)')),
    s(table('document_collaborators', COLLABORATORS)),
    s(index('idx_collaborators_document_id', 'document_collaborators(document_id)')),
    s(index('idx_collaborators_user_id', 'document_collaborators(user_id)')),
    s(index('idx_collaborators_unique', 'document_collaborators(document_id, user_id)', true)),
    // runMigrations
    probe('messages', MESSAGES_V2_EXTRA),
    probe('messages', ['response_decision TEXT']),
  );
  if (v === 2) return steps;
  steps.push(
    probe('messages', MESSAGES_V3_EXTRA.slice(1)),
    probe('queries', QUERIES_V3_EXTRA),
    s(table('user_profiles', PROFILES)),
    s(index('idx_user_profiles_user_id', 'user_profiles(user_id)')),
    s(index('idx_user_profiles_last_analyzed', 'user_profiles(last_analyzed_at)')),
    s(table('user_analysis_history', HISTORY)),
    s(index('idx_analysis_history_user_id', 'user_analysis_history(user_id)')),
    s(index('idx_analysis_history_timestamp', 'user_analysis_history(analysis_timestamp DESC)')),
    // One probe per column, as its addColumn helper does.
    ...PHD_FIELDS.map((d) => probe('user_profiles', [d])),
  );
  return steps;
}

/** Something that runs SQL synchronously (the `libsql` binding's Database). */
export interface ExecTarget {
  exec(sql: string): unknown;
}

/**
 * Runs omega-bot's schema runner of `version` on a database, as its start-up does (probes that
 * fail run their ALTERs). Safe to run again on a file it already ran on.
 */
export function runOmegaSchema(db: ExecTarget, version: OmegaVersion): void {
  for (const step of omegaSchemaSteps(version)) {
    if ('sql' in step) {
      db.exec(step.sql);
      continue;
    }
    try {
      db.exec(step.probe);
    } catch {
      for (const alter of step.onMissing) db.exec(alter);
    }
  }
}

/** Column names of a table as a version of omega-bot declares it (CREATE plus its own ALTERs), in order. */
export function omegaColumns(version: OmegaVersion, tableName: string): string[] {
  const v = version === 'omega-v1' ? 1 : version === 'omega-v2' ? 2 : 3;
  const names = (defs: readonly string[]) => defs.filter((d) => !d.startsWith('FOREIGN KEY')).map((d) => d.split(' ')[0]!);
  switch (tableName) {
    case 'messages':
      return v === 1
        ? names([...MESSAGES_V1, CREATED_AT])
        : v === 2
          ? names([...MESSAGES_V1, ...MESSAGES_V2_EXTRA, CREATED_AT, 'response_decision TEXT'])
          : names([...MESSAGES_V1, ...MESSAGES_V2_EXTRA, ...MESSAGES_V3_EXTRA, CREATED_AT]);
    case 'queries':
      return names([...QUERIES_V1, ...(v >= 3 ? QUERIES_V3_EXTRA : []), CREATED_AT]);
    case 'documents':
      return v >= 2 ? names(DOCUMENTS) : [];
    case 'document_collaborators':
      return v >= 2 ? names(COLLABORATORS) : [];
    case 'user_profiles':
      return v >= 3 ? names(PROFILES) : [];
    case 'user_analysis_history':
      return v >= 3 ? names(HISTORY) : [];
    default:
      return [];
  }
}
