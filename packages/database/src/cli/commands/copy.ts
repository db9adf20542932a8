import { join } from 'node:path';
import { assertAdopted } from '../../adopt/guard.js';
import { checkDatabase } from '../../transfer/check.js';
import { copyDatabase } from '../../transfer/copy.js';
import { formatLoadSummary } from '../../transfer/summary.js';
import { backfillOrderWarning } from '../../transfer/source/warnings.js';
import { redactUrl } from '../../logger.js';
import { requirePostgresUrl, type CliContext } from '../context.js';
import { formatDryRun, postgresPreflight, type DryRunTable } from '../dry-run.js';
import { commandExitCodes, ExitCode } from '../exit-codes.js';
import { progressBar } from '../progress-bar.js';
import { interruptible, LOAD_MODE_HELP, loadModeArg, positiveInt, withDatabaseUrl, withLibsqlUrl } from '../transfer-options.js';
import { requireSqliteTables } from '../source-guard.js';
import type { CommandModule } from './index.js';
import { formatLoadReport, formatPlannedLoadModes, plannedLoadModes } from '../../transfer/load/load-mode.js';
import type { LoadMode } from '../../transfer/load/deferred-indexes.js';

interface CopyCliOptions {
  rejects: string;
  allowRejects: boolean;
  batchRows: number;
  concurrency: number;
  loadMode: LoadMode;
  dryRun: boolean;
}

/**
 * `copy --dry-run`: LibSQL read through the conversion as `db check` does (rows that would be
 * copied and rejected, per table), PostgreSQL checked (reachable, migrated); nothing written, no
 * rejects file either.
 */
async function dryRun(ctx: CliContext, o: CopyCliOptions, databaseUrl: string): Promise<ExitCode> {
  const pg = await postgresPreflight(databaseUrl);
  const bar = progressBar(ctx);
  let r;
  try {
    r = await checkDatabase({ libsqlUrl: ctx.config.libsqlUrl, libsqlAuthToken: ctx.config.libsqlAuthToken, onProgress: bar.onProgress, onWarning: ctx.warn });
  } finally {
    bar.stop();
  }
  const tables: DryRunTable[] = r.tables.map((t) => ({ table: t.table, wouldLoad: t.accepted, rejected: t.rejected, postgresRows: pg.counts[t.table] }));
  ctx.say(`copy --dry-run: ${redactUrl(ctx.config.libsqlUrl)} → ${pg.target}; PostgreSQL is migrated.`);
  ctx.say(formatDryRun(tables, 'would be rejected (`db check` lists them)'));
  const modes = plannedLoadModes(o.loadMode, pg.counts, tables.map((t) => t.table));
  ctx.say(formatPlannedLoadModes(o.loadMode, modes));
  ctx.say(`dry run: nothing written. Rejects would go to ${o.rejects}/<table>.ndjson.`);
  ctx.result({ dryRun: true, source: r.source, target: pg.target, tables, loadModes: modes, totals: r.totals });
  return r.totals.rejected > 0 && !o.allowRejects ? ExitCode.REJECTED_ROWS : ExitCode.OK;
}

/** `db copy`: LibSQL → PostgreSQL directly (no files), same conversion, rejects and guard as export + import. */
export const copyCommand: CommandModule = {
  register(program, run) {
    withDatabaseUrl(
      withLibsqlUrl(
        program.command('copy').description('copy LibSQL straight into PostgreSQL (no intermediate files; pipelined; version-guarded, safe to re-run)'),
        'the LibSQL source',
      ),
      'the PostgreSQL target',
    )
      .option('--rejects <dir>', 'folder of the rejects files', join('migration-data', 'rejects'))
      .option('--allow-rejects', 'exit 0 even when rows were rejected', false)
      .option('--batch-rows <n>', 'at most this many rows per batch (one transaction; batches are also cut at about 2 MiB)', positiveInt, 5000)
      .option('--concurrency <n>', 'batches in flight at once (PostgreSQL connections)', positiveInt, 4)
      .option('--load-mode <mode>', LOAD_MODE_HELP, loadModeArg, 'auto' as LoadMode)
      .option('--dry-run', 'read LibSQL through the conversion (as `db check`) and check PostgreSQL (reachable, migrated); print what would be copied, write nothing', false)
      .addHelpText(
        'after',
        '\nReads one consistent snapshot of LibSQL, converts each row as `db check` describes, and loads it with the version-guarded ' +
          'bulk upsert of `db import` while the next chunk is read. Needs DATABASE_URL and a migrated schema. ' +
          'Turn shadow writes on (USE_POSTGRES_SHADOW=true on the bot) first, or writes made after the snapshot are lost to PostgreSQL.' +
          commandExitCodes([
            [ExitCode.OK, 'copied (dry run: would copy), nothing rejected'],
            [ExitCode.REJECTED_ROWS, 'rows rejected (each in a rejects file with its id and reason) unless --allow-rejects'],
            [ExitCode.SCHEMA_MISSING, 'PostgreSQL is not migrated (or LibSQL lacks a table): run `db migrate`; nothing written'],
            [ExitCode.LEGACY_SCHEMA, "omega-bot's file, not adopted: run `db adopt` first"],
            [ExitCode.UNREACHABLE, 'a database is unreachable, or the LibSQL file does not exist'],
            [ExitCode.USAGE, 'bad arguments, or DATABASE_URL missing'],
            [ExitCode.INTERRUPTED, 'stopped by a signal after the batches in flight: run it again to resume'],
          ]),
      )
      .action((o: CopyCliOptions) =>
        run(async (ctx) => {
          await assertAdopted(ctx.config.libsqlUrl, ctx.config.libsqlAuthToken, '`pnpm db copy`');
          await requireSqliteTables(ctx.config.libsqlUrl, ctx.config.libsqlAuthToken);
          const databaseUrl = requirePostgresUrl(ctx);
          const order = backfillOrderWarning(ctx.config.routing, 'copy');
          if (order) ctx.warn(order);
          if (o.dryRun) return dryRun(ctx, o, databaseUrl);
          const bar = progressBar(ctx);
          let r;
          try {
            r = await interruptible(ctx.warn, (signal) =>
              copyDatabase({
                libsqlUrl: ctx.config.libsqlUrl,
                libsqlAuthToken: ctx.config.libsqlAuthToken,
                databaseUrl,
                rejectsDir: o.rejects,
                batchRows: o.batchRows,
                concurrency: o.concurrency,
                loadMode: o.loadMode,
                onProgress: bar.onProgress,
                onWarning: ctx.warn,
                signal,
              }),
            );
          } finally {
            bar.stop();
          }
          if ('interrupted' in r) return r.interrupted;
          const s = r.value;
          ctx.say(formatLoadSummary(s.tables, s.seconds));
          ctx.say(formatLoadReport(o.loadMode, s.recoveredIndexes, s.loadModes));
          ctx.say(`\nCopied ${s.totals.imported} of ${s.totals.read} rows from ${s.source} into ${s.target} in ${s.seconds.toFixed(1)} s (${s.rowsPerSecond} rows/s).`);
          if (s.totals.rejected > 0) ctx.warn(`${s.totals.rejected} rows rejected: see ${s.rejectsDir}/<table>.ndjson.`);
          ctx.result(s);
          return s.totals.rejected > 0 && !o.allowRejects ? ExitCode.REJECTED_ROWS : ExitCode.OK;
        }),
      );
  },
};
