import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createClient } from '@libsql/client';
import postgres from 'postgres';
import { newId } from '../src/ids.js';
import { openPhase, silentLogger } from './helpers/phase-db.js';

/** Unix ms of generated message `i`: {@link GEN_T0_MS} + i seconds + (i mod 1000) ms, so ms digits vary. */
export const GEN_T0_MS = 1_700_000_000_000;

/**
 * Generates the same `count` messages on both backends in SQL (generate_series on PostgreSQL,
 * a recursive CTE on LibSQL), fast enough for a 1M-row verify benchmark. Ids are
 * UUID-shaped and ordered by `i`; omega-bot's shapes: a human / ai / tool rotation (tool rows
 * with `tool_name` and JSON `tool_args`), `guild_id` a snowflake above 2^53 (text),
 * `timestamp` in unix ms ({@link GEN_T0_MS}), `created_at` in s, `updated_at` NULL (never
 * updated); metadata keys are written in a different order than jsonb keeps them, so verify must
 * canonicalise to see no drift. Both schemas must exist (run the migrations first).
 */
export async function generateMessages(args: { sqliteUrl: string; pgUrl: string; count: number; start?: number }): Promise<void> {
  const start = args.start ?? 1;
  const end = start + args.count - 1;
  const cols =
    'id, "timestamp", sender_type, user_id, username, channel_id, channel_name, guild_id, message_content, tool_name, tool_args, session_id, metadata, created_at, updated_at, version';
  // The same select list on both dialects (`||`, `%`, CASE); only the hex id and the JSON cast differ.
  const values = (hexId: string, jsonCast: string) =>
    `'01900000-0000-7000-8000-' || ${hexId}, ${GEN_T0_MS} + i * 1000 + (i % 1000), ` +
    `CASE i % 3 WHEN 0 THEN 'human' WHEN 1 THEN 'ai' ELSE 'tool' END, 'u' || (i % 100), 'user' || (i % 100), ` +
    `'c' || (i % 50), 'channel-' || (i % 50), '' || (1000000000000000000 + i), ` +
    `CASE i % 3 WHEN 2 THEN 'Tool: search' ELSE 'message ' || i || ' about topic' || (i % 37) || ' with a few more words to be realistic' END, ` +
    `CASE i % 3 WHEN 2 THEN 'search' END, CASE i % 3 WHEN 2 THEN ('{"q":"topic' || (i % 37) || '","limit":5}')${jsonCast} END, ` +
    `'s' || (i % 200), ('{"topic":"t' || (i % 10) || '","n":' || i || ',"tags":["a","b"],"nested":{"z":1,"a":[true,null]}}')${jsonCast}, ` +
    `1700000000 + i, NULL, 1`;
  const pg = postgres(args.pgUrl, { max: 1, onnotice: () => {} });
  const lite = createClient({ url: args.sqliteUrl });
  try {
    const pgInsert = pg.unsafe(`INSERT INTO messages (${cols}) SELECT ${values(`lpad(to_hex(i), 12, '0')`, '::jsonb')} FROM generate_series($1::bigint, $2::bigint) AS s(i)`, [start, end]);
    const liteInsert = (async () => {
      // Batches of 100k keep the FTS5 trigger's memory flat.
      for (let from = start; from <= end; from += 100_000) {
        const to = Math.min(end, from + 99_999);
        await lite.execute({
          sql:
            `WITH RECURSIVE s(i) AS (SELECT CAST(? AS INTEGER) UNION ALL SELECT i + 1 FROM s WHERE i < CAST(? AS INTEGER)) ` +
            `INSERT INTO messages (${cols}) SELECT ${values(`printf('%012x', i)`, '')} FROM s`,
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
  /** The human messages, in the order written; then the AI reply to the first, then a tool call. */
  readonly messages: string[];
  readonly queries: string[];
  readonly documents: string[];
  readonly deletedDocument: string;
  /** The analysis history row of the user's profile. */
  readonly analyses: string[];
  readonly userId: string;
  readonly channelId: string;
}

/**
 * Real data in both backends the way the app makes it: phase 4 (LibSQL primary, shadow writes to
 * PostgreSQL) through omega-bot's services, then `close()` drains the shadow writes. Includes
 * updates, a delete (tombstones on both sides, the collaborators' too), a 2^63−1 guild id, ms
 * timestamps, nested JSON metadata, an AI reply and a tool call, a profile with its analysis
 * history and a shared document.
 */
export async function seedPhase4(urls: { sqliteUrl: string; pgUrl: string }, messages = 12): Promise<Seeded> {
  const db = await openPhase('4', urls, { SHADOW_MODE: 'inline' }, silentLogger);
  try {
    const userId = `user-${newId()}`;
    const channelId = `chan-${newId()}`;
    const place = { userId, username: 'ada', channelId, channelName: 'general' };
    const ids: string[] = [];
    for (let i = 0; i < messages; i++) {
      ids.push(
        await db.messageService.saveHumanMessage({
          ...place,
          guildId: i === 0 ? '9223372036854775807' : String(1_000_000_000_000_000_000n + BigInt(i)),
          messageContent: `message ${i} about zebras and kumquats number${i}`,
          messageId: String(1_200_000_000_000_000_000n + BigInt(i)),
          sessionId: 'session-1',
          responseDecision: { shouldRespond: i % 2 === 0, confidence: 0.75, reason: 'asked' },
          metadata: { topic: i % 2 ? 'billing' : 'support', nested: { z: i, a: [true, null, 'x'] } },
        }),
      );
    }
    ids.push(await db.messageService.saveAIMessage({ ...place, messageContent: 'zebras have stripes', parentMessageId: ids[0], sessionId: 'session-1', metadata: { model: 'm1' } }));
    ids.push(
      await db.messageService.saveToolExecution({ ...place, toolName: 'searchWeb', toolArgs: { query: 'zebras', limit: 3 }, toolResult: { success: true, results: ['a', 'b'] }, parentMessageId: ids[0], sessionId: 'session-1' }),
    );
    const q = await db.queryService.saveQuery({ userId, username: 'ada', queryText: 'how many', translatedSql: 'SELECT count(*) FROM messages', queryResult: '[{"count":3}]', resultCount: 1, executionTimeMs: 12 });
    const doc = await db.documentService.createDocument({ createdBy: userId, createdByUsername: 'ada', title: 'kept', content: 'text', metadata: { v: 1 } });
    await db.documentService.addCollaborator({ documentId: doc.id, userId: 'friend', username: 'bob', role: 'editor' });
    await db.documentService.updateDocumentContent(doc.id, 'edited');
    const gone = await db.documentService.createDocument({ createdBy: userId, title: 'gone' });
    await db.documentService.addCollaborator({ documentId: gone.id, userId: 'friend', username: 'bob' });
    await db.documentService.deleteDocument(gone.id);
    await db.userProfileService.createUserProfile(userId, 'ada');
    await db.userProfileService.updateUserProfile(userId, { openness_score: 25, primary_interests: '["a","b"]' });
    await db.userProfileService.updateUserProfile(userId, { openness_score: 50, archetype_confidence: 0.5, dominant_archetype: 'Sage' });
    const analysis = await db.userProfileService.saveAnalysisHistory(userId, '{"affinity":70,"bond":"friend"}', '{"archetype":"Sage"}', messages, 'first analysis');
    return { messages: ids, queries: [q], documents: [doc.id], deletedDocument: gone.id, analyses: [analysis], userId, channelId };
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
