import type { Logger } from '../logger.js';
import { describeError } from '../errors.js';
import { stringifyJsonExact } from '../json-exact.js';
import type { TableName } from '../schema/tables.js';
import type { Row, Store } from '../stores/store.js';
import { normalizeRow } from '../transfer/convert/normalize-row.js';
import { CompareStats, type CompareDropReason, type CompareMismatchNote, type ComparedReadsSnapshot } from './compare-stats.js';
import type { ShadowSink } from './shadow-sink.js';

/** Settings of compared reads (COMPARE_READS_* in config/env.ts). */
export interface CompareReadsSettings {
  /** Share of reads also run on the other backend, 0..1 (COMPARE_READS_RATE, default {@link DEFAULT_COMPARE_READS_RATE}); 0 turns comparing off. */
  readonly rate: number;
  /** Compared reads running at once; a sampled read beyond it is dropped and counted (`load`). Default 2. */
  readonly concurrency: number;
  /** Deadline of one compared read, re-checks included, in ms; past it the sample is dropped (`timeout`). Default 2,000. */
  readonly timeoutMs: number;
}

/** Default COMPARE_READS_RATE: 1 % of reads (see README, configuration). */
export const DEFAULT_COMPARE_READS_RATE = 0.01;
/** Default COMPARE_READS_CONCURRENCY. */
export const DEFAULT_COMPARE_READS_CONCURRENCY = 2;
/** Default COMPARE_READS_TIMEOUT_MS. */
export const DEFAULT_COMPARE_READS_TIMEOUT_MS = 2_000;

/**
 * What the router tells the comparer about one read: the call's name (`get.messages`,
 * `find.documents`, `count.queries`, `searchMessages`), its table, the answer's shape, and
 * whether the call defines an order (a `find` whose order ends in the unique `id`; a search,
 * newest first with ties on `timestamp` ordered by `id` descending on both backends).
 */
export interface CompareSpec {
  readonly call: string;
  readonly table: TableName;
  /** `one`: a row or null (`get`); `list`: rows (`find`, `searchMessages`); `count`: a number. */
  readonly shape: 'one' | 'list' | 'count';
  /** Compare the sequence (true) or only the set of rows (false: the call's order has ties). */
  readonly ordered: boolean;
}

/** How two answers of the same read differ: ids and column names only, never values. */
export interface ReadDiff {
  /** Row ids in the served answer and not in the other's. */
  readonly missing: readonly string[];
  /** Row ids in the other answer and not in the served one. */
  readonly extra: readonly string[];
  /** Rows in both with different canonical values: id and the differing column names. */
  readonly different: ReadonlyArray<{ readonly id: string; readonly columns: readonly string[] }>;
  /** Same rows, another order (ordered calls only). */
  readonly order: boolean;
  /** `count` calls: both numbers. */
  readonly count?: { readonly served: number; readonly other: number };
}

/** A row in canonical form: its key (id, or `#position` without one) and each column's canonical JSON. */
interface CanonicalRow {
  readonly key: string;
  readonly cols: ReadonlyMap<string, string>;
}

/** The canonical form of an answer (normalize-row.ts, as verify compares): rows, or a count. */
function canonical(spec: CompareSpec, answer: unknown): CanonicalRow[] | number {
  if (spec.shape === 'count') return Number(answer);
  const rows = spec.shape === 'one' ? (answer ? [answer as Row] : []) : (answer as Row[]);
  const out = rows.map((row, i) => {
    // Only the columns the answer has (a find with `columns`), in canonical form.
    const norm = normalizeRow(spec.table, row);
    const cols = new Map<string, string>();
    for (const name of Object.keys(row)) if (name in norm) cols.set(name, stringifyJsonExact(norm[name]));
    return { key: row.id === undefined || row.id === null ? `#${i}` : String(row.id), cols };
  });
  // Duplicate keys (no id selected): compare by position.
  return new Set(out.map((r) => r.key)).size === out.length ? out : out.map((r, i) => ({ key: `#${i}`, cols: r.cols }));
}

const MAX_IDS = 20;

/**
 * How `other` differs from `served`, or null when they are the same answer: same rows (by id),
 * same canonical values (normalize-row.ts), and, for ordered calls, the same order.
 */
