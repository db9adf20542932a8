import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatabaseError, loadConfig, type DatabaseConfig, type PhaseFlags, type Routing } from '@repo/database';

/** The bot app's folder (`apps/bot`), found from this file so it works from `src/` and `dist/` and any cwd. */
export const APP_DIR = fileURLToPath(new URL('..', import.meta.url));

/** LibSQL file used when LIBSQL_URL is unset: `file:<apps/bot>/data/bot.db`. */
export const DEFAULT_LIBSQL_URL = `file:${join(APP_DIR, 'data', 'bot.db')}`;

/** Everything the bot needs to start: the data layer's config plus where to listen. */
export interface BotConfig {
  readonly db: DatabaseConfig & { routing: Routing };
  readonly flags: PhaseFlags;
  /** TCP port (PORT, default 3000; 0 = any free port). */
  readonly port: number;
  /** Interface to bind (HOST, default 0.0.0.0, which Railway needs). */
  readonly host: string;
}

/**
 * Reads the bot's configuration from the environment: the data layer's variables (see
 * `loadConfig` in @repo/database: LIBSQL_URL, DATABASE_URL, USE_POSTGRES_*, SHADOW_*, PG_POOL_SIZE)
 * plus PORT and HOST.
 * @throws DatabaseError `INVALID_FLAG`, `UNSAFE_PHASE`, `INVALID_CONFIG` (also for a bad PORT),
 *   `DATABASE_URL_MISSING`.
 */
export function loadBotConfig(env: Record<string, string | undefined> = process.env): BotConfig {
  const db = loadConfig(env, { libsqlUrl: DEFAULT_LIBSQL_URL });
  const rawPort = env.PORT?.trim() || '3000';
  const port = Number(rawPort);
  if (!/^\d+$/.test(rawPort) || port > 65_535) {
    throw new DatabaseError('INVALID_CONFIG', `PORT must be an integer from 0 to 65535, got ${JSON.stringify(env.PORT)}`, { variable: 'PORT' });
  }
  return { db, flags: db.flags, port, host: env.HOST?.trim() || '0.0.0.0' };
}
