import { Random } from './random.js';
import { makeChannels, makeUsers, type ReplayChannel, type ReplayUser } from './people.js';

/** Settings of a replay plan. */
export interface PlanOptions {
  readonly users: number;
  readonly channels: number;
  /** A `!search` after every this many entries (0 = none). */
  readonly searchEvery: number;
  readonly seed: number;
  /** The first message's time, unix **ms** (default: so that the last one lands about now). */
  readonly startAt?: number;
  /** Searches only quote messages at least this many events older (they are stored by then). */
  readonly searchLag: number;
}

/** What kind of message a planned event is. */
export type EventKind = 'chat' | 'search' | 'doc-new' | 'doc-show' | 'doc-edit' | 'doc-title' | 'doc-share' | 'doc-unshare' | 'doc-delete' | 'doc-list' | 'profile' | 'help';

/** Every {@link EventKind}, in the order summaries list them. */
export const EVENT_KINDS: readonly EventKind[] = ['chat', 'search', 'doc-new', 'doc-show', 'doc-edit', 'doc-title', 'doc-share', 'doc-unshare', 'doc-delete', 'doc-list', 'profile', 'help'];

/** Documents created and not deleted so far, by user index, oldest first (kept from the bot's replies while replaying). */
export type DocState = Map<number, string[]>;

/** One message the replay will post. Doc shows, edits, renames, shares, unshares and deletes are rendered when sent, from {@link DocState}. */
export interface PlannedEvent {
  readonly kind: EventKind;
  readonly user: number;
  readonly channel: number;
  /** Unix **ms**, increasing over the plan. */
  readonly timestamp: number;
  /** The platform's message id: a Discord-style snowflake (digits, above 2^53), kept in `metadata.messageId`. */
  readonly messageId: string;
  /** The conversation session: `<channel id>-s<n>`, a new one after an hour's quiet in that channel. */
  readonly sessionId: string;
  render(docs: DocState): string;
}

/** A replay plan: who is who, and the events in send order. */
export interface ReplayPlan {
  readonly users: ReplayUser[];
  readonly channels: ReplayChannel[];
  readonly events: PlannedEvent[];
  readonly entries: number;
}

const DISCORD_EPOCH_MS = 1_420_070_400_000n;
/** Quiet time in a channel after which its next message opens a new session, ms. */
export const SESSION_GAP_MS = 3_600_000;
const STOPWORDS = new Set(
  'about after again also been before being could does doing down each from have having here into just like more most much must only other over same should some such than that their them then there these they this those through under very what when where which while with would your yours will shall says said'.split(' '),
);

const wordsOf = (text: string) => (text.toLowerCase().match(/[a-z]{4,}/g) ?? []).filter((w) => !STOPWORDS.has(w));

/**
 * Spreads corpus entries over users and channels (a few users and channels busier than the rest),
 * with increasing timestamps (seconds to minutes apart, now and then a night's gap), and
 * interleaves commands: `!search <word of an earlier message in that channel>` every
 * `searchEvery` entries, and now and then `!doc new` (every second one `--private`),
 * `!doc show/edit/title/share/unshare/delete/list`, `!profile`
 * and `!help` (unshares take back an earlier share; deletes take an owner's newest document, so
 * replay traffic also makes delete tombstones).
 * Deterministic for a given seed and input.
 */
