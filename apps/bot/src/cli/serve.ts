import { createLogger } from '@repo/database';
import { loadBotConfig } from '../config.js';
import { startBot, stopOnSignals, type RunningBot } from '../lifecycle.js';
import { describeStartupError } from '../startup-error.js';
import type { CliIo } from './io.js';

/**
 * `bot serve`: configuration from the environment, database opened and migrated, HTTP server
 * listening; SIGTERM/SIGINT stop it gracefully (see `stopOnSignals`). Logs are pino JSON on stdout.
 * Resolves with the running bot, or with an exit code after printing one `error CODE: message`
 * line when start-up fails (2 configuration, 3 database unreachable, 1 otherwise).
 */
export async function serveCommand(env: Record<string, string | undefined>, io: CliIo): Promise<RunningBot | number> {
  try {
    const config = loadBotConfig(env);
    const logger = createLogger({ name: 'bot' });
    const bot = await startBot(config, logger);
    stopOnSignals(bot, logger);
    return bot;
  } catch (e) {
    const { line, exitCode } = describeStartupError(e);
    io.err(line);
    return exitCode;
  }
}
