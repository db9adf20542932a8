import { ok, type CommandResult } from './types.js';

/** The text of `!help`. */
export const HELP_TEXT = [
  'Commands:',
  '!search <words> - find earlier messages in this channel with every word',
  '!doc new [--private] <title> | <content> - create a document (public unless --private)',
  '!doc show <id> - show a document you can read',
  '!doc edit <id> <content> - replace a document\'s content (creator and editors)',
  '!doc title <id> <new title> - rename a document (creator and editors)',
  '!doc share <id> <userId> [viewer|editor] - share a document you created',
  '!doc unshare <id> <userId> - take a user off a document you created (or yourself off one shared with you)',
  '!doc delete <id> - delete a document you created',
  '!doc list - the documents you created',
  '!profile - what I know about you',
  '!help - this list',
].join('\n');

/** `!help`. */
export function helpCommand(): CommandResult {
  return ok(HELP_TEXT);
}
