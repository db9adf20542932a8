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

/** JSON columns of the profile come back as JSON text: parse them so the snapshot nests them, not quotes them. */
function value(p: UserProfileRecord, column: string): unknown {
  const v = (p as unknown as Record<string, unknown>)[column];
  if (typeof v !== 'string') return v ?? null;
  try {
    return column.endsWith('_json') || column === 'notable_patterns' || column === 'dominant_emotions' || column === 'personality_facets' ? JSON.parse(v) : v;
  } catch {
    return v;
  }
}

/** `{ column: value }` of `columns` of a profile, as one JSON text. */
export function snapshotOf(p: UserProfileRecord, columns: readonly string[]): string {
  return JSON.stringify(Object.fromEntries(columns.map((c) => [c, value(p, c)])));
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
