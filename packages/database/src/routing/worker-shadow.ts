import { existsSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ShadowLimits } from '../config/env.js';
import type { Logger } from '../logger.js';
import type { BackendTarget } from '../stores/open-store.js';
import type { RowChange } from '../stores/store.js';
import type { ShadowStats, ShadowTableCounts } from './shadow-queue.js';
import type { ShadowSink } from './shadow-sink.js';
import type { FromWorker, ToWorker } from './worker-messages.js';
import { journalEntryOf, type FailureJournal } from './failure-journal.js';

/** The compiled worker entry; from TypeScript sources (tests) it is taken from `dist/`. */
function workerFile(): URL {
  const here = new URL('./shadow-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  return new URL('../../dist/routing/shadow-worker.js', import.meta.url);
}

const emptyStats = (backend: ShadowStats['backend']): ShadowStats => ({
  backend,
  enqueued: 0,
  succeeded: 0,
  failed: 0,
  timedOut: 0,
  abandoned: 0,
  retried: 0,
  dropped: 0,
  byTable: {},
  inFlight: 0,
  queued: 0,
  unacknowledged: 0,
  latencyMs: { count: 0, p50: null, p95: null, p99: null },
  failureRate: 0,
  lastError: null,
  circuit: 'closed',
});

/** First pause before a crashed shadow worker is started again (ms); doubles up to {@link MAX_RESTART_MS}. */
const FIRST_RESTART_MS = 250;
const MAX_RESTART_MS = 5_000;

type Counters = { -readonly [K in 'enqueued' | 'succeeded' | 'failed' | 'timedOut' | 'dropped' | 'abandoned' | 'retried']: number };
const COUNTERS = ['enqueued', 'succeeded', 'failed', 'timedOut', 'dropped', 'abandoned', 'retried'] as const;

/**
 * Shadow writes on a worker thread: the caller's thread only buffers the committed changes and
 * posts them once per event-loop turn; encoding, the shadow connection, its retries, deadlines
 * and garbage all live on the worker (a second core). Measured in `pnpm bench`: with the shadow
 * in-process, PostgreSQL's client work added ~45 µs to a 70 µs LibSQL insert (p50).
 *
 * If the worker dies (an uncaught error in it), the rows it held are counted as failed and
 * logged (`shadow_worker_failed`, with `rows`; then each row it had not settled by id,
 * `shadow_write_lost`), and a new worker starts after 250 ms (doubling up to 5 s while it keeps
 * dying). Changes that arrive meanwhile wait in a buffer bounded by the queue limit (beyond it
 * they are dropped, counted and logged by id). Every row that does not reach the shadow is also
 * appended to the failure journal when one is given (failure-journal.ts): `pnpm db reconcile
 * --journal` repairs exactly those rows.
 */
export class WorkerShadow implements ShadowSink {
  readonly #target: BackendTarget;
  readonly #limits: ShadowLimits;
  readonly #phase: string;
  #worker: Worker | null = null;
  readonly #log: Logger;
  #buffer: Array<{ key: string; changes: readonly RowChange[] }> = [];
  #bufferedRows = 0;
  #flushScheduled = false;
  /** The live worker's latest counters. */
  #stats: ShadowStats;
  /** Counters of workers that died, rows they lost included as failed. */
  #base: Counters = { enqueued: 0, succeeded: 0, failed: 0, timedOut: 0, dropped: 0, abandoned: 0, retried: 0 };
  /** Per-table counters of workers that died and of rows dropped or abandoned on this thread. */
  readonly #baseByTable = new Map<string, ShadowTableCounts>();
  /** Rows posted to the live worker (compared with what it has counted: see `stats().unacknowledged`). */
  #postedRows = 0;
  #barrierId = 0;
  readonly #barriers = new Map<number, (ok: boolean) => void>();
  /**
   * The changes posted to the live worker that it has not reported settled, in posting order
   * (the worker's job sequence numbers: see `ShadowStats.settledThrough`): what a worker that
   * dies may have lost, logged and journaled by id.
   */
  #inWorker: Array<readonly RowChange[]> = [];
  #inWorkerHead = 0;
  /** Jobs of the live worker already settled and removed from {@link #inWorker}. */
  #inWorkerSettled = 0;
  readonly #journal: FailureJournal | null;
  #drained: ((r: { drained: boolean; remaining: number }) => void) | null = null;
  /** Set by `drain`: no restart, nothing more is accepted. */
  #stopped = false;
  #restartMs = FIRST_RESTART_MS;
  #restartTimer: NodeJS.Timeout | null = null;
  /** Workers started after a crash (for statistics and tests). */
  restarts = 0;
  readonly #lingerMs: number;

  /**
   * Starts the worker. First does one file-system call on this thread: libuv's thread pool is
   * created by its first user and new threads inherit their creator's nice value on Linux, so the
   * pool must not be created by the (reniced, see `ShadowLimits.workerNice`) shadow thread.
   */
  static async start(target: BackendTarget, limits: ShadowLimits, logger: Logger, phase: string, journal: FailureJournal | null = null): Promise<WorkerShadow> {
    await access(fileURLToPath(workerFile())).catch(() => {});
    return new WorkerShadow(target, limits, logger, phase, journal);
  }

  private constructor(target: BackendTarget, limits: ShadowLimits, logger: Logger, phase: string, journal: FailureJournal | null) {
    this.#journal = journal;
    this.#target = target;
    this.#limits = limits;
    this.#phase = phase;
    this.#log = logger;
    this.#lingerMs = limits.batchLingerMs ?? 0;
    this.#stats = emptyStats(target.backend);
    this.#spawn();
  }

  #baseTable(table: string): ShadowTableCounts {
    let t = this.#baseByTable.get(table);
    if (!t) this.#baseByTable.set(table, (t = { enqueued: 0, succeeded: 0, failed: 0, dropped: 0, abandoned: 0 }));
    return t;
  }

  #spawn(): void {
    const worker = new Worker(workerFile(), { workerData: { target: this.#target, limits: this.#limits, phase: this.#phase } });
    this.#worker = worker;
    this.#stats = emptyStats(this.#target.backend);
    this.#postedRows = 0;
    this.#inWorker = [];
    this.#inWorkerHead = 0;
    this.#inWorkerSettled = 0;
    worker.unref();
    worker.on('message', (m: FromWorker) => {
      if (worker === this.#worker) this.#onMessage(m);
    });
    worker.on('error', (e) => this.#onDeath(worker, e.message));
    worker.on('exit', (code) => this.#onDeath(worker, `exited with code ${code}`));
    if (this.#buffer.length > 0) this.#flush();
  }

  /** The live worker thread (tests terminate it to check the restart). @internal */
  get workerThread(): Worker | null {
    return this.#worker;
  }

  /** Forgets the jobs the worker reports settled (its `settledThrough`). */
  #forgetSettled(settledThrough: number | undefined): void {
    if (settledThrough === undefined) return;
    while (this.#inWorkerSettled < settledThrough && this.#inWorkerHead < this.#inWorker.length) {
      this.#inWorkerHead++;
      this.#inWorkerSettled++;
    }
    if (this.#inWorkerHead > 1024 && this.#inWorkerHead * 2 > this.#inWorker.length) {
      this.#inWorker = this.#inWorker.slice(this.#inWorkerHead);
      this.#inWorkerHead = 0;
    }
  }

  /** Logs by id and journals the changes the worker held and had not settled; returns them. */
  #reportUnsettled(code: string, reason: string, countAbandoned = false): number {
    const held = this.#inWorker.slice(this.#inWorkerHead);
    this.#inWorker = [];
    this.#inWorkerHead = 0;
    let n = 0;
    for (const changes of held) {
      for (const c of changes) {
        n++;
        if (countAbandoned) {
          const t = this.#baseTable(c.table);
          t.failed++;
          t.abandoned++;
        }
        this.#log.warn(
          { event: 'shadow_write_lost', code, backend: this.#target.backend, phase: this.#phase, table: c.table, id: c.op === 'upsert' ? c.row.id : c.id, op: c.op, version: c.op === 'upsert' ? c.row.version : c.version, error: reason },
          'shadow write lost with the shadow writer (it may have landed)',
        );
      }
      this.#journal?.append(changes.map((c) => journalEntryOf(c, code)));
    }
    return n;
  }

  #onDeath(worker: Worker, reason: string): void {
    if (worker !== this.#worker) return; // 'exit' after 'error', or an old worker
    this.#worker = null;
    this.#settleAll(false);
    if (this.#stopped) return;
    this.#reportUnsettled('SHADOW_WRITE_FAILED', `shadow writer ${reason}`);
    const s = this.#stats;
    const lost = Math.max(0, this.#postedRows - (s.succeeded + s.failed + s.dropped));
    for (const k of COUNTERS) this.#base[k] += s[k];
    for (const [table, c] of Object.entries(s.byTable ?? {})) {
      const t = this.#baseTable(table);
      t.enqueued += c.enqueued;
      t.succeeded += c.succeeded;
      t.failed += c.failed;
      t.dropped += c.dropped;
      t.abandoned += c.abandoned;
    }
    this.#base.failed += lost;
    this.#base.enqueued += Math.max(0, this.#postedRows - (s.enqueued + s.dropped));
    this.#stats = emptyStats(this.#target.backend);
    this.#postedRows = 0;
    this.#log.error(
      { event: 'shadow_worker_failed', code: 'SHADOW_WRITE_FAILED', backend: this.#target.backend, phase: this.#phase, rows: lost, error: reason, restartInMs: this.#restartMs },
      `shadow writer stopped (${lost} row changes lost: verify will find them); restarting`,
    );
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      if (this.#stopped) return;
      this.restarts++;
      this.#spawn();
    }, this.#restartMs);
    this.#restartTimer.unref();
    this.#restartMs = Math.min(this.#restartMs * 2, MAX_RESTART_MS);
  }

  #onMessage(m: FromWorker): void {
    switch (m.type) {
      case 'log':
        this.#log.warn(m.obj, m.msg);
        break;
      case 'unlanded':
        this.#journal?.append(m.entries);
        break;
      case 'stats':
        this.#stats = m.stats;
        this.#forgetSettled(m.stats.settledThrough);
        if (m.stats.succeeded > 0) this.#restartMs = FIRST_RESTART_MS;
        break;
      case 'barrier':
        this.#barriers.get(m.id)?.(m.ok);
        this.#barriers.delete(m.id);
        break;
      case 'drained':
        this.#drained?.({ drained: m.drained, remaining: m.remaining });
        break;
      case 'ready':
        break;
    }
  }

  #settleAll(ok: boolean): void {
    for (const r of this.#barriers.values()) r(ok);
    this.#barriers.clear();
    this.#drained?.({ drained: false, remaining: this.#stats.queued + this.#stats.inFlight + this.#bufferedRows });
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#buffer.length === 0 || !this.#worker) return; // no worker: kept until it restarts
    const jobs = this.#buffer;
    this.#buffer = [];
    for (const j of jobs) this.#inWorker.push(j.changes);
    this.#postedRows += this.#bufferedRows;
    this.#bufferedRows = 0;
    this.#worker.postMessage({ type: 'enqueue', jobs } satisfies ToWorker);
  }

  enqueue(key: string, changes: readonly RowChange[]): void {
    if (changes.length === 0) return;
    if (this.#stopped || (!this.#worker && this.#bufferedRows + changes.length > this.#limits.queueLimit)) {
      this.#base.dropped += changes.length;
      for (const c of changes) {
        this.#baseTable(c.table).dropped++;
        const id = c.op === 'upsert' ? c.row.id : c.id;
        this.#log.warn(
          { event: 'shadow_write_dropped', code: this.#stopped ? 'SHADOW_WRITE_FAILED' : 'SHADOW_QUEUE_FULL', table: c.table, id, op: c.op, phase: this.#phase, error: this.#stopped ? 'shadow writer stopped' : `shadow writer restarting; buffer limit ${this.#limits.queueLimit} reached` },
          'shadow write dropped',
        );
      }
      this.#journal?.append(changes.map((c) => journalEntryOf(c, this.#stopped ? 'SHADOW_ABANDONED' : 'SHADOW_QUEUE_FULL')));
      return;
    }
    this.#buffer.push({ key, changes });
    this.#bufferedRows += changes.length;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setTimeout(() => this.#flush(), Math.min(5, this.#lingerMs));
    }
  }

  barrier(timeoutMs: number): Promise<boolean> {
    this.#flush();
    const worker = this.#worker;
    if (!worker) return Promise.resolve(false);
    const id = ++this.#barrierId;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#barriers.delete(id);
        resolve(false);
      }, timeoutMs + 100);
      this.#barriers.set(id, (ok) => {
        clearTimeout(timer);
        resolve(ok);
      });
      worker.postMessage({ type: 'barrier', id, timeoutMs } satisfies ToWorker);
    });
  }

  async drain(timeoutMs: number): Promise<{ drained: boolean; remaining: number }> {
    this.#flush();
    this.#stopped = true;
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    const worker = this.#worker;
    if (!worker) {
      // No worker (restarting after a crash): what waits in the buffer is abandoned, by id.
      const left = this.#buffer;
      this.#buffer = [];
      const n = this.#bufferedRows;
      this.#bufferedRows = 0;
      this.#base.failed += n;
      this.#base.abandoned += n;
      for (const j of left) {
        for (const c of j.changes) {
          const t = this.#baseTable(c.table);
          t.failed++;
          t.abandoned++;
          this.#log.warn(
            { event: 'shadow_write_abandoned', code: 'SHADOW_ABANDONED', backend: this.#target.backend, phase: this.#phase, table: c.table, id: c.op === 'upsert' ? c.row.id : c.id, op: c.op, version: c.op === 'upsert' ? c.row.version : c.version, error: 'shadow writer not running at shutdown' },
            'shadow write abandoned: drain deadline passed',
          );
        }
        this.#journal?.append(j.changes.map((c) => journalEntryOf(c, 'SHADOW_ABANDONED')));
      }
      return { drained: n === 0, remaining: n };
    }
    const result = await new Promise<{ drained: boolean; remaining: number }>((resolve) => {
      const timer = setTimeout(() => {
        // The worker did not answer the drain: every row it had not settled is reported by id.
        const n = this.#reportUnsettled('SHADOW_ABANDONED', 'shadow writer did not answer the drain', true);
        this.#base.failed += n;
        this.#base.abandoned += n;
        resolve({ drained: false, remaining: n });
      }, timeoutMs + 2_000);
      this.#drained = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
      worker.postMessage({ type: 'drain', timeoutMs } satisfies ToWorker);
    });
    this.#worker = null;
    await worker.terminate().catch(() => {});
    return result;
  }

  /** The live worker's per-table counters plus {@link #baseByTable}. */
  #mergedByTable(live: ShadowStats['byTable']): Record<string, ShadowTableCounts> {
    const out: Record<string, ShadowTableCounts> = {};
    for (const src of [Object.entries(live ?? {}), this.#baseByTable.entries()])
      for (const [table, c] of src) {
        const t = (out[table] ??= { enqueued: 0, succeeded: 0, failed: 0, dropped: 0, abandoned: 0 });
        t.enqueued += c.enqueued;
        t.succeeded += c.succeeded;
        t.failed += c.failed;
        t.dropped += c.dropped;
        t.abandoned += c.abandoned;
      }
    return out;
  }

  stats(): ShadowStats {
    // The worker's counters lag (and are all 0 until it has started): rows still buffered here, or
    // posted but not yet counted by the worker as enqueued or dropped, are reported as unacknowledged.
    // Counters of workers that died (see the class comment) are added in.
    const s = this.#stats;
    const unacknowledged = this.#bufferedRows + Math.max(0, this.#postedRows - (s.enqueued + s.dropped));
    const b = this.#base;
    if (unacknowledged === s.unacknowledged && b.enqueued + b.succeeded + b.failed + b.dropped + b.retried === 0) return s;
    const succeeded = s.succeeded + b.succeeded;
    const failed = s.failed + b.failed;
    return {
      ...s,
      enqueued: s.enqueued + b.enqueued,
      succeeded,
      failed,
      timedOut: s.timedOut + b.timedOut,
      abandoned: s.abandoned + b.abandoned,
      retried: s.retried + b.retried,
      dropped: s.dropped + b.dropped,
      byTable: this.#mergedByTable(s.byTable),
      unacknowledged,
      failureRate: succeeded + failed === 0 ? 0 : failed / (succeeded + failed),
    };
  }
}
