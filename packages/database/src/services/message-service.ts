import { z } from 'zod';
import { keyId, newId, nowSeconds } from '../ids.js';
import type { Row, Where } from '../stores/store.js';
import { isUniqueViolation, parseInput, sanitizeRow, zId, zJsonObject, zLimit, zOffset, zText, type ServiceContext } from './context.js';
import { toRecord, type MessageRecord, type SenderType } from './record.js';
import { searchTerms } from './search-terms.js';

/** Longest `message_content` accepted, in characters. */
export const MAX_MESSAGE_CHARS = 1_000_000;

const zName = zText(200);
/** Largest unix-ms time a JS Date holds (year 275760): a later `timestamp` could be stored but not shown. */
export const MAX_DATE_MS = 8_640_000_000_000_000;
const zMillis = z.number().int().min(0).max(MAX_DATE_MS);
const zSender = z.enum(['human', 'ai', 'tool']);

/**
 * Row id of the human message of a platform message: deterministic (UUIDv5 of channel and platform
 * id), so a retry of the same message hits the primary key instead of storing a second row.
 */
export const humanMessageId = (channelId: string, messageId: string): string => keyId('messages', 'human', channelId, messageId);

/** Where a message was said: omega-bot's common fields of every save. */
const placeInput = {
  userId: zId,
  username: zName,
  channelId: zId,
  channelName: zName,
  guildId: zId.optional(),
  sessionId: zId.optional(),
};

const humanInput = z.object({
  ...placeInput,
  messageContent: zText(MAX_MESSAGE_CHARS),
  /** The chat platform's message id; kept in `metadata.messageId`. */
  messageId: zId,
  responseDecision: z.object({ shouldRespond: z.boolean(), confidence: z.number().finite(), reason: zText(10_000) }).optional(),
  metadata: zJsonObject.optional(),
  /** When the message was sent, unix ms (default now). */
  timestamp: zMillis.optional(),
});
/**
 * The row id to store, instead of a new UUIDv7 (optional, additive: omega-bot's callers never pass
 * it). A caller that derives it from what it handles (the bot: the platform message and the row's
 * role) makes a duplicate write collide on the primary key, on every backend and across processes.
 */
const zRowId = zId.optional();
const aiInput = z.object({ ...placeInput, messageContent: zText(MAX_MESSAGE_CHARS), parentMessageId: zId.optional(), metadata: zJsonObject.optional(), id: zRowId });
const toolInput = z.object({
  ...placeInput,
  id: zRowId,
  toolName: z.string().min(1).max(200),
  toolArgs: zJsonObject,
  toolResult: z.unknown(),
  parentMessageId: zId.optional(),
});
const queryInput = z
  .object({
    userId: zId.optional(),
    channelId: zId.optional(),
    senderType: zSender.optional(),
    limit: zLimit(100, 1000),
    offset: zOffset,
    /** Inclusive bounds on `timestamp`, unix ms. */
    startTime: zMillis.optional(),
    endTime: zMillis.optional(),
    searchText: z.string().max(100_000).optional(),
    /**
     * Additive (not in omega-bot's call): only messages whose `metadata` object holds each of these
     * top-level keys with exactly this scalar value (string, safe integer, boolean, null; types never
     * match across). Other shapes: INVALID_INPUT (stores/json-contains.ts). Combines with every filter and with search.
     */
    metadataContains: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
  })
  .prefault({});
const countInput = z.object({ userId: zId.optional(), channelId: zId.optional(), senderType: zSender.optional() }).prefault({});

/** Input of {@link MessageService.saveHumanMessage}. */
export type SaveHumanMessageInput = z.input<typeof humanInput>;
/** Input of {@link MessageService.saveAIMessage}. */
export type SaveAIMessageInput = z.input<typeof aiInput>;
/** Input of {@link MessageService.saveToolExecution}. */
export type SaveToolExecutionInput = z.input<typeof toolInput>;
/** Filters of {@link MessageService.queryMessages}. */
export type QueryMessagesInput = z.input<typeof queryInput>;
/** Filters of {@link MessageService.getMessageCount}. */
export type MessageCountInput = z.input<typeof countInput>;

/**
 * omega-bot's `messageService`: the conversation log (people, the bot, and the tools it ran).
 * Every method validates its input (DatabaseError `INVALID_INPUT`) and applies the text policy.
 */
