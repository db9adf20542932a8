/**
 * What older omega-bot files lack, by omega-bot's own schema history (its `runMigrations`, which
 * adds these columns with `ALTER TABLE … ADD COLUMN` when a probe fails): a file missing any of
 * them is an older omega-bot file, and adopt adds them the same way. Every other omega column was
 * in the CREATE TABLE of every version that had the table, so a file missing one is not omega-bot's.
 */
import type { TableName } from '../schema/tables.js';
import { userProfileDataColumns } from '../schema/user-profile-columns.js';

/** user_profiles columns that omega-bot's first profile CREATE had (the rest came by its "PhD-level" ALTERs). */
const FIRST_PROFILE_COLUMNS = new Set([
  'feelings_json',
  'personality_facets',
  'uploaded_photo_url',
  'uploaded_photo_metadata',
  'ai_appearance_description',
  'appearance_confidence',
  'first_seen_at',
  'last_interaction_at',
  'last_analyzed_at',
  'message_count',
]);

/** Columns omega-bot's migrations add later, per table (omega-v1 → v2 → v3). */
export const OMEGA_LATER_COLUMNS: Readonly<Partial<Record<TableName, ReadonlySet<string>>>> = {
  messages: new Set(['ai_summary', 'sentiment_analysis', 'response_decision', 'interaction_type', 'user_intent', 'bot_perception', 'conversation_quality']),
  queries: new Set(['sentiment_analysis', 'query_complexity', 'user_satisfaction']),
  user_profiles: new Set(userProfileDataColumns.map((c) => c.name).filter((n) => !FIRST_PROFILE_COLUMNS.has(n))),
};

/** Tables that the oldest omega-bot (v1) has; the others came with v2 (documents) and v3 (profiles). */
export const OMEGA_V1_TABLES: readonly TableName[] = ['messages', 'queries'];
export const OMEGA_V2_TABLES: readonly TableName[] = ['messages', 'queries', 'documents', 'document_collaborators'];

/**
 * The omega-bot version a file's tables and columns match exactly, or null for a mix (e.g. a v2
 * file missing one v2 column): v1 = messages + queries without analysis columns; v2 = documents
 * added, messages with ai_summary / sentiment_analysis / response_decision; v3 = everything.
 */
export function omegaVersionOf(present: ReadonlyMap<string, readonly string[]>): 'omega-v1' | 'omega-v2' | 'omega-v3' | null {
  const has = (t: string, c: string) => present.get(t)?.includes(c) ?? false;
  const all = (t: TableName, names: string[]) => names.every((c) => has(t, c));
  const none = (t: TableName, names: string[]) => names.every((c) => !has(t, c));
  const tables = [...present.keys()].filter((t) => t !== 'row_tombstones').sort().join(',');
  const analysis = ['ai_summary', 'sentiment_analysis', 'response_decision'];
  const interaction = ['interaction_type', 'user_intent', 'bot_perception', 'conversation_quality'];
  const querySentiment = ['sentiment_analysis', 'query_complexity', 'user_satisfaction'];
  if (tables === [...OMEGA_V1_TABLES].sort().join(',') && none('messages', [...analysis, ...interaction]) && none('queries', querySentiment)) return 'omega-v1';
  if (tables === [...OMEGA_V2_TABLES].sort().join(',') && all('messages', analysis) && none('messages', interaction) && none('queries', querySentiment)) return 'omega-v2';
  const later = OMEGA_LATER_COLUMNS;
  if (present.size >= 6 && (['messages', 'queries', 'user_profiles'] as const).every((t) => [...later[t]!].every((c) => has(t, c)))) return 'omega-v3';
  return null;
}
