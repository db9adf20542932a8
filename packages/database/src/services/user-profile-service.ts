import { z } from 'zod';
import { DatabaseError } from '../errors.js';
import { newId, nowSeconds } from '../ids.js';
import { parseJsonExact } from '../json-exact.js';
import type { ColumnSpec } from '../schema/columns.js';
import { tables } from '../schema/tables.js';
import type { Row, Store } from '../stores/store.js';
import { isUniqueViolation, parseInput, sanitizeRow, withRetry, zId, type ServiceContext } from './context.js';
import { toRecord, type UserAnalysisHistoryRecord, type UserProfileRecord } from './record.js';

/** The columns `updateUserProfile` may set: every profile column but id, user_id, created_at and the bookkeeping. */
const updatable = new Map<string, ColumnSpec>(
  tables.user_profiles.columns.filter((c) => !['id', 'user_id', 'created_at', 'updated_at', 'version'].includes(c.name)).map((c) => [c.name, c]),
);

const int32 = z.number().int().min(-2_147_483_648).max(2_147_483_647);
const valueSchema: Record<ColumnSpec['type'], z.ZodType> = {
  id: z.string().min(1).max(200),
  text: z.string().max(100_000),
  int: int32,
  bigint: z.union([z.string().regex(/^-?\d{1,19}$/), z.bigint()]).transform(String),
  timestamp: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  millis: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  bool: z.union([z.boolean(), z.literal(0), z.literal(1)]).transform(Boolean),
  real: z.number().finite(),
  json: z.unknown(),
};

/** The partial update `updateUserProfile` takes: any profile column but id, user_id and created_at. */
export type UserProfileUpdates = Partial<Omit<UserProfileRecord, 'id' | 'user_id' | 'created_at'>>;

/**
 * Validates `updateUserProfile`'s updates into a patch of logical values. Keys must be profile
 * columns (checked against the table spec, so no key reaches SQL unchecked); `undefined` values are
 * skipped (as omega-bot does); `updated_at` is ignored (always set to now); JSON columns take JSON
 * text (parsed, integers exact) or a value.
 * @throws DatabaseError `INVALID_INPUT` (unknown or read-only key, wrong type, text that is not JSON).
 */
function parseUpdates(updates: unknown): Row {
  if (!updates || typeof updates !== 'object' || Array.isArray(updates)) throw new DatabaseError('INVALID_INPUT', 'updateUserProfile: updates must be an object');
  const out: Row = {};
  for (const [key, value] of Object.entries(updates)) {
    if (value === undefined || key === 'updated_at') continue;
    const col = updatable.get(key);
    if (!col) throw new DatabaseError('INVALID_INPUT', `updateUserProfile: ${key} is not an updatable profile column`, { field: key });
    if (value === null) {
      if (col.notNull) throw new DatabaseError('INVALID_INPUT', `updateUserProfile: ${key} cannot be null`, { field: key });
      out[key] = null;
      continue;
    }
    if (col.type === 'json') {
      out[key] = typeof value === 'string' ? jsonOf(value, key) : value;
      continue;
    }
    const r = valueSchema[col.type].safeParse(value);
    if (!r.success) throw new DatabaseError('INVALID_INPUT', `updateUserProfile: ${key} must be a ${col.type}`, { field: key });
    out[key] = r.data;
  }
  return out;
}

function jsonOf(text: string, field: string): unknown {
  try {
    return parseJsonExact(text);
  } catch {
    throw new DatabaseError('INVALID_INPUT', `updateUserProfile: ${field} must be JSON text or a JSON value`, { field });
  }
}

/** A snapshot's text → stored JSON: the parsed JSON, or `{ raw: text }` when not JSON (omega-bot's PostgreSQL rule, on both backends). */
function snapshotValue(text: string): unknown {
  try {
    return parseJsonExact(text);
  } catch {
    return { raw: text };
  }
}

const zLimitArg = (max: number) => z.number().int().min(1).max(max);

