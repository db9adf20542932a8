import { assertAdopted } from '../../adopt/guard.js';
import { redactUrl } from '../../logger.js';
import { defaultRepairBackupPath, formatRepair, repairSqlite } from '../../repair/repair.js';
import { sqliteFilePath } from '../../transfer/source/source.js';
import { commandExitCodes, ExitCode } from '../exit-codes.js';
import type { CommandModule } from './index.js';

/** `db repair [--libsql-url URL] [--apply] [--backup PATH]`: fixes in place the LibSQL values no reader can take as stored. */
export const repairCommand: CommandModule = {
  register(program, run) {
    program
      .command('repair')
      .description('fix in place the LibSQL values that `check` finds unreadable: text that is not UTF-8, U+0000, lone surrogates, JSON that does not parse; dry run unless --apply')
      .option('--libsql-url <url>', 'the LibSQL file (default: LIBSQL_URL)')
      .option('--apply', 'write the changes: backup first (VACUUM INTO beside the file), then one transaction', false)
      .option('--backup <path>', 'backup file for --apply (default: <file>.pre-repair-<UTC time>.bak beside the database; refused when it exists)')
      .addHelpText(
        'after',
        '\nWhat is changed (the same policy reads apply, so a read returns the same value before and after):\n' +
          '  - text that is not UTF-8: each bad byte sequence → U+FFFD (an encoded lone surrogate → U+FFFD)\n' +
          '  - U+0000 stripped; a lone surrogate → U+FFFD (the services\' text policy)\n' +
          '  - JSON columns: JSON behind a byte order mark → without it; other text that is not JSON → {"raw": <the text>}\n' +
          '  - ids, unique and foreign-key columns are never rewritten: such values are listed as skipped\n' +
          'Each changed row\'s version goes up by one. Every change is listed (table, id, column, before → after,\n' +
          'bytes that are not UTF-8 as x\'…\' hex). Other problems `check` reports (storage classes, timestamps,\n' +
          'orphans) are not changed here.' +
          commandExitCodes([
            [ExitCode.OK, 'nothing to fix, planned (dry run) or fixed'],
            [ExitCode.REJECTED_ROWS, 'values in key columns left as they are'],
            [ExitCode.LEGACY_SCHEMA, "the file is omega-bot's, not adopted: run `db adopt` first"],
            [ExitCode.USAGE, 'bad usage (a remote URL, the backup exists)'],
            [ExitCode.UNREACHABLE, 'the file does not exist'],
            [ExitCode.FAILURE, 'another failure (nothing written: the transaction rolled back)'],
          ]),
      )
      .action((o: { libsqlUrl?: string; apply: boolean; backup?: string }) =>
        run(async (ctx) => {
          const url = o.libsqlUrl ?? ctx.config.libsqlUrl;
          await assertAdopted(url, o.libsqlUrl ? undefined : ctx.config.libsqlAuthToken, '`pnpm db repair`', { localOnly: true });
          ctx.say(`repair: LibSQL ${redactUrl(url)}${o.apply ? '' : ' (dry run)'}`);
          const r = repairSqlite(url, { apply: o.apply, ...(o.backup !== undefined && { backupPath: o.backup }) });
          if (r.backupPath) ctx.say(`backup: ${r.backupPath} (VACUUM INTO; opens as a LibSQL file)`);
          for (const l of formatRepair(r)) ctx.say(l);
          if (!o.apply && r.changes.length) {
            const file = sqliteFilePath(url);
            ctx.say(`nothing changed: run again with --apply (backup first to ${o.backup ?? (file ? defaultRepairBackupPath(file) : '<file>.pre-repair-<time>.bak')})`);
          }
          ctx.result(r);
          return r.skipped.length ? ExitCode.REJECTED_ROWS : ExitCode.OK;
        }),
      );
  },
};
