import { describeError, nowSeconds, redact, type Database, type Logger } from '@repo/database';
import { z } from 'zod';
import { commandLabel, parseMessage, runCommand, type CommandResult } from './commands/index.js';
import { activityPatch, isAnalysisChange } from './profile-aggregates.js';

/** Who the bot's own messages are stored as. */
export const BOT_USER = { userId: 'bot', username: 'bot' } as const;

const id = z.string().trim().min(1, 'must not be empty').max(200);

/**
 * Body of `POST /messages`: what the chat platform sends for one message.
 * `timestamp` (unix s, default now) and `externalId` (the platform's snowflake, digits) are optional.
 */
export const messageBody = z.object({
  userId: id,
  username: z.string().trim().min(1, 'must not be empty').max(200),
  channelId: id,
  content: z.string().min(1, 'must not be empty').max(100_000),
  timestamp: z.number().int().min(0).max(253_402_300_799).optional(),
  externalId: z.string().regex(/^\d{1,19}$/, 'must be a string of at most 19 digits').optional(),
});
/** A validated incoming message. */
export type IncomingMessage = z.output<typeof messageBody>;

/** The answer to one message (the JSON body of `POST /messages`). */
export interface HandledMessage {
  readonly reply: string;
  /** Id of the stored human message. */
  readonly messageId: string;
  /** Id of the stored bot reply. */
  readonly replyId: string;
  /** Id of the query record. */
  readonly queryId: string;
  /** Time to answer, in ms: from receiving the message to the reply being stored. Also stored on the query record. */
  readonly durationMs: number;
  /** `search`, `doc`, `profile`, `help`, `unknown`, or null for plain chat. */
  readonly command: string | null;
  /** For `!search`: how many messages matched. */
  readonly hits?: number;
}

/**
 * The message pipeline: saves the human message, answers it (command or chat), saves the bot's
 * reply (metadata `{ replyTo, command }`), records the query (duration in ms, success/error) and
 * adds the message to the author's profile aggregates (analysis history only when a peak moves or
 * a message-count milestone is reached: see `isAnalysisChange`).
 *
 * Document errors are answered (`success: false` on the query record). A backend failure is
 * recorded as a failed query when possible and then thrown, so the HTTP layer answers 500.
 * @throws DatabaseError `INVALID_INPUT` from the services; backend errors as the driver throws them.
 */
export async function handleMessage(db: Database, log: Logger, msg: IncomingMessage): Promise<HandledMessage> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const timestamp = msg.timestamp ?? nowSeconds();
  const human = await db.messageService.saveHumanMessage({
    userId: msg.userId,
    username: msg.username,
    channelId: msg.channelId,
    content: msg.content,
    timestamp,
    ...(msg.externalId !== undefined ? { externalId: msg.externalId } : {}),
  });
  const parsed = parseMessage(msg.content);
  const command = commandLabel(parsed);

  let result: CommandResult;
  try {
    result = await runCommand(parsed, { db, userId: msg.userId, username: msg.username, channelId: msg.channelId, messageId: human.id }, msg.content);
  } catch (e) {
    const d = describeError(e);
    await db.queryService
      .saveQuery({ userId: msg.userId, channelId: msg.channelId, query: msg.content, durationMs: elapsed(), success: false, error: redact(`${d.code}: ${d.message}`), metadata: { command, messageId: human.id } })
      .catch((err: unknown) => log.warn({ event: 'query_record_failed', messageId: human.id, error: describeError(err).message }, 'could not record the failed query'));
    throw e;
  }

  const reply = await db.messageService.saveBotMessage({
    userId: BOT_USER.userId,
    username: BOT_USER.username,
    channelId: msg.channelId,
    content: result.reply,
    timestamp,
    metadata: { replyTo: human.id, command },
  });
  const durationMs = elapsed();
  const query = await db.queryService.saveQuery({
    userId: msg.userId,
    channelId: msg.channelId,
    query: msg.content,
    response: result.reply,
    durationMs,
    success: result.success,
    error: result.error,
    metadata: { command, messageId: human.id, replyId: reply.id, ...(result.hits !== undefined ? { hits: result.hits } : {}) },
  });
  await db.userProfileService.modifyUserProfile(
    msg.userId,
    (current) =>
      activityPatch(current, {
        username: msg.username,
        channelId: msg.channelId,
        content: msg.content,
        timestamp,
        isCommand: command !== null,
        isSearch: command === 'search',
        documentCreated: result.documentCreated === true,
      }),
    { history: isAnalysisChange, source: 'activity' },
  );

  log.debug(
    { event: 'message_handled', messageId: human.id, replyId: reply.id, queryId: query.id, userId: msg.userId, channelId: msg.channelId, command, success: result.success, error: result.error, durationMs, totalMs: elapsed() },
    'message handled',
  );
  return { reply: result.reply, messageId: human.id, replyId: reply.id, queryId: query.id, durationMs, command, ...(result.hits !== undefined ? { hits: result.hits } : {}) };
}
