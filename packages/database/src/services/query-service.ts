import { z } from 'zod';
import { newId, nowSeconds } from '../ids.js';
import { parseJsonExact } from '../json-exact.js';
import type { Row } from '../stores/store.js';
import { parseInput, sanitizeRow, zId, zLimit, zOffset, zText, type ServiceContext } from './context.js';
import { toRecord, type QueryRecord } from './record.js';

const zCount = z.number().int().min(0).max(2_147_483_647);

const saveInput = z.object({
  /** The row id to store instead of a new UUIDv7 (optional, additive: omega-bot's calls never pass it). */
  id: zId.optional(),
  userId: zId,
  username: zText(200),
  queryText: zText(1_000_000),
  translatedSql: zText(1_000_000).optional(),
  aiSummary: zText(1_000_000).optional(),
  /** The result as JSON text; text that is not JSON is stored as `{"result": text}`. */
  queryResult: zText(10_000_000).optional(),
  resultCount: zCount.optional(),
  error: zText(100_000).optional(),
  /** How long the query ran, in ms. */
  executionTimeMs: zCount.optional(),
});
const recentInput = z.object({ userId: zId.optional(), limit: zLimit(50, 1000), offset: zOffset }).prefault({});
const countInput = z.object({ userId: zId.optional() }).prefault({});

/** Input of {@link QueryService.saveQuery}. */
export type SaveQueryInput = z.input<typeof saveInput>;

/**
 * `queryResult` text → the stored JSON value: the parsed JSON (integers beyond 2^53 exact), or
 * `{ result: text }` when the text is not JSON (omega-bot's PostgreSQL rule, applied on both
 * backends so they hold the same value).
 */
export function queryResultValue(text: string): unknown {
  try {
    return parseJsonExact(text);
  } catch {
    return { result: text };
  }
}

/** omega-bot's `queryService`: the natural-language queries users ran and what they returned. */
export class QueryService {
  constructor(private readonly ctx: ServiceContext) {}

  /**
   * Records one query; `timestamp` = now in unix ms, `created_at` in unix s.
   * Optional `id` (additive, not omega-bot's: its calls never pass it): the row id to store
   * instead of a new UUIDv7; when a query with that id exists, the insert fails with the
   * backend's unique-key error and nothing is written (the bot derives it from the platform
   * message, so a duplicate query record collides).
   * @returns the row's id (a new UUIDv7 without `id`). @throws DatabaseError `INVALID_INPUT`; the backend's unique-key error for a taken `id`.
   */
  async saveQuery(p: SaveQueryInput): Promise<string> {
    const v = parseInput(saveInput, p, 'saveQuery');
    const now = nowSeconds();
    const row: Row = {
      id: v.id ?? newId(),
      timestamp: Date.now(),
      user_id: v.userId,
      username: v.username,
      query_text: v.queryText,
      translated_sql: v.translatedSql ?? null,
      ai_summary: v.aiSummary ?? null,
      query_result: v.queryResult === undefined ? null : queryResultValue(v.queryResult),
      result_count: v.resultCount ?? null,
      error: v.error ?? null,
      execution_time_ms: v.executionTimeMs ?? null,
      created_at: now,
      updated_at: now,
      version: 1,
    };
    sanitizeRow(this.ctx, 'queries', row);
    await this.ctx.store.insert('queries', row);
    return String(row.id);
  }

  /**
   * Queries newest first (`timestamp` DESC, then id DESC), of one user or of everyone, after
   * `offset`, at most `limit` (default 50, at most 1000). @throws DatabaseError `INVALID_INPUT`.
   */
  async getRecentQueries(p?: { userId?: string; limit?: number; offset?: number }): Promise<QueryRecord[]> {
    const v = parseInput(recentInput, p, 'getRecentQueries');
    const rows = await this.ctx.store.find('queries', { user_id: v.userId }, { orderBy: [['timestamp', 'desc'], ['id', 'desc']], limit: v.limit, offset: v.offset });
    return rows.map((r) => toRecord('queries', r));
  }

  /** One query by id, or null. @throws DatabaseError `INVALID_INPUT` (empty id). */
  async getQueryById(id: string): Promise<QueryRecord | null> {
    const row = await this.ctx.store.get('queries', parseInput(zId, id, 'getQueryById'));
    return row ? toRecord('queries', row) : null;
  }

  /** How many queries one user (or everyone) ran. @throws DatabaseError `INVALID_INPUT`. */
  async getQueryCount(p?: { userId?: string }): Promise<number> {
    const v = parseInput(countInput, p, 'getQueryCount');
    return this.ctx.store.count('queries', { user_id: v.userId });
  }
}
