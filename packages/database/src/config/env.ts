import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { DatabaseError } from '../errors.js';
import {
  DEFAULT_COMPARE_READS_CONCURRENCY,
  DEFAULT_COMPARE_READS_RATE,
  DEFAULT_COMPARE_READS_TIMEOUT_MS,
  type CompareReadsSettings,
} from '../routing/compare-reads.js';
import { parseConnectionString, registerConnectionSecrets, registerSecret } from '../logger.js';
import { parseFlag } from './flags.js';
import { derivePhase, type PhaseFlags, type Routing } from './phase.js';

/**
 * The LibSQL file used when LIBSQL_URL is unset: the bot's data file in this repository
 * (`apps/bot/data/bot.db`), so the bot and `pnpm db …` look at the same file whatever the working
 * directory; `file:./data/bot.db` when the package runs outside this repository.
 */
export function defaultLibsqlUrl(): string {
  const botDir = fileURLToPath(new URL('../../../../apps/bot/', import.meta.url));
  return existsSync(botDir) ? `file:${join(botDir, 'data', 'bot.db')}` : 'file:./data/bot.db';
}

/** Shadow-queue limits (docs/design.md invariant 4). */
export interface ShadowLimits {
  /** Shadow writes running at once. Default 4. */
  readonly concurrency: number;
  /** Shadow writes waiting; beyond it a write is dropped, counted and logged. Default 10,000. */
  readonly queueLimit: number;
  /** Deadline of one shadow write, in ms. Default 5,000. */
  readonly timeoutMs: number;
  /** How long `close()` waits for queued and in-flight shadow writes, in ms. Default 10,000. */
  readonly drainTimeoutMs: number;
  /**
   * How long the shadow writer lets changes gather before it starts a batch, in ms (default 100; measured in `pnpm bench`):
   * one transaction for many rows instead of one per row, so the shadow costs the machine (and the
   * caller's thread) less. Read-your-writes barriers and shutdown do not wait for it.
   */
  readonly batchLingerMs?: number;
  /**
   * `worker` (default): shadow writes run on a worker thread with their own connection, so their
   * CPU and garbage never land on the caller's thread. `inline`: on the caller's event loop.
   */
  readonly mode: 'worker' | 'inline';
  /**
   * Linux nice value of the shadow worker thread (0–19, default 10; SHADOW_WORKER_NICE). When the
   * CPU is busy the scheduler then favours the caller's thread (CFS weight 1024 at nice 0 against
   * 110 at nice 10), so a burst of shadow work cannot delay the bot. Linux only: nice is a
   * per-thread attribute there (setpriority(2), NOTES), elsewhere it would renice the whole process,
   * so other platforms ignore it. 0 turns it off.
   */
  readonly workerNice?: number;
}

/** Everything `createDatabase` needs. `loadConfig()` builds it from the environment. */
export interface DatabaseConfig {
  /** `file:path.db` (default {@link defaultLibsqlUrl}), `:memory:`, or `libsql://…` (Turso). */
  readonly libsqlUrl: string;
  readonly libsqlAuthToken?: string | undefined;
  /** PostgreSQL connection string; required when the phase uses PostgreSQL. */
  readonly databaseUrl?: string | undefined;
  /** PostgreSQL pool size (postgres.js `max`). Default 10. */
  readonly pgPoolSize: number;
  readonly flags: PhaseFlags;
  /** Apply pending migrations when connecting. Default true (`DB_AUTO_MIGRATE=false` turns it off). */
  readonly autoMigrate: boolean;
  readonly shadow: ShadowLimits;
  /**
   * Compared reads (routing/compare-reads.ts): COMPARE_READS_RATE, _CONCURRENCY, _TIMEOUT_MS.
   * Absent: the defaults (1 % of reads, 2 at once, 2,000 ms). Used in phases 4, 5 and 6+ only.
   */
  readonly compareReads?: CompareReadsSettings | undefined;
}

