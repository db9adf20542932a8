import { idProblem, newId, type Database, type Logger } from '@repo/database';
import { z } from 'zod';
import { recordMilestone } from './analysis-milestones.js';
import { commandLabel, parseMessage, runCommand, type CommandContext } from './commands/index.js';

/** Who the bot's own (`ai`) messages are stored as. */
export const BOT_USER = { userId: 'bot', username: 'bot' } as const;

/**
 * An id field of the request (userId, channelId, guildId, messageId, sessionId): trimmed, 1–200
 * characters, and under the data layer's id policy (`idProblem`): one holding U+0000, a lone
 * surrogate or a control character is answered 400 naming the field, before anything is written
 * (ids are keys, never sanitised into another key). Free text (username, channelName, content)
 * follows the text policy instead: NUL stripped, lone surrogates replaced, logged.
 */
const id = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(200)
  .superRefine((s, ctx) => {
    const why = idProblem(s);
    if (why) ctx.addIssue({ code: 'custom', message: `is no valid id: it ${why}` });
  });
/** Earliest accepted `timestamp`, unix ms (1973-03-03): a value below it is almost surely unix seconds. */
export const MIN_TIMESTAMP_MS = 100_000_000_000;

/**
 * Body of `POST /messages`: what the chat platform sends for one message.
 * - `channelName` defaults to `channelId`; `guildId` is unset for a direct message.
 * - `messageId` is the platform's id of the message (default: a generated UUIDv7); the data layer
 *   keeps it in the stored message's `metadata.messageId`.
 * - `sessionId`: the conversation session, when the platform groups messages into one.
 * - `timestamp`: when it was sent, unix **milliseconds** (omega-bot's unit), default now.
 */
export const messageBody = z.object({
  userId: id,
  username: z.string().trim().min(1, 'must not be empty').max(200),
  channelId: id,
  channelName: z.string().trim().min(1, 'must not be empty').max(200).optional(),
  guildId: id.optional(),
  messageId: id.optional(),
  sessionId: id.optional(),
  content: z.string().min(1, 'must not be empty').max(100_000),
  timestamp: z
    .number()
    .int()
    .min(MIN_TIMESTAMP_MS, 'must be unix milliseconds (this looks like seconds)')
    .max(253_402_300_799_999)
    .optional(),
});
/** A validated incoming message. */
export type IncomingMessage = z.output<typeof messageBody>;

/** The answer to one message (the JSON body of `POST /messages`). */
export interface HandledMessage {
  readonly reply: string;
  /** Id of the stored human message (the row's id; the platform's id is the request's `messageId`). */
  readonly messageId: string;
  /** Id of the stored `ai` reply (its `parent_message_id` is `messageId`). */
  readonly replyId: string;
  /** `!search` only: id of the `tool` message that records the search. */
  readonly toolId?: string;
  /** `!search` only: id of the query record. */
  readonly queryId?: string;
  /** Id of the `user_analysis_history` row when this message brought the author's count to a milestone. */
  readonly analysisId?: string;
  /** Time to answer, in ms: from receiving the message to the reply being stored. */
  readonly durationMs: number;
  /** `search`, `doc`, `profile`, `help`, `unknown`, or null for plain chat. */
  readonly command: string | null;
  /** For `!search`: how many messages matched. */
  readonly hits?: number;
}

/**
 * The message pipeline, in omega-bot's order:
 * 1. `userProfileService.getOrCreateUserProfile(userId, username)`;
 * 2. `messageService.saveHumanMessage` (channel name, guild, session, the platform's message id,
 *    `responseDecision { shouldRespond: true, confidence: 1, reason }`: this bot answers everything);
 * 3. `userProfileService.incrementMessageCount(userId)`;
 * 4. the answer: a command (`!search` also stores a tool execution and a query record) or chat;
 * 5. `messageService.saveAIMessage` with `parentMessageId` = the human message and metadata
 *    `{ command, success, error, hits? }` (a command that could not do what was asked is answered
 *    and recorded there with `success: false, error: 'CODE: …'`);
 * 6. at a `message_count` milestone, `saveAnalysisHistory` (see `recordMilestone`).
 * A backend failure is thrown, so the HTTP layer answers 5xx.
 * @throws DatabaseError `INVALID_INPUT` from the services; backend errors as the driver throws them.
 */
export async function handleMessage(db: Database, log: Logger, msg: IncomingMessage): Promise<HandledMessage> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const parsed = parseMessage(msg.content);
  const command = commandLabel(parsed);
  const place = { channelId: msg.channelId, channelName: msg.channelName ?? msg.channelId, guildId: msg.guildId, sessionId: msg.sessionId };

  await db.userProfileService.getOrCreateUserProfile(msg.userId, msg.username);
  const humanId = await db.messageService.saveHumanMessage({
    userId: msg.userId,
    username: msg.username,
    ...place,
    messageContent: msg.content,
    messageId: msg.messageId ?? newId(),
    responseDecision: { shouldRespond: true, confidence: 1, reason: command === null ? 'chat: the bot acknowledges every message' : `command !${command}` },
    timestamp: msg.timestamp,
  });
  await db.userProfileService.incrementMessageCount(msg.userId);

  const ctx: CommandContext = { db, userId: msg.userId, username: msg.username, ...place, messageId: humanId };
  const result = await runCommand(parsed, ctx, msg.content);
  const replyId = await db.messageService.saveAIMessage({
    userId: BOT_USER.userId,
    username: BOT_USER.username,
    ...place,
    messageContent: result.reply,
    parentMessageId: humanId,
    metadata: { command, success: result.success, error: result.error, ...(result.hits !== undefined ? { hits: result.hits } : {}) },
  });
  const durationMs = elapsed();
  const analysisId = await recordMilestone(db, msg.userId);

  log.debug(
    { event: 'message_handled', messageId: humanId, replyId, toolId: result.toolId, queryId: result.queryId, analysisId, userId: msg.userId, channelId: msg.channelId, command, success: result.success, error: result.error, durationMs, totalMs: elapsed() },
    'message handled',
  );
  return {
    reply: result.reply,
    messageId: humanId,
    replyId,
    ...(result.toolId !== undefined ? { toolId: result.toolId } : {}),
    ...(result.queryId !== undefined ? { queryId: result.queryId } : {}),
    ...(analysisId !== null ? { analysisId } : {}),
    durationMs,
    command,
    ...(result.hits !== undefined ? { hits: result.hits } : {}),
  };
}
