import { stringifyJsonExact } from '../json-exact.js';
import { tables, type TableName } from '../schema/tables.js';
import type { Row } from '../stores/store.js';
import { normalizeValue } from '../transfer/convert/normalize-row.js';

/**
 * omega-bot's record types and the one codec from a stored row to a record.
 *
 * A record is the table's row in snake_case, every column of the table (schema/tables.ts),
 * bookkeeping (`version`, `updated_at`) included, in the form omega-bot's LibSQL services return:
 * JSON columns as JSON **text** (or null), booleans as 0/1 numbers, everything else as stored.
 * The JSON text is the canonical form (object keys sorted, integers beyond 2^53 exact), so the
 * same row reads back as the same text from LibSQL and from PostgreSQL (whose jsonb reorders keys).
 *
 * **A stored value that cannot be returned as stored degrades that value only** (the rest of the
 * row and the other rows of the read are returned; the store logs `read_value_degraded` with the
 * table, row id and column, once per value and process; `pnpm db repair` fixes LibSQL in place):
 * - text whose bytes are not UTF-8 (LibSQL only): each bad sequence reads as U+FFFD; U+0000 is
 *   stripped and a lone surrogate reads as U+FFFD, as the text policy does on write;
 * - a JSON column whose text is not JSON (LibSQL only: jsonb cannot hold it): **null**, except
 *   JSON behind a leading byte order mark (U+FEFF), which reads as that JSON;
 * - a value the codec cannot turn into its record form: null.
 */

/** Who sent a message: a person, the bot, or a tool the bot ran. */
export type SenderType = 'human' | 'ai' | 'tool';

/** A row of `messages`. `timestamp` is unix **ms**; `created_at` / `updated_at` unix s; JSON columns as JSON text. */
export interface MessageRecord {
  id: string;
  timestamp: number;
  sender_type: SenderType;
  user_id: string | null;
  username: string | null;
  channel_id: string | null;
  channel_name: string | null;
  guild_id: string | null;
  message_content: string;
  tool_name: string | null;
  tool_args: string | null;
  tool_result: string | null;
  session_id: string | null;
  parent_message_id: string | null;
  metadata: string | null;
  ai_summary: string | null;
  sentiment_analysis: string | null;
  response_decision: string | null;
  interaction_type: string | null;
  user_intent: string | null;
  bot_perception: string | null;
  conversation_quality: string | null;
  created_at: number | null;
  updated_at: number | null;
  version: number;
}

/** A row of `queries`. `timestamp` is unix **ms**, `execution_time_ms` in ms; `created_at` / `updated_at` unix s; `query_result` JSON text. */
export interface QueryRecord {
  id: string;
  timestamp: number;
  user_id: string;
  username: string;
  query_text: string;
  translated_sql: string | null;
  ai_summary: string | null;
  query_result: string | null;
  result_count: number | null;
  error: string | null;
  execution_time_ms: number | null;
  sentiment_analysis: string | null;
  query_complexity: string | null;
  user_satisfaction: string | null;
  created_at: number | null;
  updated_at: number | null;
  version: number;
}

/** A row of `documents`. Times unix s; `is_public` 0/1; `metadata` JSON text or null. */
export interface DocumentRecord {
  id: string;
  title: string;
  content: string;
  created_by: string;
  created_by_username: string | null;
  created_at: number | null;
  updated_at: number | null;
  is_public: number | null;
  metadata: string | null;
  version: number;
}

/** A row of `document_collaborators`. `joined_at` / `updated_at` unix s. */
export interface DocumentCollaboratorRecord {
  id: string;
  document_id: string;
  user_id: string;
  username: string | null;
  role: string | null;
  joined_at: number | null;
  updated_at: number | null;
  version: number;
}

