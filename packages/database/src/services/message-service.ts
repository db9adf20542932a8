import { z } from 'zod';
import { newId, nowSeconds } from '../ids.js';
import { camelRow } from './case.js';
import { parseInput, sanitizeRow, zId, zJsonObject, zLimit, type ServiceContext } from './context.js';
import { searchTerms } from './search-terms.js';

/** A stored message. `timestamp`, `createdAt`, `updatedAt` are unix seconds. */
export interface Message {
  id: string;
  userId: string;
  username: string;
  channelId: string;
  role: 'human' | 'bot';
  content: string;
  /** The chat platform's own id (a snowflake), exact, as a string of digits. */
  externalId: string | null;
  metadata: Record<string, unknown>;
  timestamp: number;
  createdAt: number;
  updatedAt: number;
  version: number;
}

const saveInput = z.object({
  userId: zId,
  username: z.string().max(200),
  channelId: zId,
  content: z.string().max(1_000_000),
  metadata: zJsonObject.optional(),
  /** When the message was sent, unix s (default now). */
  timestamp: z.number().int().min(0).optional(),
  externalId: z.union([z.string().regex(/^-?\d{1,19}$/), z.bigint()]).optional(),
});
/** Input of `saveHumanMessage` / `saveBotMessage`. */
export type SaveMessageInput = z.input<typeof saveInput>;

const flatValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const recentInput = z
  .object({
    channelId: zId.optional(),
    userId: zId.optional(),
    limit: zLimit(50, 1000),
    /** Flat containment: `{ topic: 'billing' }` keeps messages whose metadata.topic is 'billing'. */
    metadata: z.record(z.string().min(1).max(100), flatValue).optional(),
  })
  .refine((v) => v.channelId !== undefined || v.userId !== undefined, 'channelId or userId is required');

const searchInput = z
  .object({
    query: z.string(),
    userId: zId.optional(),
    channelId: zId.optional(),
    limit: zLimit(20, 200),
  })
  .refine((v) => v.channelId !== undefined || v.userId !== undefined, 'channelId or userId is required (reads are scoped)');

/** Messages: save, recent, full-text search, metadata filter. */
export class MessageService {
  constructor(private readonly ctx: ServiceContext) {}

  /** Saves a message a person sent. @throws DatabaseError `INVALID_INPUT`. */
  saveHumanMessage(input: SaveMessageInput): Promise<Message> {
    return this.#save('human', input);
  }

  /** Saves the bot's own message. @throws DatabaseError `INVALID_INPUT`. */
  saveBotMessage(input: SaveMessageInput): Promise<Message> {
    return this.#save('bot', input);
  }

  async #save(role: 'human' | 'bot', input: SaveMessageInput): Promise<Message> {
    const v = parseInput(saveInput, input, role === 'human' ? 'saveHumanMessage' : 'saveBotMessage');
    const now = nowSeconds();
    const row: Record<string, unknown> = {
      id: newId(),
      user_id: v.userId,
      username: v.username,
      channel_id: v.channelId,
      role,
      content: v.content,
      external_id: v.externalId === undefined ? null : String(v.externalId),
      metadata: v.metadata ?? {},
      timestamp: v.timestamp ?? now,
      created_at: now,
      updated_at: now,
      version: 1,
    };
    sanitizeRow(this.ctx, 'messages', row, ['username', 'content', 'metadata']);
    return camelRow<Message>(await this.ctx.store.insert('messages', row));
  }

  /** Newest first (by timestamp, then id), for a channel and/or a user, optionally filtered by metadata. */
  async getRecentMessages(input: z.input<typeof recentInput>): Promise<Message[]> {
    const v = parseInput(recentInput, input, 'getRecentMessages');
    const rows = await this.ctx.store.recentMessages(v);
    return rows.map((r) => camelRow<Message>(r));
  }

  /**
   * Full-text search; every word must match. Safe for any input: quotes, `-`, `NOT`, `col:x`,
   * emoji, NUL or 10k characters give results or `[]`, never an error (see search-terms.ts).
   * @throws DatabaseError `INVALID_INPUT` when neither `userId` nor `channelId` is given.
   */
  async searchMessages(input: z.input<typeof searchInput>): Promise<Message[]> {
    const v = parseInput(searchInput, input, 'searchMessages');
    const terms = searchTerms(v.query);
    if (terms.length === 0) return [];
    const rows = await this.ctx.store.searchMessages({ terms, userId: v.userId, channelId: v.channelId, limit: v.limit });
    return rows.map((r) => camelRow<Message>(r));
  }
}
