/**
 * Data and searches shared by test/search-plan.test.ts (LibSQL) and test/search-plan-pg.test.ts:
 * rows in rowid order unlike time order, ties on timestamp, words common overall but absent from
 * a channel, words common but rarely together, NFC/NFD forms and FTS5/tsquery syntax as text.
 */
import type { Row, Where } from '../src/stores/store.js';
import { messageRow } from './helpers/rows.js';

const N = 1500;
export const T = 1_700_000_000_000;

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function planRows(): Row[] {
  const r = rng(15);
  const out: Row[] = [];
  for (let i = 0; i < N; i++) {
    const channel = r() < 0.6 ? 'c-big' : r() < 0.7 ? 'c-mid' : 'c-small';
    const words: string[] = [];
    if (r() < 0.6) words.push('alpha');
    if (r() < 0.3) words.push('beta');
    // gamma and delta: each common, together rarely.
    const g = r();
    if (g < 0.25) words.push('gamma');
    else if (g < 0.5) words.push('delta');
    else if (g < 0.505) words.push('gamma delta');
    if (r() < 0.01) words.push('rare');
    if (channel === 'c-big' && r() < 0.5) words.push('zeta'); // common overall, absent from other channels
    if (r() < 0.02) words.push(r() < 0.5 ? 'café' : 'cafe\u0301'); // NFC and NFD forms
    if (r() < 0.02) words.push('"quoted" NOT -minus col:x (paren) star*');
    words.push(`w${i % 37}`);
    // Insertion order is not time order (a third of the rows come from the past) and timestamps tie.
    const ts = r() < 0.33 ? T + Math.floor(r() * N) * 10 : T + Math.floor(i / 3) * 10;
    out.push(
      messageRow({
        timestamp: ts,
        channel_id: channel,
        user_id: `u${Math.floor(r() * 5)}`,
        username: r() < 0.1 ? 'alpha_user' : 'ada',
        sender_type: r() < 0.5 ? 'human' : r() < 0.5 ? 'ai' : 'tool',
        tool_name: r() < 0.05 ? 'beta_tool' : null,
        message_content: words.join(' ').replace(/\s+/g, r() < 0.5 ? ' ' : ', '),
      }),
    );
  }
  return out;
}

export const INPUTS = [
  'alpha',
  'beta',
  'alpha beta',
  'gamma delta',
  'rare',
  'zeta',
  'zeta alpha',
  'nohitword',
  '"alpha beta"',
  'café',
  'NOT alpha -beta col:x',
  'star* (paren)',
  'alpha_user',
  'beta_tool',
  '"quoted',
];

export const FILTERS: Where[] = [
  {},
  { channel_id: 'c-big' },
  { channel_id: 'c-small' },
  { user_id: 'u1' },
  { sender_type: 'ai' },
  { timestamp: { gte: T + 2000, lte: T + 9000 } },
  { channel_id: 'c-big', timestamp: { gte: T + 3000 } },
  { user_id: 'u2', sender_type: 'human' },
  { channel_id: { in: ['c-mid', 'c-small'] } },
  { channel_id: 'c-big', user_id: 'u3' },
  { channel_id: 'c-none', timestamp: { lte: T + 100 } },
];

export const PAGES = [
  { limit: 20, offset: 0 },
  { limit: 5, offset: 37 },
  { limit: 1000, offset: 400 },
];