/** A row of `user_profiles`: identity, omega-bot's profile columns (see schema/user-profile-columns.ts), bookkeeping. Times unix s; JSON columns as JSON text. */
export interface UserProfileRecord {
  id: string;
  user_id: string;
  username: string;
  dominant_archetype: string | null;
  secondary_archetypes: string | null;
  archetype_confidence: number | null;
  shadow_archetype: string | null;
  openness_score: number | null;
  conscientiousness_score: number | null;
  extraversion_score: number | null;
  agreeableness_score: number | null;
  neuroticism_score: number | null;
  attachment_style: string | null;
  attachment_confidence: number | null;
  emotional_awareness_score: number | null;
  empathy_score: number | null;
  emotional_regulation_score: number | null;
  communication_formality: string | null;
  communication_assertiveness: string | null;
  communication_engagement: string | null;
  verbal_fluency_score: number | null;
  question_asking_frequency: number | null;
  analytical_thinking_score: number | null;
  creative_thinking_score: number | null;
  abstract_reasoning_score: number | null;
  concrete_thinking_score: number | null;
  social_dominance_score: number | null;
  cooperation_score: number | null;
  conflict_style: string | null;
  humor_style: string | null;
  message_length_avg: number | null;
  message_length_variance: number | null;
  response_latency_avg: number | null;
  emoji_usage_rate: number | null;
  punctuation_style: string | null;
  capitalization_pattern: string | null;
  technical_knowledge_level: string | null;
  primary_interests: string | null;
  expertise_areas: string | null;
  affinity_score: number | null;
  trust_level: number | null;
  emotional_bond: string | null;
  omega_thoughts: string | null;
  notable_patterns: string | null;
  overall_sentiment: string | null;
  positive_interaction_ratio: number | null;
  negative_interaction_ratio: number | null;
  dominant_emotions: string | null;
  feelings_json: string | null;
  personality_facets: string | null;
  uploaded_photo_url: string | null;
  uploaded_photo_metadata: string | null;
  ai_appearance_description: string | null;
  appearance_confidence: number | null;
  ai_detected_gender: string | null;
  gender_confidence: number | null;
  estimated_age_range: string | null;
  age_confidence: number | null;
  face_shape: string | null;
  facial_symmetry_score: number | null;
  jawline_prominence: string | null;
  cheekbone_prominence: string | null;
  hair_color: string | null;
  hair_texture: string | null;
  hair_length: string | null;
  hair_style: string | null;
  hair_density: string | null;
  facial_hair: string | null;
  eye_color: string | null;
  eye_shape: string | null;
  eye_spacing: string | null;
  eyebrow_shape: string | null;
  eyebrow_thickness: string | null;
  nose_shape: string | null;
  nose_size: string | null;
  lip_fullness: string | null;
  smile_type: string | null;
  skin_tone: string | null;
  skin_texture: string | null;
  complexion_quality: string | null;
  body_type: string | null;
  build_description: string | null;
  height_estimate: string | null;
  posture: string | null;
  distinctive_features: string | null;
  clothing_style: string | null;
  accessories: string | null;
  attractiveness_assessment: string | null;
  approachability_score: number | null;
  perceived_confidence_level: string | null;
  aesthetic_archetype: string | null;
  first_seen_at: number;
  last_interaction_at: number;
  last_analyzed_at: number | null;
  last_photo_analyzed_at: number | null;
  message_count: number | null;
  created_at: number | null;
  updated_at: number | null;
  version: number;
}

/** A row of `user_analysis_history`. `analysis_timestamp` unix s; snapshots as JSON text. */
export interface UserAnalysisHistoryRecord {
  id: string;
  user_id: string;
  analysis_timestamp: number;
  feelings_snapshot: string | null;
  personality_snapshot: string | null;
  message_count_at_analysis: number | null;
  changes_summary: string | null;
  created_at: number | null;
  updated_at: number | null;
  version: number;
}
/** The record type of each table. */
export interface RecordOf {
  messages: MessageRecord;
  queries: QueryRecord;
  documents: DocumentRecord;
  document_collaborators: DocumentCollaboratorRecord;
  user_profiles: UserProfileRecord;
  user_analysis_history: UserAnalysisHistoryRecord;
}

/** JSON value → record text: canonical (keys sorted), exact big integers; null stays null. */
export function jsonText(value: unknown): string | null {
  return value === null || value === undefined ? null : stringifyJsonExact(normalizeValue('json', value));
}

/**
 * A stored row (logical values, see schema/columns.ts) → omega-bot's record of `table`. Never
 * throws for a stored value: a JSON value that cannot be written as text is null (reported to
 * `onDegraded` with its column, when given).
 */
export function toRecord<T extends TableName>(table: T, row: Row, onDegraded?: (column: string, error: unknown) => void): RecordOf[T] {
  const out: Record<string, unknown> = {};
  for (const c of tables[table].columns) {
    const v = row[c.name] ?? null;
    if (v !== null && c.type === 'json') {
      try {
        out[c.name] = jsonText(v);
      } catch (e) {
        out[c.name] = null;
        onDegraded?.(c.name, e);
      }
    } else out[c.name] = v === null ? null : c.type === 'bool' ? (v === true || v === 1 ? 1 : 0) : v;
  }
  return out as unknown as RecordOf[T];
}
