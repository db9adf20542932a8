import type { PassChunk, TokenPassSpec } from './token-pass.js';

/**
 * Messages between source.ts's reader thread (reader-thread.ts, this side) and its worker
 * (reader-worker.ts). Every request carries an `id`; the worker answers it once (`rows`, `done`,
 * `error`), a pass also with one `chunk` message per chunk, at most {@link PASS_AHEAD} ahead of
 * what this side has taken: the pass's `taken` counter (shared memory, one Int32: this side adds 1
 * and notifies per chunk taken, the worker waits on it with `Atomics.waitAsync`), so taking a chunk
 * costs no message. `stop` ends a pass its consumer left early. @internal
 */
export type ReaderRequest =
  | { readonly op: 'begin' | 'commit'; readonly id: number }
  | { readonly op: 'all'; readonly id: number; readonly sql: string; readonly args: readonly unknown[] }
  | { readonly op: 'pass'; readonly id: number; readonly spec: TokenPassSpec; readonly taken: SharedArrayBuffer }
  | { readonly op: 'stop'; readonly id: number };

/** A worker's error, as plain data (a DatabaseError keeps its code). @internal */
export interface PostedError {
  readonly code?: string;
  readonly message: string;
  readonly details?: Record<string, unknown>;
}

/** @internal */
export type ReaderReply =
  | { readonly id: 0; readonly opened: { readonly journalMode: string | null } }
  | { readonly id: number; readonly rows: unknown[][] }
  | { readonly id: number; readonly chunk: PassChunk }
  | { readonly id: number; readonly done: true }
  | { readonly id: number; readonly error: PostedError };

/** Chunks a pass reads ahead of its consumer (each ~256 KiB of tokens). @internal */
export const PASS_AHEAD = 3;

/** What the worker is started with (`workerData`). @internal */
export interface ReaderSetup {
  readonly path: string;
  readonly busyTimeoutMs: number;
}

/**
 * A chunk ready to post and the buffers that move with it instead of being copied. The blob is
 * always copied once into memory of our own: the driver's buffer is external memory owned by its
 * native side (neon), and moving that to another thread aborts the process when it is freed.
 * @internal
 */
export function chunkTransfer(c: PassChunk): { chunk: PassChunk; transfer: ArrayBuffer[] } {
  const owned = (v: ArrayBufferView) => v.byteOffset === 0 && v.byteLength === v.buffer.byteLength && v.buffer instanceof ArrayBuffer;
  const chunk = { ...c, blob: new Uint8Array(c.blob) };
  const views: ArrayBufferView[] = [chunk.blob, c.starts, c.ends, c.rowids, c.reread, c.ascii, c.parents];
  if (c.copy) views.push(c.copy.text, c.copy.starts, c.copy.ends);
  return { chunk, transfer: [...new Set(views.filter(owned).map((v) => v.buffer as ArrayBuffer))] };
}

