import { countWords } from './parse.js';
import { failed, ok, type CommandResult } from './types.js';
import { plural, snippet } from './format.js';

/** The answer to a plain message: an acknowledgement with its word count. */
export function chatReply(username: string, content: string): CommandResult {
  const words = countWords(content);
  return ok(`Noted, ${username}: ${plural(words, 'word')} ("${snippet(content, 40)}").`);
}

/** The answer to `!something` the bot does not know. */
export function unknownCommandReply(name: string): CommandResult {
  return failed(`I don't know !${name}. Try !help.`, 'UNKNOWN_COMMAND', `unknown command !${name}`);
}
