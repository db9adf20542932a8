import type { ComparedReadsSnapshot, Database } from '@repo/database';

/**
 * What compared reads report (`db.comparedReads()`, routing/compare-stats.ts in @repo/database):
 * the rate, both backends, per call compared / matched / mismatched / dropped (by reason) and
 * consistency, since start (`total`, `byCall`) and over the last hour (`window`). Null from the
 * source means not enabled (phase 1 or 6, or COMPARE_READS_RATE=0): the page shows "not enabled"
 * and `/metrics` has no series.
 */
export type ComparedReadsState = ComparedReadsSnapshot;

/** Reads the compared-read counters; null while compared reads are not enabled. */
export type ComparedReadsSource = () => ComparedReadsState | null;

/** The durable shadow-failure journal as the page shows it. */
export interface JournalState {
  /** Entries (row changes that did not reach the shadow and are not repaired yet). */
  readonly size: number;
  /** Entries by table and cause, when known. */
  readonly byTable?: ReadonlyArray<{ table: string; code: string; entries: number }>;
}

/** Reads the journal; null when its state is unknown (not available in this build or unreadable). */
export type JournalSource = () => Promise<JournalState | null>;

/** Compared reads of `db` (`db.comparedReads()`); null while not enabled. */
export function comparedReadsOf(db: Database): ComparedReadsSource {
  return () => db.comparedReads();
}

/** The failure journal of `db` (`db.journalState()`, in the primary); null (unknown) when it cannot be read. */
export function journalOf(db: Database): JournalSource {
  return async () => {
    try {
      return await db.journalState();
    } catch {
      return null;
    }
  };
}
