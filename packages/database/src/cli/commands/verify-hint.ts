import type { Routing } from '../../config/phase.js';
import type { VerifyResult } from '../../transfer/verify.js';

/**
 * What to do about the drift verify found, for the phase of this shell's USE_POSTGRES_* (the
 * bot's, when the runbook is followed). Phases 1 and 6 have no shadow writes, so drift there is
 * expected and reconcile is not the next step; a PostgreSQL that lacks most rows needs the
 * backfill, not a row-by-row repair. One line, printed after the drifted rows.
 */
export function driftHint(r: Pick<VerifyResult, 'tables'>, routing: Pick<Routing, 'phase' | 'primary'>): string {
  const sqliteRows = r.tables.reduce((n, t) => n + t.sqliteRows, 0);
  const missingInPostgres = r.tables.reduce((n, t) => n + t.missingInPostgres, 0);
  switch (routing.phase) {
    case '1':
      return (
        'Phase 1 (USE_POSTGRES_* in this shell): PostgreSQL receives no writes, so this drift only grows. Turn shadow writes on first ' +
        '(USE_POSTGRES_SHADOW=true on the bot and in this shell: phase 4), then backfill (`pnpm db copy`, or export + import) and verify again.'
      );
    case '6':
      return (
        'Phase 6: LibSQL receives no writes, so every write since the switch to phase 6 shows here as drift; that is expected. ' +
        'To roll back, go to phase 6+ first (USE_POSTGRES_SHADOW=true on the bot and in this shell), then `pnpm db reconcile --from postgres`.'
      );
    default:
      if (routing.primary === 'sqlite' && sqliteRows > 0 && missingInPostgres * 2 > sqliteRows) {
        return 'PostgreSQL lacks most LibSQL rows: it has not been backfilled yet. Run `pnpm db copy` (or export + import), then verify again.';
      }
      return `Repair with \`pnpm db reconcile --from ${routing.primary}\` (the primary of phase ${routing.phase}), then verify again.`;
  }
}
