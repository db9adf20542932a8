import type { ShadowLimits } from '../config/env.js';
import { describeError, isConnectionError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ShadowSink } from './shadow-sink.js';
import type { RowChange, Store } from '../stores/store.js';
import { LatencyWindow, type LatencyHistogram } from './latency.js';
import { journalEntryOf, type JournalEntry } from './failure-journal.js';
import type { PgPoolStats } from '../stores/pg/pg-connection.js';

/** Row changes of one table by outcome (see {@link ShadowStats}: same meanings, `abandoned` included in `failed`). */
export interface ShadowTableCounts {
  enqueued: number;
  succeeded: number;
  failed: number;
  dropped: number;
  abandoned: number;
}

/** Counters of shadow writes, one per row change. */
export interface ShadowStats {
  readonly backend: 'sqlite' | 'postgres' | null;
  /** Row changes accepted into the queue. */
  readonly enqueued: number;
  readonly succeeded: number;
  /** Failed on the shadow backend (error or deadline). */
  readonly failed: number;
  /** Failed by passing the per-write deadline (included in `failed`). */
  readonly timedOut: number;
  /**
   * Left queued or in flight when the drain deadline passed at shutdown (included in `failed`):
   * never attempted to the end, logged by id (`shadow_write_abandoned`) and journaled.
   */
  readonly abandoned: number;
  /** Batches run again on a fresh connection after a lost connection or an attempt without answer. */
  readonly retried: number;
  /** Refused because the queue was full (never attempted). */
  readonly dropped: number;
  /**
   * The same counters per table (no entry for a table before its first row change). They add up to the totals,
   * except rows lost with a shadow worker that died (counted in `failed`, table unknown) and rows
   * posted to a worker that it never counted (in `enqueued`).
   */
  readonly byTable?: Readonly<Record<string, Readonly<ShadowTableCounts>>>;
  /** Row changes being written now. */
  readonly inFlight: number;
  /** Row changes waiting. */
  readonly queued: number;
  /**
   * Row changes handed to the shadow writer that it has not counted yet: in worker mode, buffered
   * or in transit to the worker thread (whose counters arrive every ~20 ms); always 0 inline.
   * Shadow writes have settled when `queued + inFlight + unacknowledged` is 0.
   */
  readonly unacknowledged: number;
  /** Shadow apply latency in ms (time on the shadow backend, per job). */
  readonly latencyMs: ReturnType<LatencyWindow['summary']>;
  /** Every shadow batch's apply time since start, bucketed (operation `apply`); for `/metrics`. Absent until the first stats push of a worker. */
  readonly latencyHistogram?: LatencyHistogram;
  /**
   * The shadow writer's own PostgreSQL pool (worker mode with the shadow on PostgreSQL: the worker
   * thread's connection, as of its last stats push). Absent inline, where shadow writes share the
   * database's pool (`db.stats().pools.main`).
   */
  readonly pool?: PgPoolStats;
  /** failed / (succeeded + failed), 0 when nothing finished. */
  readonly failureRate: number;
  readonly lastError: { code: string; message: string; at: string } | null;
  /**
   * `open` while the shadow backend is considered down (3 connection failures or deadlines in a
   * row): no attempts until the cool-down (250 ms doubling to 2 s) ends, then one probe batch
   * (`half-open`); a success closes it. Queued writes wait meanwhile (bounded by the queue limit).
   */
  readonly circuit: 'closed' | 'open' | 'half-open';
  /**
   * Jobs settled in enqueue order: every job up to this sequence number (1 = the first `enqueue`
   * with changes, dropped ones included) has succeeded, failed or been dropped. @internal (the
   * worker's owner uses it to know which rows a dead worker may have lost).
   */
  readonly settledThrough?: number;
}

/** Connection failures or deadlines in a row that open the circuit. */
const CIRCUIT_THRESHOLD = 3;
/** Longest pause between probes of a backend that is down (ms): a short outage heals fast. */
const MAX_COOL_DOWN_MS = 2_000;

/**
 * Row changes applied together in one shadow transaction at most (a job is never split). On
 * PostgreSQL each table's rows of a batch go in one multi-row statement (stores/change-plan.ts).
 */
const MAX_BATCH_ROWS = 500;

/** Attempts of one batch at most, within its deadline. */
const MAX_ATTEMPTS = 4;
/** First pause before a retry (ms), doubling; never more than a quarter of the time left. */
const RETRY_BACKOFF_MS = 20;
/** An attempt is not cut shorter than this (ms): below it the last attempt takes all the time left. */
const MIN_ATTEMPT_MS = 50;

