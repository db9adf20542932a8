/**
 * Rows that never reach the shadow (issue 14 §4): with PostgreSQL refusing, the circuit opens and
 * rows wait; at shutdown the drain deadline passes. Every such row is counted (`failed`,
 * `abandoned`, `dropped`), logged by id, and appended to the durable failure journal in the
 * primary; the journal survives a restart, `pnpm db status` shows its size, and
 * `pnpm db reconcile --journal` repairs exactly those rows (no full verify) and clears them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../src/ids.js';
import { journalSqlOf, readJournal } from '../src/routing/failure-journal.js';
import { openSqlite } from '../src/stores/sqlite/sqlite-connection.js';
import { ensureFreshDist } from './helpers/fresh-dist.js';
import { openProxiedBackends } from './helpers/inspect.js';
import { captureLogs } from './helpers/log-capture.js';
import { openPhase } from './helpers/phase-db.js';
import { silentLogger } from './helpers/silent-logger.js';
import { cli } from './verify-fixtures.js';

let backends: Awaited<ReturnType<typeof openProxiedBackends>>;
let urls: typeof backends.urls;
let proxy: typeof backends.proxy;
let bare: typeof backends.bare;

beforeAll(async () => {
  ensureFreshDist();
  backends = await openProxiedBackends('journal');
  ({ urls, proxy, bare } = backends);
});
afterAll(async () => {
  await backends?.close();
});

async function journalKeys(): Promise<Set<string>> {
  const conn = await openSqlite({ url: urls.sqliteUrl });
  try {
    return new Set((await readJournal(journalSqlOf('sqlite', conn))).map((e) => `${e.table}:${e.id}`));
  } finally {
    await conn.close();
  }
}

const env = () => ({ LIBSQL_URL: urls.sqliteUrl, DATABASE_URL: urls.pgUrl, USE_POSTGRES_SHADOW: 'true' });

describe.each([['worker'], ['inline']] as const)('failure journal (SHADOW_MODE=%s)', (mode) => {
  it('PostgreSQL refused until shutdown: every row is counted, logged by id and journaled; reconcile --journal repairs exactly them', async () => {
    const logs = captureLogs('info');
    const db = await openPhase(
      '4',
      { sqliteUrl: urls.sqliteUrl, pgUrl: proxy.urlFor(urls.pgUrl) },
      { SHADOW_MODE: mode, SHADOW_TIMEOUT_MS: '300', SHADOW_QUEUE_LIMIT: '500', SHADOW_DRAIN_TIMEOUT_MS: '300' },
      logs.logger,
    );
    const channel = `refused-${newId()}`;
    const ids: string[] = [];
    proxy.mode = 'refuse';
    proxy.resetAll();
    try {
      for (let i = 0; i < 750; i++) {
        ids.push(await db.messageService.saveHumanMessage({ userId: 'u', username: 'ada', channelId: channel, channelName: 'general', messageContent: `m ${i}`, messageId: `m-${i}` }));
      }
    } finally {
      await db.close();
    }
    const s = db.shadowStats()!;
    // Nothing landed, and every row is counted as not landed.
    expect(s.succeeded).toBe(0);
    expect(s.failed + s.dropped).toBe(750);
    expect(s.queued + s.inFlight).toBe(0);
    // Every row is logged by id.
    const logged = new Set(
      [...logs.events('shadow_write_failed'), ...logs.events('shadow_write_dropped'), ...logs.events('shadow_write_abandoned'), ...logs.events('shadow_write_lost')].map((l) => String(l.id)),
    );
    expect(ids.filter((id) => !logged.has(id))).toEqual([]);
    // Every row is in the journal, which lives in the primary and survives the restart.
    const journal = await journalKeys();
    expect(ids.filter((id) => !journal.has(`messages:${id}`))).toEqual([]);

    // A restart of the bot (healed) leaves the journal as it is.
    proxy.heal();
    const again = await openPhase('4', { sqliteUrl: urls.sqliteUrl, pgUrl: proxy.urlFor(urls.pgUrl) }, { SHADOW_MODE: mode }, silentLogger);
    await again.close();
    expect((await journalKeys()).size).toBe(journal.size);

    const status = await cli(['--json', 'status'], env());
    expect(status.code).toBe(0);
    expect((status.json as { sqlite: { journal: number } }).sqlite.journal).toBe(journal.size);
    const text = await cli(['status'], env());
    expect(text.stdout).toContain(`shadow failure journal: ${journal.size} rows`);

    const r = await cli(['reconcile', '--journal'], env());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/verify found/); // no full verify
    const inPg = new Set((await bare.postgres.find('messages', { channel_id: channel }, { orderBy: [], limit: 10_000, columns: ['id'] })).map((x) => String(x.id)));
    expect(ids.filter((id) => !inPg.has(id))).toEqual([]);
    for (const id of ids.slice(0, 20)) expect(await bare.postgres.get('messages', id)).toEqual(await bare.sqlite.get('messages', id));
    expect((await journalKeys()).size).toBe(0);
    const after = await cli(['--json', 'status'], env());
    expect((after.json as { sqlite: { journal: number } }).sqlite.journal).toBe(0);
  });
});

it('reconcile --journal touches only the journaled rows: other drift is left for verify', async () => {
  // A row only in LibSQL that no shadow write ever failed for (not journaled) stays missing.
  const conn = await openSqlite({ url: urls.sqliteUrl });
  const { appendToJournal } = await import('../src/routing/failure-journal.js');
  const db = await openPhase('1', urls, {}, silentLogger);
  let journaled: string;
  let other: string;
  try {
    journaled = await db.messageService.saveHumanMessage({ userId: 'u', username: 'ada', channelId: 'only', channelName: 'general', messageContent: 'journaled', messageId: 'j1' });
    other = await db.messageService.saveHumanMessage({ userId: 'u', username: 'ada', channelId: 'only', channelName: 'general', messageContent: 'not journaled', messageId: 'j2' });
    const row = await bare.sqlite.get('messages', journaled);
    await appendToJournal(journalSqlOf('sqlite', conn), [{ table: 'messages', id: journaled, version: Number(row!.version), op: 'upsert', code: 'SHADOW_WRITE_FAILED' }]);
  } finally {
    await db.close();
    await conn.close();
  }
  const r = await cli(['reconcile', '--journal'], env());
  expect(r.code).toBe(0);
  expect(await bare.postgres.get('messages', journaled)).toEqual(await bare.sqlite.get('messages', journaled));
  expect(await bare.postgres.get('messages', other)).toBeNull();
});