export function diffAnswers(spec: CompareSpec, served: unknown, other: unknown): ReadDiff | null {
  const a = canonical(spec, served);
  const b = canonical(spec, other);
  if (typeof a === 'number' || typeof b === 'number') {
    return a === b ? null : { missing: [], extra: [], different: [], order: false, count: { served: Number(a), other: Number(b) } };
  }
  const byKey = new Map(b.map((r) => [r.key, r]));
  const aKeys = new Set(a.map((r) => r.key));
  const missing = a.filter((r) => !byKey.has(r.key)).map((r) => r.key);
  const extra = b.filter((r) => !aKeys.has(r.key)).map((r) => r.key);
  const different: Array<{ id: string; columns: string[] }> = [];
  for (const r of a) {
    const o = byKey.get(r.key);
    if (!o) continue;
    const names = new Set([...r.cols.keys(), ...o.cols.keys()]);
    const columns = [...names].filter((n) => r.cols.get(n) !== o.cols.get(n));
    if (columns.length) different.push({ id: r.key, columns });
  }
  const order = spec.ordered && missing.length === 0 && extra.length === 0 && a.some((r, i) => r.key !== b[i]!.key);
  if (!missing.length && !extra.length && !different.length && !order) return null;
  return { missing, extra, different, order };
}

/** Thrown inside a compared read when its deadline passes. */
class CompareDeadline extends Error {}

/** A settled read of one backend, or the deadline. */
function withDeadline<T>(p: Promise<T>, deadline: number): Promise<T> {
  const ms = deadline - performance.now();
  if (ms <= 0) return Promise.reject(new CompareDeadline());
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CompareDeadline()), ms);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
}

/** The stores a {@link ReadComparer} works with. */
export interface ComparerStores {
  /** The phase's read backend (what callers get). */
  readonly served: Store;
  readonly servedBackend: 'sqlite' | 'postgres';
  /** The backend it is compared with (phase 4: PostgreSQL; 5 and 6+: LibSQL). */
  readonly other: Store;
  readonly otherBackend: 'sqlite' | 'postgres';
  /** The primary and the shadow backend, and the shadow queue, for the read-your-writes re-check. */
  readonly primary: Store;
  readonly shadowStore: Store;
  readonly shadow: ShadowSink | null;
}

/**
 * Compared reads ("run both, return the old one", as LaunchDarkly's migration flags and GitHub's
 * Scientist do; docs/migration-guide.md, step 8): a sampled share of reads also runs on the other
 * backend, after the caller has its answer (next turn of the event loop) and off its path. The
 * answers are compared in verify's canonical row form (docs/design.md, invariant 7; {@link diffAnswers}).
 *
 * - Bounded: at most `concurrency` compared reads at once (a slot stays taken until every read
 *   it started has settled, so a stalled backend never holds more than `concurrency` queries);
 *   beyond it a sample is dropped (`load`). A read that passes `timeoutMs` is dropped (`timeout`),
 *   one that throws is dropped (`error`). Every drop is counted per call.
 * - Read-your-writes: answers that differ are re-checked as verify does: read the primary, wait
 *   for the shadow queue to settle every write enqueued so far (≤ the deadline), read the shadow,
 *   compare; if they still differ, read the primary again: when it has not moved the difference
 *   is a mismatch, otherwise (writes kept racing) try once more, then drop it (`unsettled`).
 * - A mismatch is logged as `compare_read_mismatch` (warn) with the call, both backends, and the
 *   ids that differ and how (missing / extra / different column names / order / counts): never
 *   row content.
 * - Never throws into the caller, never changes its answer (the answer is only read).
 */
export class ReadComparer {
  readonly #stores: ComparerStores;
  readonly #settings: CompareReadsSettings;
  readonly #log: Logger;
  readonly #phase: string;
  readonly #random: () => number;
  readonly #stats = new CompareStats();
  #inFlight = 0;
  #closed = false;
  readonly #idleWaiters: Array<() => void> = [];
  readonly #lastWarn = new Map<CompareDropReason, { at: number; suppressed: number }>();

  constructor(args: { stores: ComparerStores; settings: CompareReadsSettings; logger: Logger; phase: string; random?: () => number }) {
    this.#stores = args.stores;
    this.#settings = args.settings;
    this.#log = args.logger;
    this.#phase = args.phase;
    this.#random = args.random ?? Math.random;
  }

