import { join } from 'node:path';
import { assertAdopted } from '../../adopt/guard.js';
import { copyDatabase } from '../../transfer/copy.js';
import { formatLoadSummary } from '../../transfer/summary.js';
import { backfillOrderWarning } from '../../transfer/source/warnings.js';
import { requirePostgresUrl } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { progressBar } from '../progress-bar.js';
import { interruptSignal, positiveInt, REJECTS_HELP } from '../transfer-options.js';
import type { CommandModule } from './index.js';

/** `db copy`: LibSQL → PostgreSQL directly (no files), same conversion, rejects and guard as export + import. */
export const copyCommand: CommandModule = {
  register(program, run) {
    program
      .command('copy')
      .description('copy LibSQL straight into PostgreSQL (no intermediate files; pipelined; version-guarded, safe to re-run)')
      .option('--libsql-url <url>', 'LibSQL source (default: LIBSQL_URL)')
      .option('--rejects <dir>', 'folder of the rejects files', join('migration-data', 'rejects'))
      .option('--allow-rejects', 'exit 0 even when rows were rejected', false)
      .option('--batch-rows <n>', 'at most this many rows per batch (one transaction; batches are also cut at about 2 MiB)', positiveInt, 5000)
      .option('--concurrency <n>', 'batches in flight at once (PostgreSQL connections)', positiveInt, 4)
      .addHelpText(
        'after',
        '\nReads one consistent snapshot of LibSQL, converts each row as `db check` describes, and loads it with the version-guarded ' +
          'bulk upsert of `db import` while the next chunk is read. Needs DATABASE_URL and a migrated schema. ' +
          'Turn shadow writes on (USE_POSTGRES_SHADOW=true on the bot) first, or writes made after the snapshot are lost to PostgreSQL.\n' +
          REJECTS_HELP,
      )
      .action((o: { libsqlUrl?: string; rejects: string; allowRejects: boolean; batchRows: number; concurrency: number }) =>
        run(async (ctx) => {
          await assertAdopted(o.libsqlUrl ?? ctx.config.libsqlUrl, o.libsqlUrl ? undefined : ctx.config.libsqlAuthToken, '`pnpm db copy`');
          const databaseUrl = requirePostgresUrl(ctx);
          const order = backfillOrderWarning(ctx.config.routing, 'copy');
          if (order) ctx.warn(order);
          const bar = progressBar(ctx);
          const stop = interruptSignal(ctx.warn);
          let s;
          try {
            s = await copyDatabase({
              libsqlUrl: o.libsqlUrl ?? ctx.config.libsqlUrl,
              libsqlAuthToken: ctx.config.libsqlAuthToken,
              databaseUrl,
              rejectsDir: o.rejects,
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
          ctx.say(formatLoadSummary(s.tables, s.seconds));
          ctx.say(`\nCopied ${s.totals.imported} of ${s.totals.read} rows from ${s.source} into ${s.target} in ${s.seconds.toFixed(1)} s (${s.rowsPerSecond} rows/s).`);
          if (s.totals.rejected > 0) ctx.warn(`${s.totals.rejected} rows rejected: see ${s.rejectsDir}/<table>.ndjson.`);
          ctx.result(s);
          return s.totals.rejected > 0 && !o.allowRejects ? ExitCode.REJECTED_ROWS : ExitCode.OK;
        }),
      );
  },
};
