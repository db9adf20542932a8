import cliProgress from 'cli-progress';
import { Option } from 'commander';
import { assertAdopted } from '../../adopt/guard.js';
import { DatabaseError } from '../../errors.js';
import { redactUrl } from '../../logger.js';
import type { SideName } from '../../transfer/source/backend-pair.js';
import { readBotPhase } from '../../transfer/gate-checks.js';
import { reconcile, type ReconcileResult } from '../../transfer/reconcile.js';
import { commandExitCodes, ExitCode } from '../exit-codes.js';
import type { CliContext } from '../context.js';
import type { CommandModule } from './index.js';
import { repairFromJournal, type JournalRepairResult } from '../../routing/journal-repair.js';
import { driftLine, verifyOptionsOf, verifyProgress, withVerifyOptions, type VerifyCliOptions } from './verify.js';

interface ReconcileCliOptions extends VerifyCliOptions {
  readonly from: SideName;
  readonly journal: boolean;
  readonly dryRun: boolean;
  readonly allowNonPrimary: boolean;
  readonly botUrl?: string;
}

/**
 * Refuses to copy from the side that is not the primary, unless told writes are stopped. With
 * `--bot-url`, the running bot's `GET /status` is asked first: a shell whose USE_POSTGRES_* give
 * another phase than the bot's is refused (its idea of the primary would be wrong).
 * @throws DatabaseError `INVALID_INPUT` (exit 2); Error when the bot does not answer (exit 1).
 */
async function checkDirection(ctx: CliContext, o: ReconcileCliOptions): Promise<void> {
  const r = ctx.config.routing;
  if (o.botUrl) {
    const bot = await readBotPhase(o.botUrl);
    if (bot.phase !== null && bot.phase !== r.phase) {
      throw new DatabaseError(
        'INVALID_INPUT',
        `the bot at ${redactUrl(o.botUrl)} runs phase ${bot.phase} (writes to ${bot.primary ?? '?'}), but this shell's USE_POSTGRES_* say phase ${r.phase}: ` +
          'set the bot\'s variables here too, then run reconcile again.',
        { botPhase: bot.phase, shellPhase: r.phase },
      );
    }
  }
  if (o.from === r.primary || o.allowNonPrimary || o.dryRun) return;
  throw new DatabaseError(
    'INVALID_INPUT',
    `phase ${r.phase} (from USE_POSTGRES_* here) writes to ${r.primary}: reconciling --from ${o.from} would overwrite or delete rows the app is ` +
      `writing on ${r.primary}. Run with the same variables as the bot (e.g. \`railway run pnpm db reconcile …\`), use --from ${r.primary}, ` +
      `or pass --allow-non-primary once writes are stopped.`,
    { from: o.from, primary: r.primary },
  );
}

