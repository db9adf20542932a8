/**
 * What keeps the shadow out of the caller's way besides its own thread: the shadow thread runs
 * reniced (SHADOW_WORKER_NICE, Linux per-thread nice) while the caller's thread and libuv's pool
 * keep nice 0, and the shadow's PostgreSQL sessions commit without waiting for the disk
 * (synchronous_commit off).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgConnection } from '../src/stores/pg/pg-connection.js';
import { createBothDatabases } from './helpers/backends.js';
import { openPhase, silentLogger } from './helpers/phase-db.js';
import { waitFor } from './helpers/wait.js';

/** Nice value of every thread of this process, by thread id (`/proc/self/task/<tid>/stat`, field 19). */
function threadNices(): Map<number, { nice: number; name: string }> {
  const out = new Map<number, { nice: number; name: string }>();
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
    out.set(Number(tid), { nice: Number(fields[19 - 3]), name: readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() });
  }
  return out;
}

describe('shadow worker settings', () => {
  let urls: Awaited<ReturnType<typeof createBothDatabases>>;
  beforeAll(async () => {
    urls = await createBothDatabases('shadow_settings');
  });
  afterAll(async () => {
    await urls?.cleanup();
  });

  it.runIf(process.platform === 'linux')('renices only the shadow thread: the caller and the libuv pool keep nice 0', async () => {
    const before = threadNices();
    const db = await openPhase('4', urls, { SHADOW_WORKER_NICE: '12' }, silentLogger);
    try {
      await db.messageService.saveHumanMessage({ userId: 'u1', username: 'ada', channelId: 'c1', channelName: 'general', messageContent: 'hello', messageId: 'm1' });
      await waitFor('the shadow write', () => db.shadowStats()?.succeeded === 1);
      const after = threadNices();
      const reniced = [...after].filter(([tid, t]) => !before.has(tid) && t.nice === 12);
      expect(reniced.length, JSON.stringify([...after])).toBeGreaterThanOrEqual(1);
      expect(after.get(process.pid)!.nice).toBe(before.get(process.pid)!.nice);
      for (const [, t] of after) if (t.name.startsWith('libuv-worker')) expect(t.nice, t.name).toBe(before.get(process.pid)!.nice);
    } finally {
      await db.close();
    }
  });

  it('SHADOW_WORKER_NICE=0 leaves every thread as it was', async () => {
    const db = await openPhase('4', urls, { SHADOW_WORKER_NICE: '0' }, silentLogger);
    try {
      await db.messageService.saveHumanMessage({ userId: 'u1', username: 'ada', channelId: 'c1', channelName: 'general', messageContent: 'hello again', messageId: 'm2' });
      await waitFor('the shadow write', () => db.shadowStats()?.succeeded === 1);
      if (process.platform === 'linux') expect([...threadNices().values()].filter((t) => t.nice !== 0)).toEqual([]);
      else expect(db.shadowStats()?.failed).toBe(0);
    } finally {
      await db.close();
    }
  });

  it('a connection opened with synchronousCommit off has it on every session', async () => {
    const pg = new PgConnection({ url: urls.pgUrl, max: 2, synchronousCommit: 'off' });
    const plain = new PgConnection({ url: urls.pgUrl, max: 1 });
    try {
      const [a, b] = await Promise.all([pg.query('SHOW synchronous_commit', []), pg.query('SELECT pg_sleep(0.05), current_setting($1) AS s', ['synchronous_commit'])]);
      expect([a[0]!.synchronous_commit, b[0]!.s]).toEqual(['off', 'off']);
      expect((await plain.query('SHOW synchronous_commit', []))[0]!.synchronous_commit).toBe('on');
    } finally {
      await Promise.all([pg.close(), plain.close()]);
    }
  });
});
