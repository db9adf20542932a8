/**
 * A message longer than PostgreSQL's tsvector can index (1 MiB of lexemes) must still move: it is
 * stored whole on both backends, and PostgreSQL's search covers its first SEARCH_PREFIX_CHARS
 * characters (drizzle/pg/0001_search_vector.sql). Before, the shadow write and the import
 * of such a message failed with SQLSTATE 54000 and the row never reached PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEARCH_PREFIX_CHARS } from '../src/schema/tables.js';
import { createBothDatabases } from './helpers/backends.js';
import { openPhase, silentLogger } from './helpers/phase-db.js';
import { waitFor } from './helpers/wait.js';

/** ~0.99 M characters (the service allows 1 M) of distinct words: its full tsvector would take 1.26 MB, over the 1 MiB limit. */
const words = Array.from({ length: 90_000 }, (_, i) => `word${i}x`);
const content = words.join(' ');

describe('a message too long for one tsvector', () => {
  let urls: Awaited<ReturnType<typeof createBothDatabases>>;
  beforeAll(async () => {
    urls = await createBothDatabases('long_message');
  });
  afterAll(async () => {
    await urls?.cleanup();
  });

  it('is shadow-written whole to PostgreSQL, and searchable there by its first 100,000 characters', async () => {
    expect(content.length).toBeGreaterThan(9 * SEARCH_PREFIX_CHARS);
    const db = await openPhase('4', urls, {}, silentLogger);
    try {
      const saved = await db.messageService.saveHumanMessage({ userId: 'u1', username: 'ada', channelId: 'c1', channelName: 'general', messageContent: content, messageId: '1' });
      await waitFor('the shadow write', () => (db.shadowStats()?.succeeded ?? 0) + (db.shadowStats()?.failed ?? 0) === 1, 20_000);
      expect(db.shadowStats()).toMatchObject({ succeeded: 1, failed: 0 });
      const pg = db.backends.postgres!;
      expect((await pg.get('messages', saved))?.message_content).toBe(content);
      const early = words[100]!;
      const late = words.at(-1)!;
      expect(content.indexOf(late)).toBeGreaterThan(SEARCH_PREFIX_CHARS);
      expect((await pg.searchMessages({ terms: [early], where: { channel_id: 'c1' }, limit: 5 })).map((r) => r.id)).toEqual([saved]);
      expect(await pg.searchMessages({ terms: [late], where: { channel_id: 'c1' }, limit: 5 })).toEqual([]);
      // LibSQL's FTS5 indexes the whole text (documented difference).
      expect((await db.backends.sqlite!.searchMessages({ terms: [late], where: { channel_id: 'c1' }, limit: 5 })).map((r) => r.id)).toEqual([saved]);
    } finally {
      await db.close();
    }
  });
});
