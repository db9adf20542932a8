import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where Debian's `fortunes` packages put their quote files. */
export const FORTUNES_DIR = '/usr/share/games/fortunes';
/** The files read (those present): plain quote files, never the offensive `off/` folder. */
const FILES = ['fortunes', 'computers', 'science', 'literature', 'wisdom', 'people', 'linux', 'humorists', 'work'];

/** A deterministic PRNG (mulberry32) over 32-bit state; `next()` in [0, 1). */
export function prng(seed: number): { next(): number; int(lo: number, hi: number): number; pick<T>(xs: readonly T[]): T; chance(p: number): boolean } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (xs) => xs[Math.floor(next() * xs.length)]!,
    chance: (p) => next() < p,
  };
}

/** A UUID v4 (as `crypto.randomUUID()` makes) from the PRNG, so a seed gives the same ids. */
export function uuidV4(r: { next(): number }): string {
  const b = Array.from({ length: 16 }, () => Math.floor(r.next() * 256));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const WORDS =
  'the a bot channel message reply query user document profile search index quiet loud river stone lamp garden winter summer code test data table row night morning friend question answer idea'.split(' ');

/**
 * Real chat-like text: entries of Debian's fortune files (separated by lines holding only `%`,
 * at most 2,000 characters, control characters removed) when installed, else sentences made of a
 * small word list. In file order, so the same machine gives the same text.
 */
export function loadText(dir = FORTUNES_DIR): { entries: string[]; source: 'fortunes' | 'generated' } {
  const entries: string[] = [];
  for (const f of FILES) {
    const p = join(dir, f);
    if (!existsSync(p)) continue;
    for (const e of readFileSync(p, 'latin1').includes('\0') ? [] : readFileSync(p, 'utf8').replace(/\r\n?/g, '\n').split(/^%[ \t]*$/m)) {
      // eslint-disable-next-line no-control-regex
      const t = e.replace(/[^\n]\x08/g, '').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '').trim();
      if (t && t.length <= 2000) entries.push(t);
    }
  }
  if (entries.length >= 50) return { entries, source: 'fortunes' };
  const r = prng(7);
  const gen = Array.from({ length: 500 }, () => {
    const n = r.int(4, 18);
    const s = Array.from({ length: n }, () => r.pick(WORDS)).join(' ');
    return `${s[0]!.toUpperCase()}${s.slice(1)}.`;
  });
  return { entries: gen, source: 'generated' };
}
