import { assertAdopted } from '../../adopt/guard.js';
import { checkDatabase } from '../../transfer/check.js';
import { CONVERSION_POLICY, formatCheckReport } from '../../transfer/check-report.js';
import { commandExitCodes, ExitCode } from '../exit-codes.js';
import { progressBar } from '../progress-bar.js';
import { requireSqliteTables } from '../source-guard.js';
import type { CommandModule } from './index.js';

/** `db check`: a read-only profile of the LibSQL source, with every row import would reject. */
export const checkCommand: CommandModule = {
  register(program, run) {
    program
      .command('check')
      .description('profile the LibSQL source before anything is written: storage classes, the conversions import will apply, every row it would reject')
      .option('--libsql-url <url>', 'the LibSQL source (default: LIBSQL_URL; LIBSQL_AUTH_TOKEN is then not sent)')
      .addHelpText('after', `\nConversions (the same in check, export, import and copy):\n${CONVERSION_POLICY.map((l) => `  - ${l}`).join('\n')}`)
      .addHelpText(
        'after',
        commandExitCodes([
          [ExitCode.OK, 'nothing would be rejected'],
          [ExitCode.REJECTED_ROWS, 'some rows would be rejected'],
          [ExitCode.LEGACY_SCHEMA, "omega-bot's file, not adopted: run `db adopt` first"],
          [ExitCode.SCHEMA_MISSING, 'the file lacks a table (never migrated): run `db migrate --target sqlite`'],
          [ExitCode.UNREACHABLE, 'the source is unreachable, or the file does not exist'],
        ]),
      )
      .action(() =>
        run(async (ctx) => {
          await assertAdopted(ctx.config.libsqlUrl, ctx.config.libsqlAuthToken, '`pnpm db check`');
          await requireSqliteTables(ctx.config.libsqlUrl, ctx.config.libsqlAuthToken);
          const bar = progressBar(ctx);
          let r;
          try {
            r = await checkDatabase({ libsqlUrl: ctx.config.libsqlUrl, libsqlAuthToken: ctx.config.libsqlAuthToken, onProgress: bar.onProgress, onWarning: ctx.warn });
          } finally {
            bar.stop();
          }
          ctx.say(formatCheckReport(r));
          ctx.result(r);
          return r.totals.rejected > 0 ? ExitCode.REJECTED_ROWS : ExitCode.OK;
        }),
      );
  },
};
