import { z } from 'zod';
import type { ColumnSpec } from '../schema/columns.js';
import { tables } from '../schema/tables.js';
import { userProfileDataColumns } from '../schema/user-profile-columns.js';
import { DatabaseError } from '../errors.js';
import { keyId, newId, nowSeconds } from '../ids.js';
import type { Row, Store } from '../stores/store.js';
import { camelRow, toCamel, toSnake } from './case.js';
import { parseInput, sanitizeRow, withRetry, zId, zLimit, type ServiceContext } from './context.js';
import { stringifyJsonExact } from '../json-exact.js';

/** A user profile: identity, ~120 analysis columns (see user-profile-columns.ts), camelCase keys. */
export type UserProfile = { id: string; userId: string; username: string | null; createdAt: number; updatedAt: number; version: number } & Record<string, unknown>;

/** One entry of `user_analysis_history`: what changed (`{ field: { from, to } }`) in a profile version. */
export interface AnalysisSnapshot {
  id: string;
  userId: string;
  profileVersion: number;
  changes: Record<string, { from: unknown; to: unknown }>;
  source: string | null;
  createdAt: number;
  updatedAt: number;
  version: number;
}

const updatable = new Map<string, ColumnSpec>(
  [...userProfileDataColumns, tables.user_profiles.columns.find((c) => c.name === 'username')!].map((c) => [c.name, c]),
);

const valueSchema: Record<ColumnSpec['type'], z.ZodType> = {
  id: z.string(),
  text: z.string().max(100_000),
  int: z.number().int().min(-2_147_483_648).max(2_147_483_647),
  bigint: z.union([z.string().regex(/^-?\d{1,19}$/), z.bigint()]).transform(String),
  timestamp: z.number().int().min(0),
  millis: z.number().int().min(0),
  bool: z.boolean(),
  real: z.number().finite(),
  json: z.unknown(),
};

/** Validates a partial update (camelCase or snake_case keys) into snake_case columns. @throws DatabaseError `INVALID_INPUT`. */
function parseUpdates(updates: Record<string, unknown>): Row {
  if (!updates || typeof updates !== 'object') throw new DatabaseError('INVALID_INPUT', 'updateUserProfile: updates must be an object');
  const out: Row = {};
  for (const [key, value] of Object.entries(updates)) {
    const name = key.includes('_') || !/[A-Z]/.test(key) ? key : toSnake(key);
    const col = updatable.get(name);
    if (!col) throw new DatabaseError('INVALID_INPUT', `updateUserProfile: unknown profile field ${key}`, { field: key });
    if (value === null && !col.notNull) {
      out[name] = null;
      continue;
    }
    const r = valueSchema[col.type].safeParse(value);
    if (!r.success) throw new DatabaseError('INVALID_INPUT', `updateUserProfile: ${key} must be a ${col.type}`, { field: key });
    out[name] = r.data;
  }
  return out;
}

const same = (a: unknown, b: unknown) => stringifyJsonExact(a) === stringifyJsonExact(b);

/** The changed fields of one profile update, camelCase: `{ field: { from, to } }` (`from` null for a new profile). */
export type ProfileChanges = Record<string, { from: unknown; to: unknown }>;

/**
 * Whether an update appends to `user_analysis_history`: true (the default) for every update that
 * changes something, false for none, or a predicate over the changed fields.
 */
export type HistoryOption = boolean | ((changes: ProfileChanges) => boolean);

/** Options of {@link UserProfileService.updateUserProfile} and {@link UserProfileService.modifyUserProfile}. */
export interface ProfileUpdateOptions {
  /** Stored in the history entry's `source` (e.g. `activity`, `analysis`). */
  readonly source?: string;
  readonly history?: HistoryOption;
}

/** Profiles with their analysis history. */
export class UserProfileService {
  constructor(private readonly ctx: ServiceContext) {}

