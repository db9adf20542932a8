/**
 * reconcile while the bot writes: a row the primary changes again right after its repair, with
 * that change's shadow write still in flight, is not "drift left". The final comparison reads the
 * differing ids again after the re-check delay, as verify does (seen in a walk-through of the
 * runbook: a busy user's profile, one version behind, made reconcile exit 4).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBackendPair, type BackendPair } from '../src/transfer/source/backend-pair.js';
import { reconcile } from '../src/transfer/reconcile.js';
import { createBothDatabases, openRaw } from './helpers/backends.js';
import { seedPhase4, type Seeded } from './verify-fixtures.js';

let urls: Awaited<ReturnType<typeof createBothDatabases>>;
let raw: ReturnType<typeof openRaw>;
let pair: BackendPair;
let seeded: Seeded;

beforeAll(async () => {
  urls = await createBothDatabases('reconcilelive');
  seeded = await seedPhase4(urls);
  raw = openRaw(urls.sqliteUrl, urls.pgUrl);
  pair = await openBackendPair({ libsqlUrl: urls.sqliteUrl, databaseUrl: urls.pgUrl });
});

afterAll(async () => {
  await pair?.close();
  await raw?.close();
  await urls?.cleanup();
});

/**
 * Drift on one message (missing on PostgreSQL); once reconcile has repaired it, "the bot" edits it
 * on LibSQL (the primary) and its shadow write lands on PostgreSQL `shadowLagMs` later.
 */
async function reconcileUnderWrites(recheckDelayMs: number, shadowLagMs: number) {
  const id = seeded.messages[3]!;
  await raw.pg.unsafe('DELETE FROM messages WHERE id = $1', [id]);
  let shadow: Promise<unknown> | null = null;
  const edit = `UPDATE messages SET message_content = message_content || ' (edited)', version = version + 1 WHERE id = $1`;
  const r = await reconcile({
    pair,
    from: 'sqlite',
    recheckDelayMs,
    onApply: () => {
      shadow ??= raw.lite
        .execute({ sql: edit.replace('$1', '?'), args: [id] })
        .then(() => new Promise((res) => setTimeout(res, shadowLagMs)))
        .then(() => raw.pg.unsafe(edit, [id]));
    },
  });
  await shadow;
  return r;
}

describe('reconcile with writes in flight', () => {
  it('a row changed again on the primary during the repair is re-read after the delay: no drift left (exit 0)', async () => {
    const r = await reconcileUnderWrites(1_000, 200);
    expect(r.applied).toBe(1);
    expect(r.remaining).toBe(0);
    expect(r.ok).toBe(true);
  });

  it('with --recheck-delay-ms 0 the same in-flight write is reported as drift left', async () => {
    const r = await reconcileUnderWrites(0, 300);
    expect(r.applied).toBe(1);
    expect(r.remaining).toBe(1);
    expect(r.remainingSample[0]).toMatchObject({ table: 'messages', id: seeded.messages[3], kind: 'different' });
    expect(r.ok).toBe(false);
  });
});
