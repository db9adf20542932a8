import { adoptableFile, adoptSqlite, defaultBackupPath, type AdoptResult } from '../../adopt/apply.js';
import { detectLayout } from '../../adopt/detect.js';
import { checksumLines, formatPgPlan, formatPlan, pgChecksumLines } from '../../adopt/format.js';
import { buildPlan, type AdoptPlan } from '../../adopt/plan.js';
import { adoptPostgres, buildPgPlan, type PgAdoptPlan } from '../../adopt/pg/apply.js';
import { detectPostgresLayoutOrUnreachable } from '../../adopt/pg/guard.js';
import { DatabaseError } from '../../errors.js';
import { redactUrl } from '../../logger.js';
import { sqliteFilePath } from '../../transfer/source/source.js';
import { requirePostgresUrl, type CliContext } from '../context.js';
import { commandExitCodes, ExitCode } from '../exit-codes.js';
import type { CommandModule } from './index.js';

const planJson = (plan: AdoptPlan) => ({
  layout: { kind: plan.layout.kind, omegaVersion: plan.layout.omegaVersion, description: plan.layout.description, journal: plan.layout.journal },
  steps: plan.steps,
});

const pgPlanJson = (plan: PgAdoptPlan) => ({
  target: 'postgres',
  layout: { kind: plan.layout.kind, description: plan.layout.description, journal: plan.layout.journal },
  steps: plan.steps,
  otherTables: plan.layout.differences?.otherTables ?? [],
});

interface AdoptCliOptions {
  target: string;
  libsqlUrl?: string;
  databaseUrl?: string;
  apply: boolean;
  backup?: string;
}

/** `adopt --target postgres`: omega-bot's PostgreSQL tables (its schema runner's), taken over in one transaction. */
async function adoptPostgresCommand(ctx: CliContext, o: AdoptCliOptions): Promise<ExitCode> {
  if (o.backup !== undefined) throw new DatabaseError('INVALID_INPUT', '--backup is for LibSQL files: on PostgreSQL the changes run in one transaction (take a pg_dump first if you want a copy)');
  const url = o.databaseUrl ?? requirePostgresUrl(ctx);
  const layout = await detectPostgresLayoutOrUnreachable(url);
  if (layout.kind === 'unrecognised') {
    throw new DatabaseError('UNRECOGNISED_LAYOUT', `PostgreSQL ${redactUrl(url)} is not omega-bot's layout: ${layout.mismatch}; nothing was changed`, { mismatch: layout.mismatch });
  }
  const plan = buildPgPlan(layout);
  ctx.say(`adopt: PostgreSQL ${redactUrl(url)}`);
  for (const l of formatPgPlan(plan)) ctx.say(l);
  if (plan.steps.length === 0) {
    ctx.say(layout.kind === 'empty' ? 'nothing to adopt: `pnpm db migrate --target postgres` creates the layout' : 'nothing to do');
    ctx.result({ ...pgPlanJson(plan), applied: false });
    return ExitCode.OK;
  }
  if (!o.apply) {
    ctx.say('nothing changed: stop the old bot, then run again with --apply (one transaction; the six tables are locked while it runs)');
    ctx.result({ ...pgPlanJson(plan), applied: false });
    return ExitCode.OK;
  }
  const r = await adoptPostgres(url, {
    onEvent: (e) => {
      if (e.kind === 'before') for (const l of pgChecksumLines('before', e.checksums)) ctx.say(l);
      else if (e.kind === 'after') for (const l of pgChecksumLines('after', e.checksums)) ctx.say(l);
    },
  });
  ctx.say(`adopted: ${r.plan.steps.length} changes committed in one transaction; row counts and checksums equal before and after`);
  ctx.result({ ...pgPlanJson(r.plan), applied: true, before: r.before, after: r.after });
  return ExitCode.OK;
}

/** `db adopt [--target sqlite|postgres] [--libsql-url URL | --database-url URL] [--apply] [--backup PATH]`: takes over an existing omega-bot database in place. */
export const adoptCommand: CommandModule = {
  register(program, run) {
    program
      .command('adopt')
      .description("take over an existing omega-bot database in place (a LibSQL file, or with --target postgres its PostgreSQL tables): prints the plan; --apply makes it")
      .option('--target <target>', 'sqlite (the LibSQL file) or postgres (omega-bot\'s PostgreSQL tables)', 'sqlite')
      .option('--libsql-url <url>', 'the LibSQL file (default: LIBSQL_URL)')
      .option('--database-url <url>', 'with --target postgres: the PostgreSQL database (default: DATABASE_URL)')
      .option('--apply', 'make the changes: backup first (VACUUM INTO), then one transaction, row counts and checksums before and after', false)
      .option('--backup <path>', 'LibSQL: backup file for --apply (default: <file>.pre-adopt.bak beside the database; refused when it exists)')
      .addHelpText(
        'after',
        '\nRecognises omega-bot\'s layouts (newest and older: columns its later versions add, no FTS, another tokenizer) and the product\'s layout ' +
          'without drizzle\'s journal (drizzle-kit push). Only adds: ALTER TABLE … ADD COLUMN with constant defaults, CREATE TABLE/INDEX, ' +
          'the FTS index rebuilt from messages under omega-bot\'s names, the journal stamp; omega-bot\'s own code keeps running on the file.\n' +
          'An adopted or migrated file is a no-op (exit 0); an empty one is left to `pnpm db migrate`.\n' +
          '--target postgres: a database where omega-bot\'s own PostgreSQL schema runner created its tables. Adds version (DEFAULT 1), updated_at where absent, ' +
          'messages.search_vector and its GIN index, the product\'s indexes, row_tombstones and drizzle\'s journal stamp; converts a column only where the product\'s ' +
          'type differs and nothing is lost (TEXT holding JSON → jsonb, REAL → double precision, INTEGER 0/1 → boolean); renames omega\'s foreign keys to the product\'s names. ' +
          'One transaction with the six tables locked (stop the old bot first), row counts and checksums before and after; other tables are left alone.\n' +
          'Stop the old bot before --apply.' +
          commandExitCodes([
            [ExitCode.OK, 'planned, adopted, or nothing to do'],
            [ExitCode.UNRECOGNISED_LAYOUT, "not omega-bot's layout (one line names what did not match; nothing written)"],
            [ExitCode.REJECTED_ROWS, '(postgres) a value cannot convert without loss (table, id and reason; nothing changed)'],
            [ExitCode.USAGE, 'bad usage, or the backup exists'],
            [ExitCode.UNREACHABLE, 'the file does not exist, or the database is unreachable'],
            [ExitCode.FAILURE, 'checksums differed (rolled back), or another failure'],
          ]),
      )
      .action((o: AdoptCliOptions) =>
        run(async (ctx) => {
          const target = o.target === 'pg' ? 'postgres' : o.target;
          if (target === 'postgres') return adoptPostgresCommand(ctx, o);
          if (target !== 'sqlite') throw new DatabaseError('INVALID_INPUT', `--target must be sqlite or postgres, got ${JSON.stringify(o.target)}`);
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
            const local = sqliteFilePath(url);
            const backup = local === null ? null : (o.backup ?? defaultBackupPath(adoptableFile(url)));
            ctx.say(
              backup === null
                ? 'nothing changed: --apply works on a local file (a file: URL): copy the database to a file first'
                : `nothing changed: stop the old bot, then run again with --apply (backup first to ${backup})`,
            );
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