export function planReplay(entries: readonly string[], opts: PlanOptions): ReplayPlan {
  const r = new Random(opts.seed);
  const users = makeUsers(opts.users);
  const channels = makeChannels(opts.channels);
  const home = users.map(() => r.skewed(channels.length));
  const drafts: Array<Omit<PlannedEvent, 'timestamp' | 'messageId' | 'sessionId'>> = [];
  const chatsByChannel: Array<Array<{ at: number; text: string }>> = channels.map(() => []);
  const docOwners: number[] = [];
  const shares: Array<{ owner: number; to: ReplayUser }> = [];
  const add = (kind: EventKind, user: number, channel: number, render: (docs: DocState) => string) => drafts.push({ kind, user, channel, render });
  const fixed = (text: string) => () => text;

  entries.forEach((text, i) => {
    const user = r.skewed(users.length);
    const channel = r.chance(0.7) ? home[user]! : r.int(0, channels.length - 1);
    chatsByChannel[channel]!.push({ at: drafts.length, text });
    add('chat', user, channel, fixed(text));
    const n = i + 1;

    if (opts.searchEvery > 0 && n % opts.searchEvery === 0) {
      const cutoff = drafts.length - opts.searchLag;
      const candidates = channels.map((_, c) => c).filter((c) => chatsByChannel[c]!.some((m) => m.at <= cutoff && wordsOf(m.text).length > 0));
      if (candidates.length > 0) {
        const c = r.pick(candidates);
        const older = chatsByChannel[c]!.filter((m) => m.at <= cutoff && wordsOf(m.text).length > 0);
        add('search', r.skewed(users.length), c, fixed(`!search ${r.pick(wordsOf(r.pick(older).text))}`));
      }
    }
    if (n % 50 === 25) {
      const owner = r.skewed(users.length);
      const title = text.split(/\s+/).slice(0, 6).join(' ').replace(/\|/g, '/');
      docOwners.push(owner);
      // Every second document is private (omega's default is public).
      add('doc-new', owner, home[owner]!, fixed(`!doc new ${docOwners.length % 2 === 0 ? '--private ' : ''}${title} | ${text}`));
    }
    if (n % 60 === 30 && docOwners.length > 0) {
      // Someone reads an owner's oldest document: public ones show, private ones are "not found" unless shared.
      const owner = r.pick(docOwners);
      const u = r.skewed(users.length);
      add('doc-show', u, home[u]!, (docs) => {
        const theirs = docs.get(owner);
        return theirs?.length ? `!doc show ${theirs[0]}` : '!doc list';
      });
    }
    if (n % 120 === 100 && docOwners.length > 0) {
      const owner = r.pick(docOwners);
      const title = text.split(/\s+/).slice(0, 4).join(' ');
      add('doc-title', owner, home[owner]!, (docs) => {
        const mine = docs.get(owner);
        return mine?.length ? `!doc title ${mine[mine.length - 1]} ${title}` : '!doc list';
      });
    }
    if (n % 70 === 0 && docOwners.length > 0) {
      const owner = r.pick(docOwners);
      const body = entries[(i * 7) % entries.length]!;
      add('doc-edit', owner, home[owner]!, (docs) => {
        const mine = docs.get(owner);
        return mine?.length ? `!doc edit ${mine[mine.length - 1]} ${body}` : '!doc list';
      });
    }
    if (n % 110 === 0 && docOwners.length > 0) {
      const owner = r.pick(docOwners);
      const to = users[(owner + 1 + r.int(0, users.length - 2)) % users.length]!;
      const role = r.chance(0.5) ? 'editor' : 'viewer';
      shares.push({ owner, to });
      add('doc-share', owner, home[owner]!, (docs) => {
        const mine = docs.get(owner);
        return mine?.length && to.id !== users[owner]!.id ? `!doc share ${mine[0]} ${to.id} ${role}` : '!doc list';
      });
    }
    if (n % 330 === 0 && shares.length > 0) {
      const { owner, to } = shares.splice(r.int(0, shares.length - 1), 1)[0]!;
      add('doc-unshare', owner, home[owner]!, (docs) => {
        const mine = docs.get(owner);
        return mine?.length && to.id !== users[owner]!.id ? `!doc unshare ${mine[0]} ${to.id}` : '!doc list';
      });
    }
    if (n % 300 === 275 && docOwners.length > 0) {
      const owner = r.pick(docOwners);
      add('doc-delete', owner, home[owner]!, (docs) => {
        const mine = docs.get(owner);
        return mine?.length ? `!doc delete ${mine[mine.length - 1]}` : '!doc list';
      });
    }
    if (n % 90 === 45) {
      const u = r.skewed(users.length);
      add('doc-list', u, home[u]!, fixed('!doc list'));
    }
    if (n % 40 === 39) {
      const u = r.skewed(users.length);
      add('profile', u, home[u]!, fixed('!profile'));
    }
    if (n % 400 === 200) {
      const u = r.int(0, users.length - 1);
      add('help', u, home[u]!, fixed('!help'));
    }
  });

  // Seconds to minutes between messages, sometimes a night's gap; ends about now by default.
  const gaps = drafts.map(() => (r.chance(0.02) ? r.int(3_600, 8 * 3_600) : r.int(2, 240)));
  let t = opts.startAt !== undefined ? Math.floor(opts.startAt / 1000) : Math.floor(Date.now() / 1000) - gaps.reduce((a, b) => a + b, 0);
  const startMs = opts.startAt !== undefined ? BigInt(opts.startAt % 1000) : 0n;
  const lastAt: number[] = channels.map(() => -Infinity);
  const sessions: number[] = channels.map(() => 0);
  const events = drafts.map((d, i): PlannedEvent => {
    t += gaps[i]!;
    // Unix ms: the second plus a sub-second part that keeps events apart within one second.
    const ms = BigInt(t) * 1000n + ((startMs + BigInt(i)) % 1000n);
    const timestamp = Number(ms);
    if (timestamp - lastAt[d.channel]! > SESSION_GAP_MS) sessions[d.channel]!++;
    lastAt[d.channel] = timestamp;
    return {
      ...d,
      timestamp,
      messageId: String(((ms - DISCORD_EPOCH_MS) << 22n) | BigInt(i & 0xfff)),
      sessionId: `${channels[d.channel]!.id}-s${sessions[d.channel]!}`,
    };
  });
  return { users, channels, events, entries: entries.length };
}
