import { fileURLToPath } from 'node:url';
import { drizzle as drizzleLibsql } from 'drizzle-orm/libsql';
import { migrate as migrateLibsql } from 'drizzle-orm/libsql/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/postgres-js';
import { migrate as migratePg } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { pgClientOptions } from '../stores/pg/pg-connection.js';
import { assertAdopted } from '../adopt/guard.js';
import { assertPostgresAdopted } from '../adopt/pg/guard.js';
import { ensureParentFolder } from '../stores/sqlite/file-url.js';
import { createLibsqlClient } from '../stores/sqlite/libsql-client.js';
import { retryWhileBusy } from '../stores/sqlite/sqlite-busy.js';
import { rebuildDeferredIndexes } from '../transfer/load/deferred-indexes.js';

/** Folder of the committed drizzle-kit migrations of a dialect (`drizzle/sqlite`, `drizzle/pg`). */
export function migrationsFolder(dialect: 'sqlite' | 'pg'): string {
  return fileURLToPath(new URL(`../../drizzle/${dialect}`, import.meta.url));
}

/**
 * Applies pending LibSQL migrations (drizzle's `__drizzle_migrations` table records them).
 * @throws DatabaseError `LEGACY_SCHEMA` before writing anything when the file is omega-bot's (or the
 *   product's without journal) and not adopted yet: `pnpm db adopt` takes it over.
 */
export async function migrateSqlite(url: string, authToken?: string): Promise<void> {
  await assertAdopted(url, authToken, 'migrating it');
  ensureParentFolder(url);
  // Several processes may start on one file at once (bot replicas): each waits for the others'
  // locks up to the busy timeout, and where SQLite answers SQLITE_BUSY without waiting the whole
  // migration (one transaction; a retry finds what the other applied) is tried again: sqlite-busy.ts.
  await retryWhileBusy(async () => {
    const client = createLibsqlClient({ url, authToken, busyTimeoutMs: SQLITE_MIGRATE_BUSY_MS });
    try {
      await migrateLibsql(drizzleLibsql(client), { migrationsFolder: migrationsFolder('sqlite') });
    } finally {
      client.close();
    }
  }, 2 * SQLITE_MIGRATE_BUSY_MS);
}

/** Busy timeout of the LibSQL migration's connection, in ms. */
const SQLITE_MIGRATE_BUSY_MS = 5_000;

/**
 * Applies pending PostgreSQL migrations under an advisory lock, so several processes starting at
 * once (a deploy with replicas, parallel tests) apply them exactly once. Then builds the indexes a
 * killed bulk load left deferred (`transfer_deferred_indexes`, see transfer/load/deferred-indexes.ts).
 * @throws DatabaseError `LEGACY_SCHEMA` before writing anything when the database holds omega-bot's
 *   PostgreSQL tables not adopted yet: `pnpm db adopt --target postgres` takes them over.
 */
export async function migratePostgres(url: string): Promise<void> {
  await assertPostgresAdopted(url, 'migrating it');
  const sql = postgres(url, { max: 1, onnotice: () => {}, ...pgClientOptions() });
  try {
    await sql`SELECT pg_advisory_lock(hashtext('repo-database:migrate'))`;
    await migratePg(drizzlePg(sql), { migrationsFolder: migrationsFolder('pg') });
    await sql`SELECT pg_advisory_unlock(hashtext('repo-database:migrate'))`;
    await rebuildDeferredIndexes(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}
