import type { ComparedReadsSnapshot, GateSummary, Phase, VerifySummary } from '@repo/database';

/** The runbook's next safe step (docs/migration-guide.md, in its order). */
export interface NextStep {
  /** Section of docs/migration-guide.md ("5. Turn shadow writes ON (phase 4), before any backfill"). */
  readonly section: string;
  /** What to do, in one or two sentences. */
  readonly text: string;
  /** The command or variable change, when there is one. */
  readonly command: string | null;
}

/** What {@link nextStep} looks at. */
export interface RunbookInput {
  readonly phase: Phase;
  readonly lastVerify: VerifySummary | null;
  readonly lastGate: GateSummary | null;
  /** Shadow failures since start (failed + dropped); null without a shadow. */
  readonly shadowLost: number | null;
  /** Entries in the failure journal; null when unknown. */
  readonly journalSize?: number | null;
  /** Compared reads since start (`db.comparedReads()`); null while not enabled; undefined: not considered. */
  readonly comparedReads?: ComparedReadsSnapshot | null;
}

/** Lowest consistency of compared reads (overall and per call) before reads move: the gate's default (`pnpm db gate`, transfer/gate.ts). */
export const MIN_COMPARED_CONSISTENCY = 0.999;
/** Fewest compared reads since start for the consistency to count: the gate's default. */
export const MIN_COMPARED_READS = 500;

const pct = (x: number) => `${Math.floor(x * 1000 + 1e-9) / 10}%`;

/**
 * Why the compared reads do not support moving reads yet, or null when they do (or are not
 * considered): not enabled, fewer than {@link MIN_COMPARED_READS}, or a consistency overall or of
 * one call below {@link MIN_COMPARED_CONSISTENCY}.
 */
function comparedReadsProblem(c: ComparedReadsSnapshot | null | undefined): { text: string; command: string | null } | null {
  if (c === undefined) return null;
  if (c === null)
    return { text: 'Compared reads are off, so nothing shows PostgreSQL answers reads as LibSQL does: set COMPARE_READS_RATE above 0 and let traffic run.', command: 'COMPARE_READS_RATE=0.01' };
  const below = Object.entries(c.byCall).filter(([, x]) => x.consistency !== null && x.consistency < MIN_COMPARED_CONSISTENCY);
  const overall = c.total.consistency;
  if (below.length > 0 || (overall !== null && overall < MIN_COMPARED_CONSISTENCY))
    return {
      text:
        `Compared reads agree ${overall === null ? '?' : pct(overall)} (${c.total.mismatched} of ${c.total.compared} mismatched), below ${pct(MIN_COMPARED_CONSISTENCY)}` +
        (below.length ? `: ${below.map(([call, x]) => `${call} ${pct(x.consistency!)}`).join(', ')}` : '') +
        '. Look at the compare_read_mismatch events, verify and reconcile before moving reads.',
      command: 'pnpm db verify',
    };
  if (c.total.compared < MIN_COMPARED_READS)
    return {
      text: `Only ${c.total.compared} reads compared since the bot started; the gate needs ${MIN_COMPARED_READS}: let traffic run${c.rate < 1 ? ` or raise COMPARE_READS_RATE (now ${c.rate})` : ''}.`,
      command: null,
    };
  return null;
}

const time = (iso: string | undefined) => (iso ? Date.parse(iso) : NaN);

/**
 * The next safe step of the migration guide for the current phase and the last verify/gate
 * results. Never suggests moving on while verify found drift or the last gate failed, nor a gate
 * older than the last verify that found drift. In phase 4, never suggests the gate or phase 5 while
 * compared reads are off, too few, or below the consistency bar (the gate's `compared_reads` criterion).
 */
