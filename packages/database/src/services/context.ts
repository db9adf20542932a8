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
  const field = issue.path.join('.') || 'input';
  throw new DatabaseError('INVALID_INPUT', `${what}: ${field} ${issue.message}`, { path: issue.path, field });
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

// eslint-disable-next-line no-control-regex
const ID_FORBIDDEN = /[\u0000-\u001F\u007F-\u009F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The id policy (docs/design.md "Known traps"): an id (userId, channelId, guildId, sessionId,
 * messageId, documentId, parentMessageId…) is a key, compared byte for byte on both backends and
 * used in URLs, logs and unique indexes, so it is never sanitised into another key: one that holds
 * U+0000, a lone UTF-16 surrogate or a control character (U+0001–U+001F, U+007F–U+009F) is
 * rejected. Free text (content, usernames, titles…) follows the text policy instead (sanitize.ts).
 * @returns why `s` is no valid id (`'holds U+0000 (NUL)'`…), or null when it is one.
 */
export function idProblem(s: string): string | null {
  const m = ID_FORBIDDEN.exec(s);
  if (!m) return null;
  const c = m[0].charCodeAt(0);
  const hex = `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
  if (c === 0) return `holds ${hex} (NUL) at offset ${m.index}`;
  if (c >= 0xd800 && c <= 0xdfff) return `holds a lone surrogate ${hex} at offset ${m.index}`;
  return `holds the control character ${hex} at offset ${m.index}`;
}

/** An id: 1 to `max` characters, no NUL, lone surrogate or control character ({@link idProblem}). */
export const zIdOf = (max = 200) =>
  z
    .string()
    .min(1)
    .max(max)
    .superRefine((s, ctx) => {
      const why = idProblem(s);
      if (why) ctx.addIssue({ code: 'custom', message: `is no valid id: it ${why} (ids are never sanitised)` });
    });

/** zod pieces shared by the services. */
export const zId = zIdOf(200);
export const zJsonObject = z.record(z.string(), z.unknown());
export const zLimit = (dflt: number, max: number) => z.number().int().min(1).max(max).default(dflt);
/** Rows to skip (omega-bot's `offset`), default 0. */
export const zOffset = z.number().int().min(0).max(1_000_000_000).default(0);
/** Optional text of at most `max` characters. */
export const zText = (max: number) => z.string().max(max);
