import { z } from 'zod';
import { DatabaseError, isDatabaseError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Store } from '../stores/store.js';
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

/** Applies the text policy (see sanitize.ts) to `fields` of `row` and logs what changed. */
export function sanitizeRow(ctx: ServiceContext, table: string, row: Record<string, unknown>, fields: readonly string[], id = row.id): void {
  const changed = sanitizeFields(row, fields);
  if (changed.length) ctx.log.info({ event: 'input_sanitized', table, id, fields: changed }, 'NUL or lone surrogates replaced');
}

const RETRYABLE = new Set(['23505', 'SQLITE_CONSTRAINT_PRIMARYKEY', 'SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT']);

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
      const code = (e as { code?: string }).code ?? '';
      if (attempt >= RETRY_ATTEMPTS || !(isDatabaseError(e, 'VERSION_CONFLICT') || RETRYABLE.has(code))) throw e;
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(100, 2 ** attempt)));
    }
  }
}

/** zod pieces shared by the services. */
export const zId = z.string().min(1).max(200);
export const zJsonObject = z.record(z.string(), z.unknown());
export const zLimit = (dflt: number, max: number) => z.number().int().min(1).max(max).default(dflt);
