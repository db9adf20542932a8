import type { Database } from '@repo/database';

/** Compared reads of one call (e.g. `searchMessages`), since start. */
export interface ComparedCall {
  readonly compared: number;
  readonly matched: number;
  readonly mismatched: number;
  /** Sampled but not run (load, deadline). */
  readonly dropped: number;
}

/**
 * What compared reads report (issue 13 §1): null from the source means not built or not enabled,
 * and the page shows "not enabled"; `/metrics` keeps its families at zero.
 */
export interface ComparedReadsState {
  /** Share of reads compared, 0..1 (`COMPARE_READS_RATE`). */
  readonly rate: number;
  readonly byCall: Readonly<Record<string, ComparedCall>>;
}

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

/** Compared reads of `db` when the database exposes them (`db.comparedReads()`), else null. */
export function comparedReadsOf(db: Database): ComparedReadsSource {
  return () => {
    const fn = (db as unknown as { comparedReads?: () => ComparedReadsState | null }).comparedReads;
    return typeof fn === 'function' ? fn.call(db) : null;
  };
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
