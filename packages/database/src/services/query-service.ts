import { z } from 'zod';
import { newId, nowSeconds } from '../ids.js';
import { camelRow } from './case.js';
import { parseInput, sanitizeRow, zId, zJsonObject, zLimit, type ServiceContext } from './context.js';

/** A recorded query execution. `durationMs` in ms; timestamps unix s. */
export interface QueryRecord {
  id: string;
  userId: string;
  channelId: string;
  query: string;
  response: string | null;
  durationMs: number;
  success: boolean;
  error: string | null;
  metadata: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
  version: number;
}

/** `getQueryStats` result. Percentiles in ms, over at most the last {@link STATS_WINDOW} queries. */
export interface QueryStats {
  count: number;
  /** 0..1; 0 when count is 0. */
  successRate: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

/** Stats look at this many most recent queries at most. */
export const STATS_WINDOW = 10_000;

const saveInput = z.object({
  userId: zId,
  channelId: zId,
  query: z.string().max(1_000_000),
  response: z.string().max(1_000_000).nullable().optional(),
  durationMs: z.number().int().min(0).max(2_147_483_647),
  success: z.boolean(),
  error: z.string().max(100_000).nullable().optional(),
  metadata: zJsonObject.optional(),
});

/** Query execution tracking. */
export class QueryService {
  constructor(private readonly ctx: ServiceContext) {}

  /** Records one query. @throws DatabaseError `INVALID_INPUT`. */
  async saveQuery(input: z.input<typeof saveInput>): Promise<QueryRecord> {
    const v = parseInput(saveInput, input, 'saveQuery');
    const now = nowSeconds();
    const row: Record<string, unknown> = {
      id: newId(),
      user_id: v.userId,
      channel_id: v.channelId,
      query: v.query,
      response: v.response ?? null,
      duration_ms: v.durationMs,
      success: v.success,
      error: v.error ?? null,
      metadata: v.metadata ?? {},
      created_at: now,
      updated_at: now,
      version: 1,
    };
    sanitizeRow(this.ctx, 'queries', row, ['query', 'response', 'error', 'metadata']);
    return camelRow<QueryRecord>(await this.ctx.store.insert('queries', row));
  }

  /** A user's queries, newest first. */
  async getRecentQueries(input: { userId: string; limit?: number }): Promise<QueryRecord[]> {
    const v = parseInput(z.object({ userId: zId, limit: zLimit(20, 1000) }), input, 'getRecentQueries');
    const rows = await this.ctx.store.find('queries', { user_id: v.userId }, { orderBy: [['created_at', 'desc'], ['id', 'desc']], limit: v.limit });
    return rows.map((r) => camelRow<QueryRecord>(r));
  }

  /** Count, success rate and p50/p95 duration (ms) of a user's recent queries. */
  async getQueryStats(input: { userId: string }): Promise<QueryStats> {
    const v = parseInput(z.object({ userId: zId }), input, 'getQueryStats');
    const rows = await this.ctx.store.find('queries', { user_id: v.userId }, {
      orderBy: [['created_at', 'desc'], ['id', 'desc']],
      limit: STATS_WINDOW,
      columns: ['duration_ms', 'success'],
    });
    const durations = rows.map((r) => Number(r.duration_ms)).sort((a, b) => a - b);
    const pct = (p: number) => (durations.length ? durations[Math.min(durations.length - 1, Math.floor(p * durations.length))]! : null);
    return {
      count: rows.length,
      successRate: rows.length ? rows.filter((r) => r.success === true).length / rows.length : 0,
      p50Ms: pct(0.5),
      p95Ms: pct(0.95),
    };
  }
}
