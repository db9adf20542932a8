import { join } from 'node:path';
import { assertAdopted } from '../../adopt/guard.js';
import { tableNames } from '../../schema/tables.js';
import { readMetadata, validateExport } from '../../transfer/files/metadata.js';
import { importDirectory } from '../../transfer/import.js';
import { formatLoadSummary } from '../../transfer/summary.js';
import { backfillOrderWarning } from '../../transfer/source/warnings.js';
import { requirePostgresUrl, type CliContext } from '../context.js';
import { formatDryRun, postgresPreflight, type DryRunTable } from '../dry-run.js';
import { commandExitCodes, ExitCode } from '../exit-codes.js';
import { progressBar } from '../progress-bar.js';
import { interruptible, LOAD_MODE_HELP, loadModeArg, positiveInt, withDatabaseUrl } from '../transfer-options.js';
import type { CommandModule } from './index.js';
import { formatLoadReport, formatPlannedLoadModes, plannedLoadModes } from '../../transfer/load/load-mode.js';
import type { LoadMode } from '../../transfer/load/deferred-indexes.js';

interface ImportCliOptions {
  from: string;
  rejects?: string;
  allowRejects: boolean;
  batchRows: number;
  concurrency: number;
  loadMode: LoadMode;
  dryRun: boolean;
}

/** `import --dry-run`: the files checked against metadata.json, PostgreSQL checked, nothing written. */
async function dryRun(ctx: CliContext, o: ImportCliOptions, databaseUrl: string): Promise<ExitCode> {
  const meta = await readMetadata(o.from);
  const bar = progressBar(ctx);
  try {
    await validateExport(o.from, meta, (table, lines) => bar.onProgress({ stage: 'validate', table, done: lines, total: meta.tables[table].rows }));
  } finally {
    bar.stop();
  }
  const pg = await postgresPreflight(databaseUrl);
  const tables: DryRunTable[] = tableNames.map((t) => ({ table: t, wouldLoad: meta.tables[t].rows, rejected: meta.tables[t].rejected ?? 0, postgresRows: pg.counts[t] }));
  const rejected = tables.reduce((n, t) => n + t.rejected, 0);
  ctx.say(`import --dry-run: ${o.from} (exported ${meta.exportedAt}) → ${pg.target}; every file matches metadata.json, PostgreSQL is migrated.`);
  ctx.say(formatDryRun(tables, 'rejected by export (not in the files)'));
  const modes = plannedLoadModes(o.loadMode, pg.counts, tables.map((t) => t.table));
  ctx.say(formatPlannedLoadModes(o.loadMode, modes));
  ctx.say(`dry run: nothing written. Rejects of the load itself would go to ${o.rejects ?? join(o.from, 'rejects')}/<table>.ndjson.`);
  ctx.result({ dryRun: true, fromDir: o.from, exportedAt: meta.exportedAt, target: pg.target, tables, loadModes: modes });
  return rejected > 0 && !o.allowRejects ? ExitCode.REJECTED_ROWS : ExitCode.OK;
}

/** `db import [--from migration-data]`: NDJSON export → PostgreSQL, checksums first, version-guarded. */
export const importCommand: CommandModule = {
  register(program, run) {
    withDatabaseUrl(
      program
        .command('import')
        .description('import an export folder into PostgreSQL (checks every file against metadata.json first; version-guarded, safe to re-run)')
        .option('--from <dir>', 'export folder', 'migration-data')
        .option('--rejects <dir>', 'folder of the rejects files (default: <from>/rejects)'),
      'the PostgreSQL target',
    )
      .option('--allow-rejects', 'exit 0 even when rows were rejected', false)
      .option('--batch-rows <n>', 'at most this many rows per batch (one transaction; batches are also cut at about 2 MiB)', positiveInt, 5000)
      .option('--concurrency <n>', 'batches in flight at once (PostgreSQL connections)', positiveInt, 4)
      .option('--load-mode <mode>', LOAD_MODE_HELP, loadModeArg, 'auto' as LoadMode)
      .option('--dry-run', 'check the files against metadata.json and PostgreSQL (reachable, migrated), print what would be loaded, write nothing', false)
      .addHelpText(
        'after',
        '\nNeeds DATABASE_URL and a migrated schema (`db migrate --target postgres`). Loads tables in foreign-key order with ' +
          '`INSERT … ON CONFLICT (id) DO UPDATE … WHERE version < excluded.version`, skipping tombstoned ids: re-running, or running ' +
          'while shadow writes are live, is safe; a killed run resumes by running it again (Ctrl-C stops cleanly). ' +
          'Rejected rows go to <rejects>/<table>.ndjson with their id and reason.' +
          commandExitCodes([
            [ExitCode.OK, 'imported (dry run: would import), nothing rejected'],
            [ExitCode.REJECTED_ROWS, 'rows rejected (by import, or already by export) unless --allow-rejects'],
            [ExitCode.INVALID_DATA, 'a file does not match metadata.json; nothing written'],
            [ExitCode.SCHEMA_MISSING, 'PostgreSQL is not migrated: run `db migrate --target postgres`; nothing written'],
            [ExitCode.LEGACY_SCHEMA, "LIBSQL_URL is omega-bot's file, not adopted: run `db adopt` first"],
            [ExitCode.UNREACHABLE, 'PostgreSQL is unreachable'],
            [ExitCode.USAGE, 'bad arguments, or DATABASE_URL missing'],
            [ExitCode.INTERRUPTED, 'stopped by a signal after the batches in flight: run it again to resume'],
          ]),
      )
      .action((o: ImportCliOptions) =>
        run(async (ctx) => {
          // The bot's LibSQL (LIBSQL_URL), when it is a local file, must be adopted before its data moves to PostgreSQL.
          await assertAdopted(ctx.config.libsqlUrl, ctx.config.libsqlAuthToken, '`pnpm db import`', { localOnly: true });
          const databaseUrl = requirePostgresUrl(ctx);
          const order = backfillOrderWarning(ctx.config.routing, 'import');
          if (order) ctx.warn(order);
          if (o.dryRun) return dryRun(ctx, o, databaseUrl);
          const bar = progressBar(ctx);
          let r;
          try {
            r = await interruptible(ctx.warn, (signal) =>
              importDirectory({
                dir: o.from,
                rejectsDir: o.rejects,
                databaseUrl,
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
          const rejected = s.totals.rejected + s.totals.rejectedAtExport;
          ctx.say(formatLoadSummary(s.tables, s.seconds));
          ctx.say(formatLoadReport(o.loadMode, s.recoveredIndexes, s.loadModes));
          ctx.say(`\nImported ${s.totals.imported} of ${s.totals.read} rows from ${s.fromDir} (exported ${s.exportedAt}) into ${s.target} in ${s.seconds.toFixed(1)} s (${s.rowsPerSecond} rows/s).`);
          if (s.totals.rejected > 0) ctx.warn(`${s.totals.rejected} rows rejected by import: see ${s.rejectsDir}/<table>.ndjson.`);
          if (s.totals.rejectedAtExport > 0) ctx.warn(`${s.totals.rejectedAtExport} rows were already rejected by export (not in the files): see ${s.fromDir}/rejects/export/.`);
          ctx.result(s);
          return rejected > 0 && !o.allowRejects ? ExitCode.REJECTED_ROWS : ExitCode.OK;
        }),
      );
  },
};
