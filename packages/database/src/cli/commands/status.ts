import { tableNames } from '../../schema/tables.js';
import { collectStatus, type BackendStatus, type StatusResult } from '../../transfer/status.js';
import { envWithUrls, reportError, type UrlOptions } from '../context.js';
import { commandExitCodes, ExitCode } from '../exit-codes.js';
import { withDatabaseUrl, withLibsqlUrl } from '../transfer-options.js';
import type { CommandModule } from './index.js';

const FLAG_NAMES = ['USE_POSTGRES_PRIMARY', 'USE_POSTGRES_READ', 'USE_POSTGRES_SHADOW'] as const;

function backendLines(name: string, url: string | null, b: BackendStatus): string[] {
  const out = [`${name} ${url ?? ''}: ${b.reachable ? `reachable (${b.latencyMs} ms)` : `UNREACHABLE: ${b.error}`}`];
  if (b.layout?.legacy) {
    out.push(`  layout: legacy, not adopted — ${b.layout.description} (LEGACY_SCHEMA: run \`pnpm db adopt\`)`);
  } else if (b.layout?.kind === 'unrecognised') out.push(`  layout: ${b.layout.description}`);
  const m = b.migrations;
  if (m?.reachable && !b.layout?.legacy) {
    const pending = m.pending.length ? `, PENDING: ${m.pending.join(', ')} (run \`pnpm db migrate\`)` : '';
    const changed = m.applied.filter((a) => a.changed).map((a) => a.tag);
    out.push(`  migrations: ${m.applied.length} applied (current ${m.current ?? 'none'}, latest ${m.latest ?? 'none'})${pending}${changed.length ? `, CHANGED since applied: ${changed.join(', ')}` : ''}`);
  }
  if (b.counts) {
    const missing = tableNames.filter((t) => b.counts![t] === null);
    out.push(`  rows: ${tableNames.filter((t) => b.counts![t] !== null).map((t) => `${t} ${b.counts![t]!.toLocaleString('en-US')}`).join(', ') || '(no table)'}${b.tombstones !== null ? `; tombstones ${b.tombstones}` : ''}`);
    if (b.deferredIndexes != null && b.deferredIndexes.length > 0) {
      out.push(`  deferred indexes: ${b.deferredIndexes.length} not built yet (${b.deferredIndexes.map((i) => `${i.table}.${i.index}`).join(', ')}); build them: pnpm db migrate --target postgres`);
    }
    if (b.journal != null) out.push(`  shadow failure journal: ${b.journal} rows${b.journal > 0 ? ' (repair: pnpm db reconcile --journal)' : ''}`);
    if (missing.length) out.push(`  MISSING tables: ${missing.join(', ')}`);
  }
  return out;
}

/** Whether the backends the phase uses can serve it (what `db status` exits with). */
export interface StatusReadiness {
  /** The exit code: 0 ready; 2 configuration refused; 3 a backend unreachable; 8 LibSQL not adopted; 9 a table missing or a migration pending. */
  readonly code: ExitCode;
  /** One line per problem, naming the backend, its role in the phase and the command that fixes it. */
  readonly problems: string[];
}

/**
 * The backends of the phase (primary, shadow, reads) must be reachable, adopted and migrated:
 * otherwise the bot of this phase cannot serve (or its shadow writes fail). A backend the phase
 * does not use is shown but does not count, except that any unreachable backend gives 3.
 */
export function statusReadiness(s: StatusResult): StatusReadiness {
  const c = s.config;
  if (!c.ok) return { code: ExitCode.USAGE, problems: [`the app would refuse this configuration (${c.error!.code})`] };
  const problems: string[] = [];
  let code: ExitCode = ExitCode.OK;
  const worse = (k: ExitCode) => {
    const rank: ExitCode[] = [ExitCode.OK, ExitCode.SCHEMA_MISSING, ExitCode.LEGACY_SCHEMA, ExitCode.UNREACHABLE];
    if (rank.indexOf(k) > rank.indexOf(code)) code = k;
  };
  for (const [name, b] of [['sqlite', s.sqlite], ['postgres', s.postgres]] as const) {
    if (b && !b.reachable) {
      problems.push(`${name} is unreachable`);
      worse(ExitCode.UNREACHABLE);
    }
  }
  const roles = (['primary', 'shadow', 'reads'] as const).filter((r) => c[r] !== null);
  for (const backend of ['sqlite', 'postgres'] as const) {
    const used = roles.filter((r) => c[r] === backend);
    const b = backend === 'sqlite' ? s.sqlite : s.postgres;
    if (used.length === 0 || !b?.reachable) continue;
    const as = `${backend} (${used.join(', ')} of phase ${c.phase})`;
    if (b.layout?.legacy) {
      problems.push(`${as} is omega-bot's file, not adopted: run \`pnpm db adopt\``);
      worse(ExitCode.LEGACY_SCHEMA);
      continue;
    }
    const missing = b.counts ? tableNames.filter((t) => b.counts![t] === null) : [];
    const pending = b.migrations?.pending ?? [];
    if (missing.length || pending.length) {
      const what = [missing.length ? `no table ${missing.join(', ')}` : '', pending.length ? `pending migrations ${pending.join(', ')}` : ''].filter(Boolean).join('; ');
      problems.push(`${as}: ${what}: run \`pnpm db migrate --target ${backend}\``);
      worse(ExitCode.SCHEMA_MISSING);
    }
  }
  return { code, problems };
}

