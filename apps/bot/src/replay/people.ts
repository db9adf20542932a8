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

/** `n` channel ids (`c-general`, …, `c-general-2` after the first 12). */
export function makeChannels(n: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const round = Math.floor(i / CHANNELS.length);
    return `c-${CHANNELS[i % CHANNELS.length]!}${round === 0 ? '' : `-${round + 1}`}`;
  });
}