export class MessageService {
  constructor(private readonly ctx: ServiceContext) {}

  /**
   * Saves a message a person sent (`sender_type` 'human'). The platform message id is kept in
   * `metadata.messageId`; `responseDecision` is stored as JSON. omega-bot's call: every call
   * stores a row; for a platform that retries, see {@link saveHumanMessageOnce}.
   * @returns the new row's id (UUIDv7). @throws DatabaseError `INVALID_INPUT`.
   */
  async saveHumanMessage(p: SaveHumanMessageInput): Promise<string> {
    const v = parseInput(humanInput, p, 'saveHumanMessage');
    return this.#insert('human', v, {
      message_content: v.messageContent,
      response_decision: v.responseDecision ?? null,
      metadata: { ...v.metadata, messageId: v.messageId },
      timestamp: v.timestamp,
    });
  }

  /**
   * {@link saveHumanMessage}, idempotent per platform message (what the bot uses): the row id is derived from
   * (`channelId`, `messageId`) (`keyId('messages', 'human', channelId, messageId)`), so a retry of
   * the same platform message is recognised by the primary key, on both backends and across bot
   * processes, and not stored twice.
   * @returns the row id, and `created: false` when the message was already stored (nothing written).
   * @throws DatabaseError `INVALID_INPUT`.
   */
  async saveHumanMessageOnce(p: SaveHumanMessageInput): Promise<{ id: string; created: boolean }> {
    const v = parseInput(humanInput, p, 'saveHumanMessage');
    const id = humanMessageId(v.channelId, v.messageId);
    try {
      await this.#insert(
        'human',
        v,
        { message_content: v.messageContent, response_decision: v.responseDecision ?? null, metadata: { ...v.metadata, messageId: v.messageId }, timestamp: v.timestamp },
        id,
      );
      return { id, created: true };
    } catch (e) {
      if (isUniqueViolation(e) && (await this.ctx.store.get('messages', id))) return { id, created: false };
      throw e;
    }
  }

  /**
   * The human message stored by {@link saveHumanMessageOnce} for a platform message (`channelId`,
   * `messageId`), or null: how a retry is recognised before anything is written. @throws DatabaseError `INVALID_INPUT`.
   */
  async findHumanMessage(p: { channelId: string; messageId: string }): Promise<MessageRecord | null> {
    const v = parseInput(z.object({ channelId: zId, messageId: zId }), p, 'findHumanMessage');
    const row = await this.ctx.store.get('messages', humanMessageId(v.channelId, v.messageId));
    return row && row.sender_type === 'human' && row.channel_id === v.channelId ? toRecord('messages', row) : null;
  }

  /**
   * The messages answering `parent` (a stored message): those of its channel with
   * `parent_message_id` = its id, stored since it (by `timestamp`, ms, from its `created_at` less
   * a minute of clock skew), oldest first, at most 100. Reads the (channel, timestamp) index.
   * @throws DatabaseError `INVALID_INPUT`.
   */
  async findAnswers(parent: Pick<MessageRecord, 'id' | 'channel_id' | 'created_at'>): Promise<MessageRecord[]> {
    const id = parseInput(zId, parent.id, 'findAnswers');
    const since = parent.created_at === null ? undefined : Math.max(0, (Number(parent.created_at) - 60) * 1000);
    const rows = await this.ctx.store.find(
      'messages',
      { channel_id: parent.channel_id ?? undefined, parent_message_id: id, timestamp: since === undefined ? undefined : { gte: since } },
      { orderBy: [['timestamp', 'asc'], ['id', 'asc']], limit: 100 },
    );
    return rows.map((r) => toRecord('messages', r));
  }

  /**
   * Saves the bot's reply (`sender_type` 'ai').
   * Optional `id` (additive, not omega-bot's: its calls never pass it): the row id to store instead
   * of a new UUIDv7; when a row with that id exists, the insert fails with the backend's
   * unique-key error and nothing is written (the bot derives it from the platform message, so a
   * duplicate reply collides).
   * @returns the row's id. @throws DatabaseError `INVALID_INPUT`; the backend's unique-key error for a taken `id`.
   */
  async saveAIMessage(p: SaveAIMessageInput): Promise<string> {
    const v = parseInput(aiInput, p, 'saveAIMessage');
    return this.#insert('ai', v, { message_content: v.messageContent, parent_message_id: v.parentMessageId ?? null, metadata: v.metadata ?? null }, v.id);
  }

  /**
   * Saves one tool run (`sender_type` 'tool', `message_content` = `Tool: <toolName>`, arguments
   * and result as JSON). Optional `id` (additive, never passed by omega-bot's calls): the row id
   * to store instead of a new UUIDv7, as for {@link saveAIMessage}.
   * @returns the row's id. @throws DatabaseError `INVALID_INPUT`; the backend's unique-key error for a taken `id`.
   */
  async saveToolExecution(p: SaveToolExecutionInput): Promise<string> {
    const v = parseInput(toolInput, p, 'saveToolExecution');
    return this.#insert(
      'tool',
      v,
      {
        message_content: `Tool: ${v.toolName}`,
        tool_name: v.toolName,
        tool_args: v.toolArgs,
        tool_result: v.toolResult ?? null,
        parent_message_id: v.parentMessageId ?? null,
      },
      v.id,
    );
  }

  async #insert(senderType: SenderType, place: { userId: string; username: string; channelId: string; channelName: string; guildId?: string | undefined; sessionId?: string | undefined }, fields: Row, id: string = newId()): Promise<string> {
    const now = nowSeconds();
    const row: Row = {
      id,
      sender_type: senderType,
      user_id: place.userId,
      username: place.username,
      channel_id: place.channelId,
      channel_name: place.channelName,
      guild_id: place.guildId ?? null,
      session_id: place.sessionId ?? null,
      ...fields,
      timestamp: fields.timestamp ?? Date.now(),
      created_at: now,
      updated_at: now,
      version: 1,
    };
    sanitizeRow(this.ctx, 'messages', row);
    await this.ctx.store.insert('messages', row);
    return String(row.id);
  }

  /**
   * Messages matching every given filter, newest first (`timestamp` DESC, then id DESC), after
   * `offset`, at most `limit` (default 100, at most 1000). `startTime` / `endTime` are inclusive
   * unix ms. With `searchText`: full-text search over `message_content`, `tool_name` and
   * `username`, every word required; any text is safe (quotes, operators, emoji, NUL: results or
   * `[]`, never a syntax error, see search-terms.ts), and text with no word gives `[]`. Unlike
   * omega-bot, which ignored the other filters when searching, the filters apply to the search too.
   * @throws DatabaseError `INVALID_INPUT`.
   */
  async queryMessages(p?: QueryMessagesInput): Promise<MessageRecord[]> {
    const v = parseInput(queryInput, p, 'queryMessages');
    const where: Where = {
      user_id: v.userId,
      channel_id: v.channelId,
      sender_type: v.senderType,
      timestamp: v.startTime !== undefined || v.endTime !== undefined ? { gte: v.startTime, lte: v.endTime } : undefined,
      metadata: v.metadataContains !== undefined ? { jsonContains: v.metadataContains } : undefined,
    };
    let rows: Row[];
    if (v.searchText !== undefined) {
      const terms = searchTerms(v.searchText);
      if (terms.length === 0) return [];
      rows = await this.ctx.store.searchMessages({ terms, where, limit: v.limit, offset: v.offset });
    } else {
      rows = await this.ctx.store.find('messages', where, { orderBy: [['timestamp', 'desc'], ['id', 'desc']], limit: v.limit, offset: v.offset });
    }
    return rows.map((r) => toRecord('messages', r));
  }

  /** One message by id, or null. @throws DatabaseError `INVALID_INPUT` (empty id). */
  async getMessageById(id: string): Promise<MessageRecord | null> {
    const row = await this.ctx.store.get('messages', parseInput(zId, id, 'getMessageById'));
    return row ? toRecord('messages', row) : null;
  }

  /** How many messages match the filters (all messages without any). @throws DatabaseError `INVALID_INPUT`. */
  async getMessageCount(p?: MessageCountInput): Promise<number> {
    const v = parseInput(countInput, p, 'getMessageCount');
    return this.ctx.store.count('messages', { user_id: v.userId, channel_id: v.channelId, sender_type: v.senderType });
  }
}
