import type { Command } from 'commander';
import { assertAdopted } from '../../adopt/guard.js';
import { assertPostgresAdopted } from '../../adopt/pg/guard.js';
import { DatabaseError, describeError } from '../../errors.js';
import { redact, redactUrl } from '../../logger.js';
import { migratePostgres, migrateSqlite } from '../../migrations/migrate.js';
import { postgresMigrationStatus, sqliteMigrationStatus, type BackendMigrationStatus } from '../../transfer/source/migration-status.js';
import { requirePostgresUrl, type CliContext } from '../context.js';
import { commandExitCodes, ExitCode } from '../exit-codes.js';
import { withDatabaseUrl, withLibsqlUrl } from '../transfer-options.js';
import type { CommandModule } from './index.js';

type Target = 'sqlite' | 'postgres' | 'both';
type Backend = 'sqlite' | 'postgres';

function backends(ctx: CliContext, target: Target | undefined): Backend[] {
  if (target === undefined) {
    if (ctx.config.databaseUrl) return ['sqlite', 'postgres'];
    ctx.warn('note: DATABASE_URL is unset, so only LibSQL is considered (pass --target to choose).');
    return ['sqlite'];
  }
  if (target !== 'sqlite') requirePostgresUrl(ctx);
  return target === 'both' ? ['sqlite', 'postgres'] : [target];
}

function status(ctx: CliContext, b: Backend): Promise<BackendMigrationStatus> {
  return b === 'sqlite' ? sqliteMigrationStatus(ctx.config.libsqlUrl, ctx.config.libsqlAuthToken) : postgresMigrationStatus(ctx.config.databaseUrl!);
}

function describe(s: BackendMigrationStatus): string[] {
  if (!s.reachable) return [`${s.backend}: unreachable — ${s.error ?? 'unknown error'}`];
  const lines = [`${s.backend}: at ${s.current ?? '(nothing applied)'}; latest ${s.latest ?? '-'}; ${s.pending.length ? `${s.pending.length} pending` : 'up to date'}`];
  for (const a of s.applied) lines.push(`  applied  ${a.tag}${a.changed ? '  (file changed since it was applied!)' : ''}`);
  for (const p of s.pending) lines.push(`  pending  ${p}`);
  if (s.unknown) lines.push(`  ${s.unknown} applied migration(s) not in this code's journal (applied by a newer version?)`);
  return lines;
}

async function apply(ctx: CliContext, b: Backend): Promise<void> {
  const url = b === 'sqlite' ? ctx.config.libsqlUrl : ctx.config.databaseUrl!;
  try {
    if (b === 'sqlite') await migrateSqlite(url, ctx.config.libsqlAuthToken);
    else await migratePostgres(url);
  } catch (e) {
    // drizzle wraps the driver's error ("Failed query: …"): the SQLSTATE and its message are in `cause`.
    const inner = (e as { cause?: unknown }).cause;
    const d = describeError(inner instanceof Error ? inner : e);
    const unreachable = /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|CONNECT_TIMEOUT|CONNECTION|SQLITE_CANTOPEN/i.test(`${d.code} ${d.message}`);
    throw new DatabaseError(unreachable ? 'DATABASE_UNREACHABLE' : 'MIGRATION_FAILED', `migrating ${b} at ${redactUrl(url)} failed: ${redact(d.message)} (${d.code})`, { backend: b }, { cause: e });
  }
}

