import type { RowChange } from '../stores/store.js';
import type { ShadowStats } from './shadow-queue.js';
import type { JournalEntry } from './failure-journal.js';

/** Main thread → shadow worker. @internal */
export type ToWorker =
  | { type: 'enqueue'; jobs: Array<{ key: string; changes: readonly RowChange[] }> }
  | { type: 'barrier'; id: number; timeoutMs: number }
  | { type: 'drain'; timeoutMs: number };

/** Shadow worker → main thread. @internal */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'log'; obj: Record<string, unknown>; msg?: string }
  /** Row changes that did not reach the shadow, for the failure journal. */
  | { type: 'unlanded'; entries: JournalEntry[] }
  | { type: 'stats'; stats: ShadowStats }
  | { type: 'barrier'; id: number; ok: boolean }
  | { type: 'drained'; drained: boolean; remaining: number };
