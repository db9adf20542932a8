import { ok, type CommandResult } from './types.js';

/** The text of `!help`. */
export const HELP_TEXT = [
  'Commands:',
  '!search <words> - find earlier messages in this channel with every word',
  '!doc new <title> | <content> - create a document',
  '!doc edit <id> <content> - replace a document\'s content',
  '!doc share <id> <userId> [viewer|editor] - share a document you own',
  '!doc unshare <id> <userId> - take a user off a document you own (or yourself off one shared with you)',
  '!doc delete <id> - delete a document you own',
  '!doc list - your documents',
  '!profile - what I know about your activity',
  '!help - this list',
].join('\n');

/** `!help`. */
export function helpCommand(): CommandResult {
  return ok(HELP_TEXT);
}
