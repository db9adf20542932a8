/** One line of at most `max` characters: whitespace collapsed, cut with `…`. */
export function snippet(text: string, max = 80): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1).trimEnd()}…`;
}

/** Unix **milliseconds** (messages.timestamp, queries.timestamp) as `YYYY-MM-DD HH:MM UTC`. */
export function utcMinuteMs(unixMs: number): string {
  return `${new Date(unixMs).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Unix **seconds** (every other time column: profiles, documents, analysis history) as `YYYY-MM-DD HH:MM UTC`. */
export function utcMinute(unixSeconds: number): string {
  return utcMinuteMs(unixSeconds * 1000);
}

/** `1 message` / `2 messages`. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
