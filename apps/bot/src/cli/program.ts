import { Command, InvalidArgumentError } from 'commander';
import { replayCommand, DEFAULT_CORPUS } from './replay.js';
import { serveCommand } from './serve.js';
import type { CliIo } from './io.js';

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => (value: string): number => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
  return n;
};

const ENV_HELP = `
Environment:
  LIBSQL_URL            LibSQL database (default file:<apps/bot>/data/bot.db); LIBSQL_AUTH_TOKEN for Turso
  DATABASE_URL          PostgreSQL, needed from phase 4 on
  USE_POSTGRES_SHADOW / USE_POSTGRES_READ / USE_POSTGRES_PRIMARY   the phase (true/false/1/0/yes/no/on/off)
  PG_POOL_SIZE, SHADOW_CONCURRENCY, SHADOW_QUEUE_LIMIT, SHADOW_TIMEOUT_MS, SHADOW_DRAIN_TIMEOUT_MS, SHADOW_MODE
  PORT (3000), HOST (0.0.0.0), LOG_LEVEL (info), LOG_PRETTY

Exit codes: 0 ok, 1 failure, 2 bad usage/config/missing corpus, 3 database unreachable.`;

/**
 * The `bot` command line: `serve` (default) and `replay`. Sets `process.exitCode`; `serve`
 * keeps running until SIGTERM/SIGINT.
 */
export function buildProgram(io: CliIo, env: Record<string, string | undefined> = process.env): Command {
  const program = new Command('bot')
    .description('A chat bot service on @repo/database: the platform posts events over HTTP (POST /messages, GET /healthz, GET /status).')
    .showHelpAfterError()
    .addHelpText('after', ENV_HELP)
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

  program
    .command('serve', { isDefault: true })
    .description('listen for chat events over HTTP (PORT, HOST); SIGTERM/SIGINT stop it and drain shadow writes')
    .action(async () => {
      const result = await serveCommand(env, io);
      if (typeof result === 'number') process.exit(result);
    });

  program
    .command('replay')
    .description("post a corpus of Debian fortunes to the bot's HTTP API as a chat platform would, then print a summary")
    .option('--url <url>', 'a running bot; default: start one in-process on a free port with the env config and stop it afterwards')
    .option('--corpus <path>', 'fortune file or folder of them', DEFAULT_CORPUS)
    .option('--limit <n>', 'fortune entries to post (default: all)', int(1))
    .option('--concurrency <n>', 'requests in flight at once', int(1, 256), 4)
    .option('--users <n>', 'distinct users', int(2, 100_000), 50)
    .option('--channels <n>', 'distinct channels', int(1, 10_000), 8)
    .option('--search-every <n>', 'a !search after every n entries (0 = none)', int(0), 20)
    .option('--seed <n>', 'seed of the pseudo-random plan (same seed, same replay)', int(0, 2 ** 32 - 1), 42)
    .option('--rate <n>', 'at most n requests per second (default: as fast as the bot answers)', int(1))
    .option('--retry-ms <ms>', 'with --url: when the bot stops answering mid-run (a restart), wait this long for it and resend what it refused (0 = fail at once)', int(0), 30_000)
    .option('--json', 'print the summary as JSON', false)
    .action(async (opts) => {
      process.exitCode = await replayCommand(opts, env, io);
    });

  return program;
}
