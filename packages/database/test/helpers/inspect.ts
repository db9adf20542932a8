import { PgConnection } from '../../src/stores/pg/pg-connection.js';
import { pgDialect } from '../../src/stores/pg/pg-dialect.js';
import { SqlStore } from '../../src/stores/sql-store.js';
import { openSqlite } from '../../src/stores/sqlite/sqlite-connection.js';
import { sqliteDialect } from '../../src/stores/sqlite/sqlite-dialect.js';
import { tableNames, type TableName } from '../../src/schema/tables.js';
import type { Row } from '../../src/stores/store.js';
import { normalizeRow } from '../../src/transfer/convert/normalize-row.js';
import { migratePostgres, migrateSqlite } from '../../src/migrations/migrate.js';
import { TcpProxy } from '../../src/testing/index.js';
import { createBothDatabases } from './backends.js';

/** Bare stores on both backends, bypassing the router: to seed one backend only, or to read each. */
export async function openBareStores(urls: { sqliteUrl: string; pgUrl: string }): Promise<{ sqlite: SqlStore; postgres: SqlStore; close: () => Promise<void> }> {
  const sqlite = new SqlStore(await openSqlite({ url: urls.sqliteUrl }), sqliteDialect);
  const postgres = new SqlStore(new PgConnection({ url: urls.pgUrl, max: 2 }), pgDialect);
  return { sqlite, postgres, close: async () => void (await Promise.all([sqlite.close(), postgres.close()])) };
}

/** Every row of every table in canonical form, sorted by id (at most 100,000 per table). */
export async function dumpAll(store: SqlStore): Promise<Record<TableName, Row[]>> {
  const out = {} as Record<TableName, Row[]>;
  for (const table of tableNames) {
    const rows = await store.find(table, {}, { orderBy: [['id', 'asc']], limit: 100_000 });
    // Sorted in JS: PostgreSQL's collation may order text differently from SQLite's bytes.
    out[table] = rows.map((r) => normalizeRow(table, r)).sort((a, b) => (String(a.id) < String(b.id) ? -1 : String(a.id) > String(b.id) ? 1 : 0));
  }
  return out;
}

/**
 * The fault tests' set-up: a migrated LibSQL file and PostgreSQL database, a TCP proxy in front of
 * PostgreSQL (to stall, drop or refuse it), and bare stores for reading both sides directly.
 */
export async function openProxiedBackends(prefix: string): Promise<{
  urls: Awaited<ReturnType<typeof createBothDatabases>>;
  proxy: TcpProxy;
  bare: Awaited<ReturnType<typeof openBareStores>>;
  close: () => Promise<void>;
}> {
  const urls = await createBothDatabases(prefix);
  await Promise.all([migrateSqlite(urls.sqliteUrl), migratePostgres(urls.pgUrl)]);
  const target = new URL(urls.pgUrl);
  const proxy = await new TcpProxy(target.hostname, Number(target.port || 5432)).start();
  const bare = await openBareStores(urls);
  return {
    urls,
    proxy,
    bare,
    close: async () => {
      await bare.close();
      await proxy.stop();
      await urls.cleanup();
    },
  };
}
