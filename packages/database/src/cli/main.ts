#!/usr/bin/env node
import { Command } from 'commander';
import { commands } from './commands/index.js';
import { createContext, reportError, type CliContext } from './context.js';
import { createRequire } from 'node:module';
import { ExitCode, exitCodesHelp } from './exit-codes.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

const program = new Command('db')
  .description(
    'Move a chat bot\'s data from LibSQL to PostgreSQL with no maintenance window.\n' +
      'Reads the same environment as the app: LIBSQL_URL, LIBSQL_AUTH_TOKEN, DATABASE_URL, USE_POSTGRES_PRIMARY/READ/SHADOW.',
  )
  .option('--json', 'print one JSON document on stdout (for scripts)', false)
  .showHelpAfterError()
  .version(version, '-V, --version', 'print the version of @repo/database')
  .addHelpText('after', exitCodesHelp())
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE);
  });

const run = async (action: (ctx: CliContext) => Promise<ExitCode>): Promise<void> => {
  let code: ExitCode;
  try {
    code = await action(createContext({ json: Boolean(program.opts().json) }));
  } catch (e) {
    code = reportError(e);
  }
  process.exitCode = code;
};

for (const c of commands) c.register(program, run);

await program.parseAsync(process.argv);
