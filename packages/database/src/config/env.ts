import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { DatabaseError } from '../errors.js';
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
}

const intVar = (name: string, dflt: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return dflt;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}` });
        return z.NEVER;
      }
      return n;
    });

const envSchema = z.object({
  LIBSQL_URL: z.string().optional(),
  LIBSQL_AUTH_TOKEN: z.string().optional(),
  DATABASE_URL: z
    .string()
    .optional()
    .refine((v) => !v?.trim() || /^postgres(ql)?:\/\//.test(v.trim()), 'DATABASE_URL must start with postgres:// or postgresql://'),
  PG_POOL_SIZE: intVar('PG_POOL_SIZE', 10, 1, 1000),
  SHADOW_CONCURRENCY: intVar('SHADOW_CONCURRENCY', 4, 1, 256),
  SHADOW_QUEUE_LIMIT: intVar('SHADOW_QUEUE_LIMIT', 10_000, 1, 10_000_000),
  SHADOW_TIMEOUT_MS: intVar('SHADOW_TIMEOUT_MS', 5_000, 10, 600_000),
  SHADOW_DRAIN_TIMEOUT_MS: intVar('SHADOW_DRAIN_TIMEOUT_MS', 10_000, 0, 600_000),
  SHADOW_BATCH_LINGER_MS: intVar('SHADOW_BATCH_LINGER_MS', 100, 0, 10_000),
  SHADOW_MODE: z.enum(['worker', 'inline']).optional(),
  SHADOW_WORKER_NICE: intVar('SHADOW_WORKER_NICE', 10, 0, 19),
  DB_AUTO_MIGRATE: z.string().optional(),
});

/**
 * Reads and validates the environment once: LIBSQL_URL, LIBSQL_AUTH_TOKEN, DATABASE_URL,
 * PG_POOL_SIZE, USE_POSTGRES_PRIMARY/READ/SHADOW, SHADOW_*, DB_AUTO_MIGRATE.
 *
 * @param env defaults to `process.env`.
 * @param defaults.libsqlUrl the LibSQL URL used when LIBSQL_URL is unset (an app's data folder).
 * @throws DatabaseError `INVALID_FLAG`, `UNSAFE_PHASE`, `INVALID_CONFIG`, `DATABASE_URL_MISSING`.
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  defaults: { libsqlUrl?: string } = {},
): DatabaseConfig & { routing: Routing } {
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
    throw new DatabaseError('INVALID_CONFIG', `${variable}: ${issue.message}`, { variable });
  }
  const e = parsed.data;
  const databaseUrl = e.DATABASE_URL?.trim() || undefined;
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
    routing,
  };
}
