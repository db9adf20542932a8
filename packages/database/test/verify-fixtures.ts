import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createClient } from '@libsql/client';
import postgres from 'postgres';
import { newId } from '../src/ids.js';
import { openPhase, silentLogger } from './helpers/phase-db.js';

/**
 * Generates the same `count` messages on both backends in SQL (generate_series on PostgreSQL,
 * a recursive CTE on LibSQL), fast enough for a 1M-row verify benchmark. Ids are
 * UUID-shaped and ordered by `i`; `external_id` is above 2^53; metadata keys are written in
 * a different order than jsonb keeps them, so verify must canonicalise to see no drift.
 * Both schemas must exist (run the migrations first).
 */
export async function generateMessages(args: { sqliteUrl: string; pgUrl: string; count: number; start?: number }): Promise<void> {
  const start = args.start ?? 1;
  const end = start + args.count - 1;
  const cols = 'id, user_id, username, channel_id, role, content, external_id, metadata, "timestamp", created_at, updated_at, version';
  const pg = postgres(args.pgUrl, { max: 1, onnotice: () => {} });
  const lite = createClient({ url: args.sqliteUrl });
  try {
    const pgInsert = pg.unsafe(
      `INSERT INTO messages (${cols}) SELECT '01900000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'), 'u' || (i % 100), 'user' || (i % 100), ` +
        `'c' || (i % 50), CASE WHEN i % 2 = 0 THEN 'human' ELSE 'bot' END, ` +
        `'message ' || i || ' about topic' || (i % 37) || ' with a few more words to be realistic', 1000000000000000000 + i, ` +
        `('{"topic":"t' || (i % 10) || '","n":' || i || ',"tags":["a","b"],"nested":{"z":1,"a":[true,null]}}')::jsonb, ` +
        `1700000000 + i, 1700000000 + i, 1700000000 + i, 1 FROM generate_series($1::bigint, $2::bigint) AS s(i)`,
      [start, end],
    );
    const liteInsert = (async () => {
      // Batches of 100k keep the FTS5 trigger's memory flat.
      for (let from = start; from <= end; from += 100_000) {
        const to = Math.min(end, from + 99_999);
        await lite.execute({
          sql:
            `WITH RECURSIVE s(i) AS (SELECT CAST(? AS INTEGER) UNION ALL SELECT i + 1 FROM s WHERE i < CAST(? AS INTEGER)) ` +
            `INSERT INTO messages (${cols}) SELECT '01900000-0000-7000-8000-' || printf('%012x', i), 'u' || (i % 100), 'user' || (i % 100), ` +
            `'c' || (i % 50), CASE WHEN i % 2 = 0 THEN 'human' ELSE 'bot' END, ` +
            `'message ' || i || ' about topic' || (i % 37) || ' with a few more words to be realistic', 1000000000000000000 + i, ` +
            `'{"topic":"t' || (i % 10) || '","n":' || i || ',"tags":["a","b"],"nested":{"z":1,"a":[true,null]}}', ` +
            `1700000000 + i, 1700000000 + i, 1700000000 + i, 1 FROM s`,
          args: [from, to],
        });
      }
    })();
    await Promise.all([pgInsert, liteInsert]);
    await pg.unsafe('ANALYZE messages');
  } finally {
    lite.close();
    await pg.end({ timeout: 5 });
  }
}

/** The id {@link generateMessages} gives row `i`. */
export const generatedId = (i: number): string => `01900000-0000-7000-8000-${i.toString(16).padStart(12, '0')}`;

/** Ids written by {@link seedPhase4}. */
export interface Seeded {
  readonly messages: string[];
  readonly queries: string[];
  readonly documents: string[];
  readonly deletedDocument: string;
  readonly userId: string;
  readonly channelId: string;
}

/**
 * Real data in both backends the way the app makes it: phase 4 (LibSQL primary, shadow writes to
 * PostgreSQL) through the services, then `close()` drains the shadow writes. Includes updates,
 * a delete (tombstones on both sides), a 2^63−1 external id, nested JSON metadata, a profile
 * with its analysis history and a shared document.
 */
export async function seedPhase4(urls: { sqliteUrl: string; pgUrl: string }, messages = 12): Promise<Seeded> {
  const db = await openPhase('4', urls, { SHADOW_MODE: 'inline' }, silentLogger);
  try {
    const userId = `user-${newId()}`;
    const channelId = `chan-${newId()}`;
    const ids: string[] = [];
    for (let i = 0; i < messages; i++) {
      const m = await db.messageService.saveHumanMessage({
        userId,
        username: 'ada',
        channelId,
        content: `message ${i} about zebras and kumquats number${i}`,
        externalId: i === 0 ? '9223372036854775807' : String(1_000_000_000_000_000_000n + BigInt(i)),
        metadata: { topic: i % 2 ? 'billing' : 'support', nested: { z: i, a: [true, null, 'x'] } },
      });
      ids.push(m.id);
    }
    const q = await db.queryService.saveQuery({ userId, channelId, query: 'how many', response: 'three', durationMs: 12, success: true });
    const doc = await db.documentService.createDocument({ ownerId: userId, title: 'kept', content: 'text', metadata: { v: 1 } });
    await db.documentService.addCollaborator({ documentId: doc.id, actorId: userId, userId: 'friend', role: 'editor' });
    await db.documentService.updateDocument({ documentId: doc.id, userId: 'friend', expectedVersion: 1, content: 'edited' });
    const gone = await db.documentService.createDocument({ ownerId: userId, title: 'gone' });
    await db.documentService.deleteDocument({ documentId: gone.id, userId });
    await db.userProfileService.updateUserProfile(userId, { traitOpenness: 0.25, interests: ['a', 'b'] });
    await db.userProfileService.updateUserProfile(userId, { traitOpenness: 0.5, optedOut: true });
    return { messages: ids, queries: [q.id], documents: [doc.id], deletedDocument: gone.id, userId, channelId };
  } finally {
    const drained = await db.close();
    if (!drained.drained) throw new Error(`shadow writes not drained: ${drained.remaining} left`);
  }
}

const PKG = fileURLToPath(new URL('..', import.meta.url));

/** Result of {@link cli}: exit code, stdout, stderr, and stdout parsed as JSON when it is JSON. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly json: any;
}

/**
 * Runs the built CLI (`node dist/cli/main.js …`, build first: `ensureFreshDist()`) as a child
 * process with only `env` (plus PATH) as its environment. Never rejects.
 */
export function cli(args: string[], env: Record<string, string | undefined>): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['dist/cli/main.js', ...args], { cwd: PKG, env: { PATH: process.env.PATH, ...env }, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      let json: unknown = null;
      try {
        json = JSON.parse(stdout);
      } catch {
        /* text output */
      }
      resolve({ code, stdout, stderr, json });
    });
  });
}
