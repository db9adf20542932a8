import { tableNames } from '../../schema/tables.js';
import { collectStatus, type BackendStatus, type StatusResult } from '../../transfer/status.js';
import { reportError } from '../context.js';
import { ExitCode } from '../exit-codes.js';
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
    out.push(`  rows: ${tableNames.filter((t) => b.counts![t] !== null).map((t) => `${t} ${b.counts![t]!.toLocaleString('en-US')}`).join(', ')}${b.tombstones !== null ? `; tombstones ${b.tombstones}` : ''}`);
    if (b.journal != null) out.push(`  shadow failure journal: ${b.journal} rows${b.journal > 0 ? ' (repair: pnpm db reconcile --journal)' : ''}`);
    if (missing.length) out.push(`  MISSING tables: ${missing.join(', ')}`);
  }
  return out;
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
    program
      .command('status')
      .description('show the phase as the app derives it from USE_POSTGRES_*, each backend (reachable, migrations, row counts) and the last verify')
      .option('--data-dir <dir>', 'folder of last-verify.json', 'migration-data')
      .addHelpText(
        'after',
        '\nA configuration the app would refuse (a bad flag value, USE_POSTGRES_READ without shadow…) is shown as an error, not a crash.\n' +
          'Exit codes: 0 all reachable and the configuration valid; 2 the app would refuse this configuration; 3 a backend is unreachable; 1 anything else.',
      )
      // Not through `run`: its context refuses an invalid configuration, which status must show instead.
      .action(async (o: { dataDir: string }) => {
        try {
          const s = await collectStatus({ dataDir: o.dataDir });
          process.stdout.write(`${program.opts().json ? JSON.stringify(s, null, 2) : formatStatus(s)}\n`);
          const unreachable = !s.sqlite.reachable || (s.postgres !== null && !s.postgres.reachable);
          process.exitCode = !s.config.ok ? ExitCode.USAGE : unreachable ? ExitCode.UNREACHABLE : ExitCode.OK;
        } catch (e) {
          process.exitCode = reportError(e);
        }
      });
  },
};