export function nextStep({ phase, lastVerify, lastGate, shadowLost, journalSize, comparedReads }: RunbookInput): NextStep {
  if (journalSize && (phase === '4' || phase === '5' || phase === '6+'))
    return {
      section: '7. Verify, then reconcile, until drift is 0',
      text: `${journalSize} rows in the failure journal did not reach the shadow: repair them before moving on.`,
      command: 'pnpm db reconcile --journal',
    };
  switch (phase) {
    case '1':
      return {
        section: '4. Add PostgreSQL and migrate, then 5. Turn shadow writes ON (phase 4)',
        text: 'Add PostgreSQL, run the migrations on it, then set USE_POSTGRES_SHADOW=true (phase 4) before any backfill.',
        command: 'pnpm db migrate --target postgres; then USE_POSTGRES_SHADOW=true',
      };
    case '4': {
      if (!lastVerify)
        return {
          section: '6. Backfill, then 7. Verify',
          text: 'Shadow writes are on. Backfill the existing rows (copy, or export + import), then run verify.',
          command: 'pnpm db copy && pnpm db verify',
        };
      if (!lastVerify.ok)
        return {
          section: '7. Verify, then reconcile, until drift is 0',
          text: `The last verify found ${lastVerify.drift} drifted rows: reconcile from LibSQL, then verify again.`,
          command: 'pnpm db reconcile --from sqlite && pnpm db verify',
        };
      const compared = comparedReadsProblem(comparedReads);
      const gateFailed = lastGate && !lastGate.ok && time(lastGate.at) >= time(lastVerify.startedAt);
      // Compared reads below the bar fail the gate's compared_reads criterion: say why before sending to the gate.
      if (compared && !gateFailed) return { section: '8. Gate, then move reads (phase 5)', text: compared.text, command: compared.command };
      if (!lastGate || time(lastGate.at) < time(lastVerify.startedAt) || !lastGate.ok)
        return {
          section: '8. Gate, then move reads (phase 5)',
          text: gateFailed ? `The last gate failed (${lastGate.failed.join(', ')}): fix those, then run the gate again.` : 'Verify is clean. Run the gate against this bot.',
          command: 'USE_POSTGRES_SHADOW=true pnpm db gate --bot-url <this bot>',
        };
      if (shadowLost)
        return {
          section: '7. Verify, then reconcile, until drift is 0',
          text: `${shadowLost} shadow writes did not land since the bot started: verify (and reconcile) before moving reads.`,
          command: 'pnpm db verify',
        };
      return {
        section: '8. Gate, then move reads (phase 5)',
        text: 'The gate passed: set USE_POSTGRES_READ=true and keep USE_POSTGRES_SHADOW=true (phase 5).',
        command: 'USE_POSTGRES_READ=true',
      };
    }
    case '5':
      if (lastGate && !lastGate.ok)
        return { section: 'Rollback, from each phase', text: `The last gate failed (${lastGate.failed.join(', ')}): unset USE_POSTGRES_READ (back to phase 4) until it passes.`, command: 'unset USE_POSTGRES_READ' };
      return {
        section: '9. Move writes (phase 6+: PostgreSQL primary, LibSQL kept warm)',
        text: 'Let real traffic run, watch read fallbacks and read latency, run the gate again; then set USE_POSTGRES_PRIMARY=true and keep USE_POSTGRES_SHADOW=true.',
        command: 'USE_POSTGRES_SHADOW=true pnpm db gate --bot-url <this bot>; then USE_POSTGRES_PRIMARY=true',
      };
    case '6+':
      if (lastVerify && !lastVerify.ok)
        return { section: '9. Move writes (phase 6+)', text: `The last verify found ${lastVerify.drift} drifted rows: reconcile from PostgreSQL, then verify again.`, command: 'pnpm db reconcile --from postgres && pnpm db verify' };
      return {
        section: '10. Quiet period, then phase 6',
        text: 'Stay in 6+ for a quiet period (a week, a few deploys), verify daily; then unset USE_POSTGRES_SHADOW (phase 6). Keep the LibSQL file.',
        command: 'pnpm db verify (daily); then unset USE_POSTGRES_SHADOW',
      };
    case '6':
      return { section: '10. Quiet period, then phase 6', text: 'The migration is done. LibSQL no longer receives writes; keep the file as the rollback starting point.', command: null };
  }
}
