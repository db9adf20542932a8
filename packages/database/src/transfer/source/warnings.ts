import type { Routing } from '../../config/phase.js';
import type { Source } from './source.js';

/**
 * The warning for a backfill run in an order that can lose writes (docs/design.md "Cutover runbook"),
 * or null when the order is safe. Phase 1 (no shadow writes): every write the bot makes after the
 * snapshot stays in LibSQL only. Only this shell's environment is known here; the bot's may differ.
 */
export function backfillOrderWarning(routing: Routing, command: 'export' | 'import' | 'copy'): string | null {
  if (routing.phase !== '1') return null;
  return (
    `warning: this environment says phase 1 (USE_POSTGRES_SHADOW is off), so writes the bot makes after this ${command === 'import' ? "export's snapshot" : 'snapshot'} ` +
    'will NOT reach PostgreSQL. Set USE_POSTGRES_SHADOW=true on the bot (and deploy it) BEFORE the backfill, then export/import or copy; ' +
    'the version guard makes the overlap harmless. See docs/design.md "Cutover runbook" step 2. ' +
    '(If the bot already runs with shadow writes on, set the same variable in this shell to silence this warning.)'
  );
}

/**
 * A warning when a local LibSQL source is not in WAL mode: then the snapshot's read transaction
 * blocks the bot's writers (SQLITE_BUSY) for the whole run. The bot's own connection switches
 * the file to WAL, so this mostly concerns copies made by hand.
 */
export function journalModeWarning(source: Source): string | null {
  if (source.journalMode === null || source.journalMode.toLowerCase() === 'wal') return null;
  return (
    `warning: ${source.label} is in journal_mode=${source.journalMode}, not WAL: while this runs, writers to it wait or fail with SQLITE_BUSY. ` +
    'Stop writers, or switch the file to WAL (the bot does so when it starts).'
  );
}
