/**
 * `db reconcile` as an operator runs it (built CLI, child process): the dry run, the repair, the
 * direction check against the configured phase, and the rollback path after phase 6.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../src/ids.js';
import { createBothDatabases, openRaw } from './helpers/backends.js';
import { ensureFreshDist } from './helpers/fresh-dist.js';
import { openPhase, silentLogger } from './helpers/phase-db.js';
import { cli, seedPhase4, type Seeded } from './verify-fixtures.js';

let urls: Awaited<ReturnType<typeof createBothDatabases>>;
let raw: ReturnType<typeof openRaw>;
let seeded: Seeded;
let dataDir: string;
let env: Record<string, string>;

beforeAll(async () => {
  ensureFreshDist();
  urls = await createBothDatabases('reconcilecli');
  seeded = await seedPhase4(urls);
  raw = openRaw(urls.sqliteUrl, urls.pgUrl);
  dataDir = mkdtempSync(join(tmpdir(), 'reconcile-cli-'));
  env = { LIBSQL_URL: urls.sqliteUrl, DATABASE_URL: urls.pgUrl, USE_POSTGRES_SHADOW: 'true' };
  common.push('--data-dir', dataDir, '--recheck-delay-ms', '0');
});

afterAll(async () => {
  await raw?.close();
  await urls?.cleanup();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const verify = () => cli(['--json', 'verify', '--data-dir', dataDir, '--recheck-delay-ms', '0'], env);
const common: string[] = [];

describe('db reconcile', () => {
  it('--from sqlite: --dry-run writes nothing; the real run repairs; verify is clean', async () => {
    const extra = newId();
    await raw.pg.unsafe('DELETE FROM messages WHERE id = $1', [seeded.messages[0]!]);
    await raw.pg.unsafe(`UPDATE messages SET metadata = '{"tampered": true}'::jsonb WHERE id = $1`, [seeded.messages[1]!]);
    await raw.pg.unsafe(
      `INSERT INTO messages (id, "timestamp", sender_type, user_id, username, channel_id, message_content, metadata, created_at, updated_at, version)
       VALUES ($1, 1700000000123, 'human', 'u', 'n', 'c', 'only on postgres', '{}'::jsonb, 1, NULL, 1)`,
      [extra],
    );
    expect((await verify()).code).toBe(4);

    const dry = await cli(['reconcile', '--from', 'sqlite', '--dry-run', ...common], env);
    expect(dry.code).toBe(4);
    expect(dry.stdout).toContain('would upsert 2, delete 1 on postgres');
    expect(dry.stdout).toContain('dry run: nothing written');
    expect((await verify()).json.drift).toBe(3);

    const run = await cli(['--json', 'reconcile', '--from', 'sqlite', ...common], env);
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({ ok: true, from: 'sqlite', to: 'postgres', applied: 3, remaining: 0, failed: [] });
    expect((await verify()).code).toBe(0);
    expect(await raw.pg.unsafe('SELECT 1 FROM messages WHERE id = $1', [extra])).toHaveLength(0);
  });

  it('refuses --from the side that is not the primary of the configured phase (exit 2), unless --allow-non-primary', async () => {
    await raw.lite.execute({ sql: `UPDATE messages SET message_content = 'drift on LibSQL' WHERE id = ?`, args: [seeded.messages[2]!] });
    const refused = await cli(['reconcile', '--from', 'postgres', ...common], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('phase 4');
    expect(refused.stderr).toContain('--allow-non-primary');
    expect((await verify()).json.drift).toBe(1); // untouched
    const dry = await cli(['reconcile', '--from', 'postgres', '--dry-run', ...common], env); // a dry run writes nothing: allowed
    expect(dry.code).toBe(4);
    const forced = await cli(['reconcile', '--from', 'postgres', '--allow-non-primary', ...common], env);
    expect(forced.code).toBe(0);
    const back = await raw.lite.execute({ sql: 'SELECT message_content FROM messages WHERE id = ?', args: [seeded.messages[2]!] });
    expect(back.rows[0]!.message_content).not.toBe('drift on LibSQL');
  });

  it('--bot-url: refuses (exit 2) when the running bot is in another phase than the shell, runs when they agree', async () => {
    let status: unknown = { phase: '6+', routing: { primary: 'postgres', shadow: 'sqlite', reads: 'postgres' }, stats: { shadow: null } };
    const bot = createServer((req, res) => res.writeHead(req.url === '/status' ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(status)));
    await new Promise<void>((r) => bot.listen(0, '127.0.0.1', r));
    const botUrl = `http://127.0.0.1:${(bot.address() as AddressInfo).port}`;
    try {
      await raw.lite.execute({ sql: `UPDATE messages SET message_content = 'changed on LibSQL', version = version + 1 WHERE id = ?`, args: [seeded.messages[3]!] });
      const refused = await cli(['reconcile', '--from', 'sqlite', '--bot-url', botUrl, ...common], env);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('runs phase 6+ (writes to postgres)');
      expect(refused.stderr).toContain('say phase 4');
      expect((await verify()).json.drift).toBe(1); // untouched

      status = { phase: '4', routing: { primary: 'sqlite', shadow: 'postgres', reads: 'sqlite' }, stats: { shadow: null } };
      const run = await cli(['reconcile', '--from', 'sqlite', '--bot-url', botUrl, ...common], env);
      expect(run.code, run.stderr).toBe(0);
      expect((await verify()).code).toBe(0);

      const down = await cli(['reconcile', '--from', 'sqlite', '--bot-url', 'http://127.0.0.1:1', ...common], env);
      expect(down.code).not.toBe(0);
      expect(down.stderr).toMatch(/GET http:\/\/127\.0\.0\.1:1\/status failed/);
    } finally {
      await new Promise((r) => bot.close(r));
    }
  });

  it('rollback after phase 6 without the LibSQL shadow: reconcile --from postgres with the phase-6 variables', async () => {
    const db = await openPhase('6', urls, {}, silentLogger);
    let written: string[];
    try {
      written = [];
      for (let i = 0; i < 3; i++) {
        const place = { userId: seeded.userId, username: 'ada', channelId: seeded.channelId, channelName: 'general' };
        written.push(await db.messageService.saveHumanMessage({ ...place, messageContent: `phase 6 #${i}`, messageId: `p6-${i}` }));
      }
      await db.documentService.deleteDocument(seeded.documents[0]!);
    } finally {
      await db.close();
    }
    const phase6 = { ...env, USE_POSTGRES_SHADOW: '', USE_POSTGRES_PRIMARY: 'true' };
    const before = await cli(['--json', 'verify', ...common], phase6);
    expect(before.code).toBe(4);
    expect(before.json.drift).toBe(6); // 3 messages + the document + its two collaborators, owner and friend (cascade)
    const r = await cli(['--json', 'reconcile', '--from', 'postgres', ...common], phase6);
    expect(r.code).toBe(0);
    expect(r.json.planned).toMatchObject({ upsert: 3, delete: 3 });
    expect((await cli(['verify', ...common], phase6)).code).toBe(0);
    const lite = await raw.lite.execute({ sql: `SELECT count(*) AS n FROM messages WHERE id IN (?, ?, ?)`, args: written! });
    expect(Number(lite.rows[0]!.n)).toBe(3);
    const tomb = await raw.lite.execute({ sql: `SELECT version FROM row_tombstones WHERE table_name = 'documents' AND id = ?`, args: [seeded.documents[0]!] });
    expect(tomb.rows).toHaveLength(1);
  });

  it('needs --from (exit 2) and accepts only sqlite or postgres', async () => {
    expect((await cli(['reconcile', ...common], env)).code).toBe(2);
    expect((await cli(['reconcile', '--from', 'mysql', ...common], env)).code).toBe(2);
  });
});
