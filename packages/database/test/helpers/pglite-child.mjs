// Child process of pglite-fallback.test.ts: runs against the compiled package (dist/), with
// TEST_DATABASE_URL pointing at a closed port, so testServerUrl() must start an embedded PGlite.
// Prints one JSON line with what it observed; exits non-zero on failure.
const dist = new URL('../../dist/', import.meta.url);
const { testServerUrl, createTestPostgres, createTestSqlite } = await import(new URL('testing/index.js', dist).href);
const { createDatabase, loadConfig } = await import(new URL('index.js', dist).href);
const { default: postgres } = await import('postgres');

const t0 = Date.now();
const admin = await testServerUrl();
const pg = await createTestPostgres('pglite');
const other = await createTestPostgres('pglite');
const timings = { start: Date.now() - t0 };
const file = createTestSqlite();
const db = await createDatabase(
  loadConfig({ LIBSQL_URL: file.url, DATABASE_URL: pg.url, USE_POSTGRES_PRIMARY: 'true', PG_POOL_SIZE: '4', LOG_LEVEL: 'silent' }),
);
timings.migrate = Date.now() - t0;
const out = { admin, phase: db.routing.phase, fresh: pg.url !== other.url };
// Concurrent calls so the pool opens more than one connection.
const place = { userId: 'u', username: 'n', channelId: 'c', channelName: 'general', guildId: '9223372036854775807' };
const saved = await Promise.all(
  Array.from({ length: 12 }, (_, i) => db.messageService.saveHumanMessage({ ...place, messageContent: `pglite message ${i}`, messageId: `m${i}`, metadata: { i } })),
);
out.recent = (await db.messageService.queryMessages({ channelId: 'c', limit: 100 })).length;
out.search = (await db.messageService.queryMessages({ searchText: 'pglite message', channelId: 'c' })).length;
const third = await db.messageService.getMessageById(saved[3]);
out.metadata = JSON.parse(third.metadata).i === 3;
out.guildId = (await db.messageService.getMessageById(saved[0])).guild_id;
const doc = await db.documentService.createDocument({ createdBy: 'u', title: 'T' });
await db.documentService.addCollaborator({ documentId: doc.id, userId: 'v', role: 'editor' });
await db.documentService.updateDocumentContent(doc.id, 'x');
out.docVersion = (await db.documentService.getDocument(doc.id)).version;
await db.userProfileService.createUserProfile('u', 'n');
await Promise.all(Array.from({ length: 6 }, () => db.userProfileService.incrementMessageCount('u')));
out.messageCount = (await db.userProfileService.getUserProfile('u')).message_count;
await db.queryService.saveQuery({ userId: 'u', username: 'n', queryText: 'q', executionTimeMs: 5 });
out.queryCount = await db.queryService.getQueryCount({ userId: 'u' });
// A second test database is a separate, empty instance: none of the tables migrated above.
const probe = postgres(other.url, { max: 1, onnotice: () => {} });
out.otherTables = Number((await probe`SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'messages'`)[0].n);
await probe.end();
// Eight client connections open at once, each answering.
const clients = Array.from({ length: 8 }, () => postgres(pg.url, { max: 1, onnotice: () => {} }));
out.simultaneous = (await Promise.all(clients.map((c) => c`SELECT 1 AS ok`))).length;
await Promise.all(clients.map((c) => c.end()));
await db.close();
await Promise.all([pg.drop(), other.drop()]);
file.remove();
out.ms = { ...timings, total: Date.now() - t0 };
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
