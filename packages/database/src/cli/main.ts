#!/usr/bin/env -S node --initial-old-space-size=64
import { Command } from 'commander';
import { commands } from './commands/index.js';
import { createContext, envWithUrls, reportError, type CliContext, type UrlOptions } from './context.js';
import { createRequire } from 'node:module';
import { ExitCode, exitCodesHelp } from './exit-codes.js';
import { watchParent } from './parent-watch.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

// `pnpm db …`: stop when pnpm is killed (-9) rather than run on as an orphan.
watchParent();

const program = new Command('db')
  .description(
    'Move a chat bot\'s data from LibSQL to PostgreSQL with no maintenance window.\n' +
      'Reads the same environment as the app: LIBSQL_URL, LIBSQL_AUTH_TOKEN, DATABASE_URL, USE_POSTGRES_PRIMARY/READ/SHADOW.',
  )
  .option('--json', 'print one JSON document on stdout (for scripts); before or after the command', false)
  .showHelpAfterError()
  .configureHelp({ showGlobalOptions: true })
  .version(version, '-V, --version', 'print the version of @repo/database')
  .addHelpText('after', exitCodesHelp())
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE);
  });

// The command being run: its --libsql-url / --database-url replace LIBSQL_URL / DATABASE_URL.
let current: Command | null = null;
program.hook('preAction', (_program, actionCommand) => {
  current = actionCommand;
});

const run = async (action: (ctx: CliContext) => Promise<ExitCode>): Promise<void> => {
  let code: ExitCode;
  try {
    const urls = (current?.optsWithGlobals() ?? {}) as UrlOptions;
    code = await action(createContext({ json: Boolean(program.opts().json) }, envWithUrls(urls)));
  } catch (e) {
    code = reportError(e);
  }
  process.exitCode = code;
};

for (const c of commands) c.register(program, run);

await program.parseAsync(process.argv);
