import type { UserProfile } from '@repo/database';
import { utcMinute } from './format.js';
import { ok, type CommandContext, type CommandResult } from './types.js';

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

/**
 * `!profile`: a summary of the asker's profile aggregates as stored before this message
 * (messages, commands, searches, documents, words, average length, channels, busiest hour/day).
 */
export async function profileCommand(ctx: CommandContext): Promise<CommandResult> {
  const p = await ctx.db.userProfileService.getUserProfile(ctx.userId);
  if (!p) return ok(`${ctx.username}, I don't have a profile for you yet: this is your first message.`);
  return ok(profileSummary(p));
}

/** The reply text of `!profile` for one profile. */
export function profileSummary(p: UserProfile): string {
  const n = (k: string) => Number(p[k] ?? 0);
  const channels = Array.isArray(p.channelsActive) ? (p.channelsActive as unknown[]) : [];
  const hours = Array.from({ length: 24 }, (_, h) => n(`activityHour${String(h).padStart(2, '0')}`));
  const days = WEEKDAYS.map((d) => n(`activity${d[0]!.toUpperCase()}${d.slice(1)}`));
  const peakHour = hours.indexOf(Math.max(...hours));
  const peakDay = WEEKDAYS[days.indexOf(Math.max(...days))]!;
  const avg = typeof p.avgMessageLength === 'number' ? p.avgMessageLength.toFixed(1) : '-';
  return [
    `Profile of ${p.username ?? p.userId}:`,
    `messages ${n('messageCount')}, commands ${n('commandCount')}, searches ${n('searchCount')}, documents ${n('documentCount')}`,
    `words ${n('wordCount')}, characters ${n('characterCount')}, average message ${avg} characters`,
    `channels ${channels.length}${channels.length ? ` (${channels.slice(0, 5).join(', ')}${channels.length > 5 ? ', …' : ''})` : ''}`,
    `busiest hour ${String(peakHour).padStart(2, '0')}:00 UTC, busiest day ${peakDay}`,
    `first seen ${typeof p.firstSeenAt === 'number' ? utcMinute(p.firstSeenAt) : '-'}, last message ${typeof p.lastMessageAt === 'number' ? utcMinute(p.lastMessageAt) : '-'}`,
  ].join('\n');
}
