import { adoptableFile, adoptSqlite, defaultBackupPath, type AdoptResult } from '../../adopt/apply.js';
import { detectLayout } from '../../adopt/detect.js';
import { checksumLines, formatPlan } from '../../adopt/format.js';
import { buildPlan, type AdoptPlan } from '../../adopt/plan.js';
import { DatabaseError } from '../../errors.js';
import { redactUrl } from '../../logger.js';
import { ExitCode } from '../exit-codes.js';
import type { CommandModule } from './index.js';

const planJson = (plan: AdoptPlan) => ({
  layout: { kind: plan.layout.kind, omegaVersion: plan.layout.omegaVersion, description: plan.layout.description, journal: plan.layout.journal },
  steps: plan.steps,
});

/** `db adopt [--libsql-url URL] [--apply] [--backup PATH]`: takes over an existing omega-bot LibSQL file in place. */
export const adoptCommand: CommandModule = {
  register(program, run) {
    program
      .command('adopt')
      .description("take over an existing omega-bot LibSQL file in place: prints the plan (columns, tables, indexes, FTS rebuild, journal stamp); --apply makes it")
      .option('--libsql-url <url>', 'the LibSQL file (default: LIBSQL_URL)')
      .option('--apply', 'make the changes: backup first (VACUUM INTO), then one transaction, row counts and checksums before and after', false)
      .option('--backup <path>', 'backup file for --apply (default: <file>.pre-adopt.bak beside the database; refused when it exists)')
      .addHelpText(
        'after',
        '\nRecognises omega-bot\'s layouts (newest and older: columns its later versions add, no FTS, another tokenizer) and the product\'s layout ' +
          'without drizzle\'s journal (drizzle-kit push). Only adds: ALTER TABLE … ADD COLUMN with constant defaults, CREATE TABLE/INDEX, ' +
          'the FTS index rebuilt from messages under omega-bot\'s names, the journal stamp; omega-bot\'s own code keeps running on the file.\n' +
          'An adopted or migrated file is a no-op (exit 0); an empty one is left to `pnpm db migrate`.\n' +
          'Exit codes: 0 planned / adopted / nothing to do; 7 not omega-bot\'s layout (one line names what did not match; nothing written); ' +
          '2 bad usage or the backup exists; 3 the file does not exist; 1 checksums differed (rolled back) or another failure.',
      )
      .action((o: { libsqlUrl?: string; apply: boolean; backup?: string }) =>
        run(async (ctx) => {
          const url = o.libsqlUrl ?? ctx.config.libsqlUrl;
          const token = o.libsqlUrl ? undefined : ctx.config.libsqlAuthToken;
          const layout = await detectLayout(url, token);
          if (!layout.exists) throw new DatabaseError('DATABASE_UNREACHABLE', `${layout.description.replace(/ \(.*$/, '')}: nothing to adopt`, { url: redactUrl(url) });
          if (layout.kind === 'unrecognised') {
            throw new DatabaseError('UNRECOGNISED_LAYOUT', `LibSQL ${redactUrl(url)} is not omega-bot's layout: ${layout.mismatch}`, { mismatch: layout.mismatch });
          }
          const plan = buildPlan(layout);
          ctx.say(`adopt: LibSQL ${redactUrl(url)}`);
          for (const l of formatPlan(plan)) ctx.say(l);
          if (plan.steps.length === 0) {
            ctx.say(layout.kind === 'empty' ? 'nothing to adopt: `pnpm db migrate` creates the layout' : 'nothing to do');
            ctx.result({ ...planJson(plan), applied: false });
            return ExitCode.OK;
          }
          if (!o.apply) {
            const backup = o.backup ?? defaultBackupPath(adoptableFile(url));
            ctx.say(`nothing changed: run again with --apply (backup first to ${backup})`);
            ctx.result({ ...planJson(plan), applied: false, backupPath: backup });
            return ExitCode.OK;
          }
          const r: AdoptResult = await adoptSqlite(url, {
            ...(o.backup !== undefined && { backupPath: o.backup }),
            onEvent: (e) => {
              if (e.kind === 'backup') ctx.say(`backup: ${e.path} (VACUUM INTO; opens as a LibSQL file)`);
              else if (e.kind === 'before') for (const l of checksumLines('before', e.checksums)) ctx.say(l);
              else if (e.kind === 'after') for (const l of checksumLines('after', e.checksums)) ctx.say(l);
            },
          });
          ctx.say(`adopted: ${r.plan.steps.length} changes committed in one transaction; row counts and checksums equal before and after`);
          ctx.result({ ...planJson(r.plan), applied: true, backupPath: r.backupPath, before: r.before, after: r.after });
          return ExitCode.OK;
        }),
      );
  },
};
