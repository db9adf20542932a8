import { existsSync } from 'node:fs';
import { DatabaseError, describeError } from '../../errors.js';
import { redact, redactUrl } from '../../logger.js';
import { TOMBSTONES_TABLE, tableNames, type TableName } from '../../schema/tables.js';
import type { Connection } from '../../stores/connection.js';
import type { Dialect } from '../../stores/dialect.js';
import { PgConnection } from '../../stores/pg/pg-connection.js';
import { pgDialect } from '../../stores/pg/pg-dialect.js';
import { SqlStore } from '../../stores/sql-store.js';
import { openSqlite, type SqliteConnection } from '../../stores/sqlite/sqlite-connection.js';
import { sqliteDialect } from '../../stores/sqlite/sqlite-dialect.js';
import { sqliteFilePath } from './source.js';

/** Which backend. */
export type SideName = 'sqlite' | 'postgres';

/** One opened backend as the transfer tools use it: raw SQL plus the store (version-guarded writes). */
export interface Side {
  readonly name: SideName;
  readonly dialect: Dialect;
  readonly store: SqlStore;
  /** Where it is (a LibSQL `file:` path enables the fast raw reader). Never print it unredacted. */
  readonly url: string;
  /** LibSQL auth token (Turso), for readers that open their own connection. */
  readonly authToken?: string | undefined;
  /** Runs SQL written with `?` placeholders (rewritten for the dialect). */
  query(sql: string, params: readonly unknown[]): Promise<Record<string, unknown>[]>;
  /** The connection (for readers that need the driver). @internal */
  readonly conn: Connection;
}

/** The two backends the tools compare and repair. `close()` is idempotent. */
export interface BackendPair {
  readonly sqlite: Side;
  readonly postgres: Side;
  close(): Promise<void>;
}

/** Where the backends are: the app's own variables (LIBSQL_URL, LIBSQL_AUTH_TOKEN, DATABASE_URL). */
export interface BackendUrls {
  readonly libsqlUrl: string;
  readonly libsqlAuthToken?: string | undefined;
  readonly databaseUrl?: string | undefined;
}

function side(name: SideName, conn: Connection, dialect: Dialect, url: string, authToken?: string): Side {
  return {
    name,
    dialect,
    url,
    authToken,
    conn,
    store: new SqlStore(conn, dialect),
    query: (sql, params) => conn.query(dialect.placeholders(sql), params),
  };
}

function unreachable(backend: string, url: string, e: unknown): DatabaseError {
  const d = describeError(e);
  return new DatabaseError('DATABASE_UNREACHABLE', `${backend} at ${redactUrl(url)} is unreachable: ${redact(d.message)} (${d.code})`, { backend, cause: d.code }, { cause: e });
}

/**
 * Opens LibSQL and checks it answers. A `file:` URL must name an existing file (the tools never
 * create an empty database by accident).
 * @throws DatabaseError `DATABASE_UNREACHABLE` (message redacted).
 */
export async function openSqliteSide(urls: Pick<BackendUrls, 'libsqlUrl' | 'libsqlAuthToken'>): Promise<Side> {
  const url = urls.libsqlUrl;
  const path = sqliteFilePath(url);
  if (path !== null && !existsSync(path)) {
    throw new DatabaseError('DATABASE_UNREACHABLE', `LibSQL file ${path} does not exist (LIBSQL_URL=${redactUrl(url)})`, { backend: 'LibSQL' });
  }
  let conn: SqliteConnection | null = null;
  try {
    conn = await openSqlite({ url, authToken: urls.libsqlAuthToken });
    await conn.query('SELECT 1', []);
    return side('sqlite', conn, sqliteDialect, url, urls.libsqlAuthToken);
  } catch (e) {
    await conn?.close().catch(() => {});
    throw unreachable('LibSQL', url, e);
  }
}

/**
 * Opens a small PostgreSQL pool (`max` connections, default 4) and checks it answers.
 * @throws DatabaseError `DATABASE_UNREACHABLE` (message redacted).
 */
export async function openPostgresSide(url: string, max = 4): Promise<Side> {
  const conn = new PgConnection({ url, max, applicationName: 'repo-database-cli' });
  try {
    await conn.query('SELECT 1', []);
    return side('postgres', conn, pgDialect, url);
  } catch (e) {
    await conn.close().catch(() => {});
    throw unreachable('PostgreSQL', url, e);
  }
}

/**
 * Opens both backends.
 * @throws DatabaseError `DATABASE_URL_MISSING` without `databaseUrl`; `DATABASE_UNREACHABLE`.
 */
export async function openBackendPair(urls: BackendUrls): Promise<BackendPair> {
  if (!urls.databaseUrl) throw new DatabaseError('DATABASE_URL_MISSING', 'this command needs PostgreSQL: set DATABASE_URL', { variable: 'DATABASE_URL' });
  const sqlite = await openSqliteSide(urls);
  let postgres: Side;
  try {
    postgres = await openPostgresSide(urls.databaseUrl);
  } catch (e) {
    await sqlite.store.close().catch(() => {});
    throw e;
  }
  let closed: Promise<void> | null = null;
  return {
    sqlite,
    postgres,
    close: () => (closed ??= Promise.allSettled([sqlite.store.close(), postgres.store.close()]).then(() => undefined)),
  };
}

/** The data tables and `row_tombstones` that exist on `side`. */
export async function existingTables(s: Side): Promise<Set<string>> {
  const rows =
    s.name === 'sqlite'
      ? await s.query(`SELECT name FROM sqlite_master WHERE type = 'table'`, [])
      : await s.query(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()`, []);
  const wanted = new Set<string>([...tableNames, TOMBSTONES_TABLE]);
  return new Set(rows.map((r) => String(r.name)).filter((n) => wanted.has(n)));
}

/**
 * Checks that `tables` (and `row_tombstones`) exist on both sides.
 * @throws DatabaseError `SCHEMA_MISSING` naming the side and tables, with the migrate command to run.
 */
export async function requireTables(pair: BackendPair, tables: readonly TableName[]): Promise<void> {
  for (const s of [pair.sqlite, pair.postgres]) {
    const have = await existingTables(s);
    const missing = [...tables, TOMBSTONES_TABLE].filter((t) => !have.has(t));
    if (missing.length > 0) {
      throw new DatabaseError('SCHEMA_MISSING', `${s.name} has no table ${missing.join(', ')}: run \`pnpm db migrate --target ${s.name}\``, { side: s.name, missing });
    }
  }
}