  /**
   * Called by the router after a read answered the caller from `servedBy`: samples it and, when
   * sampled, schedules the compared read. Cheap and synchronous; never throws.
   * @param read the same read, to run on another store.
   */
  offer(spec: CompareSpec, servedBy: Store, read: (s: Store) => Promise<unknown>, answer: unknown): void {
    try {
      if (this.#closed || servedBy !== this.#stores.served || this.#settings.rate <= 0) return;
      if (this.#settings.rate < 1 && this.#random() >= this.#settings.rate) return;
      if (this.#inFlight >= this.#settings.concurrency) return this.#drop(spec.call, 'load', null);
      this.#inFlight++;
      setImmediate(() => void this.#run(spec, read, answer));
    } catch {
      // never into the caller
    }
  }

  /** Counters for `/status`, `/metrics` and the gate. */
  snapshot(): ComparedReadsSnapshot {
    return this.#stats.snapshot({ rate: this.#settings.rate, served: this.#stores.servedBackend, other: this.#stores.otherBackend, inFlight: this.#inFlight });
  }

  /** Resolves once no compared read is in flight, or after `timeoutMs` (returns false then). */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.#inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref();
      this.#idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Stops sampling; waits for compared reads in flight at most `timeoutMs`. */
  async close(timeoutMs: number): Promise<void> {
    this.#closed = true;
    await this.idle(timeoutMs);
  }

  async #run(spec: CompareSpec, read: (s: Store) => Promise<unknown>, served: unknown): Promise<void> {
    const deadline = performance.now() + this.#settings.timeoutMs;
    const started: Promise<unknown>[] = [];
    const on = (s: Store) => {
      const p = read(s);
      started.push(p.catch(() => {}));
      return withDeadline(p, deadline);
    };
    try {
      const first = diffAnswers(spec, served, await on(this.#stores.other));
      if (!first) return this.#stats.record(spec.call, { kind: 'matched', rechecked: false });
      const { primary, shadowStore, shadow } = this.#stores;
      if (!shadow) return this.#mismatch(spec, first, false);
      const servedIsPrimary = this.#stores.served === primary;
      for (let attempt = 0; attempt < 2; attempt++) {
        const p1 = await on(primary);
        const landed = await withDeadline(shadow.barrier(Math.max(1, deadline - performance.now())), deadline);
        if (!landed) throw new CompareDeadline();
        const s = await on(shadowStore);
        const d = servedIsPrimary ? diffAnswers(spec, p1, s) : diffAnswers(spec, s, p1);
        if (!d) return this.#stats.record(spec.call, { kind: 'matched', rechecked: true });
        // The primary did not move while the shadow was read: the difference is real.
        if (!diffAnswers(spec, p1, await on(primary))) return this.#mismatch(spec, d, true);
      }
      this.#drop(spec.call, 'unsettled', null);
    } catch (e) {
      this.#drop(spec.call, e instanceof CompareDeadline ? 'timeout' : 'error', e);
    } finally {
      void Promise.allSettled(started).then(() => this.#release());
    }
  }

  #release(): void {
    this.#inFlight--;
    if (this.#inFlight === 0) for (const w of this.#idleWaiters.splice(0)) w();
  }

  #mismatch(spec: CompareSpec, d: ReadDiff, rechecked: boolean): void {
    const note: CompareMismatchNote = {
      at: new Date().toISOString(),
      call: spec.call,
      missing: d.missing.slice(0, MAX_IDS),
      extra: d.extra.slice(0, MAX_IDS),
      different: d.different.slice(0, MAX_IDS),
      order: d.order,
      count: d.count,
    };
    this.#stats.record(spec.call, { kind: 'mismatched', note });
    this.#log.warn(
      {
        event: 'compare_read_mismatch',
        phase: this.#phase,
        call: spec.call,
        table: spec.table,
        served: this.#stores.servedBackend,
        other: this.#stores.otherBackend,
        rechecked,
        missing: note.missing,
        extra: note.extra,
        different: note.different,
        order: d.order,
        count: d.count,
        // how many ids there were in all (the lists above are cut at 20)
        differing: { missing: d.missing.length, extra: d.extra.length, different: d.different.length },
      },
      `compared read ${spec.call}: ${this.#stores.otherBackend} answered differently from ${this.#stores.servedBackend}`,
    );
  }

  /** Counts a drop; `timeout` and `error` are logged (warn) at most once per 10 s per reason, with how many were not. */
  #drop(call: string, reason: CompareDropReason, e: unknown): void {
    this.#stats.record(call, { kind: 'dropped', reason });
    const fields = { event: 'compare_read_dropped', phase: this.#phase, call, reason, other: this.#stores.otherBackend, ...(e && !(e instanceof CompareDeadline) ? { error: describeError(e).code } : {}) };
    if (reason === 'load' || reason === 'unsettled') return void this.#log.debug(fields, 'compared read dropped');
    const now = Date.now();
    const last = this.#lastWarn.get(reason);
    if (last && now - last.at < 10_000) return void last.suppressed++;
    this.#lastWarn.set(reason, { at: now, suppressed: 0 });
    this.#log.warn({ ...fields, suppressedBefore: last?.suppressed ?? 0 }, `compared read dropped (${reason}); the caller was not affected`);
  }
}
