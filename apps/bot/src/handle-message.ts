import { idProblem, newId, type Database, type Logger, type MessageRecord } from '@repo/database';
import { z } from 'zod';
import { recordMilestone } from './analysis-milestones.js';
import { commandLabel, parseMessage, runCommand, type CommandContext } from './commands/index.js';
import { findRecordedQuery } from './commands/search.js';

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
   * True when this platform message (`channelId`, `messageId`) had been handled already: nothing
   * was stored again, and the stored reply and ids are returned (`analysisId` is not repeated).
   */
  readonly replayed?: true;
}

/** The stored answer of a handled message: the reply as it was, with the ids stored then. */
async function replayOf(db: Database, msg: IncomingMessage, human: MessageRecord, answers: readonly MessageRecord[], reply: MessageRecord, durationMs: number): Promise<HandledMessage> {
  let meta: { command?: string | null; hits?: number } = {};
  try {
    meta = (JSON.parse(reply.metadata ?? '{}') as typeof meta | null) ?? {};
  } catch {
    // a reply whose metadata is unreadable still replays its text and ids
  }
  const parsed = parseMessage(msg.content);
  const tool = answers.find((a) => a.sender_type === 'tool');
  const query = parsed.kind === 'command' && parsed.name === 'search' ? await findRecordedQuery(db, msg.userId, msg.channelId, parsed.args, humanSinceMs(human)) : null;
  return {
    reply: reply.message_content ?? '',
    messageId: human.id,
    replyId: reply.id,
    ...(tool ? { toolId: tool.id } : {}),
    ...(query ? { queryId: query.id } : {}),
    durationMs,
    command: meta.command ?? commandLabel(parsed),
    ...(typeof meta.hits === 'number' ? { hits: meta.hits } : {}),
    replayed: true,
  };
}

/** When a human message was stored, unix ms, less a minute of clock skew (records of its handling are not older). */
const humanSinceMs = (human: MessageRecord): number => Math.max(0, (Number(human.created_at ?? 0) - 60) * 1000);

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
 * Idempotent per platform message (`channelId`, `messageId`): the human message's id is derived
 * from them (`saveHumanMessageOnce`). A retry of a message already answered stores nothing and
 * returns the stored reply and ids (`replayed: true`); a retry of an attempt that stopped midway
 * (a backend died between writes) resumes it: the count is not incremented again, and the tool
 * execution, query record and `!doc new` document that attempt stored are reused, not stored again.
 * Without a `messageId` from the platform every request is a new message.
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
    if (prior) {
      const answers = await db.messageService.findAnswers(prior);
      const reply = answers.find((a) => a.sender_type === 'ai');
      if (reply) return replayOf(db, msg, prior, answers, reply, elapsed());
    }
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
  let resume: CommandContext['resume'];
  if (saved.created) {
    await db.userProfileService.incrementMessageCount(msg.userId);
  } else {
    // Stored by an earlier attempt that stopped before its reply (or one running right now):
    // counted once already (at most once: an attempt that died between the two is not counted);
    // resume with what it stored, so nothing is stored twice.
    const human = (await db.messageService.getMessageById(humanId))!;
    const answers = await db.messageService.findAnswers(human);
    const reply = answers.find((a) => a.sender_type === 'ai');
    if (reply) return replayOf(db, msg, human, answers, reply, elapsed());
    resume = { answers, sinceMs: humanSinceMs(human) };
  }

  const ctx: CommandContext = { db, userId: msg.userId, username: msg.username, ...place, messageId: humanId, ...(resume ? { resume } : {}) };
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
