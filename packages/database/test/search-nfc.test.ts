import { createClient } from '@libsql/client';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/database.js';
import { createTestPostgres, createTestSqlite } from '../src/testing/index.js';
import { openPhase, silentLogger } from './helpers/phase-db.js';

// Issue 14 §2: a word stored decomposed (`cafe` + U+0301) is found as `café` and as typed, and
// combining-mark text is found alike, on both backends, through messageService.queryMessages.

const DECOMPOSED = 'cafe\u0301';
const PRECOMPOSED = 'caf\u00e9';
const place = { userId: 'u1', username: 'ann', channelId: 'c1', channelName: 'general' };

/** Messages saved through the service (precomposed and decomposed input). */
const saved = [
  `${PRECOMPOSED} au lait`,
  `${DECOMPOSED} noir`,
  'हिन्दी भाषा', // Devanagari: vowel signs and a virama are combining marks with no precomposed form
  'x\u0301y marks', // a mark with no precomposed form after x
  'plain cafe without accent',
  'Ångström unit', // A + U+030A typed precomposed
];
/** Rows written behind the services, as omega-bot stored them: decomposed (NFD). */
const legacy = [`legacy ${DECOMPOSED} crème`.normalize('NFD'), 'legacy A\u030Angstro\u0308m'];

interface Side {
  db: Database;
  cleanup: () => Promise<void>;
}

async function openSide(kind: 'sqlite' | 'postgres'): Promise<Side> {
  const file = createTestSqlite();
  const pg = kind === 'postgres' ? await createTestPostgres('nfc') : null;
  const db = await openPhase(kind === 'sqlite' ? '1' : '6', { sqliteUrl: file.url, pgUrl: pg?.url ?? 'postgres://unused@127.0.0.1:1/unused' }, {}, silentLogger);
  let t = 1_000;
  for (const text of saved) await db.messageService.saveHumanMessage({ ...place, messageContent: text, messageId: `m${t}`, timestamp: t++ });
  const rows = legacy.map((text, i) => [`legacy-${i}`, 500 + i, 'human', 'u1', 'ann', 'c1', text] as const);
  const insert = 'INSERT INTO messages (id, timestamp, sender_type, user_id, username, channel_id, message_content) VALUES ';
  if (kind === 'sqlite') {
    const raw = createClient({ url: file.url });
    for (const r of rows) await raw.execute({ sql: `${insert}(?, ?, ?, ?, ?, ?, ?)`, args: [...r] });
    raw.close();
  } else {
    const sql = postgres(pg!.url, { max: 1, onnotice: () => {} });
    for (const r of rows) await sql.unsafe(`${insert}($1, $2, $3, $4, $5, $6, $7)`, [...r]);
    await sql.end();
  }
  return {
    db,
    cleanup: async () => {
      await db.close();
      await pg?.drop();
      file.remove();
    },
  };
}

const sides: Partial<Record<'sqlite' | 'postgres', Side>> = {};
beforeAll(async () => {
  sides.sqlite = await openSide('sqlite');
  sides.postgres = await openSide('postgres');
}, 60_000);
afterAll(async () => {
  for (const s of Object.values(sides)) await s?.cleanup();
});

const contents = async (kind: 'sqlite' | 'postgres', q: string) =>
  (await sides[kind]!.db.messageService.queryMessages({ searchText: q, limit: 50 })).map((m) => m.message_content.normalize('NFC')).sort();

describe.each(['sqlite', 'postgres'] as const)('%s', (kind) => {
  it('stores text the services write in NFC', async () => {
    const all = await sides[kind]!.db.messageService.queryMessages({ channelId: 'c1', limit: 50 });
    const stored = all.map((m) => m.message_content);
    expect(stored).toContain(`${PRECOMPOSED} noir`);
    expect(stored).not.toContain(`${DECOMPOSED} noir`);
    expect(stored).toContain('x\u0301y marks');
  });

  it.each([
    ['café typed precomposed', PRECOMPOSED],
    ['café typed decomposed', DECOMPOSED],
    ['CAFÉ in capitals, decomposed', 'CAFE\u0301'],
  ])('%s finds every stored café, whichever form it was stored in', async (_t, q) => {
    expect(await contents(kind, q)).toEqual([`${PRECOMPOSED} au lait`, `${PRECOMPOSED} noir`, `legacy ${PRECOMPOSED} crème`]);
  });

  it('a legacy decomposed word is found by every form of the query', async () => {
    expect(await contents(kind, 'crème')).toEqual([`legacy ${PRECOMPOSED} crème`]);
    expect(await contents(kind, 'cre\u0300me')).toEqual([`legacy ${PRECOMPOSED} crème`]);
    expect(await contents(kind, 'ångström')).toEqual(['legacy Ångström', 'Ångström unit']);
    expect(await contents(kind, 'A\u030Angstro\u0308m')).toEqual(['legacy Ångström', 'Ångström unit']);
  });

  it('combining-mark text (Devanagari, x + U+0301) is found', async () => {
    expect(await contents(kind, 'हिन्दी')).toEqual(['हिन्दी भाषा']);
    expect(await contents(kind, 'भाषा')).toEqual(['हिन्दी भाषा']);
    expect(await contents(kind, 'x\u0301y')).toEqual(['x\u0301y marks']);
  });

  it('cafe without an accent stays a different word', async () => {
    expect(await contents(kind, 'cafe')).toEqual(['plain cafe without accent']);
  });
});

it('every query finds the same messages on both backends', async () => {
  const queries = [PRECOMPOSED, DECOMPOSED, 'CAFE\u0301', 'crème', 'cre\u0300me', 'हिन्दी', 'भाषा', 'x\u0301y', 'x', 'y', 'cafe', 'ångström', 'A\u030Angstro\u0308m', `${DECOMPOSED} noir`, `noir ${DECOMPOSED}`, 'legacy crème lait au'];
  for (const q of queries) expect({ q, rows: await contents('postgres', q) }).toEqual({ q, rows: await contents('sqlite', q) });
});
