/** Names of the commands the bot knows. */
export const commandNames = ['search', 'doc', 'profile', 'help'] as const;
export type CommandName = (typeof commandNames)[number];

/**
 * A message split into its command and arguments.
 * - `kind: 'chat'`: not a command (does not start with `!`).
 * - `kind: 'command'`: `name` is a known command, `args` the rest of the text (trimmed).
 * - `kind: 'unknown'`: starts with `!` but names no command (`name` is what was typed, lower case).
 */
export type ParsedMessage =
  | { readonly kind: 'chat' }
  | { readonly kind: 'command'; readonly name: CommandName; readonly args: string }
  | { readonly kind: 'unknown'; readonly name: string; readonly args: string };

/** Parses `!name rest…` (the name is case-insensitive; anything else is chat). */
export function parseMessage(content: string): ParsedMessage {
  const m = /^\s*!([\p{L}\p{N}_-]*)(?:\s+([\s\S]*))?$/u.exec(content);
  if (!m) return { kind: 'chat' };
  const name = m[1]!.toLowerCase();
  const args = (m[2] ?? '').trim();
  return (commandNames as readonly string[]).includes(name) ? { kind: 'command', name: name as CommandName, args } : { kind: 'unknown', name, args };
}

/** The label stored in the reply's metadata: `search`, `doc`, `profile`, `help`, `unknown`, or null for chat. */
export function commandLabel(p: ParsedMessage): string | null {
  return p.kind === 'chat' ? null : p.kind === 'unknown' ? 'unknown' : p.name;
}

/** Words of a text: runs of letters/digits (Unicode), as the chat acknowledgement counts them. */
export function countWords(text: string): number {
  return text.match(/[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu)?.length ?? 0;
}
