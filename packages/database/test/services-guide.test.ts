/**
 * The guide's usage (reference/sqlite-to-postgres-migration-guide.md, "Code Usage"): import the
 * four services from the package and call them; the environment picks the phase. Runs in
 * phase 1 and phase 6, switching only environment variables between the two.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, documentService, getDatabase, messageService, queryService, userProfileService } from '../src/index.js';
import { migratePostgres, migrateSqlite } from '../src/migrations/migrate.js';
import { createTestPostgres, createTestSqlite } from '../src/testing/index.js';
import { openRaw } from './helpers/backends.js';

const saved = { ...process.env };
let file: ReturnType<typeof createTestSqlite>;
let pg: Awaited<ReturnType<typeof createTestPostgres>>;

beforeAll(async () => {
  file = createTestSqlite();
  pg = await createTestPostgres('guide');
  // Both schemas exist from the start, so "no row on the other backend" is a real check.
  await Promise.all([migrateSqlite(file.url), migratePostgres(pg.url)]);
  process.env.LOG_LEVEL = 'silent';
});
afterAll(async () => {
  await closeDatabase();
  process.env = saved;
  await pg?.drop();
  file?.remove();
});

function setPhase(flags: Record<string, string>) {
  for (const k of ['USE_POSTGRES_PRIMARY', 'USE_POSTGRES_READ', 'USE_POSTGRES_SHADOW']) delete process.env[k];
  Object.assign(process.env, { LIBSQL_URL: file.url, DATABASE_URL: pg.url, ...flags });
}

describe.each([
  ['1', {}, 'sqlite'],
  ['6', { USE_POSTGRES_PRIMARY: 'true' }, 'postgres'],
] as const)('the guide\'s calls in phase %s', (phase, flags, backend) => {
  it('work without any code change and land on the phase\'s primary', async () => {
    await closeDatabase();
    setPhase(flags);
    const user = `guide-${phase}`;
    const mId = await messageService.saveHumanMessage({ userId: user, username: 'ada', channelId: 'general', channelName: 'general', messageContent: `hello from phase ${phase}`, messageId: '1' });
    const qId = await queryService.saveQuery({ userId: user, username: 'ada', queryText: 'q' });
    const d = await documentService.createDocument({ title: 'Notes', createdBy: user });
    const p = await userProfileService.getOrCreateUserProfile(user, 'ada');
    await userProfileService.updateUserProfile(user, { openness_score: 90 });
    expect((await getDatabase()).routing.phase).toBe(phase);
    expect((await messageService.queryMessages({ userId: user })).map((x) => x.id)).toEqual([mId]);
    expect(await documentService.getDocument(d.id)).toEqual(d);
    expect((await userProfileService.getUserProfile(user))?.openness_score).toBe(90);
    await closeDatabase();

    const raw = openRaw(file.url, pg.url);
    try {
      const inLite = (await raw.lite.execute({ sql: 'SELECT id FROM queries WHERE id = ?', args: [qId] })).rows.length;
      const inPg = (await raw.pg`SELECT id FROM queries WHERE id = ${qId}`).length;
      expect({ inLite, inPg }).toEqual(backend === 'sqlite' ? { inLite: 1, inPg: 0 } : { inLite: 0, inPg: 1 });
      expect(p.user_id).toBe(user);
    } finally {
      await raw.close();
    }
  });
});
