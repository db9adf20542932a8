import type { Database, UserProfileRecord } from '@repo/database';

/** `message_count` values at which the bot snapshots a profile: 1, 10, 25, 50, then every 100. */
export function isMessageMilestone(n: number): boolean {
  return n === 1 || n === 10 || n === 25 || n === 50 || (n > 0 && n % 100 === 0);
}

/** Profile columns copied into `feelings_snapshot` (omega's "feelings" about a user). */
export const FEELINGS_COLUMNS = ['affinity_score', 'trust_level', 'emotional_bond', 'omega_thoughts', 'notable_patterns', 'overall_sentiment', 'dominant_emotions', 'feelings_json'] as const;
/** Profile columns copied into `personality_snapshot`. */
export const PERSONALITY_COLUMNS = [
  'dominant_archetype',
  'openness_score',
  'conscientiousness_score',
  'extraversion_score',
  'agreeableness_score',
  'neuroticism_score',
  'attachment_style',
  'communication_formality',
  'technical_knowledge_level',
  'personality_facets',
] as const;

/** Profile columns whose values are JSON (they come back as JSON text). */
const JSON_COLUMNS = new Set(['notable_patterns', 'dominant_emotions', 'feelings_json', 'personality_facets']);

/** A JSON column's text as it is (valid JSON from the data layer, so nothing is re-encoded: integers beyond 2^53 stay exact), or null. */
function rawJson(text: string): string {
  try {
    JSON.parse(text);
    return text;
  } catch {
    return JSON.stringify(text); // not JSON after all (a hand-edited legacy row): keep it as a string
  }
}

/**
 * `{ column: value, … }` of `columns` of a profile, as one JSON text. JSON columns are nested
 * (their text spliced in unchanged), every other value JSON-encoded, unset ones null.
 */
export function snapshotOf(p: UserProfileRecord, columns: readonly string[]): string {
  const row = p as unknown as Record<string, unknown>;
  const parts = columns.map((c) => {
    const v = row[c] ?? null;
    return `${JSON.stringify(c)}:${JSON_COLUMNS.has(c) && typeof v === 'string' ? rawJson(v) : JSON.stringify(v)}`;
  });
  return `{${parts.join(',')}}`;
}

/**
 * After `incrementMessageCount`: when the author's `message_count` now is a milestone
 * ({@link isMessageMilestone}), appends a `user_analysis_history` row with
 * `userProfileService.saveAnalysisHistory(userId, feelings, personality, message_count, summary)`:
 * the profile's feelings and personality columns as they stand (JSON text), and
 * `changes_summary` = `message_count reached N`. The bot does no analysis of its own, so
 * `last_analyzed_at` is left alone (the user stays in `getUsersNeedingAnalysis`).
 * Reads the profile once. Two messages of one user handled at the same time can both see the
 * same count; then one milestone is recorded twice or not at all: the history is a sample, not a ledger.
 * @returns the history row's id, or null when the count is no milestone (or there is no profile).
 */
export async function recordMilestone(db: Database, userId: string): Promise<string | null> {
  const profile = await db.userProfileService.getUserProfile(userId);
  const n = profile?.message_count ?? 0;
  if (!profile || !isMessageMilestone(n)) return null;
  return db.userProfileService.saveAnalysisHistory(userId, snapshotOf(profile, FEELINGS_COLUMNS), snapshotOf(profile, PERSONALITY_COLUMNS), n, `message_count reached ${n}`);
}