  /** The user's profile, or null. */
  async getUserProfile(userId: string): Promise<UserProfile | null> {
    const id = keyId('profile', parseInput(zId, userId, 'getUserProfile'));
    const row = await this.ctx.store.get('user_profiles', id);
    return row ? camelRow<UserProfile>(row) : null;
  }

  /**
   * Applies a partial update (creating the profile on first use) and, in the same transaction,
   * appends the changed fields to `user_analysis_history` (`options.history: false` skips that;
   * a predicate decides from the changed fields, e.g. only when a peak moves, for counters the
   * bot maintains on every message). A no-op update writes nothing.
   * @throws DatabaseError `INVALID_INPUT` (unknown field, wrong type).
   */
  async updateUserProfile(userId: string, updates: Record<string, unknown>, options: ProfileUpdateOptions = {}): Promise<UserProfile> {
    parseInput(zId, userId, 'updateUserProfile');
    const patch = parseUpdates(updates);
    sanitizeRow(this.ctx, 'user_profiles', patch, Object.keys(patch).filter((k) => ['text', 'json'].includes(updatable.get(k)!.type)), keyId('profile', userId));
    return withRetry(() => this.ctx.store.transaction((tx) => this.#apply(tx, userId, () => patch, options)));
  }

  /**
   * Read-modify-write of a profile: `compute` gets the current profile (null when none) and
   * returns the patch. Retried on a concurrent update. Used by the bot's activity aggregates.
   */
  async modifyUserProfile(userId: string, compute: (current: UserProfile | null) => Record<string, unknown>, options: ProfileUpdateOptions = {}): Promise<UserProfile> {
    parseInput(zId, userId, 'modifyUserProfile');
    return withRetry(() =>
      this.ctx.store.transaction((tx) => this.#apply(tx, userId, (cur) => parseUpdates(compute(cur ? camelRow<UserProfile>(cur) : null)), options)),
    );
  }

  async #apply(tx: Store, userId: string, compute: (current: Row | null) => Row, options: ProfileUpdateOptions): Promise<UserProfile> {
    const id = keyId('profile', userId);
    const now = nowSeconds();
    const current = await tx.get('user_profiles', id);
    const patch = compute(current);
    const changes: ProfileChanges = {};
    let row: Row;
    if (!current) {
      row = { id, user_id: userId, created_at: now, updated_at: now, version: 1, ...patch };
      for (const [k, v] of Object.entries(patch)) changes[toCamel(k)] = { from: null, to: v };
      row = await tx.insert('user_profiles', row);
    } else {
      const diff: Row = {};
      for (const [k, v] of Object.entries(patch)) {
        if (!same(current[k], v)) {
          diff[k] = v;
          changes[toCamel(k)] = { from: current[k], to: v };
        }
      }
      if (Object.keys(diff).length === 0) return camelRow<UserProfile>(current);
      row = await tx.update('user_profiles', id, diff, { now, expectedVersion: Number(current.version) });
    }
    const history = options.history ?? true;
    if (Object.keys(changes).length > 0 && (typeof history === 'function' ? history(changes) : history)) {
      await tx.insert('user_analysis_history', {
        id: newId(),
        user_id: userId,
        profile_version: row.version,
        changes,
        source: options.source ?? null,
        created_at: now,
        updated_at: now,
        version: 1,
      });
    }
    return camelRow<UserProfile>(row);
  }

  /** The user's profile changes, newest first. */
  async getAnalysisHistory(userId: string, opts: { limit?: number } = {}): Promise<AnalysisSnapshot[]> {
    const v = parseInput(z.object({ userId: zId, limit: zLimit(50, 1000) }), { userId, ...opts }, 'getAnalysisHistory');
    const rows = await this.ctx.store.find('user_analysis_history', { user_id: v.userId }, { orderBy: [['created_at', 'desc'], ['id', 'desc']], limit: v.limit });
    return rows.map((r) => camelRow<AnalysisSnapshot>(r));
  }
}
