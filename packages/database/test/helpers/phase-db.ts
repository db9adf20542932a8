import type { Phase } from '../../src/config/phase.js';
import { loadConfig } from '../../src/config/env.js';
import { createDatabase, type Database } from '../../src/database.js';
import type { Logger } from '../../src/logger.js';

/** The flag combinations of each phase (docs/design.md table). */
export const PHASE_FLAGS: Readonly<Record<Phase, Readonly<Record<string, string>>>> = {
  '1': {},
  '4': { USE_POSTGRES_SHADOW: 'true' },
  '5': { USE_POSTGRES_READ: 'true', USE_POSTGRES_SHADOW: 'true' },
  '6': { USE_POSTGRES_PRIMARY: 'true' },
  '6+': { USE_POSTGRES_PRIMARY: 'true', USE_POSTGRES_SHADOW: 'true' },
};

/**
 * Opens a database in `phase` the way the app does: `createDatabase(loadConfig(env))`, with the
 * phase's flags, the given URLs and any extra variables (SHADOW_TIMEOUT_MS…).
 */
export async function openPhase(
  phase: Phase,
  urls: { sqliteUrl: string; pgUrl: string },
  extra: Record<string, string> = {},
  logger?: Logger,
): Promise<Database> {
  const config = loadConfig({ LIBSQL_URL: urls.sqliteUrl, DATABASE_URL: urls.pgUrl, PG_POOL_SIZE: '4', ...PHASE_FLAGS[phase], ...extra });
  return createDatabase(config, logger ? { logger } : {});
}

/** A logger that writes nothing (tests that do not look at logs). */
export { silentLogger } from './silent-logger.js';
