import { assertAdopted } from '../../adopt/guard.js';
import { checkDatabase } from '../../transfer/check.js';
import { CONVERSION_POLICY, formatCheckReport } from '../../transfer/check-report.js';
import { ExitCode } from '../exit-codes.js';
import { progressBar } from '../progress-bar.js';
import type { CommandModule } from './index.js';

/** `db check`: a read-only profile of the LibSQL source, with every row import would reject. */
export const checkCommand: CommandModule = {
  register(program, run) {
    program
      .command('check')
      .description('profile the LibSQL source before anything is written: storage classes, the conversions import will apply, every row it would reject')
      .option('--libsql-url <url>', 'LibSQL source (default: LIBSQL_URL)')
      .addHelpText('after', `\nConversions (the same in check, export, import and copy):\n${CONVERSION_POLICY.map((l) => `  - ${l}`).join('\n')}\n\nExit codes: 0 nothing would be rejected; 5 some rows would be rejected; 3 the source is unreachable or missing.`)
      .action((o: { libsqlUrl?: string }) =>
        run(async (ctx) => {
          await assertAdopted(o.libsqlUrl ?? ctx.config.libsqlUrl, o.libsqlUrl ? undefined : ctx.config.libsqlAuthToken, '`pnpm db check`');
          const bar = progressBar(ctx);
          let r;
          try {
            r = await checkDatabase({ libsqlUrl: o.libsqlUrl ?? ctx.config.libsqlUrl, libsqlAuthToken: ctx.config.libsqlAuthToken, onProgress: bar.onProgress, onWarning: ctx.warn });
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
