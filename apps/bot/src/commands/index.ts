import { chatReply, unknownCommandReply } from './chat.js';
import { docCommand } from './doc.js';
import { helpCommand } from './help.js';
import type { ParsedMessage } from './parse.js';
import { profileCommand } from './profile.js';
import { searchCommand } from './search.js';
import type { CommandContext, CommandResult } from './types.js';

export { commandLabel, countWords, parseMessage, type ParsedMessage } from './parse.js';
export type { CommandContext, CommandResult } from './types.js';

/**
 * Answers one parsed message. Document errors are answered inside `!doc`; any other error
 * (a backend failure) propagates to the message pipeline.
 */
export function runCommand(parsed: ParsedMessage, ctx: CommandContext, content: string): Promise<CommandResult> | CommandResult {
  if (parsed.kind === 'chat') return chatReply(ctx.username, content);
  if (parsed.kind === 'unknown') return unknownCommandReply(parsed.name);
  switch (parsed.name) {
    case 'search':
      return searchCommand(ctx, parsed.args);
    case 'doc':
      return docCommand(ctx, parsed.args);
    case 'profile':
      return profileCommand(ctx);
    case 'help':
      return helpCommand();
  }
}
