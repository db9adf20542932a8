import type { Database } from '@repo/database';

/** Where a message was posted: the fields every `messageService.save*` call repeats. */
export interface MessagePlace {
  readonly channelId: string;
  /** The channel's display name (the request's `channelName`, default its id). */
  readonly channelName: string;
  /** The platform's server/guild; unset for a direct-message channel. */
  readonly guildId?: string;
  /** The conversation session the platform groups the message into, when it sends one. */
  readonly sessionId?: string;
}

/** Who asked, where, and with what: what every command handler gets. */
export interface CommandContext extends MessagePlace {
  readonly db: Database;
  readonly userId: string;
  readonly username: string;
  /**
   * Id of the stored human message being answered (left out of its own search results; parent of a
   * tool execution); the ids of the rows a command stores are derived from it (`rowIdOf`).
   */
  readonly messageId: string;
}

/** What a command answered. */
export interface CommandResult {
  /** The bot's reply text. */
  readonly reply: string;
  /** False when the command could not do what was asked (bad usage, no access, unknown document). */
  readonly success: boolean;
  /** `CODE: message` when `success` is false, else null. Stored in the reply's metadata. */
  readonly error: string | null;
  /** Messages `!search` found (after leaving out commands, bot replies and the search itself). */
  readonly hits?: number;
  /** Id of the `tool` message `!search` stored (`saveToolExecution`). */
  readonly toolId?: string;
  /** Id of the query record `!search` stored (`queryService.saveQuery`). */
  readonly queryId?: string;
}

/** A successful result. */
export const ok = (reply: string, extra: Partial<CommandResult> = {}): CommandResult => ({ reply, success: true, error: null, ...extra });

/** A result that answers the user but records the command as failed (`error` = `CODE: detail`). */
export const failed = (reply: string, code: string, detail: string = reply): CommandResult => ({ reply, success: false, error: `${code}: ${detail}` });