const intVar = (name: string, dflt: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return dflt;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be an integer from ${min} to ${max}` });
        return z.NEVER;
      }
      return n;
    });

const envSchema = z.object({
  LIBSQL_URL: z.string().optional(),
  LIBSQL_AUTH_TOKEN: z.string().optional(),
  DATABASE_URL: z.string().optional(),
  PG_POOL_SIZE: intVar('PG_POOL_SIZE', 10, 1, 1000),
  SHADOW_CONCURRENCY: intVar('SHADOW_CONCURRENCY', 4, 1, 256),
  SHADOW_QUEUE_LIMIT: intVar('SHADOW_QUEUE_LIMIT', 10_000, 1, 10_000_000),
  SHADOW_TIMEOUT_MS: intVar('SHADOW_TIMEOUT_MS', 5_000, 10, 600_000),
  SHADOW_DRAIN_TIMEOUT_MS: intVar('SHADOW_DRAIN_TIMEOUT_MS', 10_000, 0, 600_000),
  SHADOW_BATCH_LINGER_MS: intVar('SHADOW_BATCH_LINGER_MS', 100, 0, 10_000),
  SHADOW_MODE: z.string().optional().refine((v) => v === undefined || v === 'worker' || v === 'inline', 'must be worker or inline'),
  SHADOW_WORKER_NICE: intVar('SHADOW_WORKER_NICE', 10, 0, 19),
  DB_AUTO_MIGRATE: z.string().optional(),
  COMPARE_READS_RATE: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return DEFAULT_COMPARE_READS_RATE;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0 || n > 1) {
        ctx.addIssue({ code: 'custom', message: 'must be a fraction from 0 to 1 (0.01 = 1% of reads; 0 turns compared reads off)' });
        return z.NEVER;
      }
      return n;
    }),
  COMPARE_READS_CONCURRENCY: intVar('COMPARE_READS_CONCURRENCY', DEFAULT_COMPARE_READS_CONCURRENCY, 1, 64),
  COMPARE_READS_TIMEOUT_MS: intVar('COMPARE_READS_TIMEOUT_MS', DEFAULT_COMPARE_READS_TIMEOUT_MS, 10, 60_000),
});

/**
 * Why DATABASE_URL cannot be used, or null when it names a host and a database explicitly:
 * a `postgres://` / `postgresql://` URL that the URL parser (and so the driver) reads, whose
 * user name and password decode, with a host (or a `?host=` socket folder) and a database name.
 * libpq's defaults (local socket, database = user name) are never relied on: a URL that leaves
 * them out would write into whatever database they name. The reasons never quote the value.
 */
export function databaseUrlProblem(raw: string): string | null {
  const p = parseConnectionString(raw);
  if (p.form !== 'url' || (p.scheme !== 'postgres' && p.scheme !== 'postgresql')) return 'must be a URL starting with postgres:// or postgresql:// (postgres://user:password@host:5432/database)';
  let u: URL;
  try {
    u = new URL(raw);
    decodeURIComponent(u.username);
    decodeURIComponent(u.password);
    decodeURIComponent(u.pathname);
  } catch {
    return 'is not a valid URL: percent-encode reserved characters (/ @ : ? # % " and spaces) in the user name and password';
  }
  if (!u.hostname && !u.searchParams.get('host')) return 'names no host: write it explicitly (scheme, host, port and database name: postgres://db.example:5432/app); libpq defaults are not used';
  if (!decodeURIComponent(u.pathname.replace(/^\//, ''))) return 'names no database: write it explicitly (scheme, host, port and database name: postgres://db.example:5432/app); libpq defaults are not used';
  return null;
}

/** Schemes LIBSQL_URL may use. */
const LIBSQL_SCHEMES = new Set(['file', 'libsql', 'http', 'https', 'ws', 'wss']);

/**
 * Why LIBSQL_URL cannot be used, or null: it must be `:memory:`, a `file:` URL, or a remote
 * `libsql://`, `https://`, `wss://`… URL with a host. For a `file:` URL the path is checked
 * without writing anything: not a folder, not on a pseudo file system (/proc, /sys, /dev), and its
 * nearest existing ancestor a folder. The reasons never quote the value.
 */
export function libsqlUrlProblem(raw: string): string | null {
  if (raw === ':memory:') return null;
  const p = parseConnectionString(raw);
  if (!p.scheme || !LIBSQL_SCHEMES.has(p.scheme)) return 'must be a file: URL (file:/data/bot.db), :memory:, or a libsql://, https:// or wss:// URL';
  if (p.scheme !== 'file') return p.form === 'url' && p.authority ? null : 'names no host';
  const path = raw.slice('file:'.length).split('?')[0]!;
  if (!path) return 'names no file (file:/data/bot.db)';
  if (path === ':memory:') return null;
  const abs = resolve(path.startsWith('//') ? path.replace(/^\/\/[^/]*/, '') : path);
  if (/^\/(proc|sys|dev)(\/|$)/.test(abs)) return 'points into a pseudo file system (/proc, /sys, /dev), where no database can live';
  try {
    if (statSync(abs).isDirectory()) return 'points to a folder, not a database file';
    return null;
  } catch {
    // not there yet: its nearest existing ancestor must be a folder
  }
  for (let dir = dirname(abs); ; dir = dirname(dir)) {
    try {
      return statSync(dir).isDirectory() ? null : 'has a path through something that is not a folder';
    } catch {
      if (dirname(dir) === dir) return 'has no existing folder on its path';
    }
  }
}

/**
 * Reads and validates the environment once: LIBSQL_URL, LIBSQL_AUTH_TOKEN, DATABASE_URL,
 * PG_POOL_SIZE, USE_POSTGRES_PRIMARY/READ/SHADOW, SHADOW_*, COMPARE_READS_*, DB_AUTO_MIGRATE.
 *
 * @param env defaults to `process.env`.
 * @param defaults.libsqlUrl the LibSQL URL used when LIBSQL_URL is unset (an app's data folder).
 * Passwords and tokens of these variables are registered for redaction before anything is checked.
 * Errors name the variable, never its value (a secret pasted into the wrong variable stays hidden).
 * @throws DatabaseError `INVALID_FLAG`, `UNSAFE_PHASE`, `INVALID_CONFIG` (DATABASE_URL without an
 *   explicit host or database, see {@link databaseUrlProblem}; an unusable LIBSQL_URL, see
 *   {@link libsqlUrlProblem}; a number out of range), `DATABASE_URL_MISSING`.
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  defaults: { libsqlUrl?: string } = {},
): DatabaseConfig & { routing: Routing } {
  // Secrets first: whatever is refused below, its value is never printed (see logger.ts redact).
  registerConnectionSecrets(env.DATABASE_URL);
  registerConnectionSecrets(env.LIBSQL_URL);
  registerSecret(env.LIBSQL_AUTH_TOKEN);
  const flags: PhaseFlags = {
    usePostgresPrimary: parseFlag('USE_POSTGRES_PRIMARY', env.USE_POSTGRES_PRIMARY),
    usePostgresRead: parseFlag('USE_POSTGRES_READ', env.USE_POSTGRES_READ),
    usePostgresShadow: parseFlag('USE_POSTGRES_SHADOW', env.USE_POSTGRES_SHADOW),
  };
  const routing = derivePhase(flags);
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0] ?? '');
    registerSecret(env[variable]); // a refused value may be a secret pasted into the wrong variable
    // zod's own messages can quote the value: only ours (which never do) are shown.
    const message = issue.code === 'custom' ? issue.message : issue.code === 'invalid_type' ? 'must be text' : 'is not valid';
    throw new DatabaseError('INVALID_CONFIG', `${variable} ${message}`, { variable });
  }
  const e = parsed.data;
  const databaseUrl = e.DATABASE_URL?.trim() || undefined;
  if (databaseUrl) {
    const why = databaseUrlProblem(databaseUrl);
    if (why) {
      if (!parseConnectionString(databaseUrl).scheme) registerSecret(databaseUrl); // no URL at all: perhaps a pasted secret
      throw new DatabaseError('INVALID_CONFIG', `DATABASE_URL ${why}`, { variable: 'DATABASE_URL' });
    }
  }
  const rawLibsqlUrl = e.LIBSQL_URL?.trim();
  if (rawLibsqlUrl) {
    const why = libsqlUrlProblem(rawLibsqlUrl);
    if (why) {
      if (!parseConnectionString(rawLibsqlUrl).scheme) registerSecret(rawLibsqlUrl); // no URL at all: perhaps a pasted secret
      throw new DatabaseError('INVALID_CONFIG', `LIBSQL_URL ${why}`, { variable: 'LIBSQL_URL' });
    }
  }
  if (routing.needsPostgres && !databaseUrl) {
    throw new DatabaseError(
      'DATABASE_URL_MISSING',
      `phase ${routing.phase} (${routing.description}) needs PostgreSQL: set DATABASE_URL (Railway's Postgres add-on sets it)`,
      { variable: 'DATABASE_URL', phase: routing.phase },
    );
  }
  return {
    libsqlUrl: e.LIBSQL_URL?.trim() || defaults.libsqlUrl || defaultLibsqlUrl(),
    libsqlAuthToken: e.LIBSQL_AUTH_TOKEN?.trim() || undefined,
    databaseUrl,
    pgPoolSize: e.PG_POOL_SIZE,
    flags,
    autoMigrate: parseFlag('DB_AUTO_MIGRATE', e.DB_AUTO_MIGRATE ?? 'true'),
    shadow: {
      concurrency: e.SHADOW_CONCURRENCY,
      queueLimit: e.SHADOW_QUEUE_LIMIT,
      timeoutMs: e.SHADOW_TIMEOUT_MS,
      drainTimeoutMs: e.SHADOW_DRAIN_TIMEOUT_MS,
      batchLingerMs: e.SHADOW_BATCH_LINGER_MS,
      mode: e.SHADOW_MODE ?? 'worker',
      workerNice: e.SHADOW_WORKER_NICE,
    },
    compareReads: { rate: e.COMPARE_READS_RATE, concurrency: e.COMPARE_READS_CONCURRENCY, timeoutMs: e.COMPARE_READS_TIMEOUT_MS },
    routing,
  };
}
