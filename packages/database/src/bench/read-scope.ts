import type { Connection } from '../stores/connection.js';
import { searchTerms } from '../services/search-terms.js';

/** What the read bench asks for, all taken from the data (LibSQL file) so each run asks the same. */
export interface ReadScope {
  /** The channel with the most messages, and its message count. */
  readonly channelId: string;
  readonly channelMessages: number;
  /** The user with the most messages in that channel. */
  readonly userId: string;
  /** A user that has a profile (the channel's top user when it has one). */
  readonly profileUserId: string;
  /** The most common word (≥ 3 letters) of the channel's newest 2,000 messages. */
  readonly common: string;
  /** The two most common words, as one search. */
  readonly twoWords: string;
  /** A word of those messages found in 20 to 200 messages of the whole set. */
  readonly rare: string;
  /** Three consecutive words of the channel's newest message that has them, in quotes. */
  readonly phrase: string;
  /** A word in no message. */
  readonly noHit: string;
  /** Messages holding each term (FTS5 vocab), for the report. */
  readonly docs: Record<string, number>;
}

/** Messages holding `term` (FTS5's fts5vocab, in a temp table of this connection: the file is not written). */
async function vocabDocs(run: (sql: string, p?: readonly unknown[]) => Promise<Record<string, unknown>[]>, term: string): Promise<number> {
  await run(`CREATE VIRTUAL TABLE IF NOT EXISTS temp.bench_fts_vocab USING fts5vocab(main, messages_fts, 'row')`);
  return Number((await run('SELECT doc FROM temp.bench_fts_vocab WHERE term = ?', [term]))[0]?.doc ?? 0);
}

/**
 * Chooses the bench's channel, users and search terms from the LibSQL data (deterministic for a
 * given file). Reads only. @throws Error when the data has no messages.
 */
export async function chooseReadScope(conn: Connection): Promise<ReadScope> {
  const run = (sql: string, p: readonly unknown[] = []) => conn.query(sql, p);
  const top = (await run('SELECT channel_id, count(*) AS n FROM messages GROUP BY channel_id ORDER BY n DESC, channel_id LIMIT 1'))[0];
  if (!top) throw new Error('read bench: the LibSQL data has no messages');
  const channelId = String(top.channel_id);
  const user = (await run('SELECT user_id, count(*) AS n FROM messages WHERE channel_id = ? GROUP BY user_id ORDER BY n DESC, user_id LIMIT 1', [channelId]))[0]!;
  const userId = String(user.user_id);
  const hasProfile = (await run('SELECT 1 AS ok FROM user_profiles WHERE user_id = ? LIMIT 1', [userId])).length > 0;
  const profileUserId = hasProfile ? userId : String((await run('SELECT user_id FROM user_profiles ORDER BY user_id LIMIT 1'))[0]?.user_id ?? userId);
  const sample = await run('SELECT CAST(message_content AS BLOB) AS c FROM messages WHERE channel_id = ? ORDER BY timestamp DESC, id DESC LIMIT 2000', [channelId]);
  const texts = sample.map((r) => (r.c == null ? '' : Buffer.from(r.c as Uint8Array).toString('utf8')));
  const freq = new Map<string, number>();
  for (const t of texts) for (const w of searchTerms(t)) freq.set(w, (freq.get(w) ?? 0) + 1);
  const byFreq = [...freq.entries()].filter(([w]) => w.length >= 3 && /^[a-z]+$/.test(w)).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  if (byFreq.length < 2) throw new Error('read bench: too few words in the channel to choose search terms');
  const common = byFreq[0]![0];
  const twoWords = `${byFreq[0]![0]} ${byFreq[1]![0]}`;
  let rare = byFreq[byFreq.length - 1]![0];
  for (const [w] of [...byFreq].reverse()) {
    const d = await vocabDocs(run, w);
    if (d >= 20 && d <= 200) {
      rare = w;
      break;
    }
  }
  let phrase = `"${twoWords}"`;
  for (const t of texts) {
    const words = (t.toLowerCase().match(/[a-z]+/g) ?? []).filter((w) => w.length >= 2);
    if (words.length >= 5) {
      phrase = `"${words.slice(1, 4).join(' ')}"`;
      break;
    }
  }
  let noHit = 'qzxvjwk';
  while ((await vocabDocs(run, noHit)) !== 0) noHit += 'q';
  const docs: Record<string, number> = {};
  for (const w of new Set([common, ...twoWords.split(' '), rare, ...searchTerms(phrase), noHit])) docs[w] = await vocabDocs(run, w);
  return { channelId, channelMessages: Number(top.n), userId, profileUserId, common, twoWords, rare, phrase, noHit, docs };
}
