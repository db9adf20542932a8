import type { RowChange } from '../stores/store.js';
import type { ShadowStats } from './shadow-queue.js';

/**
 * Where the router hands committed changes for shadow writing. Implemented in-process by
 * `ShadowQueue` and, by default, on a worker thread by `WorkerShadow` (so the shadow's CPU and
 * garbage never land on the caller's thread).
 */
export interface ShadowSink {
  /** Queues the committed changes of one primary operation. Never throws, never waits. */
  enqueue(key: string, changes: readonly RowChange[]): void;
  /** Resolves true once every job enqueued before the call has settled; false after `timeoutMs`. */
  barrier(timeoutMs: number): Promise<boolean>;
  /** Waits for queued and in-flight writes, at most `timeoutMs` ms; then stops. Returns what was left. */
  drain(timeoutMs: number): Promise<{ drained: boolean; remaining: number }>;
  /** Latest counters (a worker pushes them at most every 20 ms; exact after `drain`). */
  stats(): ShadowStats;
}