async function profileRow(store: Store, userId: string): Promise<Row | null> {
  const [row] = await store.find('user_profiles', { user_id: userId }, { orderBy: [['id', 'asc']], limit: 1 });
  return row ?? null;
}

/**
 * omega-bot's `userProfileService`: one profile per user (its ~95 analysis columns) and the
 * history of its analyses. Times are unix s.
 */
export class UserProfileService {
  constructor(private readonly ctx: ServiceContext) {}

  /** The user's profile, or null. @throws DatabaseError `INVALID_INPUT` (empty id). */
  async getUserProfile(userId: string): Promise<UserProfileRecord | null> {
    const row = await profileRow(this.ctx.store, parseInput(zId, userId, 'getUserProfile'));
    return row ? toRecord('user_profiles', row) : null;
  }

  /**
   * Creates the user's profile: `first_seen_at` = `last_interaction_at` = now, `message_count` 0.
   * @returns the new id (UUIDv7).
   * @throws DatabaseError `INVALID_INPUT`; the driver's unique violation (23505 /
   * SQLITE_CONSTRAINT_UNIQUE) when the user already has one (see {@link getOrCreateUserProfile}).
   */
  async createUserProfile(userId: string, username: string): Promise<string> {
    const v = parseInput(z.object({ userId: zId, username: z.string().max(200) }), { userId, username }, 'createUserProfile');
    const now = nowSeconds();
    const row: Row = { id: newId(), user_id: v.userId, username: v.username, first_seen_at: now, last_interaction_at: now, message_count: 0, created_at: now, updated_at: now, version: 1 };
    sanitizeRow(this.ctx, 'user_profiles', row);
    await this.ctx.store.insert('user_profiles', row);
    return String(row.id);
  }

  /**
   * Sets the given columns of the user's profile (`version` + 1, `updated_at` = now). No profile,
   * or nothing to set, is a no-op (as in omega-bot). JSON columns take JSON text or a value.
   * @throws DatabaseError `INVALID_INPUT` (a key that is not an updatable profile column, a wrong type).
   */
  async updateUserProfile(userId: string, updates: UserProfileUpdates): Promise<void> {
    parseInput(zId, userId, 'updateUserProfile');
    const patch = parseUpdates(updates);
    if (Object.keys(patch).length === 0) return;
    const current = await profileRow(this.ctx.store, userId);
    if (!current) return;
    sanitizeRow(this.ctx, 'user_profiles', patch, undefined, current.id);
    await this.ctx.store.update('user_profiles', String(current.id), patch, { now: nowSeconds() });
  }

  /**
   * The user's profile, created first when there is none. Safe under concurrency: when another
   * writer creates it at the same time (unique violation), that profile is read and returned.
   * @throws DatabaseError `INVALID_INPUT`.
   */
  async getOrCreateUserProfile(userId: string, username: string): Promise<UserProfileRecord> {
    const existing = await this.getUserProfile(userId);
    if (existing) return existing;
    try {
      await this.createUserProfile(userId, username);
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
    }
    // Read on the primary: in phase 5 the read backend may not hold the new row yet.
    const row = await this.ctx.store.transaction((tx) => profileRow(tx, userId));
    if (!row) throw new DatabaseError('NOT_FOUND', `profile of ${userId} vanished while being created`, { userId });
    return toRecord('user_profiles', row);
  }

  /**
   * Profiles with messages since their last analysis (`last_analyzed_at` null or before
   * `last_interaction_at`), most recently active first, at most `limit` (default 100).
   * @throws DatabaseError `INVALID_INPUT`.
   */
  async getUsersNeedingAnalysis(limit = 100): Promise<UserProfileRecord[]> {
    const n = parseInput(zLimitArg(10_000), limit, 'getUsersNeedingAnalysis');
    const rows = await this.ctx.store.find('user_profiles', { last_analyzed_at: { ltColumn: 'last_interaction_at', orNull: true } }, {
      orderBy: [['last_interaction_at', 'desc'], ['id', 'desc']],
      limit: n,
    });
    return rows.map((r) => toRecord('user_profiles', r));
  }