class ShadowTimeout extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
  }
}

interface Job {
  readonly seq: number;
  readonly key: string;
  readonly changes: readonly RowChange[];
}

/**
 * Fire-and-forget shadow writes with bounded concurrency, a bounded queue and a per-write
 * deadline (docs/design.md invariants 1 and 4). Jobs with the same key run in enqueue order; other
 * keys run in parallel. `enqueue` never throws and never waits.
 */
export class ShadowQueue implements ShadowSink {
  readonly #target: Store;
  readonly #limits: ShadowLimits;
  readonly #log: Pick<Logger, 'warn'>;
  readonly #phase: string;
  readonly #byKey = new Map<string, Job[]>();
  readonly #ready: string[] = [];
  readonly #busyKeys = new Set<string>();
  readonly #settled = new Set<number>();
  readonly #latency = new LatencyWindow();
  #seq = 0;
  #lowestUnsettled = 1;
  #waiters: Array<{ upTo: number; resolve: () => void }> = [];
  #queuedRows = 0;
  #inFlightRows = 0;
  #running = 0;
  #counts = { enqueued: 0, succeeded: 0, failed: 0, timedOut: 0, dropped: 0, abandoned: 0, retried: 0 };
  /** Per-table counters: one map look-up and one increment per row change. */
  readonly #byTable = new Map<string, ShadowTableCounts>();
  /** Jobs being written now (to abandon them at the drain deadline). */
  readonly #runningJobs = new Set<Job>();
  /** Jobs counted as abandoned: whatever their batch does later is not counted again. */
  readonly #abandonedSeqs = new Set<number>();
  readonly #onUnlanded: ((entries: JournalEntry[]) => void) | undefined;
  /** Usual time of a successful batch (ms, moving average): how long a first attempt may take. */
  #typicalMs = 0;
  #lastError: ShadowStats['lastError'] = null;

  /**
   * @param onUnlanded receives every row change that does not reach the shadow (failed, dropped,
   *   abandoned), for the failure journal (failure-journal.ts). Called synchronously; must not throw.
   */
  constructor(target: Store, limits: ShadowLimits, log: Pick<Logger, 'warn'>, phase: string, onUnlanded?: (entries: JournalEntry[]) => void) {
    this.#target = target;
    this.#limits = limits;
    this.#log = log;
    this.#phase = phase;
    this.#onUnlanded = onUnlanded;
  }

