import { afterAll, beforeAll, describe } from 'vitest';
import type { Phase } from '../../src/config/phase.js';
import type { Database } from '../../src/database.js';
import { createTestPostgres, createTestSqlite } from '../../src/testing/index.js';
import { openPhase } from './phase-db.js';
import { silentLogger } from './silent-logger.js';

/** What a phase's tests get: the opened database and the URLs behind it (for direct checks). */
export interface PhaseContext {
  readonly phase: Phase;
  db(): Database;
  urls(): { sqliteUrl: string; pgUrl: string };
}

/**
 * Runs `body` once per phase, each with its own fresh LibSQL file and (when the phase uses it)
 * PostgreSQL database, opened through `createDatabase(loadConfig(…))` as the app does.
 */
export function describePhases(title: string, phases: readonly Phase[], body: (ctx: PhaseContext) => void, extraEnv: Record<string, string> = {}): void {
  describe.each(phases.map((p) => [p]))(`${title} (phase %s)`, (phase) => {
    let db: Database | undefined;
    let urls = { sqliteUrl: '', pgUrl: '' };
    const cleanups: Array<() => Promise<void> | void> = [];
    beforeAll(async () => {
      const file = createTestSqlite();
      cleanups.push(file.remove);
      urls = { sqliteUrl: file.url, pgUrl: 'postgres://unused@127.0.0.1:1/unused' };
      if (phase !== '1') {
        const pg = await createTestPostgres('svc');
        cleanups.push(pg.drop);
        urls.pgUrl = pg.url;
      }
      db = await openPhase(phase, urls, extraEnv, silentLogger);
    });
    afterAll(async () => {
      await db?.close();
      for (const c of cleanups.reverse()) await c();
    });
    body({
      phase,
      db: () => {
        if (!db) throw new Error('database not opened');
        return db;
      },
      urls: () => urls,
    });
  });
}
