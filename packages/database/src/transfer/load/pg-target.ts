import postgres from 'postgres';
import { DatabaseError, describeError } from '../../errors.js';
import { redact, redactUrl } from '../../logger.js';
import { postgresMigrationStatus } from '../source/migration-status.js';
import { PG_EXACT_JSON_TYPES, pgClientOptions } from '../../stores/pg/pg-connection.js';

/** The postgres.js instance the bulk path uses. */
export type PgSql = postgres.Sql;

/** An open PostgreSQL target of import/copy. */
export interface Target {
  readonly sql: PgSql;
  /** A separate connection (max 1, opened on first use) for watching the pool's backends (see pg-copy.ts). */
  readonly monitor: PgSql;
  /** The URL with credentials removed. */
  readonly label: string;
  /** Pool size (postgres.js `max`). */
  readonly poolSize: number;
  close(): Promise<void>;
}

/**
 * Opens a postgres.js pool for a bulk load and checks the target before anything is written:
 * it answers, and its schema has no pending migration.
 * Notices (e.g. `to_tsvector`'s "word is too long to be indexed") are dropped.
 * @param opts.max pool size (postgres.js `max`); one connection per batch in flight (plus one monitor connection).
 * @throws DatabaseError `DATABASE_UNREACHABLE` when it does not answer; `SCHEMA_MISSING` when migrations are pending (CLI exit 9).
 */
export async function openTarget(url: string, opts: { max: number; applicationName?: string }): Promise<Target> {
  const label = redactUrl(url) ?? '';
  const sql = postgres(url, {
    max: opts.max,
    ...pgClientOptions(),
    idle_timeout: 30,
    onnotice: () => {},
    types: PG_EXACT_JSON_TYPES,
    connection: { application_name: opts.applicationName ?? 'repo-database:transfer' },
  });
  try {
    await sql`SELECT 1`;
  } catch (e) {
    await sql.end({ timeout: 0 }).catch(() => {});
    const d = describeError(e);
    throw new DatabaseError('DATABASE_UNREACHABLE', `PostgreSQL at ${label} is unreachable: ${redact(d.message)} (${d.code})`, { backend: 'postgres' }, { cause: e });
  }
  const status = await postgresMigrationStatus(url);
  if (status.pending.length > 0) {
    await sql.end({ timeout: 5 }).catch(() => {});
    throw new DatabaseError(
      'SCHEMA_MISSING',
      `PostgreSQL schema at ${label} is behind (pending: ${status.pending.join(', ')}): run \`pnpm db migrate --target postgres\` first`,
      { backend: 'postgres', pending: status.pending },
    );
  }
  const monitor = postgres(url, { max: 1, ...pgClientOptions(), idle_timeout: 30, onnotice: () => {}, connection: { application_name: `${opts.applicationName ?? 'repo-database:transfer'}:monitor` } });
  return {
    sql,
    monitor,
    label,
    poolSize: opts.max,
    close: async () => {
      await Promise.all([sql.end({ timeout: 5 }), monitor.end({ timeout: 5 })]);
    },
  };
}
