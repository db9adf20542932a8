/**
 * Full-text search finds the same messages on LibSQL (FTS5, unicode61) and PostgreSQL (generated
 * tsvector, 'simple'), word for word, for text PostgreSQL's parser treats specially: XML tags and
 * entities, e-mail addresses, host names, URLs, decimals, hyphens, underscores, apostrophes
 * (the fortunes corpus is full of them: `<Knghtbrd>`, `jpl@debian.org`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchTerms } from '../src/services/search-terms.js';
import { openPostgresBackend, openSqliteBackend, type TestBackend } from './helpers/backends.js';
import { messageRow } from './helpers/rows.js';

const TEXTS = [
  '<Knghtbrd> Windows? Where we are going, we do not need windows.',
  'Send patches to jpl@debian.org &amp; cc 7282@jpl-devvax.JPL.NASA.GOV',
  'Mirror at ftp.linux.org/pub/kernel, see https://www.kernel.org/doc?x=1&y=2',
  'pi is 3.14159, version 2.6.32-rc1, well-known foo_bar, don\'t panic!',
  'Café über naïve résumé — «quoted» “curly” $100 50% a+b=c [x] {y} (z) ~tilde `tick` |pipe| ^caret',
];

const TOOLS = ['search_web', 'fetch-url.v2'];
const NAMES = ['Knght.brd@irc', "o'neil_99"];

describe('search parity on text the PostgreSQL parser treats specially', () => {
  let lite: TestBackend;
  let pg: TestBackend;
  const ids: string[] = [];
  beforeAll(async () => {
    [lite, pg] = await Promise.all([openSqliteBackend(), openPostgresBackend()]);
    for (const [i, content] of TEXTS.entries()) {
      // tool_name and username are searched too (omega-bot's messages_fts columns).
      const row = messageRow({ message_content: content, channel_id: 'parity', tool_name: TOOLS[i] ?? null, username: NAMES[i] ?? 'parity' });
      ids.push(String(row.id));
      await lite.store.insert('messages', row);
      await pg.store.insert('messages', row);
    }
  });
  afterAll(async () => {
    await Promise.all([lite?.cleanup(), pg?.cleanup()]);
  });

  it('every word of every message finds the same messages on both backends', async () => {
    const words = [...new Set([...TEXTS, ...TOOLS, ...NAMES].flatMap((t) => searchTerms(t)))];
    expect(words).toEqual(expect.arrayContaining(['knghtbrd', 'amp', 'jpl', 'debian', 'nasa', 'linux', 'kernel', '14159', 'known', 'foo', 'bar', 'über', 'web', 'url', 'v2', 'irc', 'neil', '99']));
    const differ: string[] = [];
    for (const w of words) {
      const spec = { terms: [w], where: { channel_id: 'parity' }, limit: 10 };
      const [a, b] = await Promise.all([lite.store.searchMessages(spec), pg.store.searchMessages(spec)]);
      const la = a.map((r) => String(r.id)).sort();
      const lb = b.map((r) => String(r.id)).sort();
      if (la.length === 0 || JSON.stringify(la) !== JSON.stringify(lb)) differ.push(`${w}: sqlite ${la.length}, postgres ${lb.length}`);
    }
    expect(differ).toEqual([]);
  });
});
