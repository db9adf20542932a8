import { idProblem, newId, type Database, type Logger, type MessageRecord } from '@repo/database';
import { z } from 'zod';
import { recordMilestone } from './analysis-milestones.js';
import { commandLabel, parseMessage, runCommand, type CommandContext } from './commands/index.js';
import { insertOnce, rowIdOf } from './commands/row-ids.js';

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
  /**
   * True when this platform message (`channelId`, `messageId`) had been handled already, or was
   * answered by another copy of it in flight at the same time: this request stored no reply, and
   * the stored reply and ids are returned (`analysisId` only by the copy that recorded it).
   */
  readonly replayed?: true;
}

/**
 * The stored answer of a handled message: the reply as it was, with the ids stored then. The
 * `!search` records are found by their derived ids (`rowIdOf`), so only this message's are.
 */
async function replayOf(db: Database, msg: IncomingMessage, humanId: string, reply: MessageRecord, durationMs: number, analysisId: string | null = null): Promise<HandledMessage> {
  let meta: { command?: string | null; hits?: number } = {};
  try {
    meta = (JSON.parse(reply.metadata ?? '{}') as typeof meta | null) ?? {};
  } catch {
    // a reply whose metadata is unreadable still replays its text and ids
  }
  const parsed = parseMessage(msg.content);
  const search = parsed.kind === 'command' && parsed.name === 'search';
  const tool = search ? await db.messageService.getMessageById(rowIdOf(humanId, 'tool')) : null;
  const query = search ? await db.queryService.getQueryById(rowIdOf(humanId, 'query')) : null;
  return {
    reply: reply.message_content ?? '',
    messageId: humanId,
    replyId: reply.id,
    ...(tool ? { toolId: tool.id } : {}),
    ...(query ? { queryId: query.id } : {}),
    ...(analysisId !== null ? { analysisId } : {}),
    durationMs,
    command: meta.command ?? commandLabel(parsed),
    ...(typeof meta.hits === 'number' ? { hits: meta.hits } : {}),
    replayed: true,
  };
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
 *
 * Idempotent per platform message (`channelId`, `messageId`), however many copies of it run at once
 * and on whichever replica: every row it writes has an id derived from it and the row's role: the
 * human message `humanMessageId(channelId, messageId)` (`saveHumanMessageOnce`), the reply, the
 * `!search` tool execution and query record, the `!doc new` document `rowIdOf(humanId, role)`
 * (UUIDv5). A second write of one collides on the primary key and is taken as done by the other
 * copy: its row is read back and used. So:
 * - a retry of a message already answered stores nothing and returns the stored reply and ids
 *   (`replayed: true`); so does a copy in flight at once whose reply lost the race;
 * - `message_count` is incremented only by the copy whose insert stored the human message (at most
 *   once: an attempt that died between the two is not counted), and only that copy records a milestone;
 * - a retry of an attempt that stopped midway (a backend died between writes) resumes it: the tool
 *   execution, query record and document that attempt stored are reused, not stored again.
 * Without a `messageId` from the platform every request is a new message. Rows stored by a bot
 * version before derived ids are not recognised as this message's.
 * @throws DatabaseError `INVALID_INPUT` from the services; backend errors as the driver throws them.
 */
export async function handleMessage(db: Database, log: Logger, msg: IncomingMessage): Promise<HandledMessage> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const parsed = parseMessage(msg.content);
  const command = commandLabel(parsed);
  const place = { channelId: msg.channelId, channelName: msg.channelName ?? msg.channelId, guildId: msg.guildId, sessionId: msg.sessionId };

  // A retry of a platform message already answered: the stored answer, nothing written.
  if (msg.messageId !== undefined) {
    const prior = await db.messageService.findHumanMessage({ channelId: msg.channelId, messageId: msg.messageId });
    const reply = prior ? await db.messageService.getMessageById(rowIdOf(prior.id, 'reply')) : null;
    if (prior && reply) return replayOf(db, msg, prior.id, reply, elapsed());
  }

  await db.userProfileService.getOrCreateUserProfile(msg.userId, msg.username);
  const saved = await db.messageService.saveHumanMessageOnce({
    userId: msg.userId,
    username: msg.username,
    ...place,
    messageContent: msg.content,
    messageId: msg.messageId ?? newId(),
    responseDecision: { shouldRespond: true, confidence: 1, reason: command === null ? 'chat: the bot acknowledges every message' : `command !${command}` },
    timestamp: msg.timestamp,
  });
  const humanId = saved.id;
  const replyRowId = rowIdOf(humanId, 'reply');
  if (saved.created) {
    await db.userProfileService.incrementMessageCount(msg.userId);
  } else {
    // Stored by another copy (an earlier attempt, or one running right now), which counts it.
    // Answered already: its answer. Else go on: every write below collides with what it stored.
    const reply = await db.messageService.getMessageById(replyRowId);
    if (reply) return replayOf(db, msg, humanId, reply, elapsed());
  }

  const ctx: CommandContext = { db, userId: msg.userId, username: msg.username, ...place, messageId: humanId };
  const result = await runCommand(parsed, ctx, msg.content);
  const stored = await insertOnce(
    () =>
      db.messageService.saveAIMessage({
        id: replyRowId,
        userId: BOT_USER.userId,
        username: BOT_USER.username,
        ...place,
        messageContent: result.reply,
        parentMessageId: humanId,
        metadata: { command, success: result.success, error: result.error, ...(result.hits !== undefined ? { hits: result.hits } : {}) },
      }),
    async () => ((await db.messageService.getMessageById(replyRowId)) ? replyRowId : null),
  );
  const replyId = stored.row;
  const durationMs = elapsed();
  // Only the copy that counted the message looks for a milestone, so one is recorded once.
  const analysisId = saved.created ? await recordMilestone(db, msg.userId) : null;
  if (!stored.created) {
    // Another copy in flight stored its reply first: the stored answer, so every copy answers alike.
    const reply = await db.messageService.getMessageById(replyRowId);
    if (reply) return replayOf(db, msg, humanId, reply, durationMs, analysisId);
  }

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
