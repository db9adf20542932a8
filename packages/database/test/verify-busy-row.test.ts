/**
 * A row the bot keeps writing (a busy user's profile in phase 4) differs between LibSQL and
 * PostgreSQL at almost every read: its shadow write is always a moment behind. verify must not
 * call it drift: it reads such a row again while either side still moves, and only a row that
 * stays different AND still is drift (found in the runbook walk-through: 6 of 15 verify runs
 * during a replay reported a busy profile).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openBackendPair, type BackendPair } from '../src/transfer/source/backend-pair.js';
import { verifyTables } from '../src/transfer/verify.js';
import { createBothDatabases } from './helpers/backends.js';
import { openPhase, silentLogger } from './helpers/phase-db.js';

let urls: Awaited<ReturnType<typeof createBothDatabases>>;
let pair: BackendPair;
beforeAll(async () => {
  urls = await createBothDatabases('verify_busy');
});
afterAll(async () => {
  await pair?.close();
  await urls?.cleanup();
});

it('a profile updated without pause during verify is not drift once it is still', async () => {
  const db = await openPhase('4', urls, { SHADOW_BATCH_LINGER_MS: '50' }, silentLogger);
  pair = await openBackendPair({ libsqlUrl: urls.sqliteUrl, databaseUrl: urls.pgUrl });
  try {
    await db.userProfileService.createUserProfile('u-busy', 'busy');
    await db.userProfileService.updateUserProfile('u-busy', { message_count: 0 });
    let busy = true;
    let n = 0;
    // Whether a verify has started a second re-read of the row: its first re-read saw it move.
    let readTwice = false;
    // The writer keeps the row moving until a verify has started its second re-read, however slow
    // the machine, then stops: the row must then settle as equal.
    const writer = (async () => {
      const until = Date.now() + 60_000;
      while ((!readTwice || n <= 10) && Date.now() < until) {
        await db.userProfileService.updateUserProfile('u-busy', { message_count: ++n });
        await new Promise((r) => setTimeout(r, 10));
      }
      busy = false;
    })();
    await new Promise((r) => setTimeout(r, 100));
    // A first re-read can find both sides equal by chance (the shadow write landed between two
    // updates): verify then rightly ends, and runs again until one re-read saw the row move.
    const runs: { drift: number; ok: boolean; rounds: number }[] = [];
    for (let attempt = 0; attempt < 8 && !readTwice; attempt++) {
      let rounds = 0;
      const r = await verifyTables({ pair, tables: ['user_profiles'], recheckDelayMs: 400, onRecheck: () => void (++rounds >= 2 && (readTwice = true)) });
      runs.push({ drift: r.drift, ok: r.ok, rounds });
    }
    await writer;
    expect(busy).toBe(false);
    expect(n).toBeGreaterThan(10);
    expect(readTwice, `no verify re-read the busy row more than once: ${JSON.stringify(runs)}`).toBe(true);
    // No run called the moving row drift: neither those that found it equal at once nor the one that waited for it to settle.
    for (const run of runs) expect(run).toMatchObject({ drift: 0, ok: true });
  } finally {
    await db.close();
  }
});