  /**
   * Records one analysis: `analysis_timestamp` = now (s); the snapshots are JSON text (text that is
   * not JSON is kept as `{"raw": text}`, omega-bot's PostgreSQL rule, on both backends).
   * @returns the new id.
   * @throws DatabaseError `INVALID_INPUT`, `NOT_FOUND` (the user has no profile: PostgreSQL's foreign
   * key would refuse the row, so LibSQL refuses it too).
   */
  async saveAnalysisHistory(userId: string, feelingsSnapshot: string, personalitySnapshot: string, messageCount: number, changesSummary?: string): Promise<string> {
    const v = parseInput(
      z.object({ userId: zId, feelings: z.string().max(10_000_000), personality: z.string().max(10_000_000), count: z.number().int().min(0).max(2_147_483_647), summary: z.string().max(1_000_000).optional() }),
      { userId, feelings: feelingsSnapshot, personality: personalitySnapshot, count: messageCount, summary: changesSummary },
      'saveAnalysisHistory',
    );
    const now = nowSeconds();
    const row: Row = {
      id: newId(),
      user_id: v.userId,
      analysis_timestamp: now,
      feelings_snapshot: snapshotValue(v.feelings),
      personality_snapshot: snapshotValue(v.personality),
      message_count_at_analysis: v.count,
      changes_summary: v.summary ?? null,
      created_at: now,
      updated_at: now,
      version: 1,
    };
    sanitizeRow(this.ctx, 'user_analysis_history', row);
    await this.ctx.store.transaction(async (tx) => {
      if (!(await profileRow(tx, v.userId))) throw new DatabaseError('NOT_FOUND', `user ${v.userId} has no profile`, { userId: v.userId });
      await tx.insert('user_analysis_history', row);
    });
    return String(row.id);
  }

  /** The user's analyses, newest first (`analysis_timestamp`, then id), at most `limit` (default 10). @throws DatabaseError `INVALID_INPUT`. */
  async getAnalysisHistory(userId: string, limit = 10): Promise<UserAnalysisHistoryRecord[]> {
    const v = parseInput(z.object({ userId: zId, limit: zLimitArg(10_000) }), { userId, limit }, 'getAnalysisHistory');
    const rows = await this.ctx.store.find('user_analysis_history', { user_id: v.userId }, { orderBy: [['analysis_timestamp', 'desc'], ['id', 'desc']], limit: v.limit });
    return rows.map((r) => toRecord('user_analysis_history', r));
  }

  /**
   * `message_count` + 1 and `last_interaction_at` = `updated_at` = now (s); a no-op when the user
   * has no profile. A version-guarded read-modify-write on the primary, retried on conflict, so
   * concurrent increments all count. @throws DatabaseError `INVALID_INPUT`, `VERSION_CONFLICT` when
   * every retry conflicted.
   */
  async incrementMessageCount(userId: string): Promise<void> {
    parseInput(zId, userId, 'incrementMessageCount');
    await withRetry(() =>
      this.ctx.store.transaction(async (tx) => {
        const cur = await profileRow(tx, userId);
        if (!cur) return;
        const now = nowSeconds();
        await tx.update('user_profiles', String(cur.id), { message_count: Number(cur.message_count ?? 0) + 1, last_interaction_at: now }, { now, expectedVersion: Number(cur.version) });
      }),
    );
  }

  /** Every profile, most recently active first, at most `limit` (default 1000). @throws DatabaseError `INVALID_INPUT`. */
  async getAllUserProfiles(limit = 1000): Promise<UserProfileRecord[]> {
    const n = parseInput(zLimitArg(100_000), limit, 'getAllUserProfiles');
    const rows = await this.ctx.store.find('user_profiles', {}, { orderBy: [['last_interaction_at', 'desc'], ['id', 'desc']], limit: n });
    return rows.map((r) => toRecord('user_profiles', r));
  }
}
