import { createClient, type Client } from '@libsql/client';
import postgres from 'postgres';
import { migratePostgres, migrateSqlite } from '../../src/migrations/migrate.js';
import { PgConnection } from '../../src/stores/pg/pg-connection.js';
import { pgDialect } from '../../src/stores/pg/pg-dialect.js';
import { SqlStore } from '../../src/stores/sql-store.js';
import { openSqlite } from '../../src/stores/sqlite/sqlite-connection.js';
import { sqliteDialect } from '../../src/stores/sqlite/sqlite-dialect.js';
import { createTestPostgres, createTestSqlite } from '../../src/testing/index.js';

/** One migrated backend opened as a bare {@link SqlStore} (no router), for contract tests. */
export interface TestBackend {
  readonly kind: 'sqlite' | 'postgres';
  readonly store: SqlStore;
  /** The backend's URL (`file:…` or `postgres://…`). */
  readonly url: string;
  /** Closes the store and removes the file / drops the database. */
  cleanup(): Promise<void>;
}

/** A fresh LibSQL temp file, migrated. */
export async function openSqliteBackend(): Promise<TestBackend> {
  const file = createTestSqlite();
  await migrateSqlite(file.url);
  const store = new SqlStore(await openSqlite({ url: file.url }), sqliteDialect);
  return {
    kind: 'sqlite',
    store,
    url: file.url,
    cleanup: async () => {
      await store.close();
      file.remove();
    },
  };
}

/** A fresh PostgreSQL database on the test server, migrated. */
export async function openPostgresBackend(poolSize = 4): Promise<TestBackend> {
  const db = await createTestPostgres('contract');
  await migratePostgres(db.url);
  const store = new SqlStore(new PgConnection({ url: db.url, max: poolSize }), pgDialect);
  return {
    kind: 'postgres',
    store,
    url: db.url,
    cleanup: async () => {
      await store.close();
      await db.drop();
    },
  };
}

/** Both test databases for a service/phase test: a LibSQL file and a PostgreSQL database, not migrated. */
export async function createBothDatabases(prefix = 'svc'): Promise<{ sqliteUrl: string; pgUrl: string; cleanup: () => Promise<void> }> {
  const file = createTestSqlite();
  const pg = await createTestPostgres(prefix);
  return {
    sqliteUrl: file.url,
    pgUrl: pg.url,
    cleanup: async () => {
      await pg.drop();
      file.remove();
    },
  };
}

/**
 * Direct connections to both backends that bypass the package (raw @libsql/client and
 * postgres.js), to check where writes went.
 */
export function openRaw(sqliteUrl: string, pgUrl: string): { lite: Client; pg: postgres.Sql; close: () => Promise<void> } {
  const lite = createClient({ url: sqliteUrl, intMode: 'bigint' });
  const pg = postgres(pgUrl, { max: 2, onnotice: () => {} });
  return {
    lite,
    pg,
    close: async () => {
      lite.close();
      await pg.end({ timeout: 5 });
    },
  };
}
