import type { ShadowLimits } from '../config/env.js';
import { describeError, isConnectionError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ShadowSink } from './shadow-sink.js';
import type { RowChange, Store } from '../stores/store.js';
import { LatencyWindow, type LatencyHistogram } from './latency.js';

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
  /** Refused because the queue was full (never attempted). */
  readonly dropped: number;
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
  /** failed / (succeeded + failed), 0 when nothing finished. */
  readonly failureRate: number;
  readonly lastError: { code: string; message: string; at: string } | null;
  /**
   * `open` while the shadow backend is considered down (3 connection failures or deadlines in a
   * row): no attempts until the cool-down (250 ms doubling to 2 s) ends, then one probe batch
   * (`half-open`); a success closes it. Queued writes wait meanwhile (bounded by the queue limit).
   */
  readonly circuit: 'closed' | 'open' | 'half-open';
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
  #counts = { enqueued: 0, succeeded: 0, failed: 0, timedOut: 0, dropped: 0 };
  #lastError: ShadowStats['lastError'] = null;

  constructor(target: Store, limits: ShadowLimits, log: Pick<Logger, 'warn'>, phase: string) {
    this.#target = target;
    this.#limits = limits;
    this.#log = log;
    this.#phase = phase;
  }

  /** Queues the committed changes of one primary operation. Never throws, never waits. */
  enqueue(key: string, changes: readonly RowChange[]): void {
    if (changes.length === 0) return;
    if (this.#queuedRows + changes.length > this.#limits.queueLimit) {
      this.#counts.dropped += changes.length;
      for (const c of changes) this.#logFailure('shadow_write_dropped', c, { code: 'SHADOW_QUEUE_FULL', message: `queue limit ${this.#limits.queueLimit} reached` });
      return;
    }
    const job: Job = { seq: ++this.#seq, key, changes };
    this.#counts.enqueued += changes.length;
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

  /** Applies `changes` within the deadline; the abort recycles a stalled PostgreSQL pool. */
  async #apply(changes: readonly RowChange[]): Promise<void> {
    const ac = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ac.abort(new Error(`shadow write passed its ${this.#limits.timeoutMs} ms deadline`));
    }, this.#limits.timeoutMs);
    try {
      await this.#target.applyChanges(changes, { signal: ac.signal });
      if (timedOut) throw new ShadowTimeout(this.#limits.timeoutMs);
    } catch (e) {
      throw timedOut ? new ShadowTimeout(this.#limits.timeoutMs) : e;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Ready jobs (one per key, so per-key order holds) are applied together in one transaction:
   * one commit instead of one per row. If the batch fails for a reason other than the deadline or
   * a lost connection, each job is retried alone so one bad row does not fail the others.
   */
  async #runBatch(batch: Job[]): Promise<void> {
    const started = performance.now();
    try {
      await this.#apply(batch.flatMap((j) => j.changes));
      for (const j of batch) this.#succeed(j);
      this.#latency.record(performance.now() - started, 'apply');
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
        this.#inFlightRows -= j.changes.length;
        this.#busyKeys.delete(j.key);
        if (this.#byKey.has(j.key)) this.#ready.push(j.key);
        this.#settle(j.seq);
      }
      this.#pump();
    }
  }

  #succeed(job: Job): void {
    this.#counts.succeeded += job.changes.length;
  }

  #fail(job: Job, e: unknown): void {
    const timedOut = e instanceof ShadowTimeout;
    const err = timedOut ? { code: 'SHADOW_TIMEOUT', message: (e as Error).message } : describeError(e);
    this.#counts.failed += job.changes.length;
    if (timedOut) this.#counts.timedOut += job.changes.length;
    this.#lastError = { ...err, at: new Date().toISOString() };
    for (const c of job.changes) this.#logFailure('shadow_write_failed', c, err);
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
        code: event === 'shadow_write_dropped' ? 'SHADOW_QUEUE_FULL' : err.code === 'SHADOW_TIMEOUT' ? 'SHADOW_TIMEOUT' : 'SHADOW_WRITE_FAILED',
        cause: err.code,
        error: err.message,
      },
      event === 'shadow_write_dropped' ? 'shadow write dropped: queue full' : 'shadow write failed',
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

  /** Waits for queued and in-flight writes, at most `timeoutMs`. Returns what was left. */
  async drain(timeoutMs: number): Promise<{ drained: boolean; remaining: number }> {
    const drained = await this.barrier(timeoutMs);
    // Stop: nothing is attempted after close (the caller closes the shadow connection next).
    this.#stopped = true;
    if (this.#reopenTimer) clearTimeout(this.#reopenTimer);
    return { drained, remaining: this.#queuedRows + this.#inFlightRows };
  }

  stats(): ShadowStats {
    const done = this.#counts.succeeded + this.#counts.failed;
    return {
      backend: this.#target.kind === 'routed' ? null : this.#target.kind,
      ...this.#counts,
      inFlight: this.#inFlightRows,
      queued: this.#queuedRows,
      unacknowledged: 0,
      latencyMs: this.#latency.summary(),
      latencyHistogram: this.#latency.histogram(),
      failureRate: done === 0 ? 0 : this.#counts.failed / done,
      lastError: this.#lastError,
      circuit: this.#circuitState(),
    };
  }
}
