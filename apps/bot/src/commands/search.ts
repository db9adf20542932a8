import { describeError, redact, searchTerms, type MessageRecord } from '@repo/database';
import { plural, snippet, utcMinuteMs } from './format.js';
import { parseMessage } from './parse.js';
import { insertOnce, rowIdOf } from './row-ids.js';
import { failed, ok, type CommandContext, type CommandResult } from './types.js';

/** How many hits a `!search` reply lists. */
export const SEARCH_REPLY_HITS = 5;
/** How many candidates `queryMessages` returns before commands and the search itself are left out. */
export const SEARCH_CANDIDATES = 50;
/** `toolName` of the tool execution a `!search` records. */
export const SEARCH_TOOL = 'search';

/**
 * `!search <words>`: full-text search over this channel's people's messages, newest first:
 * `messageService.queryMessages({ channelId, senderType: 'human', searchText, limit })`, which
 * takes any text safely (every word must match). Commands and the asking message itself are left
 * out, so a search never finds itself; bot replies and tool rows are not `human`.
 *
 * The search is recorded twice, as omega-bot records its tools and queries: a `tool` message
 * (`saveToolExecution`, `toolArgs { query }`, `toolResult { ids, count }`, parent = the asking
 * message) and a query record (`queryService.saveQuery`: `queryText`, `queryResult` JSON text
 * `{ channelId, ids, count }`, `resultCount`, `executionTimeMs` = the search's own time in ms).
 * No search words: a usage reply, nothing recorded. When the search itself fails, a query record
 * with `error` is attempted and the error is thrown on (the request answers 5xx).
 *
 * Both records have ids derived from the asking message (`rowIdOf(messageId, 'tool' | 'query')`;
 * the failed search's record `'query-error'`): a second copy of the same platform message (a retry,
 * or one in flight at once) collides on them and uses the rows the first stored, so each is stored once.
 */
export async function searchCommand(ctx: CommandContext, args: string): Promise<CommandResult> {
  if (searchTerms(args).length === 0) {
    return failed('Usage: !search <words> finds earlier messages in this channel that contain every word.', 'USAGE', 'no search words');
  }
  const started = performance.now();
  let rows: MessageRecord[];
  try {
    rows = await ctx.db.messageService.queryMessages({ channelId: ctx.channelId, senderType: 'human', searchText: args, limit: SEARCH_CANDIDATES });
  } catch (e) {
    const d = describeError(e);
    await ctx.db.queryService
      .saveQuery({ id: rowIdOf(ctx.messageId, 'query-error'), userId: ctx.userId, username: ctx.username, queryText: args, error: redact(`${d.code}: ${d.message}`), executionTimeMs: Math.round(performance.now() - started) })
      .catch(() => {}); // the search's own error is the one to report (one stored already by another copy included)
    throw e;
  }
  const executionTimeMs = Math.round(performance.now() - started);
  const hits = rows.filter((m) => m.id !== ctx.messageId && parseMessage(m.message_content).kind === 'chat');
  const ids = hits.map((m) => m.id);

  // Derived ids: what another copy of this message stored already (a retry, one in flight at once) is used, not stored twice.
  const toolRowId = rowIdOf(ctx.messageId, 'tool');
  const { row: toolId } = await insertOnce(
    () =>
      ctx.db.messageService.saveToolExecution({
        id: toolRowId,
        userId: ctx.userId,
        username: ctx.username,
        channelId: ctx.channelId,
        channelName: ctx.channelName,
        guildId: ctx.guildId,
        sessionId: ctx.sessionId,
        toolName: SEARCH_TOOL,
        toolArgs: { query: args },
        toolResult: { ids, count: ids.length },
        parentMessageId: ctx.messageId,
      }),
    async () => ((await ctx.db.messageService.getMessageById(toolRowId)) ? toolRowId : null),
  );
  const queryRowId = rowIdOf(ctx.messageId, 'query');
  const { row: queryId } = await insertOnce(
    () =>
      ctx.db.queryService.saveQuery({
        id: queryRowId,
        userId: ctx.userId,
        username: ctx.username,
        queryText: args,
        translatedSql: undefined,
        queryResult: JSON.stringify({ channelId: ctx.channelId, ids, count: ids.length }),
        resultCount: ids.length,
        executionTimeMs,
      }),
    async () => ((await ctx.db.queryService.getQueryById(queryRowId)) ? queryRowId : null),
  );

  const quoted = snippet(args, 60);
  if (hits.length === 0) return ok(`No messages in this channel match "${quoted}".`, { hits: 0, toolId, queryId });
  const shown = hits.slice(0, SEARCH_REPLY_HITS);
  const more = hits.length > shown.length ? ` (showing ${shown.length})` : '';
  const lines = shown.map((m, i) => `${i + 1}. ${m.username ?? m.user_id ?? '?'}, ${utcMinuteMs(m.timestamp)}: "${snippet(m.message_content)}"`);
  return ok([`Found ${plural(hits.length, 'message')} matching "${quoted}"${more}:`, ...lines].join('\n'), { hits: hits.length, toolId, queryId });
}
