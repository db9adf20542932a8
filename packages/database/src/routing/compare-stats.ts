/**
 * Counters of compared reads (routing/compare-reads.ts): per call, since start and over a sliding
 * window, for `/status`, `/metrics`, the bot's status page and `db gate`.
 */

/** Why a sampled read got no verdict. */
export type CompareDropReason =
  /** Already `concurrency` compared reads in flight: the sample is dropped at once. */
  | 'load'
  /** The other backend (or the re-check) did not answer within the deadline. */
  | 'timeout'
  /** The other backend threw (unreachable, statement timeout…). */
  | 'error'
  /** The answers differed and kept moving under writes through every re-check: no verdict. */
  | 'unsettled';

/** Every drop reason, in report order. */
export const COMPARE_DROP_REASONS: readonly CompareDropReason[] = ['load', 'timeout', 'error', 'unsettled'];

/** Counters of one call over some span. `consistency` = matched / compared, null before the first comparison. */
export interface CompareCounts {
  /** Reads compared to a verdict (matched + mismatched). */
  readonly compared: number;
  readonly matched: number;
  readonly mismatched: number;
  /** Sampled but no verdict (sum of `droppedBy`). */
  readonly dropped: number;
  readonly droppedBy: Readonly<Record<CompareDropReason, number>>;
  /** Comparisons that first differed, then matched once the shadow writes had landed (a race, not a mismatch). */
  readonly rechecked: number;
  /** matched / compared, 0..1; null when nothing was compared. */
  readonly consistency: number | null;
}

/**
 * What `db.comparedReads()` and `/status` (`stats.comparedReads`) report. `byCall` keys are the
 * router's calls: `get.<table>`, `find.<table>`, `count.<table>`, `searchMessages`.
 */
export interface ComparedReadsSnapshot {
  /** Share of reads compared, 0..1 (COMPARE_READS_RATE). */
  readonly rate: number;
  /** The backend that answers the caller, and the one it is compared with. */
  readonly served: 'sqlite' | 'postgres';
  readonly other: 'sqlite' | 'postgres';
  /** When counting started (process start), ISO 8601. */
  readonly since: string;
  /** Since start, all calls together, then per call. */
  readonly total: CompareCounts;
  readonly byCall: Readonly<Record<string, CompareCounts>>;
  /** The last `minutes` (sliding, one-minute buckets). */
  readonly window: { readonly minutes: number; readonly total: CompareCounts; readonly byCall: Readonly<Record<string, CompareCounts>> };
  /** Compared reads running now (≤ COMPARE_READS_CONCURRENCY). */
  readonly inFlight: number;
  /** The last mismatches (at most 10, newest last): call, when, and the ids that differ, never content. */
  readonly recentMismatches: readonly CompareMismatchNote[];
}

/** One mismatch as the status page lists it (the `compare_read_mismatch` event without the query shape). */
export interface CompareMismatchNote {
  readonly at: string;
  readonly call: string;
  readonly missing: readonly string[];
  readonly extra: readonly string[];
  readonly different: ReadonlyArray<{ readonly id: string; readonly columns: readonly string[] }>;
  readonly order: boolean;
  readonly count?: { readonly served: number; readonly other: number } | undefined;
}

/** How long the sliding window of {@link CompareStats} is, in minutes. */
export const COMPARE_WINDOW_MINUTES = 60;

interface Mutable {
  matched: number;
  mismatched: number;
  rechecked: number;
  droppedBy: Record<CompareDropReason, number>;
}

const empty = (): Mutable => ({ matched: 0, mismatched: 0, rechecked: 0, droppedBy: { load: 0, timeout: 0, error: 0, unsettled: 0 } });

function add(into: Mutable, from: Mutable): void {
  into.matched += from.matched;
  into.mismatched += from.mismatched;
  into.rechecked += from.rechecked;
  for (const r of COMPARE_DROP_REASONS) into.droppedBy[r] += from.droppedBy[r];
}

function freeze(m: Mutable): CompareCounts {
  const compared = m.matched + m.mismatched;
  const dropped = COMPARE_DROP_REASONS.reduce((n, r) => n + m.droppedBy[r], 0);
  return { compared, matched: m.matched, mismatched: m.mismatched, dropped, droppedBy: { ...m.droppedBy }, rechecked: m.rechecked, consistency: compared === 0 ? null : m.matched / compared };
}

/** The outcome of one sampled read. */
export type CompareOutcome = { kind: 'matched'; rechecked: boolean } | { kind: 'mismatched'; note: CompareMismatchNote } | { kind: 'dropped'; reason: CompareDropReason };

/** Per-call counters since start plus one-minute buckets for the sliding window. Never throws. */
export class CompareStats {
  readonly #since = new Date();
  readonly #total = new Map<string, Mutable>();
  /** minute (epoch ms / 60 000) → call → counts; at most {@link COMPARE_WINDOW_MINUTES} + 1 minutes kept. */
  readonly #buckets = new Map<number, Map<string, Mutable>>();
  readonly #recent: CompareMismatchNote[] = [];
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Counts one outcome of `call`. */
  record(call: string, o: CompareOutcome): void {
    const minute = Math.floor(this.#now() / 60_000);
    let bucket = this.#buckets.get(minute);
    if (!bucket) {
      bucket = new Map();
      this.#buckets.set(minute, bucket);
      for (const m of this.#buckets.keys()) if (m <= minute - COMPARE_WINDOW_MINUTES) this.#buckets.delete(m);
    }
    for (const map of [this.#total, bucket]) {
      let c = map.get(call);
      if (!c) map.set(call, (c = empty()));
      if (o.kind === 'matched') {
        c.matched++;
        if (o.rechecked) c.rechecked++;
      } else if (o.kind === 'mismatched') c.mismatched++;
      else c.droppedBy[o.reason]++;
    }
    if (o.kind === 'mismatched') {
      this.#recent.push(o.note);
      if (this.#recent.length > 10) this.#recent.shift();
    }
  }

  /** A read-only copy of the counters (see {@link ComparedReadsSnapshot}). */
  snapshot(meta: { rate: number; served: 'sqlite' | 'postgres'; other: 'sqlite' | 'postgres'; inFlight: number }): ComparedReadsSnapshot {
    const sum = (maps: Iterable<Map<string, Mutable>>) => {
      const byCall = new Map<string, Mutable>();
      const total = empty();
      for (const map of maps)
        for (const [call, c] of map) {
          let into = byCall.get(call);
          if (!into) byCall.set(call, (into = empty()));
          add(into, c);
          add(total, c);
        }
      return { total: freeze(total), byCall: Object.fromEntries([...byCall].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, freeze(v)])) };
    };
    const oldest = Math.floor(this.#now() / 60_000) - COMPARE_WINDOW_MINUTES;
    const recentBuckets = [...this.#buckets].filter(([m]) => m > oldest).map(([, b]) => b);
    return {
      ...meta,
      since: this.#since.toISOString(),
      ...sum([this.#total]),
      window: { minutes: COMPARE_WINDOW_MINUTES, ...sum(recentBuckets) },
      recentMismatches: [...this.#recent],
    };
  }
}
