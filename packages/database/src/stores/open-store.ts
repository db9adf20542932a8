import { PgConnection } from './pg/pg-connection.js';
import { pgDialect } from './pg/pg-dialect.js';
import { SqlStore } from './sql-store.js';
import { openSqlite } from './sqlite/sqlite-connection.js';
import { sqliteDialect } from './sqlite/sqlite-dialect.js';

/** Where to connect one backend. */
export interface BackendTarget {
  readonly backend: 'sqlite' | 'postgres';
  readonly url: string;
  readonly authToken?: string | undefined;
  /** PostgreSQL pool size. */
  readonly poolSize?: number;
  readonly applicationName?: string;
  /** PostgreSQL session `synchronous_commit` (see `PgOptions.synchronousCommit`). */
  readonly synchronousCommit?: 'on' | 'off';
}

/** Opens a {@link SqlStore} on one backend (no migrations, no ping). */
export async function openStore(t: BackendTarget): Promise<{ store: SqlStore; pg: PgConnection | null }> {
  if (t.backend === 'sqlite') {
    return { store: new SqlStore(await openSqlite({ url: t.url, authToken: t.authToken }), sqliteDialect), pg: null };
  }
  const pg = new PgConnection({ url: t.url, max: t.poolSize ?? 10, applicationName: t.applicationName, synchronousCommit: t.synchronousCommit });
  return { store: new SqlStore(pg, pgDialect), pg };
}
