/**
 * `db gate` (built CLI, child process) on a real pair: passes on a clean pair, fails with the
 * criterion named (exit 4) on drift, on a high shadow failure rate read from the bot's
 * `GET /status`, on an unmeasured shadow rate, and on a latency bar nobody can meet.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBothDatabases, openRaw } from './helpers/backends.js';
import { ensureFreshDist } from './helpers/fresh-dist.js';
import { cli, seedPhase4, type Seeded } from './verify-fixtures.js';
import { readLastGate } from '../src/transfer/gate-report.js';

let urls: Awaited<ReturnType<typeof createBothDatabases>>;
let raw: ReturnType<typeof openRaw>;
let seeded: Seeded;
let dataDir: string;
let env: Record<string, string>;
/** A stand-in for the bot's HTTP service: only `GET /status`, answering `botStatus`. */
let bot: Server;
let botUrl: string;
let botStatus: unknown;

beforeAll(async () => {
  ensureFreshDist();
  urls = await createBothDatabases('gatecli');
  seeded = await seedPhase4(urls, 30);
  raw = openRaw(urls.sqliteUrl, urls.pgUrl);
  dataDir = mkdtempSync(join(tmpdir(), 'gate-cli-'));
  env = { LIBSQL_URL: urls.sqliteUrl, DATABASE_URL: urls.pgUrl, USE_POSTGRES_SHADOW: 'true' };
  bot = createServer((req, res) => {
    if (req.url !== '/status') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(botStatus));
  });
  await new Promise<void>((r) => bot.listen(0, '127.0.0.1', r));
  botUrl = `http://127.0.0.1:${(bot.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => bot?.close(r));
  await raw?.close();
  await urls?.cleanup();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const shadow = (succeeded: number, failed: number, dropped: number) => ({
  phase: '4',
  stats: {
    shadow: { backend: 'postgres', enqueued: succeeded + failed + dropped, succeeded, failed, dropped, failureRate: failed / Math.max(1, succeeded + failed) },
    // compared reads that agree (their criterion: compare-reads-gate.test.ts)
    comparedReads: { rate: 0.01, total: { compared: 600, matched: 600, mismatched: 0, dropped: 0 }, byCall: { 'get.messages': { compared: 600, matched: 600, mismatched: 0, dropped: 0 } } },
  },
});
const gate = (...args: string[]) => cli(['--json', 'gate', '--data-dir', dataDir, '--recheck-delay-ms', '0', '--samples', '50', ...args], env);
const byKey = (json: { criteria: Array<{ key: string; pass: boolean; value: string }> }) => Object.fromEntries(json.criteria.map((c) => [c.key, c]));

describe('db gate', () => {
  it('passes every criterion on a clean pair with a healthy bot, and prints PASS lines', async () => {
    botStatus = shadow(995, 2, 1);
    const r = await gate('--bot-url', botUrl);
    expect(r.json.failed).toEqual([]);
    expect(r.code).toBe(0);
    // Kept for the bot's status page and /metrics: <data-dir>/last-gate.json.
    const kept = readLastGate(dataDir)!;
    expect(kept).toMatchObject({ ok: true, failed: [] });
    expect(kept.criteria.map((k) => [k.key, k.pass])).toEqual((r.json.criteria as Array<{ key: string; pass: boolean }>).map((k) => [k.key, k.pass]));
    expect(Date.now() - Date.parse(kept.at)).toBeLessThan(60_000);
    const c = byKey(r.json);
    expect(Object.keys(c)).toEqual(['tables', 'verify', 'shadow', 'compared_reads', 'latency', 'search', 'foreign_keys', 'indexes']);
    expect(c.compared_reads!.value).toBe('100.00% (600 of 600 matched, 0 mismatched, 0 dropped)');
    expect(c.shadow!.value).toContain('0.30%');
    expect(c.latency!.value).toMatch(/^p95 [\d.]+ ms/);
    expect(c.search!.value).toMatch(/^5 of 5 sampled messages found/);
    // the app's reads on omega's layout: by id, a channel's and a user's newest messages, counts, search
    expect((c.latency as unknown as { detail: { byKind: Record<string, number> } }).detail.byKind).toMatchObject({
      get: expect.any(Number),
      'find(messages by channel)': expect.any(Number),
      'find(messages by user)': expect.any(Number),
    });
    expect(c.foreign_keys!.value).toBe(
      '0 rows without their parent (document_collaborators.document_id → documents.id: 0, user_analysis_history.user_id → user_profiles.user_id: 0)',
    );
    const text = await cli(['gate', '--data-dir', dataDir, '--recheck-delay-ms', '0', '--samples', '20', '--bot-url', `${botUrl}/status`], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^PASS {2}every table exists on PostgreSQL/m);
    expect(text.stdout).toContain('GATE PASSED');
  });

  it('fails the shadow criterion at or above the maximum rate (dropped writes count), and passes it with a higher maximum', async () => {
    botStatus = shadow(990, 5, 5);
    const r = await gate('--bot-url', botUrl);
    expect(r.code).toBe(4);
    expect(r.json.failed).toEqual(['shadow']);
    expect(byKey(r.json).shadow!.value).toContain('1.00% (5 failed + 5 dropped of 1000');
    expect((await gate('--bot-url', botUrl, '--max-shadow-failure-rate', '0.02')).code).toBe(0);
  });

  it('fails the shadow criterion when it is not measured, when the bot is down, or when the bot has no shadow', async () => {
    const none = await gate();
    expect(none.code).toBe(4);
    expect(byKey(none.json).shadow!.value).toContain('not measured');
    expect((await gate('--skip-shadow')).code).toBe(0);
    const down = await gate('--bot-url', 'http://127.0.0.1:1');
    expect(down.code).toBe(4);
    expect(byKey(down.json).shadow!.value).toMatch(/^error: GET http:\/\/127\.0\.0\.1:1\/status failed/);
    botStatus = { phase: '1', stats: { shadow: null } };
    expect(byKey((await gate('--bot-url', botUrl)).json).shadow!.value).toContain('without shadow writes');
  });

  it('fails the compared-reads criterion below --min-compared-reads or --min-consistency', async () => {
    botStatus = shadow(1000, 0, 0);
    const few = await gate('--bot-url', botUrl, '--min-compared-reads', '601');
    expect(few.code).toBe(4);
    expect(few.json.failed).toEqual(['compared_reads']);
    expect(byKey(few.json).compared_reads!.value).toContain('fewer than 601 compared reads');
    expect((await gate('--bot-url', botUrl, '--min-consistency', '1.5')).code).toBe(2);
  });

  it("fails the shadow criterion when the bot runs another phase than this shell's USE_POSTGRES_* say", async () => {
    botStatus = { ...shadow(1000, 0, 0), phase: '6+' }; // the shell (env) says phase 4
    const r = await gate('--bot-url', botUrl);
    expect(r.code).toBe(4);
    expect(r.json.failed).toEqual(['shadow']);
    expect(byKey(r.json).shadow!.value).toBe("the bot runs phase 6+, but this shell's USE_POSTGRES_* say phase 4: set the bot's variables here too");
    const same = await cli(['--json', 'gate', '--data-dir', dataDir, '--recheck-delay-ms', '0', '--samples', '20', '--bot-url', botUrl], { ...env, USE_POSTGRES_PRIMARY: 'true' });
    expect(byKey(same.json).shadow!.pass).toBe(true);
  });

  it('fails the latency criterion when the bar cannot be met', async () => {
    const r = await gate('--skip-shadow', '--max-p95-ms', '0.0001');
    expect(r.code).toBe(4);
    expect(r.json.failed).toEqual(['latency']);
  });

  it('fails (exit 4) naming the verify criterion when there is drift, and lists the drifted rows', async () => {
    await raw.pg.unsafe('DELETE FROM messages WHERE id = $1', [seeded.messages[4]!]);
    const r = await gate('--skip-shadow');
    expect(r.code).toBe(4);
    expect(r.json.failed).toEqual(['verify']);
    expect(byKey(r.json).verify!.value).toBe('1 drifted rows of 38 (counts differ: messages 32≠31)');
    const text = await cli(['gate', '--skip-shadow', '--data-dir', dataDir, '--recheck-delay-ms', '0', '--samples', '20'], env);
    expect(text.code).toBe(4);
    expect(text.stdout).toMatch(/^FAIL {2}row counts and checksums match \(verify\)/m);
    expect(text.stdout).toContain(`messages ${seeded.messages[4]!}  missing_in_postgres`);
    expect(text.stdout).toContain('GATE FAILED: verify.');
  });

  it('fails the tables criterion (and does not run the others) on a PostgreSQL without the schema', async () => {
    await raw.pg.unsafe('DROP TABLE user_analysis_history');
    const r = await gate('--skip-shadow');
    expect(r.code).toBe(9); // SCHEMA_MISSING: the schema, not drift (exit-codes.ts)
    expect(byKey(r.json).tables!.value).toBe('missing: user_analysis_history');
    expect(r.json.failed).toEqual(['tables', 'verify', 'latency', 'search', 'foreign_keys']);
  });
});
