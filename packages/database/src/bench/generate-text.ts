import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Seeded pseudo-random numbers (mulberry32), so a generated data set is the same on every run
 * and a cached file can be reused. `next()` is uniform in [0, 1).
 */
export class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  /** Index in [0, n) skewed towards 0 (a few users write most messages, as in a real chat); larger `power`, more skew. */
  skewed(n: number, power = 2.2): number {
    return Math.min(n - 1, Math.floor(n * this.next() ** power));
  }
  /** 16 random bytes as 32 hex digits. */
  hex32(): string {
    let s = '';
    for (let i = 0; i < 4; i++) s += ((this.next() * 4294967296) >>> 0).toString(16).padStart(8, '0');
    return s;
  }
}

/** A UUIDv7 for unix time `ms`, with the random part drawn from `rng` (deterministic). */
export function uuidv7At(rng: Rng, ms: number): string {
  const t = ms.toString(16).padStart(12, '0');
  const r = rng.hex32();
  const variant = ((parseInt(r[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${r.slice(13, 16)}-${variant}${r.slice(17, 20)}-${r.slice(20, 32)}`;
}

const FORTUNE_DIR = '/usr/share/games/fortunes';
const FORTUNE_FILES = ['fortunes', 'wisdom', 'computers', 'literature', 'people', 'science', 'work', 'linux', 'humorists'];

const BUILT_IN =
  `the a of to and in is it you that for on with as was this be have are not but at by from they we say her she or an will my one all
would there their what so up out if about who get which go me when make can like time no just him know take people into year your good
some could them see other than then now look only come its over think also back after use two how our work first well way even new want
because any these give day most us database query message channel user migration backup server deploy latency index table row column
search document profile history version schema shadow write read primary replica cutover rollback phase verify reconcile drift export
import copy sqlite postgres bot chat reply thread emoji release weekend meeting coffee question answer problem idea music game movie café
naïve déjà vu über 東京 🙂 🚀 👍`.split(/\s+/);

/**
 * Text material for generated rows: quotes (whole fortunes, as long chat messages) and words
 * (for sentences of varying length). Drawn from Debian's fortune files when present, else a
 * built-in word list; `source` says which (it is part of the cache key of generated files).
 */
export interface TextSource {
  readonly source: 'fortunes' | 'built-in';
  readonly quotes: readonly string[];
  readonly words: readonly string[];
}

/** Loads the text material once (see {@link TextSource}). */
export function loadTextSource(): TextSource {
  const quotes: string[] = [];
  for (const f of FORTUNE_FILES) {
    const path = join(FORTUNE_DIR, f);
    if (!existsSync(path)) continue;
    for (const q of readFileSync(path, 'utf8').split(/^%$/m)) {
      const t = q.trim();
      if (t.length > 0 && t.length < 600) quotes.push(t);
    }
  }
  if (quotes.length < 500) return { source: 'built-in', quotes: [], words: BUILT_IN };
  // Words by falling frequency, so skewed picks give the common words most often (as in real text).
  const freq = new Map<string, number>();
  for (const q of quotes) {
    for (const raw of q.split(/\s+/)) {
      const w = raw.replace(/^[^\p{L}]+|[^\p{L}]+$/gu, '');
      if (w.length > 0 && w.length <= 20 && /^[\p{L}'-]+$/u.test(w)) freq.set(w.toLowerCase(), (freq.get(w.toLowerCase()) ?? 0) + 1);
    }
  }
  const words = [...freq.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([w]) => w);
  return { source: 'fortunes', quotes, words: [...words, ...BUILT_IN.slice(-12)] };
}

/** A sentence-like text of `minWords`..`maxWords` words, capitalised, with punctuation. */
export function sentence(rng: Rng, src: TextSource, minWords: number, maxWords: number): string {
  const n = rng.int(minWords, maxWords);
  const parts: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    parts[i] = src.words[rng.skewed(src.words.length, 3)]!;
    if (i < n - 1 && rng.next() < 0.06) parts[i] += ',';
  }
  const s = parts.join(' ');
  const end = rng.next() < 0.15 ? '?' : rng.next() < 0.1 ? '!' : '.';
  return s.charAt(0).toUpperCase() + s.slice(1) + end;
}

/** A chat message: mostly short sentences, sometimes a whole quote or several sentences. */
export function chatText(rng: Rng, src: TextSource): string {
  const r = rng.next();
  if (src.quotes.length > 0 && r < 0.25) return rng.pick(src.quotes);
  if (r < 0.75) return sentence(rng, src, 2, 18);
  let out = sentence(rng, src, 5, 25);
  const more = rng.int(1, 4);
  for (let i = 0; i < more; i++) out += ' ' + sentence(rng, src, 4, 30);
  return out;
}

/** A longer text (documents): `paragraphs` paragraphs of 3..8 sentences. */
export function paragraphs(rng: Rng, src: TextSource, count: number): string {
  const out: string[] = [];
  for (let p = 0; p < count; p++) {
    const n = rng.int(3, 8);
    const ss: string[] = [];
    for (let i = 0; i < n; i++) ss.push(sentence(rng, src, 6, 28));
    out.push(ss.join(' '));
  }
  return out.join('\n\n');
}
