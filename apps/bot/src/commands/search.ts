import { searchTerms } from '@repo/database';
import { snippet, utcMinute, plural } from './format.js';
import { parseMessage } from './parse.js';
import { failed, ok, type CommandContext, type CommandResult } from './types.js';

/** How many hits a `!search` reply lists. */
export const SEARCH_REPLY_HITS = 5;
/** How many candidates are fetched before commands, bot replies and the search itself are left out. */
const CANDIDATES = 50;

/**
 * `!search <words>`: full-text search over this channel's history (every word must match,
 * newest first, via `messageService.searchMessages`). Lists up to {@link SEARCH_REPLY_HITS}
 * people's messages; commands and bot replies are left out, so a search never finds itself.
 */
export async function searchCommand(ctx: CommandContext, args: string): Promise<CommandResult> {
  if (searchTerms(args).length === 0) {
    return failed('Usage: !search <words> finds earlier messages in this channel that contain every word.', 'USAGE', 'no search words');
  }
  const rows = await ctx.db.messageService.searchMessages({ query: args, channelId: ctx.channelId, limit: CANDIDATES });
  const hits = rows.filter((m) => m.id !== ctx.messageId && m.role === 'human' && parseMessage(m.content).kind === 'chat');
  const quoted = snippet(args, 60);
  if (hits.length === 0) return ok(`No messages in this channel match "${quoted}".`, { hits: 0 });
  const shown = hits.slice(0, SEARCH_REPLY_HITS);
  const more = hits.length > shown.length ? ` (showing ${shown.length})` : '';
  const lines = shown.map((m, i) => `${i + 1}. ${m.username}, ${utcMinute(m.timestamp)}: "${snippet(m.content)}"`);
  return ok([`Found ${plural(hits.length, 'message')} matching "${quoted}"${more}:`, ...lines].join('\n'), { hits: hits.length });
}
