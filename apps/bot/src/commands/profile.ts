import type { UserAnalysisHistoryRecord, UserProfileRecord } from '@repo/database';
import { utcMinute } from './format.js';
import { ok, type CommandContext, type CommandResult } from './types.js';

/** How many analysis snapshots `!profile` lists. */
export const PROFILE_HISTORY_SHOWN = 3;

/** Profile traits `!profile` shows when an analysis has filled them (omega's columns). */
const TRAITS = ['dominant_archetype', 'attachment_style', 'communication_formality', 'technical_knowledge_level', 'overall_sentiment', 'emotional_bond'] as const;

/**
 * `!profile`: the asker's profile (`userProfileService.getUserProfile`, which already counts this
 * message) and their newest analysis snapshots (`getAnalysisHistory(userId, 3)`).
 */
export async function profileCommand(ctx: CommandContext): Promise<CommandResult> {
  const p = await ctx.db.userProfileService.getUserProfile(ctx.userId);
  if (!p) return ok(`${ctx.username}, I don't have a profile for you yet.`);
  const history = await ctx.db.userProfileService.getAnalysisHistory(ctx.userId, PROFILE_HISTORY_SHOWN);
  return ok(profileSummary(p, history));
}

/** The reply text of `!profile`. Times are unix seconds, shown in UTC. */
export function profileSummary(p: UserProfileRecord, history: readonly UserAnalysisHistoryRecord[]): string {
  const at = (s: number | null | undefined) => (typeof s === 'number' ? utcMinute(s) : '-');
  const traits = TRAITS.flatMap((k) => {
    const v = (p as unknown as Record<string, unknown>)[k];
    return v === null || v === undefined || v === '' ? [] : [`${k.replace(/_/g, ' ')} ${String(v)}`];
  });
  return [
    `Profile of ${p.username}:`,
    `messages ${p.message_count ?? 0}, first seen ${at(p.first_seen_at)}, last interaction ${at(p.last_interaction_at)}`,
    `last analysed ${p.last_analyzed_at ? at(p.last_analyzed_at) : 'never'}`,
    ...(traits.length ? [`traits: ${traits.join(', ')}`] : []),
    history.length
      ? `snapshots (newest first): ${history.map((h) => `${at(h.analysis_timestamp)} at ${h.message_count_at_analysis ?? '?'} messages`).join('; ')}`
      : 'snapshots: none yet',
  ].join('\n');
}
