import { z } from 'zod';
import { DatabaseError, isDatabaseError } from '../errors.js';
import type { Logger } from '../logger.js';
import { tables, type TableName } from '../schema/tables.js';
import type { Row, Store } from '../stores/store.js';
import { sanitizeFields } from './sanitize.js';

/** What every service is built from: the (routed) store and the logger. @internal */
export interface ServiceContext {
  readonly store: Store;
  readonly log: Logger;
}

/**
 * Parses service input with zod.
 * @throws DatabaseError `INVALID_INPUT` with the first issue's path and message.
 */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new DatabaseError('INVALID_INPUT', `${what}: ${issue.path.join('.') || 'input'} ${issue.message}`, { path: issue.path });
}

/**
 * Applies the text policy (see sanitize.ts) to `row` in place (by default every text and JSON
 * column present in it) and logs what changed as `input_sanitized` with the row id and fields.
 */
export function sanitizeRow(ctx: ServiceContext, table: TableName, row: Row, fields?: readonly string[], id = row.id): void {
  const names = fields ?? tables[table].columns.filter((c) => (c.type === 'text' || c.type === 'json') && row[c.name] != null).map((c) => c.name);
  const changed = sanitizeFields(row, names);
  if (changed.length) ctx.log.info({ event: 'input_sanitized', table, id, fields: changed }, 'NUL or lone surrogates replaced');
}

/** Whether `e` is a unique-constraint violation (PostgreSQL 23505, SQLite SQLITE_CONSTRAINT_UNIQUE / _PRIMARYKEY). */
export function isUniqueViolation(e: unknown): boolean {
  const x = e as { code?: unknown; extendedCode?: unknown; message?: unknown };
  if (x?.code === '23505') return true;
  const codes = [x?.code, x?.extendedCode].map(String);
  if (codes.includes('SQLITE_CONSTRAINT_UNIQUE') || codes.includes('SQLITE_CONSTRAINT_PRIMARYKEY')) return true;
  return codes.includes('SQLITE_CONSTRAINT') && /UNIQUE constraint failed/i.test(String(x?.message));
}

/** How many times {@link withRetry} tries a read-modify-write. */
export const RETRY_ATTEMPTS = 12;

/**
 * Runs a read-modify-write again when another writer got there first (version conflict or unique
 * race), up to {@link RETRY_ATTEMPTS} times, waiting a random 0–2^attempt ms (at most 100 ms)
 * between tries so concurrent writers of one row spread out instead of colliding again.
 * @throws the last error when every attempt conflicted, or any other error at once.
 */
export async function withRetry<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= RETRY_ATTEMPTS || !(isDatabaseError(e, 'VERSION_CONFLICT') || isUniqueViolation(e))) throw e;
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(100, 2 ** attempt)));
    }
  }
}

/** zod pieces shared by the services. */
export const zId = z.string().min(1).max(200);
export const zJsonObject = z.record(z.string(), z.unknown());
export const zLimit = (dflt: number, max: number) => z.number().int().min(1).max(max).default(dflt);
/** Rows to skip (omega-bot's `offset`), default 0. */
export const zOffset = z.number().int().min(0).max(1_000_000_000).default(0);
/** Optional text of at most `max` characters. */
export const zText = (max: number) => z.string().max(max);
