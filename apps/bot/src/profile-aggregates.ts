import type { ProfileChanges, UserProfile } from '@repo/database';
import { countWords } from './commands/parse.js';

/** What one handled message contributes to its author's profile aggregates. */
export interface ActivityEvent {
  readonly username: string;
  readonly channelId: string;
  readonly content: string;
  /** When the message was sent, unix s. Hour and weekday are taken in UTC. */
  readonly timestamp: number;
  readonly isCommand: boolean;
  readonly isSearch: boolean;
  readonly documentCreated: boolean;
}

/** `getUTCDay()` index → weekday suffix of `activity_<weekday>`. */
const WEEKDAY_BY_UTC_DAY = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
/** Most channels kept in `channels_active` (the newest ones). */
export const MAX_CHANNELS_ACTIVE = 200;

const num = (p: UserProfile | null, key: string): number => {
  const v = p?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
};

/**
 * The patch (snake_case profile columns, see `schema/user-profile-columns.ts`) that adds one
 * message to `current`: message/command/search/document/word/character counts,
 * avg_message_length (characters per message), first_seen_at/last_seen_at/last_message_at (unix s),
 * channels_active, activity_hour_HH and activity_<weekday> of the message time, peak_hour and
 * peak_weekday. Pure: used inside `userProfileService.modifyUserProfile`, which retries it on a
 * concurrent update.
 */
export function activityPatch(current: UserProfile | null, ev: ActivityEvent): Record<string, unknown> {
  const date = new Date(ev.timestamp * 1000);
  const hourKey = `activity_hour_${String(date.getUTCHours()).padStart(2, '0')}`;
  const dayKey = `activity_${WEEKDAY_BY_UTC_DAY[date.getUTCDay()]!}`;
  const messageCount = num(current, 'messageCount') + 1;
  const characterCount = num(current, 'characterCount') + [...ev.content].length;
  const channels = Array.isArray(current?.channelsActive) ? (current.channelsActive as unknown[]).filter((c): c is string => typeof c === 'string') : [];
  const firstSeen = typeof current?.firstSeenAt === 'number' ? Math.min(current.firstSeenAt, ev.timestamp) : ev.timestamp;
  const lastSeen = typeof current?.lastSeenAt === 'number' ? Math.max(current.lastSeenAt, ev.timestamp) : ev.timestamp;
  const lastMessage = typeof current?.lastMessageAt === 'number' ? Math.max(current.lastMessageAt, ev.timestamp) : ev.timestamp;

  const hours = Array.from({ length: 24 }, (_, h) => num(current, `activityHour${String(h).padStart(2, '0')}`));
  hours[date.getUTCHours()]! += 1;
  const days = WEEKDAY_BY_UTC_DAY.map((d) => num(current, `activity${d[0]!.toUpperCase()}${d.slice(1)}`));
  days[date.getUTCDay()]! += 1;

  return {
    username: ev.username,
    message_count: messageCount,
    command_count: num(current, 'commandCount') + (ev.isCommand ? 1 : 0),
    search_count: num(current, 'searchCount') + (ev.isSearch ? 1 : 0),
    document_count: num(current, 'documentCount') + (ev.documentCreated ? 1 : 0),
    word_count: num(current, 'wordCount') + countWords(ev.content),
    character_count: characterCount,
    avg_message_length: Math.round((characterCount / messageCount) * 100) / 100,
    first_seen_at: firstSeen,
    last_seen_at: lastSeen,
    last_message_at: lastMessage,
    channels_active: channels.includes(ev.channelId) ? channels : [...channels, ev.channelId].slice(-MAX_CHANNELS_ACTIVE),
    [hourKey]: hours[date.getUTCHours()],
    [dayKey]: days[date.getUTCDay()],
    peak_hour: hours.indexOf(Math.max(...hours)),
    peak_weekday: WEEKDAY_BY_UTC_DAY[days.indexOf(Math.max(...days))],
  };
}

/** `message_count` values at which the bot snapshots a profile: 1, 10, 25, 50, then every 100. */
export function isMessageMilestone(n: number): boolean {
  return n === 1 || n === 10 || n === 25 || n === 50 || (n > 0 && n % 100 === 0);
}

/**
 * Whether an activity update is worth a `user_analysis_history` entry: the profile is new, its
 * peak hour or weekday moved, or its message count reached a milestone ({@link isMessageMilestone}).
 * Other per-message counter bumps are not history. `changes` is camelCase, as the service gives it.
 */
export function isAnalysisChange(changes: ProfileChanges): boolean {
  if ('peakHour' in changes || 'peakWeekday' in changes) return true;
  const to = changes.messageCount?.to;
  return typeof to === 'number' && isMessageMilestone(to);
}
