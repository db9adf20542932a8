import { assertAdopted } from '../../adopt/guard.js';
import { importDirectory } from '../../transfer/import.js';
import { formatLoadSummary } from '../../transfer/summary.js';
import { backfillOrderWarning } from '../../transfer/source/warnings.js';
import { requirePostgresUrl } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { progressBar } from '../progress-bar.js';
import { interruptSignal, positiveInt, REJECTS_HELP } from '../transfer-options.js';
import type { CommandModule } from './index.js';

/** `db import [--from migration-data]`: NDJSON export → PostgreSQL, checksums first, version-guarded. */
export const importCommand: CommandModule = {
  register(program, run) {
    program
      .command('import')
      .description('import an export folder into PostgreSQL (checks every file against metadata.json first; version-guarded, safe to re-run)')
      .option('--from <dir>', 'export folder', 'migration-data')
      .option('--allow-rejects', 'exit 0 even when rows were rejected', false)
      .option('--batch-rows <n>', 'at most this many rows per batch (one transaction; batches are also cut at about 2 MiB)', positiveInt, 5000)
      .option('--concurrency <n>', 'batches in flight at once (PostgreSQL connections)', positiveInt, 4)
      .addHelpText(
        'after',
        '\nNeeds DATABASE_URL and a migrated schema (`db migrate --target postgres`). Loads tables in foreign-key order with ' +
          '`INSERT … ON CONFLICT (id) DO UPDATE … WHERE version < excluded.version`, skipping tombstoned ids: re-running, or running ' +
          'while shadow writes are live, is safe; a killed run resumes by running it again (Ctrl-C stops cleanly). ' +
          'Rejected rows go to <from>/rejects/<table>.ndjson with their id and reason.\n' +
          'Exit 6 when a file does not match metadata.json (nothing is written). ' +
          REJECTS_HELP,
      )
      .action((o: { from: string; allowRejects: boolean; batchRows: number; concurrency: number }) =>
        run(async (ctx) => {
          // The bot's LibSQL (LIBSQL_URL), when it is a local file, must be adopted before its data moves to PostgreSQL.
          await assertAdopted(ctx.config.libsqlUrl, ctx.config.libsqlAuthToken, '`pnpm db import`', { localOnly: true });
          const databaseUrl = requirePostgresUrl(ctx);
          const order = backfillOrderWarning(ctx.config.routing, 'import');
          if (order) ctx.warn(order);
          const bar = progressBar(ctx);
          const stop = interruptSignal(ctx.warn);
          let s;
          try {
            s = await importDirectory({
              dir: o.from,
              databaseUrl,
              batchRows: o.batchRows,
              concurrency: o.concurrency,
              onProgress: bar.onProgress,
              onWarning: ctx.warn,
              signal: stop.signal,
            });
          } finally {
            bar.stop();
            stop.dispose();
          }
          const rejected = s.totals.rejected + s.totals.rejectedAtExport;
          ctx.say(formatLoadSummary(s.tables, s.seconds));
          ctx.say(`\nImported ${s.totals.imported} of ${s.totals.read} rows from ${s.fromDir} (exported ${s.exportedAt}) into ${s.target} in ${s.seconds.toFixed(1)} s (${s.rowsPerSecond} rows/s).`);
          if (s.totals.rejected > 0) ctx.warn(`${s.totals.rejected} rows rejected by import: see ${s.rejectsDir}/<table>.ndjson.`);
          if (s.totals.rejectedAtExport > 0) ctx.warn(`${s.totals.rejectedAtExport} rows were already rejected by export (not in the files): see ${s.fromDir}/rejects/export/.`);
          ctx.result(s);
          return rejected > 0 && !o.allowRejects ? ExitCode.REJECTED_ROWS : ExitCode.OK;
        }),
      );
  },
};