/** `db migrate [--target sqlite|postgres|both]` and `db migrate status`. */
export const migrateCommand: CommandModule = {
  register(program, run) {
    const migrate: Command = withDatabaseUrl(
      withLibsqlUrl(
        program
          .command('migrate')
          .description('apply pending schema migrations (drizzle/<dialect>); `migrate status` lists applied and pending ones')
          .option('--target <target>', 'sqlite, postgres or both (default: both when DATABASE_URL is set, else sqlite)'),
      ),
    )
      .option('--dry-run', 'list the migrations that would be applied, apply nothing', false)
      .addHelpText(
        'after',
        '\nRefuses omega-bot\'s database that is not adopted yet, and a layout that is neither omega-bot\'s nor the product\'s, before writing anything.' +
          commandExitCodes([
            [ExitCode.OK, 'applied, nothing to apply, or (--dry-run) listed'],
            [ExitCode.USAGE, 'bad --target, or DATABASE_URL missing for --target postgres'],
            [ExitCode.UNREACHABLE, 'a database is unreachable'],
            [ExitCode.UNRECOGNISED_LAYOUT, "not omega-bot's layout nor the product's"],
            [ExitCode.LEGACY_SCHEMA, 'omega-bot\'s database, not adopted: run `db adopt` first'],
            [ExitCode.FAILURE, "a migration failed (MIGRATION_FAILED: its SQL error on stderr; drizzle's transaction rolled it back)"],
          ]),
      )
      .action((o: { target?: string; dryRun: boolean }) =>
        run(async (ctx) => {
          const list = backends(ctx, parseTarget(o.target));
          const out: Record<string, { appliedNow: string[]; wouldApply?: readonly string[]; status: BackendMigrationStatus }> = {};
          // A legacy or foreign LibSQL file is refused before anything is written (LEGACY_SCHEMA / UNRECOGNISED_LAYOUT).
          if (list.includes('sqlite')) await assertAdopted(ctx.config.libsqlUrl, ctx.config.libsqlAuthToken, '`pnpm db migrate`', { refuseUnrecognised: true });
          if (list.includes('postgres')) await assertPostgresAdopted(ctx.config.databaseUrl!, '`pnpm db migrate --target postgres`', { refuseUnrecognised: true, reportUnreachable: true });
          for (const b of list) {
            const before = await status(ctx, b);
            if (o.dryRun) {
              if (!before.reachable) throw new DatabaseError('DATABASE_UNREACHABLE', `${b} is unreachable: ${before.error ?? 'unknown error'}`, { backend: b });
              out[b] = { appliedNow: [], wouldApply: before.pending, status: before };
              ctx.say(`${b}: ${before.pending.length ? `would apply ${before.pending.join(', ')}` : 'nothing to apply'}; at ${before.current ?? '(nothing applied)'} (dry run: nothing written)`);
              continue;
            }
            await apply(ctx, b);
            const after = await status(ctx, b);
            const appliedNow = before.reachable ? before.pending.filter((t) => !after.pending.includes(t)) : after.applied.map((a) => a.tag);
            out[b] = { appliedNow, status: after };
            ctx.say(`${b}: ${appliedNow.length ? `applied ${appliedNow.join(', ')}` : 'nothing to apply'}; now at ${after.current ?? '-'}`);
          }
          ctx.result(o.dryRun ? { dryRun: true, ...out } : out);
          return ExitCode.OK;
        }),
      );
    migrate
      .command('status')
      .description('list applied and pending migrations per backend (reads drizzle\'s __drizzle_migrations; changes nothing)')
      .addHelpText(
        'after',
        commandExitCodes([
          [ExitCode.OK, 'listed (pending migrations are not an error here)'],
          [ExitCode.UNREACHABLE, 'a backend is unreachable'],
          [ExitCode.LEGACY_SCHEMA, 'omega-bot\'s file, not adopted: run `db adopt` first'],
        ]),
      )
      .action(() =>
        run(async (ctx) => {
          const list = backends(ctx, parseTarget(migrate.opts<{ target?: string }>().target));
          if (list.includes('sqlite')) await assertAdopted(ctx.config.libsqlUrl, ctx.config.libsqlAuthToken, 'reading its migrations');
          const out: Record<string, BackendMigrationStatus> = {};
          for (const b of list) {
            out[b] = await status(ctx, b);
            for (const l of describe(out[b])) ctx.say(l);
          }
          ctx.result(out);
          return Object.values(out).every((s) => s.reachable) ? ExitCode.OK : ExitCode.UNREACHABLE;
        }),
      );
  },
};

function parseTarget(v: string | undefined): Target | undefined {
  if (v === undefined) return undefined;
  const t = v === 'pg' ? 'postgres' : v;
  if (t === 'sqlite' || t === 'postgres' || t === 'both') return t;
  throw new DatabaseError('INVALID_INPUT', `--target must be sqlite, postgres or both, got ${JSON.stringify(v)}`);
}
