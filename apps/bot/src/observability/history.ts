import type { ShadowStats } from '@repo/database';

/** One sample of the shadow writer, taken every {@link HISTORY_INTERVAL_MS}. */
export interface ShadowSample {
  /** When it was taken, unix ms. */
  readonly at: number;
  /** Row changes that finished since the previous sample (succeeded, failed, dropped). */
  readonly succeeded: number;
  readonly failed: number;
  readonly dropped: number;
  /** Waiting + in flight + not yet acknowledged by the worker, at `at`. */
  readonly queue: number;
}

/** Sampling period of the status page's chart, in ms. */
export const HISTORY_INTERVAL_MS = 10_000;
/** Samples kept: one hour at {@link HISTORY_INTERVAL_MS}. */
export const HISTORY_SIZE = 360;

/**
 * A ring buffer of {@link ShadowSample}s (the last hour by default), fed from `stats()` by a timer.
 * Counters are cumulative; a sample keeps the difference to the previous one.
 */
export class ShadowHistory {
  readonly #size: number;
  readonly #samples: ShadowSample[] = [];
  #last: { succeeded: number; failed: number; dropped: number } | null = null;
  #timer: NodeJS.Timeout | null = null;

  constructor(size = HISTORY_SIZE) {
    this.#size = size;
  }

  /** Takes one sample from `stats` (null: no shadow in this phase, nothing recorded). */
  sample(stats: ShadowStats | null, at = Date.now()): void {
    if (!stats) return;
    const now = { succeeded: stats.succeeded, failed: stats.failed, dropped: stats.dropped };
    const prev = this.#last ?? now;
    // A counter that went down (a new database behind the same page) restarts the differences.
    const d = (k: keyof typeof now) => Math.max(0, now[k] - (now[k] < prev[k] ? 0 : prev[k]));
    this.#last = now;
    this.#samples.push({ at, succeeded: d('succeeded'), failed: d('failed'), dropped: d('dropped'), queue: stats.queued + stats.inFlight + stats.unacknowledged });
    if (this.#samples.length > this.#size) this.#samples.shift();
  }

  /** Samples, oldest first (a copy). */
  samples(): ShadowSample[] {
    return [...this.#samples];
  }

  /** Samples `stats()` now and every `intervalMs` (timer unref'd) until {@link stop}. */
  start(stats: () => ShadowStats | null, intervalMs = HISTORY_INTERVAL_MS): void {
    if (this.#timer) return;
    this.sample(stats());
    this.#timer = setInterval(() => this.sample(stats()), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}
