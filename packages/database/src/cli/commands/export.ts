import { assertAdopted } from '../../adopt/guard.js';
import { exportDatabase } from '../../transfer/export.js';
import { formatExportSummary } from '../../transfer/summary.js';
import { backfillOrderWarning } from '../../transfer/source/warnings.js';
import { commandExitCodes, ExitCode } from '../exit-codes.js';
import { progressBar } from '../progress-bar.js';
import { requireSqliteTables } from '../source-guard.js';
import type { CommandModule } from './index.js';

/** `db export [--out migration-data]`: LibSQL → NDJSON files + metadata.json, from one snapshot. */
export const exportCommand: CommandModule = {
  register(program, run) {
    program
      .command('export')
      .description('export LibSQL to <out>/<table>.ndjson (one canonical row per line, one consistent snapshot) plus metadata.json')
      .option('--out <dir>', 'output folder', 'migration-data')
      .option('--libsql-url <url>', 'the LibSQL source (default: LIBSQL_URL; LIBSQL_AUTH_TOKEN is then not sent)')
      .option('--allow-rejects', 'exit 0 even when rows were rejected', false)
      .addHelpText(
        'after',
        '\nRows the conversion rejects (see `db check`) are not in <table>.ndjson: they are in <out>/rejects/export/<table>.ndjson ' +
          'with their reason and raw values, and counted in metadata.json. Files are written as *.tmp then renamed; metadata.json last.\n' +
          'Turn shadow writes on (USE_POSTGRES_SHADOW=true on the bot) before exporting, or writes made after the snapshot are lost to PostgreSQL.' +
          commandExitCodes([
            [ExitCode.OK, 'exported, nothing rejected'],
            [ExitCode.REJECTED_ROWS, 'rows rejected (in <out>/rejects/export/) unless --allow-rejects'],
            [ExitCode.SCHEMA_MISSING, 'the LibSQL file lacks a table (never migrated): run `db migrate --target sqlite`'],
            [ExitCode.LEGACY_SCHEMA, "omega-bot's file, not adopted: run `db adopt` first"],
            [ExitCode.UNREACHABLE, 'LibSQL is unreachable, or the file does not exist'],
          ]),
      )
      .action((o: { out: string; libsqlUrl?: string; allowRejects: boolean }) =>
        run(async (ctx) => {
          await assertAdopted(ctx.config.libsqlUrl, ctx.config.libsqlAuthToken, '`pnpm db export`');
          await requireSqliteTables(ctx.config.libsqlUrl, ctx.config.libsqlAuthToken);
          const order = backfillOrderWarning(ctx.config.routing, 'export');
          if (order) ctx.warn(order);
          const bar = progressBar(ctx);
          let s;
          try {
            s = await exportDatabase({
              libsqlUrl: ctx.config.libsqlUrl,
              libsqlAuthToken: ctx.config.libsqlAuthToken,
              outDir: o.out,
              onProgress: bar.onProgress,
              onWarning: ctx.warn,
            });
          } finally {
            bar.stop();
          }
          ctx.say(formatExportSummary(s.tables));
          ctx.say(`\nExported ${s.totals.imported} rows to ${s.outDir} in ${s.seconds.toFixed(1)} s (${s.rowsPerSecond} rows/s), snapshot at ${s.metadata.exportedAt}.`);
          if (s.totals.rejected > 0) ctx.warn(`${s.totals.rejected} rows rejected: see ${s.outDir}/rejects/export/ (run \`db check\` for the full list).`);
          ctx.result(s);
          return s.totals.rejected > 0 && !o.allowRejects ? ExitCode.REJECTED_ROWS : ExitCode.OK;
        }),
      );
  },
};