  #table(table: string): ShadowTableCounts {
    let t = this.#byTable.get(table);
    if (!t) this.#byTable.set(table, (t = { enqueued: 0, succeeded: 0, failed: 0, dropped: 0, abandoned: 0 }));
    return t;
  }

  #journal(changes: readonly RowChange[], code: string): void {
    if (!this.#onUnlanded || changes.length === 0) return;
    try {
      this.#onUnlanded(changes.map((c) => journalEntryOf(c, code)));
    } catch {
      // The journal is best effort; every row was logged by id already.
    }
  }

  /** Queues the committed changes of one primary operation. Never throws, never waits. */
  enqueue(key: string, changes: readonly RowChange[]): void {
    if (changes.length === 0) return;
    const seq = ++this.#seq;
    if (this.#stopped || this.#queuedRows + changes.length > this.#limits.queueLimit) {
      this.#counts.dropped += changes.length;
      const message = this.#stopped ? 'shadow writer stopped (drain done)' : `queue limit ${this.#limits.queueLimit} reached`;
      for (const c of changes) {
        this.#table(c.table).dropped++;
        this.#logFailure('shadow_write_dropped', c, { code: 'SHADOW_QUEUE_FULL', message });
      }
      this.#journal(changes, 'SHADOW_QUEUE_FULL');
      this.#settle(seq);
      return;
    }
    const job: Job = { seq, key, changes };
    this.#counts.enqueued += changes.length;
    for (const c of changes) this.#table(c.table).enqueued++;
    this.#queuedRows += changes.length;
    const list = this.#byKey.get(key);
    if (list) list.push(job);
    else {
      this.#byKey.set(key, [job]);
      if (!this.#busyKeys.has(key)) this.#ready.push(key);
    }
    this.#schedule();
  }

  #scheduled = false;

  #lingerTimer: NodeJS.Timeout | null = null;

  /**
   * Starts jobs after the linger delay (`batchLingerMs`, on a later turn of the event loop), so the
   * caller's `enqueue` costs a few map operations and the changes of many calls share one
   * transaction.
   */
  #schedule(): void {
    if (this.#lingerTimer) return;
    this.#lingerTimer = setTimeout(() => {
      this.#lingerTimer = null;
      this.#pump();
    }, this.#limits.batchLingerMs ?? 0);
  }

  /** Consecutive batches lost to the connection or the deadline. */
  #downStreak = 0;
  #coolDownMs = 0;
  #openUntil = 0;
  #reopenTimer: NodeJS.Timeout | null = null;

  #circuitState(): ShadowStats['circuit'] {
    if (this.#downStreak < CIRCUIT_THRESHOLD) return 'closed';
    return Date.now() < this.#openUntil ? 'open' : 'half-open';
  }

  #noteBatch(outcome: 'ok' | 'row-error' | 'down'): void {
    if (outcome === 'ok') {
      if (this.#downStreak >= CIRCUIT_THRESHOLD) this.#log.warn({ event: 'shadow_circuit_closed', backend: this.#target.kind, phase: this.#phase }, 'shadow backend answers again');
      this.#downStreak = 0;
      this.#coolDownMs = 0;
      return;
    }
    if (outcome === 'row-error') return;
    if (++this.#downStreak < CIRCUIT_THRESHOLD) return;
    this.#coolDownMs = Math.min(Math.max(this.#coolDownMs * 2, 250), MAX_COOL_DOWN_MS);
    this.#openUntil = Date.now() + this.#coolDownMs;
    this.#log.warn(
      { event: 'shadow_circuit_open', backend: this.#target.kind, phase: this.#phase, code: 'SHADOW_WRITE_FAILED', coolDownMs: this.#coolDownMs, queued: this.#queuedRows },
      'shadow backend down: pausing shadow writes',
    );
    this.#armReopen();
  }

  /** Pumps again when the cool-down ends (one timer at a time, re-armed if the pause grew). */
  #armReopen(): void {
    if (this.#reopenTimer) return;
    this.#reopenTimer = setTimeout(() => {
      this.#reopenTimer = null;
      this.#pump();
    }, Math.max(1, this.#openUntil - Date.now())).unref();
  }

  #stopped = false;

  #pump(): void {
    if (this.#stopped) return;
    const circuit = this.#circuitState();
    if (circuit === 'open') {
      this.#armReopen();
      return;
    }
    const limit = circuit === 'half-open' ? 1 : this.#limits.concurrency;
    while (this.#running < limit && this.#ready.length > 0) {
      const batch: Job[] = [];
      let rows = 0;
      while (rows < MAX_BATCH_ROWS && this.#ready.length > 0) {
        const key = this.#ready.shift()!;
        const list = this.#byKey.get(key)!;
        const job = list.shift()!;
        if (list.length === 0) this.#byKey.delete(key);
        this.#busyKeys.add(key);
        this.#queuedRows -= job.changes.length;
        this.#inFlightRows += job.changes.length;
        rows += job.changes.length;
        batch.push(job);
      }
      this.#running++;
      void this.#runBatch(batch);
    }
  }

  /**
   * One attempt at `changes` with `budgetMs` to answer; passing it aborts the call, which recycles
   * a stalled PostgreSQL pool (so a retry gets fresh connections).
   */
  async #attempt(changes: readonly RowChange[], budgetMs: number): Promise<void> {
    const ac = new AbortController();
    let timedOut = false;
    const ms = Math.max(1, Math.round(budgetMs));
    const timer = setTimeout(() => {
      timedOut = true;
      ac.abort(new Error(`shadow write attempt got no answer within ${ms} ms`));
    }, ms);
    try {
      await this.#target.applyChanges(changes, { signal: ac.signal });
      if (timedOut) throw new ShadowTimeout(ms);
    } catch (e) {
      throw timedOut ? new ShadowTimeout(ms) : e;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Applies `changes` within the per-write deadline (`timeoutMs`). Shadow upserts and deletes are
   * version-guarded, so running a batch again is safe: an attempt that fails on the connection
   * (reset, closed by a proxy or NAT while idle, refused) or gets no answer (a connection a network
   * stall broke) is retried on a fresh connection after a backoff (20 ms doubling), up to
   * {@link MAX_ATTEMPTS} attempts while the deadline allows. Once batches have landed, an attempt
   * gets half the time left (more when batches usually take longer), so a retry still has time;
   * the last (and any before the first success, while the pool opens) gets all of it. What still cannot land fails with the last error (`ShadowTimeout` at the deadline).
   */
  async #apply(changes: readonly RowChange[]): Promise<void> {
    const deadlineAt = performance.now() + this.#limits.timeoutMs;
    for (let attempt = 1; ; attempt++) {
      const left = deadlineAt - performance.now();
      const last = attempt >= MAX_ATTEMPTS || left < 2 * MIN_ATTEMPT_MS;
      // Before any batch has landed (a cold pool opening its connections) an attempt gets all the time.
      const budget = last || this.#typicalMs === 0 ? left : Math.max(left / 2, Math.min(left - MIN_ATTEMPT_MS, 4 * this.#typicalMs));
      try {
        await this.#attempt(changes, budget);
        return;
      } catch (e) {
        const retryable = e instanceof ShadowTimeout || isConnectionError(e);
        const leftNow = deadlineAt - performance.now();
        if (!retryable || last || this.#stopped || leftNow < MIN_ATTEMPT_MS) {
          throw e instanceof ShadowTimeout ? new ShadowTimeout(this.#limits.timeoutMs) : e;
        }
        this.#counts.retried++;
        await new Promise((r) => setTimeout(r, Math.min(RETRY_BACKOFF_MS * 2 ** (attempt - 1), leftNow / 4)));
      }
    }
  }

  /**
   * Ready jobs (one per key, so per-key order holds) are applied together in one transaction:
   * one commit instead of one per row. If the batch fails for a reason other than the deadline or
   * a lost connection, each job is retried alone so one bad row does not fail the others.
   */
  async #runBatch(batch: Job[]): Promise<void> {
    const started = performance.now();
    for (const j of batch) this.#runningJobs.add(j);
    try {
      await this.#apply(batch.flatMap((j) => j.changes));
      for (const j of batch) this.#succeed(j);
      const took = performance.now() - started;
      this.#latency.record(took, 'apply');
      this.#typicalMs = this.#typicalMs === 0 ? took : 0.8 * this.#typicalMs + 0.2 * took;
      this.#noteBatch('ok');
    } catch (e) {
      const down = e instanceof ShadowTimeout || isConnectionError(e);
      this.#noteBatch(down ? 'down' : 'row-error');
      if (batch.length === 1 || down) for (const j of batch) this.#fail(j, e);
      else {
        for (const j of batch) {
          try {
            await this.#apply(j.changes);
            this.#succeed(j);
          } catch (e2) {
            this.#fail(j, e2);
          }
        }
      }
    } finally {
      this.#running--;
      for (const j of batch) {
        this.#runningJobs.delete(j);
        if (this.#abandonedSeqs.delete(j.seq)) continue; // counted and settled by drain
        this.#inFlightRows -= j.changes.length;
        this.#busyKeys.delete(j.key);
        if (this.#byKey.has(j.key)) this.#ready.push(j.key);
        this.#settle(j.seq);
      }
      this.#pump();
    }
  }

  #succeed(job: Job): void {
    if (this.#abandonedSeqs.has(job.seq)) return;
    this.#counts.succeeded += job.changes.length;
    for (const c of job.changes) this.#table(c.table).succeeded++;
  }

  #fail(job: Job, e: unknown): void {
    if (this.#abandonedSeqs.has(job.seq)) return;
    const timedOut = e instanceof ShadowTimeout;
    const err = timedOut ? { code: 'SHADOW_TIMEOUT', message: (e as Error).message } : describeError(e);
    this.#counts.failed += job.changes.length;
    if (timedOut) this.#counts.timedOut += job.changes.length;
    this.#lastError = { ...err, at: new Date().toISOString() };
    for (const c of job.changes) {
      this.#table(c.table).failed++;
      this.#logFailure('shadow_write_failed', c, err);
    }
    this.#journal(job.changes, timedOut ? 'SHADOW_TIMEOUT' : 'SHADOW_WRITE_FAILED');
  }

  #settle(seq: number): void {
    this.#settled.add(seq);
    while (this.#settled.delete(this.#lowestUnsettled)) this.#lowestUnsettled++;
    if (this.#waiters.length) {
      const keep: Array<{ upTo: number; resolve: () => void }> = [];
      for (const w of this.#waiters) {
        if (w.upTo < this.#lowestUnsettled) w.resolve();
        else keep.push(w);
      }
      this.#waiters = keep;
    }
  }

  #logFailure(event: string, c: RowChange, err: { code: string; message: string }): void {
    this.#log.warn(
      {
        event,
        backend: this.#target.kind,
        phase: this.#phase,
        table: c.table,
        id: c.op === 'upsert' ? c.row.id : c.id,
        op: c.op,
        version: c.op === 'upsert' ? c.row.version : c.version,
        code:
          event === 'shadow_write_dropped' ? 'SHADOW_QUEUE_FULL' : event === 'shadow_write_abandoned' ? 'SHADOW_ABANDONED' : err.code === 'SHADOW_TIMEOUT' ? 'SHADOW_TIMEOUT' : 'SHADOW_WRITE_FAILED',
        cause: err.code,
        error: err.message,
      },
      event === 'shadow_write_dropped' ? 'shadow write dropped: queue full' : event === 'shadow_write_abandoned' ? 'shadow write abandoned: drain deadline passed' : 'shadow write failed',
    );
  }

  /**
   * Resolves true once every job enqueued before this call has settled (succeeded or failed),
   * false after `timeoutMs`. Used for read-your-writes in phase 5.
   */
  barrier(timeoutMs: number): Promise<boolean> {
    const upTo = this.#seq;
    if (this.#lingerTimer) {
      clearTimeout(this.#lingerTimer);
      this.#lingerTimer = null;
      this.#pump();
    }
    if (this.#circuitState() === 'open' && upTo >= this.#lowestUnsettled) return Promise.resolve(false);
    if (upTo < this.#lowestUnsettled) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.#waiters.push({
        upTo,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      });
    });
  }

  /**
   * Waits for queued and in-flight writes, at most `timeoutMs`, then stops. Returns what was left:
   * those row changes are abandoned (counted in `failed` and `abandoned`, logged by id as
   * `shadow_write_abandoned`, journaled), and later `enqueue`s are dropped the same way.
   */
  async drain(timeoutMs: number): Promise<{ drained: boolean; remaining: number }> {
    const drained = await this.barrier(timeoutMs);
    // Stop: nothing is attempted after close (the caller closes the shadow connection next).
    this.#stopped = true;
    if (this.#reopenTimer) clearTimeout(this.#reopenTimer);
    if (this.#lingerTimer) clearTimeout(this.#lingerTimer);
    const remaining = this.#queuedRows + this.#inFlightRows;
    if (remaining > 0) this.#abandonAll(timeoutMs);
    return { drained, remaining };
  }

  /** Counts, logs and journals every queued and in-flight job as abandoned, and settles them. */
  #abandonAll(timeoutMs: number): void {
    const jobs: Job[] = [...this.#runningJobs];
    for (const list of this.#byKey.values()) jobs.push(...list);
    this.#byKey.clear();
    this.#ready.length = 0;
    const err = { code: 'SHADOW_ABANDONED', message: `drain deadline of ${timeoutMs} ms passed before this shadow write landed` };
    for (const j of jobs) {
      if (this.#runningJobs.has(j)) this.#abandonedSeqs.add(j.seq);
      const n = j.changes.length;
      this.#counts.failed += n;
      this.#counts.abandoned += n;
      for (const c of j.changes) {
        const t = this.#table(c.table);
        t.failed++;
        t.abandoned++;
        this.#logFailure('shadow_write_abandoned', c, err);
      }
      this.#journal(j.changes, 'SHADOW_ABANDONED');
      this.#settle(j.seq);
    }
    this.#lastError = { ...err, at: new Date().toISOString() };
    this.#queuedRows = 0;
    this.#inFlightRows = 0;
  }

  stats(): ShadowStats {
    const done = this.#counts.succeeded + this.#counts.failed;
    return {
      backend: this.#target.kind === 'routed' ? null : this.#target.kind,
      ...this.#counts,
      byTable: Object.fromEntries([...this.#byTable].map(([t, c]) => [t, { ...c }])),
      inFlight: this.#inFlightRows,
      queued: this.#queuedRows,
      unacknowledged: 0,
      latencyMs: this.#latency.summary(),
      latencyHistogram: this.#latency.histogram(),
      failureRate: done === 0 ? 0 : this.#counts.failed / done,
      lastError: this.#lastError,
      circuit: this.#circuitState(),
      settledThrough: this.#lowestUnsettled - 1,
    };
  }
}
