const NAMES = [
  'ada', 'grace', 'linus', 'margaret', 'alan', 'barbara', 'dennis', 'frances', 'ken', 'radia',
  'edsger', 'hedy', 'donald', 'katherine', 'john', 'annie', 'tim', 'joan', 'guido', 'sophie',
  'bjarne', 'lynn', 'james', 'mary', 'larry', 'anita', 'rob', 'karen', 'niklaus', 'adele',
  'brian', 'jean', 'yukihiro', 'shafi', 'leslie', 'evelyn', 'whitfield', 'susan', 'vint', 'carol',
  'richard', 'elizabeth', 'ward', 'ida', 'fernando', 'kathleen', 'butler', 'mitchell', 'rasmus', 'ellen',
];
const CHANNELS = ['general', 'random', 'dev', 'books', 'music', 'games', 'food', 'pets', 'science', 'movies', 'travel', 'help'];

/** A replayed user: the platform's id and display name. */
export interface ReplayUser {
  readonly id: string;
  readonly name: string;
}

/** `n` users with stable ids (`u-ada`, …, `u-ada-2` after the first 50). */
export function makeUsers(n: number): ReplayUser[] {
  return Array.from({ length: n }, (_, i) => {
    const base = NAMES[i % NAMES.length]!;
    const round = Math.floor(i / NAMES.length);
    const name = round === 0 ? base : `${base}${round + 1}`;
    return { id: `u-${name}`, name };
  });
}

/** A replayed channel: the platform's id, its display name and its guild (server). */
export interface ReplayChannel {
  readonly id: string;
  /** Unset for a direct-message channel: the request then leaves `channelName` out (the bot uses the id). */
  readonly name?: string;
  /** Unset for a direct-message channel. */
  readonly guildId?: string;
}

/**
 * `n` channels: `c-general` (name `general`), …, `c-general-2` after the first 12, in guilds of
 * three (`g-1`, `g-2`, …); every fourth one (index 3, 7, …) is a direct-message channel
 * (`d-dev`: no name, no guild).
 */
export function makeChannels(n: number): ReplayChannel[] {
  return Array.from({ length: n }, (_, i) => {
    const round = Math.floor(i / CHANNELS.length);
    const name = `${CHANNELS[i % CHANNELS.length]!}${round === 0 ? '' : `-${round + 1}`}`;
    if (i % 4 === 3) return { id: `d-${name}` };
    return { id: `c-${name}`, name, guildId: `g-${Math.floor(i / 4) + 1}` };
  });
}