/** The screen form of a status. */
export function formatStatus(s: StatusResult): string {
  const c = s.config;
  const flags = FLAG_NAMES.map((f) => `${f}=${c.flags[f] ?? '(unset)'}`).join(' ');
  const out = [
    c.ok
      ? `phase ${c.phase}: ${c.description} (writes → ${c.primary}${c.shadow ? `, shadow → ${c.shadow}` : ''}, reads ← ${c.reads})`
      : `CONFIG ERROR ${c.error!.code}: ${c.error!.message}`,
    `  ${flags}`,
    ...backendLines('LibSQL', c.libsqlUrl, s.sqlite),
    ...(s.postgres ? backendLines('PostgreSQL', c.databaseUrl, s.postgres) : ['PostgreSQL: DATABASE_URL not set']),
  ];
  const v = s.lastVerify;
  if (!v) out.push('last verify: never (run `pnpm db verify`)');
  else {
    const rejected = v.rejected ? `; ${v.rejected} LibSQL rows rejected by import` : '';
    out.push(`last verify: ${v.startedAt}: ${v.ok ? 'OK, no drift' : `DRIFT, ${v.drift} rows`}${rejected} over ${v.rows.toLocaleString('en-US')} rows (${v.rowsPerSecond.toLocaleString('en-US')} rows/s)${v.reportFile ? `; ${v.reportFile}` : ''}`);
  }
  return out.join('\n');
}

/** `db status`: phase, flags, backends (reachability, migrations, counts) and the last verify. */
export const statusCommand: CommandModule = {
  register(program) {
    withDatabaseUrl(
      withLibsqlUrl(
        program
          .command('status')
          .description('show the phase as the app derives it from USE_POSTGRES_*, each backend (reachable, migrations, row counts) and the last verify')
          .option('--data-dir <dir>', 'folder of last-verify.json', 'migration-data'),
      ),
    )
      .addHelpText(
        'after',
        '\nA configuration the app would refuse (a bad flag value, USE_POSTGRES_READ without shadow…) is shown as an error, not a crash. ' +
          'The backends the phase uses (primary, shadow, reads) must be adopted and migrated; each problem is a NOT READY line ' +
          '(--json: "readiness").' +
          commandExitCodes([
            [ExitCode.OK, "the configuration is valid, both backends answer, the phase's backends are adopted and migrated"],
            [ExitCode.USAGE, 'the app would refuse this configuration'],
            [ExitCode.UNREACHABLE, 'a backend is unreachable'],
            [ExitCode.LEGACY_SCHEMA, "a backend of the phase is omega-bot's file, not adopted: run `db adopt`"],
            [ExitCode.SCHEMA_MISSING, 'a backend of the phase lacks a table or has a migration pending: run `db migrate`'],
          ]),
      )
      // Not through `run`: its context refuses an invalid configuration, which status must show instead.
      .action(async (o: { dataDir: string } & UrlOptions) => {
        try {
          const s = await collectStatus({ dataDir: o.dataDir, env: envWithUrls(o) });
          const readiness = statusReadiness(s);
          const notReady = readiness.code === ExitCode.OK || readiness.code === ExitCode.USAGE ? [] : readiness.problems.map((p) => `NOT READY: ${p}`);
          process.stdout.write(`${program.opts().json ? JSON.stringify({ ...s, readiness }, null, 2) : [formatStatus(s), ...notReady].join('\n')}\n`);
          process.exitCode = readiness.code;
        } catch (e) {
          process.exitCode = reportError(e);
        }
      });
  },
};