function applyBar(ctx: CliContext): { onApply: (done: number, total: number) => void; stop: () => void } {
  if (!ctx.interactive) return { onApply: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar({ format: 'reconcile [{bar}] {percentage}% | {value}/{total} rows', hideCursor: true }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    onApply(done, total) {
      if (!started) (started = true), bar.start(Math.max(total, 1), done);
      else bar.update(done);
    },
    stop: () => started && bar.stop(),
  };
}

function format(r: ReconcileResult): string {
  const p = r.planned;
  const out = [
    `verify found ${r.verify.drift} drifted rows of ${r.verify.rows}${r.verify.reportFile ? ` (${r.verify.reportFile})` : ''}.` +
      (r.verify.rejected > 0 ? ` ${r.verify.rejected} LibSQL rows import rejects are not drift and are left alone (\`pnpm db verify\` lists them).` : ''),
    `${r.dryRun ? 'would' : 'plan:'} upsert ${p.upsert}, delete ${p.delete} on ${r.to}; ${p.skip_newer} left alone (${r.to} holds a newer version); ${p.none} already equal.`,
  ];
  for (const a of r.sample) {
    out.push(`  ${a.table} ${a.id}  ${a.action.padEnd(10)}  ${r.from} v${a.sourceVersion ?? '—'} → ${r.to} v${a.targetVersion ?? '—'}`);
  }
  if (r.dryRun) {
    out.push(r.verify.drift === 0 ? 'dry run: nothing to do.' : `dry run: nothing written. Run without --dry-run to copy ${r.from} over ${r.to}.`);
    return out.join('\n');
  }
  out.push(`applied ${r.applied} row changes to ${r.to} in ${(r.durationMs / 1000).toFixed(1)} s; ${r.failed.length} refused.`);
  for (const f of r.failed.slice(0, 20)) out.push(`  refused ${f.table} ${f.id}: ${f.error}`);
  for (const f of r.rejected.slice(0, 20)) out.push(`  not copied ${f.table} ${f.id}: import rejects the LibSQL row: ${f.reason}`);
  if (r.remaining === 0) out.push('OK: the reconciled rows now match (run `pnpm db verify` for a full pass).');
  else {
    out.push(`DRIFT LEFT: ${r.remaining} rows still differ:`);
    for (const e of r.remainingSample) out.push(driftLine(e));
    if (p.skip_newer > 0) out.push(`Rows where ${r.to} is newer were not touched: if ${r.to} is right, run \`pnpm db reconcile --from ${r.to}\`.`);
  }
  return out.join('\n');
}

function formatJournal(r: JournalRepairResult): string {
  const out: string[] = [];
  for (const s of r.sides) {
    if (s.entries === 0) {
      out.push(`journal on ${s.from}: empty.`);
      continue;
    }
    const p = s.reconcile?.planned;
    out.push(
      `journal on ${s.from}: ${s.entries} rows; ${r.dryRun ? 'would' : 'plan:'} upsert ${p?.upsert ?? 0}, delete ${p?.delete ?? 0} on ${s.to}; ` +
        `${p?.skip_newer ?? 0} left alone (${s.to} holds a newer version); ${p?.none ?? 0} already equal.`,
    );
    if (!r.dryRun) out.push(`  applied ${s.reconcile?.applied ?? 0} row changes to ${s.to}; ${s.cleared} entries cleared from the journal; ${s.entries - s.cleared} left.`);
    for (const f of s.reconcile?.failed.slice(0, 20) ?? []) out.push(`  refused ${f.table} ${f.id}: ${f.error}`);
    for (const e of s.reconcile?.remainingSample.slice(0, 20) ?? []) out.push(driftLine(e));
  }
  out.push(r.dryRun ? 'dry run: nothing written.' : r.left === 0 ? 'OK: every journaled row is repaired; the journal is empty.' : `JOURNAL LEFT: ${r.left} entries (rows still differ, refused, or rejected).`);
  return out.join('\n');
}

/** `reconcile --journal`: each side's journal is repaired from that side (checked like --from). */
async function runJournal(ctx: CliContext, o: ReconcileCliOptions): Promise<ExitCode> {
  const opts = verifyOptionsOf(ctx, o);
  ctx.say(`reconcile --journal${o.dryRun ? ' (dry run)' : ''}: LibSQL ${redactUrl(opts.libsqlUrl)} ↔ PostgreSQL ${redactUrl(opts.databaseUrl)}`);
  if (o.from) await checkDirection(ctx, o);
  const r = await repairFromJournal({
    libsqlUrl: opts.libsqlUrl,
    libsqlAuthToken: opts.libsqlAuthToken,
    databaseUrl: opts.databaseUrl,
    from: o.from,
    dryRun: o.dryRun,
    recheckDelayMs: opts.recheckDelayMs,
    onWarning: ctx.warn,
  });
  ctx.say(formatJournal(r));
  ctx.result(r);
  return r.ok ? ExitCode.OK : ExitCode.DRIFT;
}

/** `db reconcile --from sqlite|postgres`: copies the source of truth over the drift found by verify. */
export const reconcileCommand: CommandModule = {
  register(program, run) {
    withVerifyOptions(
      program
        .command('reconcile')
        .description('copy the source of truth over the drift verify finds (version-guarded); --from postgres is the rollback path after phase 6')
        .addOption(new Option('--from <side>', 'the source of truth (required without --journal)').choices(['sqlite', 'postgres']))
        .option('--journal', 'repair exactly the rows of the shadow failure journal (no full verify), then clear them from it', false)
        .option('--dry-run', 'print what would change, write nothing', false)
        .option('--allow-non-primary', 'allow --from the side that is not the primary of the configured phase (only when writes are stopped)', false)
        .option('--bot-url <url>', "the bot's base URL: refuse to run when its GET /status shows another phase than this shell's USE_POSTGRES_*"),
    )
      .addHelpText(
        'after',
        '\nRuns verify, then for each drifted row reads the source again and writes it to the other side with a forced, ' +
          'version-guarded upsert (an equal version with other content is replaced; a newer row written meanwhile wins), or ' +
          'deletes it there (with a tombstone) when the source has no such row. Rows whose target version is newer are left alone ' +
          'and reported. The repaired rows are compared again at the end.\n' +
          '--from must be the primary of the phase in USE_POSTGRES_* (sqlite in phases 1/4/5, postgres in 6/6+) unless --allow-non-primary; ' +
          'with --bot-url, the running bot must be in that same phase.\n' +
          '--journal: the rows in the failure journal (shadow writes that failed, were dropped or abandoned; `pnpm db status` shows its size) ' +
          'are copied from the side holding the journal (the primary when they failed) and removed from it once they match.' +
          commandExitCodes([
            [ExitCode.OK, 'no drift left (dry run: there was none)'],
            [ExitCode.DRIFT, 'drift left (dry run: drift found)'],
            [ExitCode.SCHEMA_MISSING, 'a table is missing on a backend: run `db migrate`'],
            [ExitCode.LEGACY_SCHEMA, "omega-bot's file, not adopted: run `db adopt` first"],
            [ExitCode.UNREACHABLE, 'a database is unreachable'],
            [ExitCode.USAGE, 'bad usage: --from missing, or --from the side that is not the primary'],
          ]),
      )
      .action((o: ReconcileCliOptions) =>
        run(async (ctx) => {
          await assertAdopted(ctx.config.libsqlUrl, ctx.config.libsqlAuthToken, '`pnpm db reconcile`');
          if (o.journal) return runJournal(ctx, o);
          if (!o.from) throw new DatabaseError('INVALID_INPUT', "required option '--from <side>' not specified (or use --journal)", {});
          await checkDirection(ctx, o);
          const opts = verifyOptionsOf(ctx, o);
          ctx.say(`reconcile --from ${o.from}${o.dryRun ? ' (dry run)' : ''}: LibSQL ${redactUrl(opts.libsqlUrl)} ↔ PostgreSQL ${redactUrl(opts.databaseUrl)}`);
          const bar = verifyProgress(ctx);
          const apply = applyBar(ctx);
          let r: ReconcileResult;
          try {
            r = await reconcile({ ...opts, from: o.from, dryRun: o.dryRun, onProgress: bar.onProgress, onRecheck: bar.onRecheck, onWarning: ctx.warn, onApply: (d, t) => (bar.stop(), apply.onApply(d, t)) });
          } finally {
            bar.stop();
            apply.stop();
          }
          ctx.say(format(r));
          ctx.result(r);
          return r.ok ? ExitCode.OK : ExitCode.DRIFT;
        }),
      );
  },
};
