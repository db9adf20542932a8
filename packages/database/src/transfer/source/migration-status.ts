import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLibsqlClient } from '../../stores/sqlite/libsql-client.js';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import postgres from 'postgres';
import { pgClientOptions } from '../../stores/pg/pg-connection.js';
import { describeError } from '../../errors.js';
import { redact } from '../../logger.js';
import { migrationsFolder } from '../../migrations/migrate.js';
import { sqliteFilePath } from './source.js';

/** One migration of a dialect's journal (`drizzle/<dialect>/meta/_journal.json`). */
export interface JournalEntry {
  readonly tag: string;
  /** The journal's `when` (ms since epoch); drizzle stores it as `created_at` when applied. */
  readonly createdAt: number;
  /** sha256 hex of the .sql file, as drizzle computes it. */
  readonly hash: string;
}

/** Applied and pending migrations of one backend. */
export interface BackendMigrationStatus {
  readonly backend: 'sqlite' | 'postgres';
  /** False when the database could not be opened (then `error` says why; nothing else is known). */
  readonly reachable: boolean;
  readonly error?: string | undefined;
  /** Journal entries recorded as applied, in journal order: `createdAt` is the migration's own time (drizzle records no apply time); `changed` when the .sql file's hash differs from the recorded one. */
  readonly applied: ReadonlyArray<{ readonly tag: string; readonly createdAt: string; readonly changed: boolean }>;
  /** Journal entries not recorded as applied, in order (what `migrate` would apply). */
  readonly pending: readonly string[];
  /** Recorded migrations that match no journal entry (applied by another version of the code). */
  readonly unknown: number;
  /** Tag of the last applied journal entry, or null. */
  readonly current: string | null;
  /** Tag of the last journal entry. */
  readonly latest: string | null;
}

/** The journal of a dialect, with drizzle's hashes. */
export function journal(dialect: 'sqlite' | 'pg'): JournalEntry[] {
  const folder = migrationsFolder(dialect);
  const entries = (JSON.parse(readFileSync(join(folder, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string; when: number }[] }).entries;
  const files = readMigrationFiles({ migrationsFolder: folder });
  return entries.map((e, i) => ({ tag: e.tag, createdAt: e.when, hash: files[i]!.hash }));
}

function compare(backend: 'sqlite' | 'postgres', dialect: 'sqlite' | 'pg', recorded: { hash: string; createdAt: number }[]): BackendMigrationStatus {
  const entries = journal(dialect);
  const byTime = new Map(recorded.map((r) => [r.createdAt, r]));
  const applied = [];
  const pending = [];
  for (const e of entries) {
    const r = byTime.get(e.createdAt);
    if (r) applied.push({ tag: e.tag, createdAt: new Date(e.createdAt).toISOString(), changed: r.hash !== e.hash });
    else pending.push(e.tag);
  }
  const known = new Set(entries.map((e) => e.createdAt));
  return {
    backend,
    reachable: true,
    applied,
    pending,
    unknown: recorded.filter((r) => !known.has(r.createdAt)).length,
    current: applied.at(-1)?.tag ?? null,
    latest: entries.at(-1)?.tag ?? null,
  };
}

const unreachable = (backend: 'sqlite' | 'postgres', error: string): BackendMigrationStatus => ({
  backend,
  reachable: false,
  error,
  applied: [],
  pending: [],
  unknown: 0,
  current: null,
  latest: null,
});

/** Applied/pending migrations of a LibSQL database (`__drizzle_migrations`). Never creates a missing file; never throws. */
export async function sqliteMigrationStatus(url: string, authToken?: string): Promise<BackendMigrationStatus> {
  const path = sqliteFilePath(url);
  if (path !== null && !existsSync(path)) return unreachable('sqlite', `LibSQL file ${path} does not exist`);
  let client;
  try {
    client = createLibsqlClient({ url, authToken, intMode: 'bigint' });
    const t = await client.execute(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'`);
    const rows = t.rows.length ? (await client.execute('SELECT hash, created_at FROM __drizzle_migrations')).rows : [];
    return compare('sqlite', 'sqlite', rows.map((r) => ({ hash: String(r[0]), createdAt: Number(r[1]) })));
  } catch (e) {
    const d = describeError(e);
    return unreachable('sqlite', `${redact(d.message)} (${d.code})`);
  } finally {
    client?.close();
  }
}

/** Applied/pending migrations of a PostgreSQL database (`drizzle.__drizzle_migrations`). Never throws. */
export async function postgresMigrationStatus(url: string): Promise<BackendMigrationStatus> {
  const sql = postgres(url, { max: 1, ...pgClientOptions(), onnotice: () => {} });
  try {
    const [t] = await sql`SELECT to_regclass('drizzle.__drizzle_migrations') IS NOT NULL AS present`;
    const rows = t!.present ? await sql`SELECT hash, created_at FROM drizzle.__drizzle_migrations` : [];
    return compare('postgres', 'pg', rows.map((r) => ({ hash: String(r.hash), createdAt: Number(r.created_at) })));
  } catch (e) {
    const d = describeError(e);
    return unreachable('postgres', `${redact(d.message)} (${d.code})`);
  } finally {
    await sql.end({ timeout: 5 }).catch(() => {});
  }
}

/**
 * Migration status of each backend given a URL for (LibSQL, PostgreSQL or both).
 * Used by `db migrate status`, and by import/copy to refuse a PostgreSQL schema that is behind.
 */
export async function migrationStatus(opts: {
  libsqlUrl?: string | undefined;
  libsqlAuthToken?: string | undefined;
  databaseUrl?: string | undefined;
}): Promise<{ sqlite?: BackendMigrationStatus; postgres?: BackendMigrationStatus }> {
  const [sqlite, pg] = await Promise.all([
    opts.libsqlUrl ? sqliteMigrationStatus(opts.libsqlUrl, opts.libsqlAuthToken) : undefined,
    opts.databaseUrl ? postgresMigrationStatus(opts.databaseUrl) : undefined,
  ]);
  return { ...(sqlite && { sqlite }), ...(pg && { postgres: pg }) };
}
