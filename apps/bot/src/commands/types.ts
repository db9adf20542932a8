import type { Database } from '@repo/database';

/** Who asked, where, and with what: what every command handler gets. */
export interface CommandContext {
  readonly db: Database;
  readonly userId: string;
  readonly username: string;
  readonly channelId: string;
  /** Id of the stored human message being answered (excluded from its own search results). */
  readonly messageId: string;
}

/** What a command answered. */
export interface CommandResult {
  /** The bot's reply text. */
  readonly reply: string;
  /** False when the command could not do what was asked (bad usage, a document error). */
  readonly success: boolean;
  /** `CODE: message` when `success` is false, else null. Stored on the query record. */
  readonly error: string | null;
  /** Messages `!search` found (after leaving out commands and bot replies). */
  readonly hits?: number;
  /** True when `!doc new` created a document (profile `document_count`). */
  readonly documentCreated?: boolean;
}

/** A successful result. */
export const ok = (reply: string, extra: Partial<CommandResult> = {}): CommandResult => ({ reply, success: true, error: null, ...extra });

/** A result that answers the user but records the command as failed (`error` = `CODE: detail`). */
export const failed = (reply: string, code: string, detail: string = reply): CommandResult => ({ reply, success: false, error: `${code}: ${detail}` });
